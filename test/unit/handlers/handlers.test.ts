// Handlers against a fake call: what each answers, forwards or gathers, with no socket and no
// backend (the integration tests run the same commands against real clusters).
import { describe, expect, it } from 'vitest';
import { DecodedRequest } from '../../../src/protocol/decoded-request.js';
import { stringKeyHashSlot } from '../../../src/cluster/hash-slot.js';
import * as connectionCommands from '../../../src/handlers/connection-commands.js';
import { dispatch } from '../../../src/handlers/dispatch.js';
import { scanCommand } from '../../../src/handlers/scan.js';
import { encodeCommand } from '../../../src/protocol/encoder.js';
import { encodeCursor } from '../../../src/upstream/scan-cursor.js';
import { FakeCall, FakeConnection, fakeProxy } from '../../fakes/fake-call.js';

/** SCAN's handler over the call's fake proxy. */
const runScan = (call: FakeCall): void => scanCommand(call.proxy)(call);

/** The registry of a fake proxy (its entries are the same for every instance). */
const registry = fakeProxy().handlers;

const resp = (...words: string[]) => encodeCommand(words).toString('latin1');

function setup(flags: string[] = []) {
  const proxy = fakeProxy(flags);
  const connection = new FakeConnection(proxy);
  const call = (...words: string[]) => FakeCall.of(proxy, connection, ...words);
  /** Runs `words` through the dispatcher, as the session does for every request. */
  const run = (...words: string[]) => {
    const c = new FakeCall(proxy, connection);
    dispatch(c, DecodedRequest.of(words.map((w) => Buffer.from(w)), encodeCommand(words)), proxy);
    return c;
  };
  return { proxy, connection, call, run };
}

describe('the dispatcher\'s direct path (no argument views)', () => {
  /** Dispatches `words`; says which bind the call got: `direct` with the key slot, or `full`. */
  function bindOf(proxy: ReturnType<typeof fakeProxy>, connection: FakeConnection, ...words: string[]): { via: string; keySlot: number; call: FakeCall } {
    const call = new FakeCall(proxy, connection);
    let via = 'none';
    const bindRequest = call.bindRequest.bind(call);
    const bind = call.bind.bind(call);
    call.bindRequest = (...args) => ((via = 'direct'), bindRequest(...args));
    call.bind = (...args) => ((via = via === 'none' ? 'full' : via), bind(...args));
    dispatch(call, DecodedRequest.of(words.map((w) => Buffer.from(w)), encodeCommand(words)), proxy);
    return { via, keySlot: call.keySlot, call };
  }

  it('takes a plain single-key command, with its key\'s slot read by offset, and routes it there', () => {
    const proxy = fakeProxy();
    const connection = new FakeConnection(proxy);
    const get = bindOf(proxy, connection, 'get', 'user:1');
    expect(get).toMatchObject({ via: 'direct', keySlot: stringKeyHashSlot('user:1') });
    expect(get.call.forwards[0]!.target).toEqual({ slot: stringKeyHashSlot('user:1') });
    expect(bindOf(proxy, connection, 'SET', '{tag}k', 'v')).toMatchObject({ via: 'direct', keySlot: stringKeyHashSlot('tag') });
    // Keyless, multi-key: direct too, with no key slot (their handlers read the arguments).
    expect(bindOf(proxy, connection, 'DBSIZE')).toMatchObject({ via: 'direct', keySlot: -1 });
    expect(bindOf(proxy, connection, 'MGET', 'a', 'b')).toMatchObject({ via: 'direct', keySlot: -1 });
  });

  it('leaves to the full path whatever it cannot be sure of, which gives the same answers', () => {
    const proxy = fakeProxy(['--disable-command-list', 'keys']);
    const connection = new FakeConnection(proxy);
    expect(bindOf(proxy, connection, 'OBJECT', 'ENCODING', 'k').via).toBe('full'); // a sub-command
    expect(bindOf(proxy, connection, 'DBSIZE', '@0').via).toBe('full'); // a node suffix
    expect(bindOf(proxy, connection, 'GET', 'a'.repeat(40)).via).toBe('full'); // may be a node ID: the full path decides
    expect(bindOf(proxy, connection, 'GET', '{slotgate}:x').call.answer).toMatch(/^-ERR/); // a reserved name
    expect(bindOf(proxy, connection, 'KEYS', '*').call.answer).toMatch(/is disabled/);
    expect(bindOf(proxy, connection, 'GET').call.answer).toMatch(/^-ERR wrong number of arguments for 'get' command/);
    expect(bindOf(proxy, connection, 'NOSUCH', 'k').call.answer).toMatch(/^-ERR unknown command 'NOSUCH'/);
    bindOf(proxy, connection, 'MULTI');
    const queued = bindOf(proxy, connection, 'GET', 'k');
    expect(queued).toMatchObject({ via: 'full' });
    expect(queued.call.answer).toBe('+QUEUED\r\n');
  });
});

describe('MULTI / EXEC / DISCARD', () => {
  it('queues commands of one slot and sends them as one MULTI/EXEC batch to that slot', () => {
    const { run } = setup();
    expect(run('MULTI').answer).toBe('+OK\r\n');
    expect(run('SET', '{u}a', '1').answer).toBe('+QUEUED\r\n');
    expect(run('GET', '{u}b').answer).toBe('+QUEUED\r\n');
    const exec = run('EXEC');
    expect(exec.replies).toEqual([]);
    expect(exec.forwards).toHaveLength(1);
    const { target, options } = exec.forwards[0]!;
    expect(target).toEqual({ slot: stringKeyHashSlot('u') });
    expect(options).toMatchObject({ transaction: true, access: 'write' });
    expect(options.commands!.map((c) => c.toString('latin1'))).toEqual([resp('SET', '{u}a', '1'), resp('GET', '{u}b')]);
  });

  it('aborts on a second slot, and EXEC then answers EXECABORT without sending anything', () => {
    const { run } = setup();
    run('MULTI');
    run('SET', 'a', '1');
    expect(run('SET', 'b', '1').answer).toMatch(/^-CROSSSLOT/);
    const exec = run('EXEC');
    expect(exec.answer).toMatch(/^-EXECABORT/);
    expect(exec.forwards).toEqual([]);
  });

  it('refuses commands that cannot join one node\'s batch, and aborts', () => {
    const { run } = setup();
    run('MULTI');
    expect(run('MONITOR').answer).toBe("-ERR Command 'monitor' is not allowed inside a transaction\r\n");
    expect(run('SHUTDOWN').answer).toMatch(/not supported by slotgate/);
    expect(run('EXEC').answer).toMatch(/^-EXECABORT/);
  });

  it('answers Redis\'s texts for EXEC/DISCARD without MULTI and a nested MULTI', () => {
    const { run } = setup();
    expect(run('EXEC').answer).toBe('-ERR EXEC without MULTI\r\n');
    expect(run('DISCARD').answer).toBe('-ERR DISCARD without MULTI\r\n');
    run('MULTI');
    expect(run('MULTI').answer).toBe('-ERR MULTI calls can not be nested\r\n');
    expect(run('DISCARD').answer).toBe('+OK\r\n');
    expect(run('PING').answer).toBe('+PONG\r\n'); // no longer queued
  });
});

describe('WATCH', () => {
  it('watches on a connection of the client\'s own and runs the transaction there, closing it after', () => {
    const { run, connection } = setup();
    const watch = run('WATCH', '{u}a');
    expect(connection.dedicated).toEqual([{ address: '10.0.0.3:7002', closed: false }]);
    expect(watch.forwards[0]!.options.connection).toBe(connection.watch!.conn);
    run('MULTI');
    run('INCR', '{u}a');
    const exec = run('EXEC');
    expect(exec.forwards[0]!.options).toMatchObject({ transaction: true, connection: expect.anything(), closeConnectionAfter: true });
    expect(connection.watch).toBeNull();
  });

  it('refuses a second slot, and WATCH inside MULTI', () => {
    const { run } = setup();
    run('WATCH', 'a');
    expect(run('WATCH', 'b').answer).toMatch(/^-CROSSSLOT/);
    run('MULTI');
    expect(run('WATCH', 'a').answer).toBe('-ERR WATCH inside MULTI is not allowed\r\n');
  });

  it('UNWATCH closes the WATCH connection', () => {
    const { run, connection } = setup();
    run('WATCH', 'a');
    expect(run('UNWATCH').answer).toBe('+OK\r\n');
    expect(connection.dedicated[0]!.closed).toBe(true);
    expect(connection.watch).toBeNull();
  });
});

describe('HELLO and AUTH', () => {
  it('HELLO 2 answers the server map and sets the name; HELLO 3 switches to RESP3 and answers a map; HELLO 4 is NOPROTO', () => {
    const { call, connection, proxy } = setup();
    const hello = call('HELLO', '2', 'SETNAME', 'app');
    connectionCommands.connectionCommands(proxy).hello(hello);
    expect(hello.answer).toMatch(/^\*14\r\n/);
    expect(hello.answer).toContain('$7\r\nversion\r\n$6\r\n7.0.15\r\n');
    expect(connection.name).toBe('app');
    const three = call('HELLO', '3');
    connectionCommands.connectionCommands(proxy).hello(three);
    expect(three.answer).toMatch(/^%7\r\n/);
    expect(three.answer).toContain('$5\r\nproto\r\n:3\r\n');
    expect(connection.protocol).toBe(3);
    const four = call('HELLO', '4');
    connectionCommands.connectionCommands(proxy).hello(four);
    expect(four.answer).toBe('-NOPROTO unsupported protocol version\r\n');
    expect(connection.protocol).toBe(3);
    const getname = call('CLIENT', 'GETNAME');
    connection.name = null;
    proxy.handlers.entry(getname.spec).run(getname);
    expect(getname.answer).toBe('_\r\n');
    const reset = call('RESET');
    connectionCommands.connectionCommands(proxy).reset(reset);
    expect(connection.protocol).toBe(2);
  });

  it('signs in with the right password and refuses (and counts) a wrong one', async () => {
    const { call, connection, proxy } = setup(['--requirepass', 'secret']);
    expect(connection.account).toBeNull();
    const wrong = call('AUTH', 'nope');
    connectionCommands.connectionCommands(proxy).auth(wrong);
    expect(wrong.answer).toMatch(/^-WRONGPASS/);
    expect(connection.account).toBeNull();
    expect(await proxy.metrics.authFailures.get()).toMatchObject({ values: [{ value: 1 }] });
    const right = call('AUTH', 'secret');
    connectionCommands.connectionCommands(proxy).auth(right);
    expect(right.answer).toBe('+OK\r\n');
    expect(connection.account).not.toBeNull();
  });

  it('the dispatcher answers NOAUTH before sign-in, except to AUTH, HELLO, PING and QUIT', () => {
    const { run } = setup(['--requirepass', 'secret']);
    expect(run('GET', 'k').answer).toBe('-NOAUTH Authentication required.\r\n');
    expect(run('PING').answer).toBe('+PONG\r\n');
  });
});

describe('SCAN', () => {
  it('scans shard 0 first and returns a cursor that carries the shard', () => {
    const { call } = setup();
    const scan = call('SCAN', '0', 'COUNT', '10');
    runScan(scan);
    const gathered = scan.gathers[0]!;
    expect(gathered.targets[0]!.node!.address).toBe('10.0.0.1:7000');
    expect(Buffer.from(gathered.targets[0]!.command as Buffer).toString('latin1')).toBe(resp('SCAN', '0', 'COUNT', '10'));
    gathered.answer('*2\r\n$2\r\n17\r\n*1\r\n$1\r\nk\r\n');
    expect(scan.answer).toBe(`*2\r\n$2\r\n17\r\n*1\r\n$1\r\nk\r\n`);
  });

  it('moves to the next shard when a node is done, and ends after the last', () => {
    const { call } = setup();
    const first = call('SCAN', '0');
    runScan(first);
    first.gathers[0]!.answer('*2\r\n$1\r\n0\r\n*0\r\n');
    const next = encodeCursor({ shard: 1, nodeCursor: 0n }).toString();
    expect(first.answer).toBe(`*2\r\n$${next.length}\r\n${next}\r\n*0\r\n`);
    const last = call('SCAN', encodeCursor({ shard: 2, nodeCursor: 5n }).toString());
    runScan(last);
    expect(Buffer.from(last.gathers[0]!.targets[0]!.command as Buffer).toString('latin1')).toBe(resp('SCAN', '5'));
    last.gathers[0]!.answer('*2\r\n$1\r\n0\r\n*0\r\n');
    expect(last.answer).toBe('*2\r\n$1\r\n0\r\n*0\r\n');
  });

  it('refuses a cursor that is not a number or names no shard', () => {
    const { call } = setup();
    for (const cursor of ['abc', encodeCursor({ shard: 9, nodeCursor: 0n }).toString()]) {
      const scan = call('SCAN', cursor);
      runScan(scan);
      expect(scan.answer).toBe('-ERR invalid cursor\r\n');
    }
  });

  it('a node reply of the wrong type is an internal error of that call, not an exception for its caller', () => {
    const { call } = setup();
    const scan = call('SCAN', '0');
    runScan(scan);
    expect(() => scan.gathers[0]!.answer(':5\r\n')).not.toThrow();
    expect(scan.internalErrors).toHaveLength(1);
  });
});

describe('MONITOR', () => {
  it('answers +OK, then streams what other clients run until stopped', () => {
    const { call, proxy } = setup();
    const monitor = call('MONITOR');
    proxy.handlers.entry(monitor.spec).run(monitor);
    expect(monitor.answer).toBe('+OK\r\n');
    proxy.monitors.publish('127.0.0.1:1', [Buffer.from('SET'), Buffer.from('k'), Buffer.from('v')]);
    expect(monitor.streamed).toHaveLength(1);
    expect(monitor.streamed[0]).toMatch(/^\+\d+\.\d{6} \[0 127\.0\.0\.1:1\] "SET" "k" "v"\r\n$/);
    monitor.streamStop!();
    expect(proxy.monitors.active).toBe(false);
  });
});

describe('registry', () => {
  const entry = (...words: string[]) => {
    const { call } = setup();
    return registry.entry(call(...words).spec);
  };

  it('routes commands it does not list by their keys, and queues them in MULTI', () => {
    expect(entry('GET', 'k')).toMatchObject({ inTransaction: 'queue' });
    expect(entry('TIME')).toBe(entry('GET', 'k'));
    expect(entry('OBJECT', 'ENCODING', 'k')).toBe(entry('GET', 'k'));
  });

  it('finds sub-commands by full name, then by container', () => {
    expect(entry('SCRIPT', 'KILL')).not.toBe(entry('SCRIPT', 'LOAD', 'return 1'));
    expect(entry('CLUSTER', 'SLOTS')).toBe(entry('CLUSTER', 'NODES'));
  });

  it('says which commands are routed by their keys (the slow log names their slot\'s master)', () => {
    expect(registry.routesByKeys(setup().call('GET', 'k').spec)).toBe(true);
    expect(registry.routesByKeys(setup().call('DBSIZE').spec)).toBe(false);
    expect(registry.routesByKeys(setup().call('CLUSTER', 'SLOTS').spec)).toBe(false);
  });

  it('a reply the reducer made an error of fails the call as a backend proxy error; a part\'s own error passes through', () => {
    const { call } = setup();
    const failed: string[] = [];
    const dbsize = call('DBSIZE');
    dbsize.fail = (error) => void failed.push(error.kind);
    registry.entry(dbsize.spec).run(dbsize);
    dbsize.gathers[0]!.answer(':1\r\n', '-ERR boom\r\n', ':2\r\n');
    expect(failed).toEqual(['backend']);
    const keys = call('KEYS', '*');
    keys.fail = (error) => void failed.push(error.kind);
    registry.entry(keys.spec).run(keys);
    keys.gathers[0]!.answer('-ERR same\r\n', '-ERR same\r\n', '-ERR same\r\n');
    expect(failed).toEqual(['backend']);
    expect(keys.answer).toMatch(/^-ERR/);
  });

  it('refuses node administration with the reason, inside MULTI too', () => {
    expect(entry('SHUTDOWN').refusal!.frame.toString()).toBe("-ERR command 'shutdown' is not supported by slotgate\r\n");
    expect(entry('CONFIG', 'REWRITE').refusal!.frame.toString()).toBe("-ERR command 'config' is not supported by slotgate\r\n");
    expect(entry('SLOWLOG', 'GET').refusal).toBeUndefined();
  });
});
