// Fan-out parts (MGET/MSET split by slot) in two cases of issue #19, against scripted fake nodes:
// a part read from a replica whose connection drops goes to the master once; a key part for a
// master being failed over waits for the new master, while a part addressed to a node by name
// still goes to that node.
import { describe, expect, it } from 'vitest';
import { TopologySnapshot } from '../../../src/cluster/topology-snapshot.js';
import { WriteHold } from '../../../src/cluster/write-hold.js';
import { Metrics } from '../../../src/observability/metrics.js';
import { encodeCommand } from '../../../src/protocol/encoder.js';
import type { ForwardContext } from '../../../src/upstream/forwarder.js';
import { gather } from '../../../src/upstream/gather.js';
import type { PartReply } from '../../../src/upstream/reducers.js';
import { CLOSE, useFakeNodes, type FakeNode } from '../../fakes/fake-node.js';

const { node, pool: newPool } = useFakeNodes();

const snapshotOn = (port: number) => new TopologySnapshot([{ master: { id: String(port).repeat(8).slice(0, 40), host: '127.0.0.1', port, health: 'online' }, replicas: [], ranges: [[0, 16383]] }], 1);

function context(master: FakeNode, replica?: FakeNode) {
  const pool = newPool();
  const hold = new WriteHold(2000, { started: () => {}, ended: () => {} });
  const topology = { current: snapshotOn(master.port), hold, requestRefresh: () => {}, applyMoved: () => {} };
  const ctx: ForwardContext = {
    topology: topology as unknown as ForwardContext['topology'],
    metrics: new Metrics(false),
    maxRedirects: 3,
    commandTimeoutMs: 2000,
    connectionFor: (address) => pool.connectionFor(address, 0),
    recentlyFailed: () => false,
    ...(replica ? { replicaReadConnection: () => pool.replicaReadConnectionFor(`127.0.0.1:${replica.port}`, 0) } : {}),
  };
  return { ctx, topology };
}

function run(ctx: ForwardContext, parts: { command: string[]; slot: number | null }[], replicaRead = false): Promise<string[]> {
  const master = ctx.topology.current.shards[0]!.master;
  return new Promise((resolve) =>
    gather(ctx, parts.map((p) => ({ node: master, command: encodeCommand(p.command), slot: p.slot })), null, (replies: PartReply[]) => resolve(replies.map((r) => r.frame.toString('latin1'))), replicaRead),
  );
}

describe('gather', () => {
  it('sends parts read from a replica that drops the connection to the master, once', async () => {
    const master = await node(() => Buffer.from('$6\r\nmaster\r\n'));
    const replica = await node((args) => (args[0] === 'READONLY' ? Buffer.from('+OK\r\n') : CLOSE));
    const { ctx } = context(master, replica);
    expect(await run(ctx, [{ command: ['GET', 'a'], slot: 1 }, { command: ['GET', 'b'], slot: 2 }], true)).toEqual(['$6\r\nmaster\r\n', '$6\r\nmaster\r\n']);
    expect(master.received).toEqual([['GET', 'a'], ['GET', 'b']]);
  });

  it('parks key parts for a master being failed over until the new master is confirmed; a part for the node by name goes at once', async () => {
    const oldMaster = await node(() => Buffer.from('+OK\r\n'));
    const newMaster = await node(() => Buffer.from('+OK\r\n'));
    const { ctx, topology } = context(oldMaster);
    topology.hold.hold(`127.0.0.1:${oldMaster.port}`, 'sentinel +selected-slave');
    const keyParts = run(ctx, [{ command: ['SET', 'a', '1'], slot: 1 }, { command: ['SET', 'b', '2'], slot: 2 }]);
    expect(await run(ctx, [{ command: ['DBSIZE'], slot: null }])).toEqual(['+OK\r\n']);
    expect(oldMaster.received).toEqual([['DBSIZE']]);
    topology.current = snapshotOn(newMaster.port);
    topology.hold.releaseAllBut(new Set([`127.0.0.1:${newMaster.port}`]));
    expect(await keyParts).toEqual(['+OK\r\n', '+OK\r\n']);
    expect(newMaster.received).toEqual([['SET', 'a', '1'], ['SET', 'b', '2']]);
  });
});
