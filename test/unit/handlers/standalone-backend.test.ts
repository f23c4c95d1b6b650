// What changes for the handlers in front of a non-cluster backend (standalone, sentinel): no
// slots, so no CROSSSLOT and no splitting; SELECT keeps a database per session; SWAPDB passes.
// The same commands in front of a cluster are covered by handlers.test.ts.
import { describe, expect, it } from 'vitest';
import { DecodedRequest } from '../../../src/protocol/decoded-request.js';
import { dispatch } from '../../../src/handlers/dispatch.js';
import { encodeCommand } from '../../../src/protocol/encoder.js';
import { FakeCall, FakeConnection, fakeProxy } from '../../fakes/fake-call.js';

function setup(flags: string[]) {
  const proxy = fakeProxy(flags);
  const connection = new FakeConnection(proxy);
  const run = (...words: string[]) => {
    const c = new FakeCall(proxy, connection);
    dispatch(c, DecodedRequest.of(words.map((w) => Buffer.from(w)), encodeCommand(words)), proxy);
    return c;
  };
  return { proxy, connection, run };
}

const STANDALONE = ['--backend', 'standalone', '--master', '10.0.0.1:7000'];

describe('handlers in front of a standalone backend', () => {
  it('forwards a multi-key command whole to the one shard, where a cluster would split it or say CROSSSLOT', () => {
    const { run } = setup(STANDALONE);
    const mget = run('MGET', 'a', 'b', 'c');
    expect(mget.forwards).toHaveLength(1);
    expect(mget.forwards[0]!.options.commands).toBeUndefined(); // the request's own bytes
    expect(mget.gathers).toEqual([]);
    expect(run('SINTERSTORE', 'dest', 'x', 'y').forwards).toHaveLength(1);
    const cluster = setup([]);
    expect(cluster.run('SINTERSTORE', 'dest', 'x', 'y').answer).toMatch(/^-CROSSSLOT/);
  });

  it('queues any keys in one transaction and WATCHes keys of different slots', () => {
    const { run, connection } = setup(STANDALONE);
    expect(run('WATCH', 'a', 'b').forwards).toHaveLength(1);
    expect(run('WATCH', 'c').forwards).toHaveLength(1);
    expect(connection.dedicated).toHaveLength(1);
    run('MULTI');
    expect(run('SET', 'a', '1').answer).toBe('+QUEUED\r\n');
    expect(run('SET', 'b', '1').answer).toBe('+QUEUED\r\n');
    const exec = run('EXEC');
    expect(exec.forwards).toHaveLength(1);
    expect(exec.forwards[0]!.options).toMatchObject({ transaction: true });
  });

  it('SELECT sets the session database within the backend\'s databases; RESET goes back to 0', () => {
    const { run, connection } = setup(STANDALONE);
    expect(run('SELECT', '3').answer).toBe('+OK\r\n');
    expect(connection.db).toBe(3);
    expect(run('SELECT', '16').answer).toBe('-ERR DB index is out of range\r\n');
    expect(run('SELECT', '01').answer).toBe('-ERR value is not an integer or out of range\r\n');
    expect(connection.db).toBe(3);
    run('RESET');
    expect(connection.db).toBe(0);
    // In front of a cluster, database 0 only.
    expect(setup([]).run('SELECT', '3').answer).toBe('-ERR SELECT is not allowed in cluster mode\r\n');
  });

  it('passes SWAPDB to the master; a cluster refuses it', () => {
    expect(setup(STANDALONE).run('SWAPDB', '0', '1').forwards).toEqual([{ target: { slot: null }, options: { access: 'write' } }]);
    expect(setup([]).run('SWAPDB', '0', '1').answer).toMatch(/not supported by slotgate/);
  });
});
