// One throw-away standalone redis-server per test file (scripts/dev/redis-server.ts: free loopback
// port, own temp dir, no persistence), stopped in afterAll. Oracle tests use it (COMMAND GETKEYS, real
// error replies, INFO text), so expected values come from Redis, not from the code under test.
import { afterAll, beforeAll } from 'vitest';
import { Redis } from 'ioredis';
import { referenceRedisServer, startStandaloneRedis, type StandaloneRedis } from '../../scripts/dev/redis-server.js';

/**
 * Starts the server in beforeAll; the getter returns a connected client once it runs. `reference`:
 * the Redis slotgate's own replies follow (`referenceRedisServer()`), not the nodes' server.
 */
export function useStandaloneRedis(opts: { reference?: boolean } = {}): () => Redis {
  let server: StandaloneRedis | undefined;
  let client: Redis | undefined;
  beforeAll(async () => {
    server = await startStandaloneRedis(opts.reference ? { redisServer: referenceRedisServer() } : {});
    client = new Redis({ host: server.host, port: server.port, maxRetriesPerRequest: 0 });
    await client.ping();
  });
  afterAll(async () => {
    client?.disconnect();
    await server?.stop();
  });
  return () => {
    if (!client) throw new Error('redis-server not started yet (use it inside tests)');
    return client;
  };
}

/** The server's reply, or its error text (e.g. "ERR syntax error") when it answers with an error. */
export async function replyOrError(redis: Redis, args: readonly (string | Buffer)[]): Promise<unknown> {
  try {
    return await redis.call(args[0] as string, ...args.slice(1));
  } catch (error) {
    return { error: (error as Error).message };
  }
}
