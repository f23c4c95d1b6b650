// node-redis's client-side cache (RESP3, CLIENT TRACKING) in front of slotgate: it never keeps
// serving a value another client overwrote, for keys on every master, whether the write went through
// slotgate or straight to the node, and across a planned failover. Each overwrite is followed by
// reads until the new value shows (the invalidation's delay); no read may ever go back to an older
// value, and the cache must have served hits (else it would prove nothing).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from 'redis';
import { useDedicatedCluster } from '../helpers/cluster-fixture.js';
import { backendNodes, type BackendNodes } from '../helpers/backend-nodes.js';
import { startProxy, type StartedProxy } from '../helpers/slotgate.js';
import { waitUntil } from '../helpers/wait-until.js';

/** Condition waits are bounded only to end a broken run; they assert nothing about speed. */
const PATIENCE_MS = 30_000;

describe('node-redis client-side cache through slotgate', () => {
  const cluster = useDedicatedCluster({ replicasPerMaster: 1 });
  let proxy: StartedProxy;
  let backend: BackendNodes;
  let cached: ReturnType<typeof createClient>;

  beforeAll(async () => {
    proxy = await startProxy(cluster().seeds, ['--topology-refresh-interval', '500']);
    backend = await backendNodes(cluster().seeds);
    cached = createClient({ socket: { host: '127.0.0.1', port: proxy.port }, RESP: 3, clientSideCache: { ttl: 0, maxEntries: 0 } });
    cached.on('error', () => undefined);
    await cached.connect();
  });
  afterAll(async () => {
    await cached?.quit().catch(() => undefined);
    await proxy?.close();
    backend?.close();
  });

  /** Reads `key` until it shows `value`; every value read on the way must be `previous` or `value`. */
  async function readsUntil(key: string, previous: string, value: string): Promise<void> {
    await waitUntil(
      async () => {
        const read = await cached.get(key);
        expect([previous, value]).toContain(read);
        return read === value;
      },
      PATIENCE_MS,
      `${key} to read ${value}`,
    );
    // Once seen, never older again.
    for (let i = 0; i < 5; i++) expect(await cached.get(key)).toBe(value);
  }

  async function keyOn(shard: number, prefix: string): Promise<string> {
    for (let i = 0; ; i++) if ((await backend.masterOf(`${prefix}${i}`)).id === backend.shards[shard]!.master.id) return `${prefix}${i}`;
  }

  it('never keeps a value another client overwrote, on any master, through slotgate or on the node', async () => {
    const writer = proxy.client();
    const hitsBefore = cached.clientSideCache!.stats().hitCount;
    for (const shard of backend.shards) {
      const key = await keyOn(shard.index, 'csc:');
      await writer.set(key, 'v1');
      await readsUntil(key, 'v1', 'v1');
      await writer.set(key, 'v2');
      await readsUntil(key, 'v1', 'v2');
      await shard.master.client.set(key, 'v3');
      await readsUntil(key, 'v2', 'v3');
    }
    expect(cached.clientSideCache!.stats().hitCount - hitsBefore).toBeGreaterThanOrEqual(3 * 10);
  });

  it('after a planned failover, never keeps a value the new master changed', async () => {
    const key = await keyOn(0, 'csc-failover:');
    const writer = proxy.client();
    await writer.set(key, 'before');
    await readsUntil(key, 'before', 'before');
    const hits = cached.clientSideCache!.stats().hitCount;
    const replica = backend.shards[0]!.replicas[0]!;
    expect(await replica.client.call('CLUSTER', 'FAILOVER')).toBe('OK');
    await waitUntil(() => proxy.handle.context.topology.current.masters().some((m) => m.id === replica.id), PATIENCE_MS, 'slotgate to see the new master');
    // Written on the new master directly: no slotgate client's write to learn it from.
    await waitUntil(() => replica.client.set(key, 'after').then((r) => r === 'OK', () => false), PATIENCE_MS, 'the new master to take writes');
    await readsUntil(key, 'before', 'after');
    expect(cached.clientSideCache!.stats().hitCount).toBeGreaterThan(hits);
  });

  it('a tracking client reads masters even when its reads may go to replicas', async () => {
    const splitting = await startProxy(cluster().seeds, ['--replica-read', 'yes']);
    const shard = backend.shards[1]!; // not the one failed over above
    const key = await keyOn(1, 'csc-replica:');
    const gets = async (node: typeof shard.master) => {
      const info = String(await node.client.call('INFO', 'commandstats'));
      return Number(/cmdstat_get:calls=(\d+)/.exec(info)?.[1] ?? 0);
    };
    try {
      const plain = splitting.client();
      const tracking = splitting.client();
      await tracking.call('CLIENT', 'TRACKING', 'ON');
      const [replicaBefore, masterBefore] = [await gets(shard.replicas[0]!), await gets(shard.master)];
      for (let i = 0; i < 20; i++) await tracking.get(key);
      expect(await gets(shard.replicas[0]!)).toBe(replicaBefore);
      expect(await gets(shard.master)).toBe(masterBefore + 20);
      for (let i = 0; i < 20; i++) await plain.get(key);
      expect(await gets(shard.replicas[0]!)).toBe(replicaBefore + 20);
    } finally {
      await splitting.close();
    }
  });
});
