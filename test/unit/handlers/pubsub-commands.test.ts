// SUBSCRIBE and friends against a fake call: the subscribed-mode rules of the dispatcher, the
// registry's "allowed while subscribed" flag, the per-connection state, and the RESP3 shapes
// (push frames, ordinary commands allowed) for a client that speaks RESP3. The RESP2 bytes are
// compared with a real redis-server in test/integration/pubsub.test.ts.
import { describe, expect, it } from 'vitest';
import { DecodedRequest } from '../../../src/protocol/decoded-request.js';
import { FALLBACK_COMMAND_TABLE } from '../../../src/commands/command-table.js';
import { dispatch } from '../../../src/handlers/dispatch.js';
import { encodeCommand } from '../../../src/protocol/encoder.js';
import { FakeCall, FakeConnection, FakeSubscriberHub, fakeProxy } from '../../fakes/fake-call.js';

/** The registry of a fake proxy (its entries are the same for every instance). */
const registry = fakeProxy().handlers;

function setup() {
  const proxy = fakeProxy();
  const connection = new FakeConnection(proxy);
  const run = (...words: string[]) => {
    const c = new FakeCall(proxy, connection);
    dispatch(c, DecodedRequest.of(words.map((w) => Buffer.from(w)), encodeCommand(words)), proxy);
    return c;
  };
  return { proxy, connection, run, hub: proxy.pubsub as unknown as FakeSubscriberHub };
}

/**
 * The confirmations a call sent: they go out as stream frames (sent under CLIENT REPLY OFF too,
 * as Redis does), and the call itself answers nothing.
 */
function confirmations(call: FakeCall): string {
  expect(call.answer).toBe('');
  return call.streamed.join('');
}

describe('subscribed mode', () => {
  it('keeps the subscriptions on the connection and counts channels and patterns together, shard channels apart', () => {
    const { connection, run } = setup();
    run('SUBSCRIBE', 'a', 'b');
    run('PSUBSCRIBE', 'p*');
    expect(confirmations(run('SSUBSCRIBE', 's'))).toBe('*3\r\n$10\r\nssubscribe\r\n$1\r\ns\r\n:1\r\n');
    expect([...connection.subscriptions.channels]).toEqual(['a', 'b']);
    expect([...connection.subscriptions.patterns]).toEqual(['p*']);
    expect([...connection.subscriptions.shardChannels]).toEqual(['s']);
    expect(confirmations(run('UNSUBSCRIBE', 'a'))).toBe('*3\r\n$11\r\nunsubscribe\r\n$1\r\na\r\n:2\r\n');
  });

  it('refuses every other command of a RESP2 client with Redis\'s text, full sub-command names included', () => {
    const { run } = setup();
    run('SUBSCRIBE', 'a');
    expect(run('GET', 'k').answer).toBe("-ERR Can't execute 'get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context\r\n");
    expect(run('CLIENT', 'ID').answer).toMatch(/^-ERR Can't execute 'client\|id'/);
    expect(run('PING').answer).toBe('*2\r\n$4\r\npong\r\n$0\r\n\r\n');
    expect(run('PING', 'hi').answer).toBe('*2\r\n$4\r\npong\r\n$2\r\nhi\r\n');
  });

  it('flags exactly Redis\'s allowed commands in the registry', () => {
    const allowed = ['subscribe', 'psubscribe', 'ssubscribe', 'unsubscribe', 'punsubscribe', 'sunsubscribe', 'ping', 'quit', 'reset'];
    for (const name of allowed) expect(registry.entry(FALLBACK_COMMAND_TABLE.get(name)!).whileSubscribed).toBe(true);
    for (const name of ['get', 'echo', 'multi', 'hello', 'auth', 'publish', 'spublish', 'monitor']) {
      expect(registry.entry(FALLBACK_COMMAND_TABLE.get(name)!).whileSubscribed).not.toBe(true);
    }
  });

  it('RESET leaves every subscription and subscribed mode', () => {
    const { connection, run, hub } = setup();
    run('SUBSCRIBE', 'a');
    run('PSUBSCRIBE', 'p*');
    run('SSUBSCRIBE', 's');
    expect(run('RESET').answer).toBe('+RESET\r\n');
    expect(connection.subscriptions.active).toBe(false);
    expect(hub.subscribers.size).toBe(0);
    expect(run('GET', 'k').forwards).toHaveLength(1);
  });

  it('is refused inside MULTI, which then aborts', () => {
    const { run } = setup();
    run('MULTI');
    expect(run('SUBSCRIBE', 'a').answer).toBe("-ERR Command 'subscribe' is not allowed inside a transaction\r\n");
    expect(run('EXEC').answer).toMatch(/^-EXECABORT/);
  });
});

describe('a RESP3 client', () => {
  it('gets confirmations and messages as push frames, a null name as _, and may run any command while subscribed', () => {
    const { connection, run } = setup();
    connection.resp3 = true;
    expect(confirmations(run('SUBSCRIBE', 'a'))).toBe('>3\r\n$9\r\nsubscribe\r\n$1\r\na\r\n:1\r\n');
    expect(run('GET', 'k').forwards).toHaveLength(1);
    expect(run('PING').answer).toBe('+PONG\r\n');
    connection.subscriptions.deliver(Buffer.from('*3\r\n$7\r\nmessage\r\n$1\r\na\r\n$2\r\nhi\r\n'));
    expect(connection.delivered.map((f) => f.toString())).toEqual(['>3\r\n$7\r\nmessage\r\n$1\r\na\r\n$2\r\nhi\r\n']);
    expect(confirmations(run('UNSUBSCRIBE'))).toBe('>3\r\n$11\r\nunsubscribe\r\n$1\r\na\r\n:0\r\n');
    expect(confirmations(run('UNSUBSCRIBE'))).toBe('>3\r\n$11\r\nunsubscribe\r\n_\r\n:0\r\n');
  });
});
