// Pub/sub subscriptions survive changes of the cluster under them, on a cluster of this file's own:
// a shard channel follows its slot through a real reshard (the old owner sends `sunsubscribe`,
// slotgate subscribes on the new one and its client notices nothing), and the node holding the
// classic subscriptions is killed (slotgate subscribes again on another node).
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { stringKeyHashSlot } from '../../src/cluster/hash-slot.js';
import { defaultRedisCli } from '../../scripts/dev/redis-server.js';
import { useDedicatedCluster } from '../helpers/cluster-fixture.js';
import { RawClient, startProxy, type StartedProxy } from '../helpers/slotgate.js';
import { plain } from '../helpers/conversation.js';
import { waitUntil } from '../helpers/wait-until.js';

const run = promisify(execFile);
/** Condition waits are bounded only to end a broken run; they assert nothing about speed. */
const PATIENCE_MS = 60_000;

async function direct(port: number, work: (redis: Redis) => Promise<void>): Promise<void> {
  const redis = new Redis({ host: '127.0.0.1', port, maxRetriesPerRequest: 0, retryStrategy: () => null });
  redis.on('error', () => undefined);
  try {
    await work(redis);
  } finally {
    redis.disconnect();
  }
}

/** Publishes `message` on `port` every 100 ms until `received()` says it arrived. */
async function publishUntilReceived(port: number, command: 'PUBLISH' | 'SPUBLISH', channel: string, message: string, received: () => boolean): Promise<void> {
  await direct(port, async (redis) => {
    await waitUntil(async () => {
      await redis.call(command, channel, message).catch(() => undefined);
      await new Promise((r) => setTimeout(r, 100));
      return received();
    }, PATIENCE_MS, `${message} to arrive`);
  });
}

describe('pub/sub while the cluster changes', () => {
  const cluster = useDedicatedCluster({ nodeTimeoutMs: 2000 });
  let proxy: StartedProxy;

  beforeAll(async () => {
    proxy = await startProxy(cluster().seeds, ['--topology-refresh-interval', '500']);
  });
  afterAll(async () => {
    await proxy?.close();
  });

  it('moves a shard channel\'s subscription with its slot: the client keeps receiving and sees no sunsubscribe', async () => {
    const shards = proxy.handle.context.topology.current.shards;
    const from = shards[0]!.master;
    const to = shards[1]!.master;
    // redis-cli moves the source's lowest slots first: a channel in that slot.
    const firstSlot = Math.min(...shards[0]!.ranges.map(([start]) => start));
    let tag = 0;
    while (stringKeyHashSlot(`{t${tag}}`) !== firstSlot) tag++;
    const channel = `{t${tag}}:orders`;

    const sub = await RawClient.connect(proxy.port);
    try {
      expect(plain(await sub.call('SSUBSCRIBE', channel))).toEqual(['ssubscribe', channel, 1]);
      await publishUntilReceived(from.port, 'SPUBLISH', channel, 'before', () => true);
      expect(plain(await sub.next())).toEqual(['smessage', channel, 'before']);

      await run(defaultRedisCli(), [
        '--cluster', 'reshard', `${from.host}:${from.port}`,
        '--cluster-from', from.id, '--cluster-to', to.id, '--cluster-slots', '1', '--cluster-yes',
      ]);
      await direct(from.port, async (redis) => {
        expect(await redis.call('CLUSTER', 'COUNTKEYSINSLOT', String(firstSlot))).toBe(0);
      });
      // The new owner holds the subscription; the old one no longer does.
      await waitUntil(
        async () => {
          let count = 0;
          await direct(to.port, async (redis) => {
            count = ((await redis.call('PUBSUB', 'SHARDNUMSUB', channel)) as [string, number])[1];
          });
          return count === 1;
        },
        PATIENCE_MS,
        'the subscription on the new owner',
      );
      let received: unknown = null;
      const reading = sub.next(PATIENCE_MS).then((reply) => (received = plain(reply)));
      await publishUntilReceived(to.port, 'SPUBLISH', channel, 'after', () => received !== null);
      await reading;
      // The next frame is the message: the node's sunsubscribe stayed inside slotgate.
      expect(received).toEqual(['smessage', channel, 'after']);
      const moved = (await proxy.handle.context.metrics.pubsubResubscriptions.get()).values.find((v) => v.labels.reason === 'slot_moved');
      expect(moved?.value).toBeGreaterThan(0);
    } finally {
      sub.close();
    }
  }, 4 * PATIENCE_MS);

  it('subscribes again on another node when the node holding the subscriptions is killed', async () => {
    const channel = 'alerts';
    const sub = proxy.client({ maxRetriesPerRequest: 0 });
    let reconnected = false;
    sub.on('reconnecting', () => (reconnected = true));
    const messages: string[] = [];
    sub.on('message', (_channel: string, message: string) => messages.push(message));
    sub.on('pmessage', (_pattern: string, _channel: string, message: string) => messages.push(`p:${message}`));
    await sub.subscribe(channel);
    await sub.psubscribe('alert*');

    // The node slotgate subscribed on is the one that counts a subscriber of the channel.
    const holders: number[] = [];
    for (const node of cluster().nodes) {
      await direct(node.port, async (redis) => {
        const [, count] = (await redis.call('PUBSUB', 'NUMSUB', channel)) as [string, number];
        if (count > 0) holders.push(node.port);
      });
    }
    expect(holders).toHaveLength(1);
    const victim = holders[0]!;
    const publisherPort = cluster().nodes.find((n) => n.port !== victim)!.port;
    await publishUntilReceived(publisherPort, 'PUBLISH', channel, 'before', () => messages.includes('before'));

    await cluster().killNode(victim);
    await publishUntilReceived(publisherPort, 'PUBLISH', channel, 'after', () => messages.includes('after') && messages.includes('p:after'));
    expect(reconnected).toBe(false); // the client's own connection never broke
    const lost = (await proxy.handle.context.metrics.pubsubResubscriptions.get()).values.find((v) => v.labels.reason === 'connection_lost');
    expect(lost?.value).toBe(2); // the channel and the pattern
    // Exactly one live node holds it now.
    let holdersAfter = 0;
    for (const node of cluster().nodes.filter((n) => n.port !== victim)) {
      await direct(node.port, async (redis) => {
        holdersAfter += ((await redis.call('PUBSUB', 'NUMSUB', channel)) as [string, number])[1];
      });
    }
    expect(holdersAfter).toBe(1);
  }, 4 * PATIENCE_MS);
});
