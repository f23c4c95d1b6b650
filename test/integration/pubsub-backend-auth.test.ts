// Subscriber connections sign in like every other backend connection: a cluster whose nodes
// require a password (set on a cluster of this file's own) serves SUBSCRIBE and SSUBSCRIBE through
// slotgate started with backend-password.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { resolveConfig } from '../../src/config/config.js';
import { createLogger } from '../../src/observability/logger.js';
import { startSlotgate, type SlotgateHandle } from '../../src/server.js';
import { stringKeyHashSlot } from '../../src/cluster/hash-slot.js';
import { useDedicatedCluster } from '../helpers/cluster-fixture.js';

const PASSWORD = 'pubsub-backend-secret';

function node(port: number): Redis {
  const redis = new Redis({ host: '127.0.0.1', port, password: PASSWORD, maxRetriesPerRequest: 1 });
  redis.on('error', () => undefined);
  return redis;
}

describe('pub/sub with backend authentication', () => {
  const cluster = useDedicatedCluster();
  let handle: SlotgateHandle;
  const clients: Redis[] = [];

  beforeAll(async () => {
    for (const { port } of cluster().nodes) {
      const redis = new Redis({ host: '127.0.0.1', port });
      await redis.call('CONFIG', 'SET', 'masterauth', PASSWORD);
      await redis.call('CONFIG', 'SET', 'requirepass', PASSWORD);
      redis.disconnect();
    }
    const config = resolveConfig(['--cluster', cluster().seeds.join(','), '--port', '0', '--admin-port', '0'], { SLOTGATE_BACKEND_PASSWORD: PASSWORD });
    handle = await startSlotgate(config, { processMetrics: false, logger: createLogger('silent') });
  });
  afterAll(async () => {
    for (const c of clients) c.disconnect();
    await handle?.close();
  });

  it('delivers classic and shard-channel messages over authenticated subscriber connections', async () => {
    const sub = new Redis({ host: '127.0.0.1', port: handle.port, maxRetriesPerRequest: 1 });
    clients.push(sub);
    await sub.subscribe('auth:news');
    const shardChannel = 'auth:shard';
    await sub.ssubscribe(shardChannel);

    const owner = handle.context.topology.current.masterForSlot(stringKeyHashSlot(shardChannel))!;
    const publisher = node(owner.port);
    clients.push(publisher);
    const message = new Promise((resolve) => sub.once('message', (...args) => resolve(args)));
    expect(await publisher.publish('auth:news', 'hello')).toBeGreaterThanOrEqual(0);
    expect(await message).toEqual(['auth:news', 'hello']);
    const smessage = new Promise((resolve) => sub.once('smessage', (...args) => resolve(args)));
    expect(await publisher.call('SPUBLISH', shardChannel, 'sharded')).toBe(1);
    expect(await smessage).toEqual([shardChannel, 'sharded']);
  });
});
