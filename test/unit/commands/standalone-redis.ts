// One throw-away standalone redis-server per test file: free loopback port, own temp dir, no
// persistence, killed in afterAll. The commands tests use it as their oracle (COMMAND GETKEYS,
// real error replies), so expected values come from Redis, not from the code under test.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import Redis from 'ioredis';

function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

async function connectWhenReady(port: number, child: ChildProcess): Promise<Redis> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`redis-server exited with code ${child.exitCode}`);
    const client = new Redis({ host: '127.0.0.1', port, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    client.on('error', () => {}); // refused while starting; connect() rejects as well
    try {
      await client.connect();
      await client.ping();
      return client;
    } catch (error) {
      client.disconnect();
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

/** Starts the server in beforeAll; the getter returns a connected client once it runs. */
export function useStandaloneRedis(): () => Redis {
  let child: ChildProcess | undefined;
  let client: Redis | undefined;
  let workDir: string | undefined;
  beforeAll(async () => {
    const port = await findFreePort();
    workDir = mkdtempSync(join(tmpdir(), 'slotgate-commands-test-'));
    child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', workDir], {
      stdio: 'ignore',
    });
    client = await connectWhenReady(port, child);
  });
  afterAll(() => {
    client?.disconnect();
    child?.kill('SIGKILL');
    if (workDir) rmSync(workDir, { recursive: true, force: true });
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
