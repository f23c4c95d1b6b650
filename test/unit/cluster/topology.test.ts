import { describe, expect, it } from 'vitest';
import { parseClusterShards, parseClusterSlots } from '../../../src/cluster/topology-parse.js';
import { TopologySnapshot } from '../../../src/cluster/topology-snapshot.js';
import { parseReply } from '../../../src/protocol/reply-parser.js';
import { encodeValue } from '../../../src/protocol/encoder.js';
import { RespError, type RespValue } from '../../../src/protocol/reply-parser.js';

const id = (c: string) => c.repeat(40);
const node = (nodeId: string, port: number, role: string, health = 'online'): RespValue => [
  Buffer.from('id'), Buffer.from(nodeId), Buffer.from('port'), port, Buffer.from('ip'), Buffer.from('127.0.0.1'),
  Buffer.from('endpoint'), Buffer.from('127.0.0.1'), Buffer.from('role'), Buffer.from(role),
  Buffer.from('replication-offset'), 72156, Buffer.from('health'), Buffer.from(health),
];
/** A CLUSTER SHARDS reply shaped as in seed 002, sent through the real codec. */
const shardsReply = parseReply(
  encodeValue([
    [Buffer.from('slots'), [10923, 16383], Buffer.from('nodes'), [node(id('c'), 30003, 'master'), node(id('f'), 30006, 'replica', 'loading')]],
    [Buffer.from('slots'), [0, 5460, 6000, 6001], Buffer.from('nodes'), [node(id('a'), 30001, 'master'), node(id('d'), 30004, 'replica')]],
    [Buffer.from('slots'), [5461, 5999, 6002, 10922], Buffer.from('nodes'), [node(id('b'), 30002, 'master'), node(id('e'), 30005, 'replica', 'failed')]],
  ]),
);

describe('topology', () => {
  it('builds a snapshot from CLUSTER SHARDS with shards ordered by first slot', () => {
    const snapshot = new TopologySnapshot(parseClusterShards(shardsReply, '127.0.0.1'), 1);
    expect(snapshot.shards.map((s) => s.master.port)).toEqual([30001, 30002, 30003]);
    expect(snapshot.masterForSlot(0)!.port).toBe(30001);
    expect(snapshot.masterForSlot(6000)!.port).toBe(30001);
    expect(snapshot.masterForSlot(5999)!.port).toBe(30002);
    expect(snapshot.masterForSlot(16383)!.port).toBe(30003);
    expect(snapshot.coveredSlotCount()).toBe(16384);
    expect(snapshot.nodeById(id('e'))).toMatchObject({ role: 'replica', health: 'failed', shardIndex: 1 });
    expect(snapshot.nodeById(id('f'))!.health).toBe('loading');
  });

  it('builds the same layout from the CLUSTER SLOTS fallback', () => {
    const slots = parseReply(
      encodeValue([
        [0, 5460, [Buffer.from('127.0.0.1'), 30001, Buffer.from(id('a'))], [Buffer.from('127.0.0.1'), 30004, Buffer.from(id('d'))]],
        [6000, 6001, [Buffer.from('127.0.0.1'), 30001, Buffer.from(id('a'))], [Buffer.from('127.0.0.1'), 30004, Buffer.from(id('d'))]],
        [5461, 5999, [Buffer.from(''), 30002, Buffer.from(id('b'))]],
        [6002, 10922, [Buffer.from(''), 30002, Buffer.from(id('b'))]],
        [10923, 16383, [Buffer.from('127.0.0.1'), 30003, Buffer.from(id('c'))]],
      ]),
    );
    const snapshot = new TopologySnapshot(parseClusterSlots(slots, '10.1.1.1'), 1);
    expect(snapshot.shards.map((s) => s.ranges)).toEqual([[[0, 5460], [6000, 6001]], [[5461, 5999], [6002, 10922]], [[10923, 16383]]]);
    // an empty host means "the node you asked"
    expect(snapshot.shards[1]!.master.host).toBe('10.1.1.1');
  });

  it('rejects malformed replies instead of installing garbage', () => {
    expect(() => parseClusterShards(new RespError('ERR nope'), 'h')).toThrow('ERR nope');
    expect(() => parseClusterShards([[Buffer.from('slots'), [0, 99999], Buffer.from('nodes'), []]], 'h')).toThrow(/slot/);
    expect(() => parseClusterSlots([[0, 1]], 'h')).toThrow();
  });

  it('patches one slot for a MOVED without touching the others', () => {
    const snapshot = new TopologySnapshot(parseClusterShards(shardsReply, '127.0.0.1'), 1);
    const patched = snapshot.withSlotMovedTo(100, '127.0.0.1:30003')!;
    expect(patched.masterForSlot(100)!.port).toBe(30003);
    expect(patched.masterForSlot(99)!.port).toBe(30001);
    expect(patched.masterForSlot(101)!.port).toBe(30001);
    expect(patched.coveredSlotCount()).toBe(16384);
    expect(snapshot.masterForSlot(100)!.port).toBe(30001); // the original is immutable
    expect(snapshot.withSlotMovedTo(100, '127.0.0.1:30004')).toBeUndefined(); // a replica cannot own slots
    expect(patched.sameLayoutAs(snapshot)).toBe(false);
  });
});

describe('replica order', () => {
  it('is the same whatever order the node asked listed the replicas in', () => {
    const replica = (port: number) => ({ id: String(port).padEnd(40, '0'), host: '127.0.0.1', port, health: 'online' as const });
    const master = { id: 'm'.padEnd(40, '0'), host: '127.0.0.1', port: 7000, health: 'online' as const };
    const a = new TopologySnapshot([{ master, replicas: [replica(7002), replica(7001)], ranges: [[0, 16383]] }], 1);
    const b = new TopologySnapshot([{ master, replicas: [replica(7001), replica(7002)], ranges: [[0, 16383]] }], 1);
    expect(a.shards[0]!.replicas.map((r) => r.port)).toEqual(b.shards[0]!.replicas.map((r) => r.port));
  });
});
