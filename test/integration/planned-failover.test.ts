// Planned failovers under write load (issue #19): CLUSTER FAILOVER on a cluster replica, and Redis's
// own FAILOVER on a standalone master. Both are coordinated by Redis (the master pauses writes until
// its replica has caught up, then steps down), so through slotgate no client may see an error and
// every acknowledged write must be on the new master: slotgate follows the MOVED the demoted
// cluster master answers (the slot map patched at once, the command sent again to the new owner)
// and the READONLY a demoted standalone master answers (that master's commands held until the new
// one is confirmed).
// (The Sentinel case is in sentinel-backend.test.ts.)
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { startLocalReplication, type LocalReplication } from '../../scripts/dev/local-replication.js';
import { useDedicatedCluster } from '../helpers/cluster-fixture.js';
import { startProxy, startProxyFor, type StartedProxy } from '../helpers/slotgate.js';
import { findLostWrites, startWriteTraffic } from '../helpers/write-traffic.js';
import { waitUntil } from '../helpers/wait-until.js';

/** Condition waits are bounded only to end a broken run; they assert nothing about speed. */
const PATIENCE_MS = 60_000;

describe('CLUSTER FAILOVER under 8 writers', () => {
  const cluster = useDedicatedCluster({ masters: 3, replicasPerMaster: 1 });
  let proxy: StartedProxy;

  beforeAll(async () => {
    proxy = await startProxy(cluster().seeds, ['--topology-refresh-interval', '3600000']);
  });
  afterAll(async () => {
    await proxy?.close();
  });

  it('gives no client an error and keeps every acknowledged key', async () => {
    const client = proxy.client({ maxRetriesPerRequest: 0 });
    const traffic = startWriteTraffic(client, 'cluster-planned', 8);
    await waitUntil(() => traffic.operations > 500, PATIENCE_MS, 'traffic to start');
    const [replicaPort] = await cluster().replicaPorts();
    const replica = new Redis({ host: '127.0.0.1', port: replicaPort!, maxRetriesPerRequest: 0 });
    try {
      expect(await replica.cluster('FAILOVER')).toBe('OK');
    } finally {
      replica.disconnect();
    }
    await waitUntil(() => proxy.handle.context.topology.current.nodeByAddress(`127.0.0.1:${replicaPort}`)?.role === 'master', PATIENCE_MS, 'slotgate to see the new master');
    const operationsAtSwitch = traffic.operations;
    await waitUntil(() => traffic.operations > operationsAtSwitch + 1000, PATIENCE_MS, 'traffic after the switch');
    const report = await traffic.stop();
    expect(report.errors).toEqual([]);
    expect(await findLostWrites(client, report.acknowledged)).toEqual([]);
  });
});

describe("Redis's FAILOVER under 8 writers (standalone backend)", () => {
  let group: LocalReplication;
  let proxy: StartedProxy;

  beforeAll(async () => {
    group = await startLocalReplication({ replicas: 1, sentinels: 0 });
    proxy = await startProxyFor(['--backend', 'standalone', '--master', `127.0.0.1:${group.initialMasterPort}`], ['--topology-refresh-interval', '3600000']);
  });
  afterAll(async () => {
    await proxy?.close();
    await group?.stop();
  });

  it('gives no client an error and keeps every acknowledged key on the new master', async () => {
    await group.waitForReplicas(group.initialMasterPort, 1);
    const client = proxy.client({ maxRetriesPerRequest: 0 });
    const traffic = startWriteTraffic(client, 'standalone-planned', 8);
    await waitUntil(() => traffic.operations > 500, PATIENCE_MS, 'traffic to start');
    const master = new Redis({ host: '127.0.0.1', port: group.initialMasterPort, maxRetriesPerRequest: 0 });
    try {
      expect(await master.call('FAILOVER')).toBe('OK');
    } finally {
      master.disconnect();
    }
    const newMaster = group.replicaPorts[0]!;
    await waitUntil(() => proxy.handle.context.topology.current.shards[0]?.master.port === newMaster, PATIENCE_MS, 'slotgate to see the new master');
    const operationsAtSwitch = traffic.operations;
    await waitUntil(() => traffic.operations > operationsAtSwitch + 1000, PATIENCE_MS, 'traffic after the switch');
    const report = await traffic.stop();
    expect(report.errors).toEqual([]);
    const direct = new Redis({ host: '127.0.0.1', port: newMaster, maxRetriesPerRequest: 0 });
    try {
      expect(await findLostWrites(direct, report.acknowledged)).toEqual([]);
    } finally {
      direct.disconnect();
    }
  });
});
