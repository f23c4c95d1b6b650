// A master dies under traffic: the cluster promotes its replica and slotgate serves the shard
// again without a restart. What is asserted is what slotgate promises on top of Redis Cluster, not a
// loss rate: Redis replicates asynchronously, so a write the master acknowledged but had not yet
// sent to its replica is lost by Redis itself. To draw that line exactly, the test asks the victim
// master to WAIT until its replica has acknowledged everything written so far; every write
// acknowledged before that WAIT must survive, and so must every write to the shards that did not fail.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { useDedicatedCluster } from '../helpers/cluster-fixture.js';
import { startProxy, type StartedProxy } from '../helpers/slotgate.js';
import { findLostWrites, startWriteTraffic } from '../helpers/write-traffic.js';
import { waitUntil } from '../helpers/wait-until.js';
import { stringKeyHashSlot } from '../../src/cluster/hash-slot.js';

/** Condition waits are bounded only to end a broken run; they assert nothing about speed. */
const PATIENCE_MS = 60_000;

describe('master failover under traffic', () => {
  const cluster = useDedicatedCluster({ nodeTimeoutMs: 2000 });
  let proxy: StartedProxy;

  beforeAll(async () => {
    proxy = await startProxy(cluster().seeds, ['--command-timeout', '3000', '--topology-refresh-interval', '500']);
  });
  afterAll(async () => {
    await proxy?.close();
  });

  it('loses no write the replica acknowledged, and serves the shard again without errors after promotion', async () => {
    const client = proxy.client({ maxRetriesPerRequest: 0 });
    const probe = proxy.client({ maxRetriesPerRequest: 0 });
    const traffic = startWriteTraffic(client, 'failover', 8);
    await waitUntil(() => traffic.operations > 500, PATIENCE_MS, 'traffic to start');

    const [victim] = await cluster().masterPorts();
    const before = proxy.handle.context.topology.current;
    const victimShard = before.nodeByAddress(`127.0.0.1:${victim}`)!.shardIndex;
    const inVictimShard = (key: string) => before.shardForSlot(stringKeyHashSlot(key))!.index === victimShard;
    let marker = 0;
    while (!inVictimShard(`failover-marker:${marker}`)) marker++;
    const markerKey = `failover-marker:${marker}`;

    // Everything acknowledged now was executed by its master before the marker SET below, so it
    // precedes the marker in the victim's replication stream. WAIT returns once the replica has
    // acknowledged the stream up to this connection's last write: the marker, and all before it.
    const acknowledgedBeforeWait = traffic.acknowledgedSoFar();
    const direct = new Redis({ host: '127.0.0.1', port: victim!, maxRetriesPerRequest: 0, retryStrategy: () => null });
    direct.on('error', () => {}); // the node is killed below; its socket errors are expected
    try {
      expect(await direct.set(markerKey, 'x')).toBe('OK');
      expect(await direct.call('WAIT', '1', String(PATIENCE_MS))).toBe(1);
    } finally {
      direct.disconnect();
    }

    await cluster().killNode(victim!);
    await cluster().waitForClusterOk(PATIENCE_MS);
    await waitUntil(() => proxy.handle.context.topology.current.masters().every((m) => m.port !== victim), PATIENCE_MS, 'slotgate to see the new master');
    // Writes resume on the promoted replica, through the same slotgate.
    await waitUntil(() => probe.set(markerKey, 'after').then((r) => r === 'OK', () => false), PATIENCE_MS, 'a write to the failed shard');
    const resumedAfter = traffic.started;
    const operationsAtResume = traffic.operations;
    await waitUntil(() => traffic.operations > operationsAtResume + 2000, PATIENCE_MS, 'traffic after the failover');
    const report = await traffic.stop();

    // No command sent after writes resumed failed.
    expect(report.errors.filter((e) => e.startedAs > resumedAfter)).toEqual([]);
    // Commands caught by the failover got a clear error (the loops kept going: no hang).
    for (const e of report.errors) expect(e.message).toMatch(/CLUSTERDOWN|backend|TRYAGAIN/);

    // Only writes to the failed shard acknowledged after the WAIT may be lost, as in Redis itself.
    const lost = await findLostWrites(client, report.acknowledged);
    const mustSurvive = lost.filter((key) => acknowledgedBeforeWait.has(key) || !inVictimShard(key));
    expect(mustSurvive).toEqual([]);
    // The line was really drawn inside the failed shard's traffic.
    expect([...acknowledgedBeforeWait.keys()].filter(inVictimShard).length).toBeGreaterThan(0);
    expect(await probe.get(markerKey)).toBe('after');
  }, 4 * PATIENCE_MS);
});
