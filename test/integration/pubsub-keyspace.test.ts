// Keyspace notifications through slotgate, on a cluster of this file's own (it turns
// notify-keyspace-events on, and fails a master over). Each node publishes the notifications of the
// writes it runs to its own subscribers only, so slotgate holds a subscription they can reach on
// every master, and takes each message from one place: exactly one notification per write, from
// every shard, and exactly one copy of an ordinary PUBLISH.
//
// "Exactly one" without timing: after the writes, each master gets a marker write and waits (WAIT)
// until its replica has applied everything, so the replica slotgate holds its classic
// subscriptions on has published its copies of the events; then a PUBLISH through slotgate, which
// lands on that replica, is a barrier. Once the client has the barrier (after any copy from the
// classic node) and every master's marker events (after that master's earlier events, on the same
// connection), every copy that was coming has come.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { stringKeyHashSlot } from '../../src/cluster/hash-slot.js';
import { useDedicatedCluster } from '../helpers/cluster-fixture.js';
import { startProxy, type StartedProxy } from '../helpers/slotgate.js';
import { waitUntil } from '../helpers/wait-until.js';

/** Condition waits are bounded only to end a broken run; they assert nothing about speed. */
const PATIENCE_MS = 30_000;
const BARRIER = 'kbarrier';

async function direct<T>(port: number, work: (redis: Redis) => Promise<T>): Promise<T> {
  const redis = new Redis({ host: '127.0.0.1', port, maxRetriesPerRequest: 0, retryStrategy: () => null });
  redis.on('error', () => undefined);
  try {
    return await work(redis);
  } finally {
    redis.disconnect();
  }
}

/** Every message a client receives, as `channel message` (pattern messages too), in order. */
function collect(client: Redis): string[] {
  const got: string[] = [];
  client.on('message', (channel: string, message: string) => got.push(`${channel} ${message}`));
  client.on('pmessage', (_pattern: string, channel: string, message: string) => got.push(`${channel} ${message}`));
  return got;
}

describe('keyspace notifications through slotgate', () => {
  const cluster = useDedicatedCluster({ nodeTimeoutMs: 2000 });
  let proxy: StartedProxy;
  let admin: Redis;

  beforeAll(async () => {
    proxy = await startProxy(cluster().seeds, ['--topology-refresh-interval', '500']);
    admin = proxy.client();
    expect(await admin.call('CONFIG', 'SET', 'notify-keyspace-events', 'KEA')).toBe('OK');
    // CONFIG SET through slotgate reaches every node, replicas included.
    for (const value of (await perNode('CONFIG', 'GET', 'notify-keyspace-events')).values()) {
      expect((value as string[])[1]!.split('').sort().join('')).toBe('AEK'); // Redis gives the flags back in its own order
    }
  });
  afterAll(async () => {
    admin?.disconnect();
    await proxy?.close();
  });

  /** The masters as slotgate sees them, each with `count` keys of its slots (prefixed `name`). */
  function keysPerMaster(name: string, count: number): { port: number; keys: string[] }[] {
    const shards = proxy.handle.context.topology.current.shards;
    return shards.map((shard) => {
      const keys: string[] = [];
      for (let i = 0; keys.length < count; i++) {
        const key = `{${name}:${i}}`; // a hash tag: the marker key beside it is in its slot
        const slot = stringKeyHashSlot(key);
        if (shard.ranges.some(([start, end]) => slot >= start && slot <= end)) keys.push(key);
      }
      return { port: shard.master.port, keys };
    });
  }

  /** One SET on every master: each one's `set` keyevent (and its marker's) is heard exactly once. */
  async function expectOneSetEventPerMaster(name: string, marker: string, got: string[]): Promise<void> {
    const masters = keysPerMaster(name, 1);
    for (const { keys } of masters) await admin.set(keys[0]!, 'v');
    await settle(masters, got, marker, (key) => [`__keyevent@0__:set ${key}`]);
    const events = got.filter((line) => line.startsWith('__keyevent@0__:set '));
    const expected = masters.flatMap(({ keys }) => [keys[0]!, `${keys[0]}:${marker}`].map((key) => `__keyevent@0__:set ${key}`));
    expect(events.sort()).toEqual(expected.sort());
  }

  /**
   * One marker write per master, waited for on its replicas, then the barrier PUBLISH through
   * slotgate; returns once the client has the barrier and `lines(markerKey)` of every master.
   */
  async function settle(masters: { port: number; keys: string[] }[], got: string[], marker: string, lines: (key: string) => string[]): Promise<void> {
    for (const { port, keys } of masters) {
      await direct(port, async (redis) => {
        await redis.set(`${keys[0]}:${marker}`, '1');
        const replicas = ((await redis.call('ROLE')) as [string, number, unknown[]])[2].length;
        expect(await redis.call('WAIT', String(replicas), '0')).toBe(replicas);
      });
    }
    await admin.publish(BARRIER, marker);
    const awaited = [`${BARRIER} ${marker}`, ...masters.flatMap(({ keys }) => lines(`${keys[0]}:${marker}`))];
    await waitUntil(async () => awaited.every((line) => got.includes(line)), PATIENCE_MS, `the barrier and the markers ${marker}`);
  }

  async function connectionsLost(): Promise<number> {
    const values = (await proxy.handle.context.metrics.pubsubResubscriptions.get()).values;
    return values.find((v) => v.labels.reason === 'connection_lost')?.value ?? 0;
  }

  async function perNode(...command: string[]): Promise<Map<number, unknown>> {
    const out = new Map<number, unknown>();
    for (const port of [...(await cluster().masterPorts()), ...(await cluster().replicaPorts())]) {
      out.set(port, await direct(port, (redis) => redis.call(command[0]!, ...command.slice(1))));
    }
    return out;
  }

  it('PSUBSCRIBE __keyspace@0__:* hears every write once, from every shard; the nodes keep nothing afterwards', async () => {
    const sub = proxy.client();
    const got = collect(sub);
    try {
      await sub.psubscribe('__keyspace@0__:*');
      await sub.subscribe(BARRIER);
      // Held on every master (and on the node of the classic subscriptions): PUBSUB NUMPAT still counts it once.
      for (const port of await cluster().masterPorts()) expect(await direct(port, (r) => r.call('PUBSUB', 'NUMPAT'))).toBe(1);
      expect(await admin.call('PUBSUB', 'NUMPAT')).toBe(1);

      const masters = keysPerMaster('ks', 3);
      for (const { keys } of masters) for (const key of keys) await admin.set(key, 'v');
      await settle(masters, got, 'one', (key) => [`__keyspace@0__:${key} set`]);
      const notifications = got.filter((line) => line.startsWith('__keyspace@0__:'));
      const expected = masters.flatMap(({ keys }) => [...keys.map((key) => `__keyspace@0__:${key} set`), `__keyspace@0__:${keys[0]}:one set`]);
      expect(notifications.sort()).toEqual(expected.sort());
    } finally {
      await sub.quit();
    }
    // The last client gone: no node holds the pattern or the barrier channel any more.
    await waitUntil(async () => [...(await perNode('PUBSUB', 'NUMPAT')).values()].every((n) => n === 0), PATIENCE_MS, 'the pattern to leave every node');
    for (const reply of (await perNode('PUBSUB', 'NUMSUB', BARRIER)).values()) expect((reply as [string, number])[1]).toBe(0);
  });

  it('PSUBSCRIBE * gets one pmessage per PUBLISH, and the notifications of every shard once', async () => {
    const sub = proxy.client();
    const got = collect(sub);
    try {
      await sub.psubscribe('*');
      expect(await admin.publish('news.tech', 'hello')).toBe(1);
      const masters = keysPerMaster('star', 1);
      for (const { keys } of masters) await admin.set(keys[0]!, 'v');
      await settle(masters, got, 'two', (key) => [`__keyspace@0__:${key} set`, `__keyevent@0__:set ${key}`]);
      expect(got.filter((line) => line === 'news.tech hello')).toHaveLength(1);
      expect(got.filter((line) => line === `${BARRIER} two`)).toHaveLength(1);
      for (const { keys } of masters) {
        expect(got.filter((line) => line === `__keyspace@0__:${keys[0]} set`)).toHaveLength(1);
        expect(got.filter((line) => line === `__keyevent@0__:set ${keys[0]}`)).toHaveLength(1);
      }
    } finally {
      await sub.quit();
    }
  });

  it('SUBSCRIBE __keyevent@0__:set gets one message per SET; PUBSUB NUMSUB counts the client once', async () => {
    const sub = proxy.client();
    const got = collect(sub);
    try {
      await sub.subscribe('__keyevent@0__:set', BARRIER);
      expect(await admin.call('PUBSUB', 'NUMSUB', '__keyevent@0__:set')).toEqual(['__keyevent@0__:set', 1]);
      const masters = keysPerMaster('ev', 2);
      for (const { keys } of masters) for (const key of keys) await admin.set(key, 'v');
      await settle(masters, got, 'three', (key) => [`__keyevent@0__:set ${key}`]);
      const events = got.filter((line) => line.startsWith('__keyevent@0__:set '));
      const expected = masters.flatMap(({ keys }) => [...keys, `${keys[0]}:three`].map((key) => `__keyevent@0__:set ${key}`));
      expect(events.sort()).toEqual(expected.sort());
    } finally {
      await sub.quit();
    }
    await waitUntil(
      async () => [...(await perNode('PUBSUB', 'NUMSUB', '__keyevent@0__:set')).values()].every((reply) => (reply as [string, number])[1] === 0),
      PATIENCE_MS,
      'the channel to leave every node',
    );
  });

  it('follows a failover: the promoted replica gets the subscription, the old master loses it', async () => {
    const sub = proxy.client();
    const got = collect(sub);
    try {
      await sub.psubscribe('__keyevent@0__:*');
      await sub.subscribe(BARRIER);
      // A replica that is not the node of the classic subscriptions: it holds nothing yet.
      const classic = proxy.handle.context.pubsub.classicAddress;
      const replicas = await cluster().replicaPorts();
      const promoted = replicas.find((port) => !classic?.endsWith(`:${port}`))!;
      expect(await direct(promoted, (r) => r.call('PUBSUB', 'NUMPAT'))).toBe(0);
      await direct(promoted, (r) => r.call('CLUSTER', 'FAILOVER'));
      await waitUntil(async () => (await cluster().masterPorts()).includes(promoted), PATIENCE_MS, 'the replica to be promoted');
      await cluster().waitForClusterOk();
      await waitUntil(async () => (await direct(promoted, (r) => r.call('PUBSUB', 'NUMPAT'))) === 1, PATIENCE_MS, 'the pattern on the new master');
      // Every master holds it once, and only the classic node besides them.
      const counts = await perNode('PUBSUB', 'NUMPAT');
      await waitUntil(
        async () => {
          const now = await perNode('PUBSUB', 'NUMPAT');
          return [...now.values()].reduce((a: number, b) => a + (b as number), 0) === (await cluster().masterPorts()).length + 1;
        },
        PATIENCE_MS,
        `the old master to lose its copy (${[...counts.entries()].join(' ')})`,
      );

      await waitUntil(async () => proxy.handle.context.topology.current.masters().some((m) => m.port === promoted), PATIENCE_MS, 'slotgate to see the new master');
      await expectOneSetEventPerMaster('fo', 'four', got);
    } finally {
      await sub.quit();
    }
  }, 4 * PATIENCE_MS);

  // Last: the cluster is left with a master down.
  it('a master killed: its connection breaks, and the replica that takes over gets the subscription', async () => {
    const sub = proxy.client();
    const got = collect(sub);
    try {
      await sub.psubscribe('__keyevent@0__:*');
      await sub.subscribe(BARRIER);
      // A master whose replica is not the node of the classic subscriptions: the heir holds nothing yet.
      const classic = proxy.handle.context.pubsub.classicAddress;
      let victim = 0;
      let heir = 0;
      for (const port of await cluster().masterPorts()) {
        const [, , replicas] = await direct(port, (r) => r.call('ROLE') as Promise<[string, number, [string, string, string][]]>);
        const replica = Number(replicas[0]?.[1]);
        if (replicas.length === 1 && !classic?.endsWith(`:${replica}`)) [victim, heir] = [port, replica];
      }
      expect(await direct(heir, (r) => r.call('PUBSUB', 'NUMPAT'))).toBe(0);
      const lostBefore = await connectionsLost();
      await cluster().killNode(victim);
      await waitUntil(async () => (await cluster().masterPorts()).includes(heir), PATIENCE_MS, 'the replica to take over');
      await waitUntil(async () => proxy.handle.context.topology.current.masters().some((m) => m.port === heir), PATIENCE_MS, 'slotgate to see the new master');
      await waitUntil(async () => (await direct(heir, (r) => r.call('PUBSUB', 'NUMPAT'))) === 1, PATIENCE_MS, 'the pattern on the new master');
      expect(await connectionsLost()).toBeGreaterThan(lostBefore);

      await expectOneSetEventPerMaster('kill', 'five', got);
    } finally {
      await sub.quit();
    }
  }, 4 * PATIENCE_MS);
});
