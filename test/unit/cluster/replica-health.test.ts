import { describe, expect, it } from 'vitest';
import { keepOnlineReplicas } from '../../../src/cluster/replica-health.js';
import { TopologySnapshot, type ShardInput } from '../../../src/cluster/topology-snapshot.js';

const node = (port: number, health: 'online' | 'loading' | 'failed') => ({ id: String(port).repeat(8).slice(0, 40), host: '127.0.0.1', port, health });
const shard = (...replicas: ReturnType<typeof node>[]): ShardInput[] => [{ master: node(7000, 'online'), replicas, ranges: [[0, 16383]] }];

describe('keepOnlineReplicas', () => {
  it('keeps a replica online that a node with stale gossip reports as loading', () => {
    const previous = new TopologySnapshot(shard(node(7001, 'online'), node(7002, 'online')), 1);
    const next = keepOnlineReplicas(shard(node(7001, 'loading'), node(7002, 'online')), previous);
    expect(next[0]!.replicas.map((r) => r.health)).toEqual(['online', 'online']);
  });

  it('believes loading for a replica never seen online, and failed always', () => {
    const previous = new TopologySnapshot(shard(node(7001, 'online')), 1);
    const next = keepOnlineReplicas(shard(node(7001, 'failed'), node(7003, 'loading')), previous);
    expect(next[0]!.replicas.map((r) => r.health)).toEqual(['failed', 'loading']);
  });
});
