import { describe, expect, it } from 'vitest';
import { parseClusterShards } from '../../../src/cluster/topology-parse.js';

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
