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
