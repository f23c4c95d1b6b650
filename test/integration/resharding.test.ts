// Slots move between masters (redis-cli --cluster reshard) while clients write and read:
// slotgate follows MOVED/ASK itself, so clients see no error and lose no write.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultRedisCli } from '../../scripts/dev/redis-server.js';
import { useDedicatedCluster } from '../helpers/cluster-fixture.js';
import { startProxy, type StartedProxy } from '../helpers/slotgate.js';
import { findLostWrites, startWriteTraffic } from '../helpers/write-traffic.js';
import { waitUntil } from '../helpers/wait-until.js';

const run = promisify(execFile);
/** Condition waits are bounded only to end a broken run; they assert nothing about speed. */
const PATIENCE_MS = 60_000;

describe('slot migration under traffic', () => {
  const cluster = useDedicatedCluster();
  let proxy: StartedProxy;

  beforeAll(async () => {
    proxy = await startProxy(cluster().seeds);
  });
  afterAll(async () => {
    await proxy?.close();
  });

  it('returns no errors to clients and loses no acknowledged write', async () => {
    const writer = proxy.client({ maxRetriesPerRequest: 0 });
    const reader = proxy.client({ maxRetriesPerRequest: 0 });
    // Keys that exist before the move, read continuously during it.
    const seeded = new Map<string, string>();
    for (let i = 0; i < 2000; i++) seeded.set(`seed:${i}`, String(i));
    for (const [k, v] of seeded) await writer.set(k, v);

    const traffic = startWriteTraffic(writer, 'reshard', 6);
    const readErrors: string[] = [];
    let reading = true;
    const readLoop = (async () => {
      const keys = [...seeded.keys()];
      for (let i = 0; reading; i++) {
        const key = keys[i % keys.length]!;
        try {
          const value = await reader.get(key);
          if (value !== seeded.get(key)) readErrors.push(`${key}=${value}`);
        } catch (err) {
          readErrors.push((err as Error).message);
        }
      }
    })();
    await waitUntil(() => traffic.operations > 300, PATIENCE_MS, 'traffic to start');

    const shards = proxy.handle.context.topology.current.shards;
    const from = shards[0]!.master;
    const to = shards[1]!.master;
    const epochBefore = proxy.handle.context.topology.current.epoch;
    await run(defaultRedisCli(), [
      '--cluster', 'reshard', `${from.host}:${from.port}`,
      '--cluster-from', from.id, '--cluster-to', to.id, '--cluster-slots', '1500', '--cluster-yes', '--cluster-pipeline', '20',
    ], { maxBuffer: 64 * 1024 * 1024 });
    await waitUntil(() => proxy.handle.context.topology.current.epoch > epochBefore, PATIENCE_MS, 'slotgate to see the new layout');
    const opsAfter = traffic.operations;
    await waitUntil(() => traffic.operations > opsAfter + 300, PATIENCE_MS, 'traffic after the move');

    const report = await traffic.stop();
    reading = false;
    await readLoop;
    expect(report.errors.map((e) => e.message)).toEqual([]);
    expect(readErrors).toEqual([]);
    expect(await findLostWrites(writer, report.acknowledged)).toEqual([]);
    expect(await findLostWrites(writer, seeded)).toEqual([]);
    // The move really happened, and slotgate had to follow redirections to get through it.
    expect(proxy.handle.context.topology.current.shardForSlot(0)!.master.id).toBe(to.id);
    const redirections = (await proxy.handle.context.metrics.redirections.get()).values;
    expect(redirections.reduce((sum, v) => sum + v.value, 0)).toBeGreaterThan(0);
  });
});
