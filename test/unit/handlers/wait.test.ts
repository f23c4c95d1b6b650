// WAIT against a fake call: which masters it asks (those this connection wrote to since its last
// WAIT), and how it counts their replicas from INFO replication. The real thing, against a
// cluster and its masters' own WAIT, is test/integration/keyless-commands.test.ts.
import { describe, expect, it } from 'vitest';
import { encodeBulk } from '../../../src/protocol/encoder.js';
import { acknowledged, parseReplication, waitCommand } from '../../../src/handlers/wait.js';
import { FakeCall, FakeConnection, fakeProxy } from '../../fakes/fake-call.js';

/** WAIT's handler over the call's fake proxy. */
const runWait = (call: FakeCall): void => waitCommand(call.proxy)(call);

const replication = (offset: number, ...replicaOffsets: number[]): string =>
  encodeBulk(
    ['# Replication', 'role:master', `connected_slaves:${replicaOffsets.length}`,
      ...replicaOffsets.map((o, i) => `slave${i}:ip=10.0.0.9,port=${7100 + i},state=online,offset=${o},lag=0`),
      `master_repl_offset:${offset}`, ''].join('\r\n'),
  ).toString('latin1');

describe('WAIT', () => {
  it('asks only the masters written to since the last WAIT, then forgets them', () => {
    const proxy = fakeProxy();
    const connection = new FakeConnection(proxy);
    connection.noteWrittenMaster('10.0.0.2:7001');
    const call = FakeCall.of(proxy, connection, 'WAIT', '1', '1000');
    runWait(call);
    expect(call.gathers).toHaveLength(1);
    expect(call.gathers[0]!.targets.map((t) => t.node?.address)).toEqual(['10.0.0.2:7001']);
    call.gathers[0]!.answer(replication(500, 500, 120));
    expect(call.answer).toBe(':1\r\n');
    expect(connection.takeWrittenMasters()).toEqual([]);
  });

  it('with writes on several masters, answers the least number of replicas any of them has', () => {
    const proxy = fakeProxy();
    const connection = new FakeConnection(proxy);
    connection.noteWrittenMaster('10.0.0.1:7000');
    connection.noteWrittenMaster('10.0.0.3:7002');
    const call = FakeCall.of(proxy, connection, 'WAIT', '0', '0');
    runWait(call);
    call.gathers[0]!.answer(replication(90, 90, 90), replication(40, 40));
    expect(call.answer).toBe(':1\r\n');
  });

  it('counts online replicas whose acknowledged offset reached the master\'s, and none on a node that is no master', () => {
    const state = parseReplication(replication(100, 100, 99, 150).slice(5));
    expect(acknowledged(state, 100)).toBe(2);
    expect(acknowledged(parseReplication('role:slave\r\nmaster_repl_offset:100\r\n'), 0)).toBe(0);
  });
});
