// Replica reads only from replicas that are in sync (issue #19). A replica restarted without its
// data (a replaced node has no dump.rdb; the test removes the one its first sync left) needs a full
// resync, and until it has one it answers reads from an empty dataset: nil for keys that exist. The masters
// sync diskless with a delay, so that wait lasts seconds, and the restart is quicker than
// cluster-node-timeout, so gossip never calls the replica failing. Through slotgate, no read may
// answer nil, none may fail, and the replicas serve reads again once they have caught up. And a
// replica further behind than max-replica-lag (its master's offset minus its own) gets no reads.
import { rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { useDedicatedCluster } from '../helpers/cluster-fixture.js';
import { startProxy, type StartedProxy } from '../helpers/slotgate.js';
import { waitUntil } from '../helpers/wait-until.js';

const KEYS = 2000;
const SYNC_DELAY_SECONDS = 10;
const MAX_LAG = 4096;

describe('cluster replica reads only from replicas in sync', () => {
  const cluster = useDedicatedCluster({ masters: 3, replicasPerMaster: 1, nodeTimeoutMs: 5000 });
  let proxy: StartedProxy;
  const direct = new Map<number, Redis>();
  const node = (port: number) => {
    let redis = direct.get(port);
    if (!redis) direct.set(port, (redis = new Redis({ host: '127.0.0.1', port, maxRetriesPerRequest: 1, lazyConnect: false })));
    return redis;
  };

  beforeAll(async () => {
    proxy = await startProxy(cluster().seeds, ['--replica-read', 'yes', '--topology-refresh-interval', '1000', '--max-replica-lag', String(MAX_LAG)]);
  });
  afterAll(async () => {
    for (const redis of direct.values()) redis.disconnect();
    await proxy?.close();
  });

  async function replicaGetCalls(ports: number[]): Promise<number> {
    let calls = 0;
    for (const port of ports) calls += Number(/^cmdstat_get:calls=(\d+)/m.exec(await node(port).info('commandstats'))?.[1] ?? 0);
    return calls;
  }

  async function inSync(port: number): Promise<boolean> {
    const info = await node(port).info('replication').catch(() => '');
    return info.includes('master_link_status:up') && info.includes('master_sync_in_progress:0');
  }

  it('answers every read with the stored value: 0 nils, 0 errors, and the replicas serve again after their resync', async () => {
    const client = proxy.client();
    const pipeline = client.pipeline();
    for (let i = 0; i < KEYS; i++) pipeline.set(`sync:${i}`, `v${i}`);
    expect(((await pipeline.exec()) ?? []).filter(([err]) => err)).toEqual([]);
    const masters = await cluster().masterPorts();
    const replicas = await cluster().replicaPorts();
    const replicatedKeys = async () => (await Promise.all(replicas.map((port) => node(port).dbsize()))).reduce((a, b) => a + b, 0);
    await waitUntil(async () => (await replicatedKeys()) >= KEYS, 10_000, 'the replicas to have every key');
    // Replicas serve reads before the restart (the test would prove nothing otherwise).
    await waitUntil(async () => {
      await client.get('sync:1');
      return (await replicaGetCalls(replicas)) > 0;
    }, 10_000, 'reads to reach the replicas');
    for (const port of masters) {
      await node(port).config('SET', 'repl-diskless-sync', 'yes');
      await node(port).config('SET', 'repl-diskless-sync-delay', String(SYNC_DELAY_SECONDS));
    }

    let reads = 0;
    let nils = 0;
    const errors: string[] = [];
    let reading = true;
    const reader = (async () => {
      for (let round = 0; reading; round++) {
        const batch = client.pipeline();
        for (let k = 0; k < 50; k++) batch.get(`sync:${(round * 50 + k * 37) % KEYS}`);
        for (const [err, value] of (await batch.exec()) ?? []) {
          reads++;
          if (err) errors.push(err.message);
          else if (value === null) nils++;
        }
      }
    })();

    for (const port of replicas) {
      direct.get(port)?.disconnect();
      direct.delete(port);
      await cluster().killNode(port);
      // The RDB a replica kept from its first sync would let it resume with a partial resync.
      rmSync(path.join(cluster().nodes.find((n) => n.port === port)!.dir, 'dump.rdb'), { force: true });
      await cluster().restartNode(port);
    }
    for (const port of replicas) await waitUntil(() => inSync(port), 60_000, `replica ${port} to finish its resync`);
    // Replicas count as in sync again only once slotgate has seen their masters say so.
    const before = await replicaGetCalls(replicas);
    await waitUntil(async () => (await replicaGetCalls(replicas)) > before + 100, 20_000, 'the resynced replicas to serve reads again');
    reading = false;
    await reader;

    expect(reads).toBeGreaterThan(KEYS);
    expect(nils).toBe(0);
    expect(errors).toEqual([]);
  });

  it('gives no reads to a replica further behind than max-replica-lag, and reads again once it has caught up', async () => {
    const client = proxy.client();
    const key = '{lag}:k';
    await client.set(key, 'old');
    const any = node((await cluster().masterPorts())[0]!);
    const slot = Number(await any.cluster('KEYSLOT', key));
    const range = (await any.cluster('SLOTS')).find(([a, b]) => slot >= a && slot <= b)!;
    const masterPort = range[2][1];
    const replicaPort = Number(/^slave0:.*port=(\d+)/m.exec(await node(masterPort).info('replication'))![1]);
    const replicaAddress = `127.0.0.1:${replicaPort}`;
    await waitUntil(() => proxy.handle.context.topology.current.nodeByAddress(replicaAddress)?.health === 'online', 20_000, 'the replica in reads');

    // The replica keeps answering reads but stops applying its master's stream: it falls behind.
    await node(replicaPort).client('PAUSE', '30000', 'WRITE');
    try {
      await client.set(key, 'new');
      await client.set('{lag}:filler', 'x'.repeat(4 * MAX_LAG));
      await waitUntil(() => (proxy.handle.context.topology.current.nodeByAddress(replicaAddress)?.lagBytes ?? 0) > MAX_LAG, 20_000, 'slotgate to see the replica lag');
      expect(await node(replicaPort).info('replication')).toContain(`master_port:${masterPort}`);
      const reads = await Promise.all(Array.from({ length: 50 }, () => client.get(key)));
      expect(reads.filter((v) => v !== 'new')).toEqual([]);
    } finally {
      await node(replicaPort).client('UNPAUSE');
    }
    await waitUntil(() => (proxy.handle.context.topology.current.nodeByAddress(replicaAddress)?.lagBytes ?? Infinity) <= MAX_LAG, 20_000, 'the replica to catch up');
    const before = await replicaGetCalls([replicaPort]);
    await Promise.all(Array.from({ length: 50 }, () => client.get(key)));
    expect(await replicaGetCalls([replicaPort])).toBeGreaterThan(before);
  });
});
