import { describe, expect, it } from 'vitest';
import type { Account } from '../../../src/auth/accounts.js';
import { TopologySnapshot, type BackendNode, type NodeHealth } from '../../../src/cluster/topology-snapshot.js';
import { FULL_WEIGHT, ReplicaReads, replicaWeight, type ReadRoutingSettings } from '../../../src/routing/replica-reads.js';

const node = (port: number, health: NodeHealth = 'online') => ({ id: `id-${port}`, host: '10.0.0.1', port, health });
// One shard (all slots): master :7000, replicas :7001 :7002 :7003; :7003 is still loading.
const topology = new TopologySnapshot([{ master: node(7000), replicas: [node(7001), node(7002), node(7003, 'loading')], ranges: [[0, 16383]] }], 1);
const shard = topology.shards[0]!;
const settings = (overrides: Partial<ReadRoutingSettings> = {}): ReadRoutingSettings => ({
  replicaRead: true, readLocalNodeOnly: false, zone: null, nodeZones: new Map(), maxReplicaLag: 0, ...overrides,
});
const everyNode = () => true;

function picks(reads: ReplicaReads, count: number, usable: (address: string) => boolean = everyNode): (number | 'master')[] {
  return Array.from({ length: count }, () => reads.chooseReplica(shard, (n) => usable(n.address))?.port ?? 'master');
}

describe('ReplicaReads.chooseReplica', () => {
  it('takes the online replicas in turn, never one that is loading or failed', () => {
    expect(picks(new ReplicaReads(settings()), 6)).toEqual([7001, 7002, 7001, 7002, 7001, 7002]);
  });

  it('skips replicas whose connection just failed, and falls back to the master without any', () => {
    expect(picks(new ReplicaReads(settings()), 3, (a) => a !== '10.0.0.1:7001')).toEqual([7002, 7002, 7002]);
    expect(picks(new ReplicaReads(settings()), 2, () => false)).toEqual(['master', 'master']);
  });

  it('with read-local-node-only takes only replicas of its own zone (by node id or address), else the master', () => {
    const nodeZones = new Map([['id-7001', 'az2'], ['10.0.0.1:7002', 'az1'], ['10.0.0.1:7003', 'az1']]);
    expect(picks(new ReplicaReads(settings({ readLocalNodeOnly: true, zone: 'az1', nodeZones })), 3)).toEqual([7002, 7002, 7002]);
    expect(picks(new ReplicaReads(settings({ readLocalNodeOnly: true, zone: 'az3', nodeZones })), 2)).toEqual(['master', 'master']);
    // Zones only matter with read-local-node-only.
    expect(picks(new ReplicaReads(settings({ zone: 'az1', nodeZones })), 2)).toEqual([7001, 7002]);
  });
});

describe('ReplicaReads.mayUseReplica', () => {
  const replicaPolicy: Account = { name: 'r', permission: 'read-only', readPolicy: 'replica' };
  const masterPolicy: Account = { name: 'm', permission: 'read-write', readPolicy: 'master' };
  const read = { access: 'read', blocking: false, transactional: false } as const;

  it('allows only plain reads of replica-policy accounts while replica-read is on', () => {
    const on = new ReplicaReads(settings());
    expect(on.mayUseReplica(replicaPolicy, read)).toBe(true);
    expect(on.mayUseReplica(masterPolicy, read)).toBe(false);
    expect(on.mayUseReplica(null, read)).toBe(false);
    expect(on.mayUseReplica(replicaPolicy, { ...read, access: 'write' })).toBe(false);
    expect(on.mayUseReplica(replicaPolicy, { ...read, access: 'other' })).toBe(false);
    expect(on.mayUseReplica(replicaPolicy, { ...read, blocking: true })).toBe(false);
    expect(on.mayUseReplica(replicaPolicy, { ...read, transactional: true })).toBe(false);
    expect(new ReplicaReads(settings({ replicaRead: false })).mayUseReplica(replicaPolicy, read)).toBe(false);
  });
});

describe('ReplicaReads with replication lag (standalone and Sentinel backends)', () => {
  const lagging = (lags: number[]) =>
    new TopologySnapshot([{ master: node(7000), replicas: lags.map((lagBytes, i) => ({ ...node(7001 + i), lagBytes })), ranges: [[0, 16383]] }], 1).shards[0]!;
  const count = (reads: ReplicaReads, s: ReturnType<typeof lagging>, n: number) => {
    const seen = new Map<number | 'master', number>();
    for (let i = 0; i < n; i++) {
      const port = reads.chooseReplica(s, everyNode)?.port ?? 'master';
      seen.set(port, (seen.get(port) ?? 0) + 1);
    }
    return Object.fromEntries(seen);
  };

  it('weighs reads by lag: caught-up replicas alternate, one 1 MiB behind gets half as many', () => {
    expect(replicaWeight({ ...node(1), lagBytes: 0 } as BackendNode)).toBe(FULL_WEIGHT);
    expect(count(new ReplicaReads(settings()), lagging([0, 0]), 8)).toEqual({ 7001: 4, 7002: 4 });
    expect(count(new ReplicaReads(settings()), lagging([0, 1024 * 1024]), 24)).toEqual({ 7001: 16, 7002: 8 });
  });

  it('gives no reads to a replica further behind than max-replica-lag, and the master when none is close enough', () => {
    expect(count(new ReplicaReads(settings({ maxReplicaLag: 4096 })), lagging([100, 5000]), 6)).toEqual({ 7001: 6 });
    expect(count(new ReplicaReads(settings({ maxReplicaLag: 4096 })), lagging([5000, 9000]), 2)).toEqual({ master: 2 });
    // 0 = no limit.
    expect(count(new ReplicaReads(settings()), lagging([5000, 5000]), 2)).toEqual({ 7001: 1, 7002: 1 });
  });
});

