import { describe, expect, it } from 'vitest';
import { coversEverySlot, fillRangesFromSlots, parseClusterShards, parseClusterSlots } from '../../../src/cluster/topology-parse.js';

// One shard as redis-server 7.0.15 answered CLUSTER SHARDS after two of its replicas were killed
// (captured from a real cluster): the dead ones say "fail", not the "failed" of the command's docs.
const SHARDS_WITH_FAILED_REPLICAS = [
  [
    'slots', [5461, 10922],
    'nodes', [
      ['id', '79fc7c5f5dba707afa71332ea06b5d7b43d8d97b', 'port', 39109, 'ip', '127.0.0.1', 'endpoint', '127.0.0.1', 'role', 'master', 'replication-offset', 304, 'health', 'online'],
      ['id', 'ad14abec3543b2cc59040a52126635ebbcbf4791', 'port', 38399, 'ip', '127.0.0.1', 'endpoint', '127.0.0.1', 'role', 'replica', 'replication-offset', 14, 'health', 'fail'],
      ['id', '13903c4ef7b725551a0091a9d24308415515b33a', 'port', 36223, 'ip', '127.0.0.1', 'endpoint', '127.0.0.1', 'role', 'replica', 'replication-offset', 14, 'health', 'failed'],
      ['id', '4cc97d459955dc2a102f2bc01a2df70fb4d46cd0', 'port', 46811, 'ip', '127.0.0.1', 'endpoint', '127.0.0.1', 'role', 'replica', 'replication-offset', 0, 'health', 'loading'],
    ],
  ],
];

describe('parseClusterShards', () => {
  it('reads node health as Redis 7.0 reports it ("fail"), and as documented ("failed")', () => {
    const [shard] = parseClusterShards(SHARDS_WITH_FAILED_REPLICAS, '127.0.0.1');
    expect(shard!.master.health).toBe('online');
    expect(shard!.replicas.map((r) => [r.port, r.health])).toEqual([[38399, 'failed'], [36223, 'failed'], [46811, 'loading']]);
  });
});

// A node with both a plain and a TLS port (port 47123, tls-port 47124, tls-cluster yes), as
// redis-server 7.0.15 answered CLUSTER SHARDS (captured; it did not know its own address yet).
const SHARDS_WITH_TLS_PORT = [
  [
    'slots', [0, 16383],
    'nodes', [['id', 'ed925516a4c14a7fc193eabe91b41a848344384b', 'port', 47123, 'tls-port', 47124, 'ip', '', 'endpoint', '', 'role', 'master', 'replication-offset', 0, 'health', 'online']],
  ],
];
// The same node TLS-only (port 0): Redis leaves `port` out.
const SHARDS_TLS_ONLY = [
  [
    'slots', [0, 16383],
    'nodes', [['id', 'ed925516a4c14a7fc193eabe91b41a848344384b', 'tls-port', 47124, 'ip', '127.0.0.1', 'endpoint', '127.0.0.1', 'role', 'master', 'replication-offset', 0, 'health', 'online']],
  ],
];

describe('parseClusterShards and TLS ports', () => {
  it('dials the tls-port over TLS and the plain port otherwise', () => {
    expect(parseClusterShards(SHARDS_WITH_TLS_PORT, '127.0.0.1', true)[0]!.master.port).toBe(47124);
    expect(parseClusterShards(SHARDS_WITH_TLS_PORT, '127.0.0.1', false)[0]!.master.port).toBe(47123);
    expect(parseClusterShards(SHARDS_WITH_TLS_PORT, '127.0.0.1')[0]!.master.port).toBe(47123);
  });

  it('takes the one port a TLS-only node announces', () => {
    expect(parseClusterShards(SHARDS_TLS_ONLY, '127.0.0.1', true)[0]!.master.port).toBe(47124);
  });
});

// Redis 7.2.6 after the master of 5461-10922 (port 35213) was killed and its replica (39885) promoted
// (captured): the two masters share a shard whose `slots` list is empty (redis/redis#13414).
const node = (id: string, port: number, role: string, health: string) =>
  ['id', id, 'port', port, 'ip', '127.0.0.1', 'endpoint', '127.0.0.1', 'role', role, 'replication-offset', 41, 'health', health];
const SHARDS_AFTER_FAILOVER_7_2 = [
  ['slots', [0, 5460], 'nodes', [node('2d90bb312187e38e26eadfbefa0d48d7e92e0974', 42959, 'master', 'online'), node('875dfdd1a32ed2f2ae492515ed93625d935fcf27', 39757, 'replica', 'online')]],
  ['slots', [10923, 16383], 'nodes', [node('6a70f37d112900ffbb62230b37c8c7ee186e6ef5', 41257, 'master', 'online'), node('67fae19db746b69aea2490b19089481d6eaf3bee', 45823, 'replica', 'online')]],
  ['slots', [], 'nodes', [node('40f07542a5f811f8e71aca6340d29e5d19b82b80', 35213, 'master', 'fail'), node('6e0e8638e9a0f74c74f8bff70650714335d7abfd', 39885, 'master', 'online')]],
];
// CLUSTER SLOTS of the same cluster, which names the promoted master as the owner.
const SLOTS_AFTER_FAILOVER_7_2 = [
  [0, 5460, ['127.0.0.1', 42959, '2d90bb312187e38e26eadfbefa0d48d7e92e0974', []], ['127.0.0.1', 39757, '875dfdd1a32ed2f2ae492515ed93625d935fcf27', []]],
  [5461, 10922, ['127.0.0.1', 39885, '6e0e8638e9a0f74c74f8bff70650714335d7abfd', []]],
  [10923, 16383, ['127.0.0.1', 41257, '6a70f37d112900ffbb62230b37c8c7ee186e6ef5', []], ['127.0.0.1', 45823, '67fae19db746b69aea2490b19089481d6eaf3bee', []]],
];

describe('CLUSTER SHARDS of Redis 7.2 after a failover', () => {
  it('takes the live master of a shard that lists two, and leaves the failed one out', () => {
    const shard = parseClusterShards(SHARDS_AFTER_FAILOVER_7_2, '127.0.0.1')[2]!;
    expect(shard.master).toMatchObject({ port: 39885, health: 'online' });
    expect(shard.replicas).toEqual([]);
  });

  it('fills the empty slots list from CLUSTER SLOTS, by master id, so every slot has its owner', () => {
    const shards = parseClusterShards(SHARDS_AFTER_FAILOVER_7_2, '127.0.0.1');
    expect(coversEverySlot(shards)).toBe(false);
    const filled = fillRangesFromSlots(shards, parseClusterSlots(SLOTS_AFTER_FAILOVER_7_2, '127.0.0.1'));
    expect(filled.map((s) => [s.master.port, s.ranges])).toEqual([[42959, [[0, 5460]]], [41257, [[10923, 16383]]], [39885, [[5461, 10922]]]]);
    expect(coversEverySlot(filled)).toBe(true);
  });
});
