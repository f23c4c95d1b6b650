// A master dies under traffic: the cluster promotes its replica and slotgate serves the shard
// again without a restart, with every acknowledged write still there.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useDedicatedCluster } from '../helpers/cluster-fixture.js';
import { startProxy, type StartedProxy } from '../helpers/slotgate.js';
import { findLostWrites, startWriteTraffic, waitUntil } from '../helpers/traffic.js';
import { stringKeyHashSlot } from '../../src/cluster/hash-slot.js';

describe('master failover under traffic', () => {
  const cluster = useDedicatedCluster({ nodeTimeoutMs: 2000 });
  let proxy: StartedProxy;

  beforeAll(async () => {
    proxy = await startProxy(cluster().seeds, ['--command-timeout', '3000', '--topology-refresh-interval', '500']);
  });
  afterAll(async () => {
    await proxy?.close();
  });

  it('keeps serving after a master is killed and its replica promoted', async () => {
    const client = proxy.client({ maxRetriesPerRequest: 0 });
    const traffic = startWriteTraffic(client, 'failover', 8);
    await waitUntil(() => traffic.operations > 500, 10_000, 'traffic to start');

    const [victim] = await cluster().masterPorts();
    const victimShard = proxy.handle.context.topology.current.nodeByAddress(`127.0.0.1:${victim}`)!.shardIndex;
    const killedAt = Date.now();
    await cluster().killNode(victim!);
    await cluster().waitForClusterOk(30_000);
    // After the promotion, traffic must flow again without errors.
    await waitUntil(() => proxy.handle.context.topology.current.masters().every((m) => m.port !== victim), 15_000, 'slotgate to see the new master');
    const errorsAtRecovery = traffic.errorCount;
    const opsAtRecovery = traffic.operations;
    await waitUntil(() => traffic.operations > opsAtRecovery + 2000, 20_000, 'traffic after failover');
    const report = await traffic.stop();

    expect(report.errors.length - errorsAtRecovery).toBe(0);
    expect(report.acknowledged.size).toBeGreaterThan(2000);
    // Redis replicates asynchronously: a write the killed master acknowledged in its last moments may
    // not have reached the replica, and Redis Cluster itself loses it. That is the only loss allowed:
    // keys of the killed shard, acknowledged just before the kill. Everything else must be there.
    const lost = await findLostWrites(client, report.acknowledged);
    const slotOf = (key: string) => proxy.handle.context.topology.current.shardForSlot(stringKeyHashSlot(key));
    const unexplained = lost.filter((key) => {
      const shardBefore = victimShard;
      const ackedAt = report.acknowledgedAt.get(key)!;
      return !(slotOf(key)!.index === shardBefore && ackedAt <= killedAt && killedAt - ackedAt < 1000);
    });
    expect(unexplained).toEqual([]);
    expect(lost.length).toBeLessThan(report.acknowledged.size / 100);
    // During the outage, clients got clear errors rather than hangs (the loop kept going).
    for (const e of report.errors) expect(e.message).toMatch(/CLUSTERDOWN|backend|TRYAGAIN/);
  });
});
