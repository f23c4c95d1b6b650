// The CLIENT container against a fake call and fake sessions: what each sub-command answers,
// what it changes on the connection, and what it asks the session directory for.
import { describe, expect, it } from 'vitest';
import { FALLBACK_COMMAND_TABLE } from '../../../src/commands/command-table.js';
import { clientRecord, FakeCall, FakeConnection, fakeProxy, FakeSessions } from '../../fakes/fake-call.js';

/** The registry of a fake proxy (its entries are the same for every instance). */
const registry = fakeProxy().handlers;

function lookupSpec(...words: string[]) {
  const lookup = FALLBACK_COMMAND_TABLE.lookup(words.map((w) => Buffer.from(w)));
  if (!lookup.ok) throw new Error('unknown command');
  return lookup.spec;
}

function setup() {
  const proxy = fakeProxy();
  const sessions = proxy.clients.local as FakeSessions;
  const connection = new FakeConnection(proxy);
  const call = (...words: string[]) => {
    const c = FakeCall.of(proxy, connection, ...words);
    proxy.handlers.entry(c.spec).run(c);
    return c;
  };
  return { proxy, sessions, connection, call };
}

/** Lets the directory's promise settle. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('CLIENT', () => {
  it('is one registry entry, refused inside MULTI', () => {
    for (const sub of ['LIST', 'SETINFO', 'NO-TOUCH', 'REPLY', 'KILL']) {
      const lookup = FALLBACK_COMMAND_TABLE.lookup(['CLIENT', sub, 'x', 'y'].slice(0, sub === 'LIST' ? 2 : sub === 'NO-TOUCH' || sub === 'REPLY' ? 3 : 4).map((w) => Buffer.from(w)));
      expect(lookup.ok, sub).toBe(true);
      if (lookup.ok) expect(registry.entry(lookup.spec)).toMatchObject({ run: registry.entry(lookupSpec('CLIENT', 'ID')).run, inTransaction: 'refuse' });
    }
  });

  it('SETINFO keeps lib-name and lib-ver, refuses spaces and unknown attributes with Redis 7.2 texts', () => {
    const { call, connection } = setup();
    expect(call('CLIENT', 'SETINFO', 'lib-name', 'redis-py').answer).toBe('+OK\r\n');
    expect(call('CLIENT', 'SETINFO', 'LIB-VER', '5.0.1').answer).toBe('+OK\r\n');
    expect([connection.libName, connection.libVer]).toEqual(['redis-py', '5.0.1']);
    expect(call('CLIENT', 'SETINFO', 'Lib-Name', 'a b').answer).toBe('-ERR Lib-Name cannot contain spaces, newlines or special characters.\r\n');
    expect(call('CLIENT', 'SETINFO', 'lib-ver', 'x\ny').answer).toBe('-ERR lib-ver cannot contain spaces, newlines or special characters.\r\n');
    expect(call('CLIENT', 'SETINFO', 'lib', 'x').answer).toBe("-ERR Unrecognized option 'lib'\r\n");
    expect(connection.libName).toBe('redis-py');
    expect(call('CLIENT', 'SETINFO', 'lib-name', '').answer).toBe('+OK\r\n');
    expect(connection.libName).toBe('');
  });

  it('REPLY sets the mode on the connection (the session silences the replies); bad modes are a syntax error', () => {
    const { call, connection } = setup();
    for (const mode of ['OFF', 'skip', 'On']) expect(call('CLIENT', 'REPLY', mode).answer).toBe('+OK\r\n');
    expect(connection.replyModes).toEqual(['off', 'skip', 'on']);
    expect(call('CLIENT', 'REPLY', 'maybe').answer).toBe('-ERR syntax error\r\n');
  });

  it('NO-EVICT and NO-TOUCH are kept on the connection', () => {
    const { call, connection } = setup();
    expect(call('CLIENT', 'NO-EVICT', 'on').answer).toBe('+OK\r\n');
    expect(call('CLIENT', 'NO-TOUCH', 'ON').answer).toBe('+OK\r\n');
    expect([connection.noEvict, connection.noTouch]).toEqual([true, true]);
    expect(call('CLIENT', 'NO-TOUCH', 'off').answer).toBe('+OK\r\n');
    expect(call('CLIENT', 'NO-EVICT', 'x').answer).toBe('-ERR syntax error\r\n');
    expect([connection.noEvict, connection.noTouch]).toEqual([true, false]);
  });

  it('LIST answers with the directory\'s lines; TYPE and ID narrow it', async () => {
    const { call, sessions } = setup();
    sessions.records = [clientRecord({ id: 11, name: 'one' }), clientRecord({ id: 12, name: 'sub', flags: 'P' })];
    const all = call('CLIENT', 'LIST');
    await settle();
    const lines = all.answer.split('\r\n')[1]!.split('\n').filter(Boolean);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^id=11 addr=127\.0\.0\.1:50000 laddr=127\.0\.0\.1:6380 fd=9 name=one age=0 idle=0 flags=N db=0 sub=0 psub=0 ssub=0 multi=-1 /);
    expect(lines[0]).toMatch(/ user=default redir=-1 resp=2 lib-name= lib-ver= proxy=127\.0\.0\.1:6380\/1$/);
    const pubsub = call('CLIENT', 'LIST', 'TYPE', 'pubsub');
    const byId = call('CLIENT', 'LIST', 'ID', '11', '99');
    await settle();
    expect(pubsub.answer).toMatch(/^\$\d+\r\nid=12 /);
    expect(byId.answer).toMatch(/^\$\d+\r\nid=11 .*\n\r\n$/);
    expect(call('CLIENT', 'LIST', 'TYPE', 'x').answer).toBe("-ERR Unknown client type 'x'\r\n");
    expect(call('CLIENT', 'LIST', 'ID', '1', 'x').answer).toBe('-ERR Invalid client ID\r\n');
    expect(call('CLIENT', 'LIST', 'TYPE').answer).toBe('-ERR syntax error\r\n');
  });

  it('KILL old form: +OK or No such client, and may close the caller after its reply', async () => {
    const { call, sessions, connection } = setup();
    sessions.records = [clientRecord({ id: 21, addr: '10.0.0.9:4000' }), clientRecord({ id: connection.id, addr: connection.address })];
    const hit = call('CLIENT', 'KILL', '10.0.0.9:4000');
    const miss = call('CLIENT', 'KILL', '10.0.0.9:4001');
    await settle();
    expect(hit.answer).toBe('+OK\r\n');
    expect(miss.answer).toBe('-ERR No such client\r\n');
    const self = call('CLIENT', 'KILL', connection.address);
    await settle();
    expect(self.answer).toBe('+OK\r\n');
    expect(self.closeAfterReply).toBe(true);
  });

  it('KILL filter form: the count, SKIPME yes by default, USER checked against the accounts', async () => {
    const { call, sessions, connection } = setup();
    sessions.records = [
      clientRecord({ id: 31, laddr: '127.0.0.1:7001' }),
      clientRecord({ id: 32, laddr: '127.0.0.1:7001', age: 100 }),
      clientRecord({ id: connection.id, addr: connection.address, laddr: '127.0.0.1:7001' }),
    ];
    const old = call('CLIENT', 'KILL', 'LADDR', '127.0.0.1:7001', 'MAXAGE', '50');
    await settle();
    expect(old.answer).toBe(':1\r\n');
    const rest = call('CLIENT', 'KILL', 'LADDR', '127.0.0.1:7001');
    await settle();
    expect(rest.answer).toBe(':1\r\n');
    expect(rest.closeAfterReply).toBe(false);
    const me = call('CLIENT', 'KILL', 'ID', String(connection.id), 'SKIPME', 'no');
    await settle();
    expect(me.answer).toBe(':1\r\n');
    expect(me.closeAfterReply).toBe(true);
    expect(call('CLIENT', 'KILL', 'USER', 'nobody').answer).toBe("-ERR No such user 'nobody'\r\n");
    expect(call('CLIENT', 'KILL', 'ID', '0').answer).toBe('-ERR client-id should be greater than 0\r\n');
    expect(call('CLIENT', 'KILL', 'SKIPME', 'x').answer).toBe('-ERR syntax error\r\n');
    const oldForm = call('CLIENT', 'KILL', 'ADDR'); // three words: the old form, "ADDR" is the address
    await settle();
    expect(oldForm.answer).toBe('-ERR No such client\r\n');
    expect(call('CLIENT', 'KILL', 'ADDR', 'x', 'FOO').answer).toBe('-ERR syntax error\r\n');
  });

  it('UNBLOCK asks this instance\'s sessions; bad arguments get Redis\'s errors', async () => {
    const { call, sessions } = setup();
    sessions.unblockable.add(41);
    const yes = call('CLIENT', 'UNBLOCK', '41', 'ERROR');
    const no = call('CLIENT', 'UNBLOCK', '42');
    await settle();
    expect([yes.answer, no.answer]).toEqual([':1\r\n', ':0\r\n']);
    expect(call('CLIENT', 'UNBLOCK', 'x').answer).toBe('-ERR value is not an integer or out of range\r\n');
    expect(call('CLIENT', 'UNBLOCK', '41', 'later').answer).toBe('-ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR\r\n');
    expect(call('CLIENT', 'UNBLOCK', '41', 'timeout', 'x').answer).toBe("-ERR unknown subcommand or wrong number of arguments for 'UNBLOCK'. Try CLIENT HELP.\r\n");
  });

  it('PAUSE and UNPAUSE go to every master on connections of their own', () => {
    const { call } = setup();
    for (const words of [['CLIENT', 'PAUSE', '100'], ['CLIENT', 'UNPAUSE']]) {
      const c = call(...words);
      expect(c.gathers).toHaveLength(1);
      expect(c.gathers[0]!.targets).toHaveLength(3);
      expect(c.gathers[0]!.options).toMatchObject({ outOfBand: true });
      c.gathers[0]!.answer('+OK\r\n', '+OK\r\n', '+OK\r\n');
      expect(c.answer).toBe('+OK\r\n');
    }
  });

  it('ID, GETNAME, SETNAME, INFO, HELP; tracking is refused', () => {
    const { call, connection } = setup();
    expect(call('CLIENT', 'ID').answer).toBe(':7\r\n');
    expect(call('CLIENT', 'GETNAME').answer).toBe('$-1\r\n');
    expect(call('CLIENT', 'SETNAME', 'svc').answer).toBe('+OK\r\n');
    expect(connection.name).toBe('svc');
    expect(call('CLIENT', 'SETNAME', 'a b').answer).toBe('-ERR Client names cannot contain spaces, newlines or special characters.\r\n');
    expect(call('CLIENT', 'INFO').answer).toMatch(/^\$\d+\r\nid=7 addr=127\.0\.0\.1:50000 .* name=svc .*\n\r\n$/);
    expect(call('CLIENT', 'HELP').answer).toMatch(/^\*\d+\r\n\+CLIENT <subcommand>/);
    // Client-side caching has entries of its own in the registry (handlers/tracking-commands.ts).
    for (const sub of ['TRACKING', 'CACHING', 'TRACKINGINFO', 'GETREDIR']) {
      const lookup = FALLBACK_COMMAND_TABLE.lookup(['CLIENT', sub, 'on'].slice(0, sub === 'TRACKING' || sub === 'CACHING' ? 3 : 2).map((w) => Buffer.from(w)));
      expect(lookup.ok && registry.entry(lookup.spec).run).not.toBe(registry.entry(lookupSpec('CLIENT', 'ID')).run);
    }
  });

  it('in RESP3: GETNAME of no name is a RESP3 null, INFO a verbatim string with resp=3 and the database', () => {
    const { call, connection } = setup();
    connection.protocol = 3;
    connection.db = 4;
    expect(call('CLIENT', 'GETNAME').answer).toBe('_\r\n');
    const info = call('CLIENT', 'INFO').answer;
    expect(info).toMatch(/^=\d+\r\ntxt:id=7 .* db=4 .* resp=3 .*\n\r\n$/);
    expect(Number(/^=(\d+)\r\n/.exec(info)![1])).toBe(Buffer.byteLength(info) - info.indexOf('\r\n') - 4);
  });

  it('in RESP3, CLIENT LIST is a verbatim string too', async () => {
    const { proxy, sessions, connection } = setup();
    connection.protocol = 3;
    sessions.records = [clientRecord({ id: 1, name: 'one' })];
    const c = FakeCall.of(proxy, connection, 'CLIENT', 'LIST');
    proxy.handlers.entry(c.spec).run(c);
    await settle();
    expect(c.answer).toMatch(/^=\d+\r\ntxt:id=1 .* name=one .*\n\r\n$/);
  });
});
