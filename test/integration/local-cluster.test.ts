// Proves the local cluster launcher that every other integration test relies on: the shared cluster
// is usable, a dedicated one fails over and restarts on request, and no redis-server outlives its owner.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { findFreePort } from '../../scripts/dev/redis-server.js';
import { connectClusterClient, parseSeed, sharedClusterSeeds, useDedicatedCluster } from '../helpers/cluster-fixture.js';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

async function ask(port: number, ...args: string[]): Promise<unknown> {
  return askAs(undefined, port, ...args);
}

/** Like ask, signed in with `password` (none: not signed in). */
async function askAs(password: string | undefined, port: number, ...args: string[]): Promise<unknown> {
  // No ready check: it would turn a refused sign-in into 'Connection is closed'; the command says why.
  const redis = new Redis({ host: '127.0.0.1', port, password, lazyConnect: true, enableReadyCheck: false, maxRetriesPerRequest: 0, retryStrategy: () => null });
  redis.on('error', () => {});
  try {
    await redis.connect();
    return await redis.call(args[0]!, ...args.slice(1));
  } finally {
    redis.disconnect();
  }
}

/** True while the process exists and is not a zombie (an unreaped zombie is as dead as it gets). */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

async function waitUntilAllDead(pids: number[], timeoutMs = 10_000): Promise<number[]> {
  const deadline = Date.now() + timeoutMs;
  let alive = pids.filter(isAlive);
  while (alive.length > 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    alive = pids.filter(isAlive);
  }
  return alive;
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ host: '127.0.0.1', port, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

describe('shared cluster from global setup', () => {
  it('has six nodes, each saying cluster_state:ok', async () => {
    const seeds = sharedClusterSeeds();
    expect(seeds).toHaveLength(6);
    for (const seed of seeds) {
      expect(String(await ask(parseSeed(seed).port, 'CLUSTER', 'INFO'))).toMatch(/^cluster_state:ok\r$/m);
    }
  });

  it('covers every one of the 16384 slots exactly once', async () => {
    const slots = (await ask(parseSeed(sharedClusterSeeds()[0]!).port, 'CLUSTER', 'SLOTS')) as [number, number][];
    const owned = new Uint8Array(16384);
    for (const [start, end] of slots) for (let s = start; s <= end; s++) owned[s]!++;
    expect(owned.every((count) => count === 1)).toBe(true);
    expect(slots).toHaveLength(3); // three masters, one contiguous range each from redis-cli
  });

  it('stores and returns keys through an ioredis Cluster client', async () => {
    const client = connectClusterClient(sharedClusterSeeds());
    try {
      const suffix = `${process.pid}-${Date.now()}`;
      // Different keys land on different masters; 30 keys make missing all but one vanishingly unlikely.
      const keys = Array.from({ length: 30 }, (_, i) => `local-cluster-test:${i}:${suffix}`);
      for (const key of keys) await client.set(key, `value of ${key}`, 'EX', 60);
      for (const key of keys) expect(await client.get(key)).toBe(`value of ${key}`);
    } finally {
      client.disconnect();
    }
  });
});

/** CLUSTER SHARDS of one node as "port:role:health" per node, one sorted group per shard. */
async function shardsSeenBy(port: number): Promise<string[]> {
  const shards = (await ask(port, 'CLUSTER', 'SHARDS')) as unknown[][];
  return shards
    .map((shard) => {
      const nodes = shard[shard.indexOf('nodes') + 1] as unknown[][];
      return nodes
        .map((node) => {
          const field = (name: string) => node[node.indexOf(name) + 1];
          return `${field('port')}:${field('role')}:${field('health')}`;
        })
        .sort()
        .join(' ');
    })
    .sort();
}

describe('dedicated cluster', () => {
  const cluster = useDedicatedCluster({ masters: 3, replicasPerMaster: 1 });

  // Runs first, right after start: clients (slotgate's replica reads) must find every replica at once.
  it('is started only once every node lists all six nodes in the same shards, every one online', async () => {
    const views = await Promise.all(cluster().nodes.map((n) => shardsSeenBy(n.port)));
    const replicas = new Set(await cluster().replicaPorts());
    for (const view of views) {
      expect(view).toEqual(views[0]);
      expect(view).toHaveLength(3);
      const members = view.flatMap((shard) => shard.split(' '));
      expect(members.sort()).toEqual(
        cluster()
          .nodes.map((n) => `${n.port}:${replicas.has(n.port) ? 'replica' : 'master'}:online`)
          .sort(),
      );
    }
  });

  it('reports three masters and three replicas that together are all its nodes', async () => {
    const masters = await cluster().masterPorts();
    const replicas = await cluster().replicaPorts();
    expect(masters).toHaveLength(3);
    expect(replicas).toHaveLength(3);
    expect([...masters, ...replicas].sort()).toEqual(cluster().nodes.map((n) => n.port).sort());
    expect(cluster().seeds).toEqual(cluster().nodes.map((n) => `127.0.0.1:${n.port}`));
  });

  it('promotes the replica when a master is killed, and takes the master back as a replica', async () => {
    const [victim] = await cluster().masterPorts();
    const victimNode = cluster().nodes.find((n) => n.port === victim!)!;
    const oldPid = victimNode.pid;
    let heir: number | undefined;
    for (const port of await cluster().replicaPorts()) {
      if (String(await ask(port, 'INFO', 'replication')).includes(`master_port:${victim}\r`)) heir = port;
    }
    expect(heir).toBeDefined();

    await cluster().killNode(victim!);
    expect(isAlive(oldPid)).toBe(false);
    await cluster().waitForClusterOk(30_000);
    const mastersAfterKill = await cluster().masterPorts();
    expect(mastersAfterKill).toContain(heir);
    expect(mastersAfterKill).not.toContain(victim);

    const client = connectClusterClient(cluster().seeds.filter((s) => parseSeed(s).port !== victim));
    try {
      await client.set('after-failover', 'still writable');
      expect(await client.get('after-failover')).toBe('still writable');
    } finally {
      client.disconnect();
    }

    await cluster().restartNode(victim!);
    expect(victimNode.pid).not.toBe(oldPid);
    expect(isAlive(victimNode.pid)).toBe(true);
    await cluster().waitForClusterOk(30_000);
    expect(await cluster().replicaPorts()).toContain(victim);
    expect(await cluster().masterPorts()).toEqual(mastersAfterKill);
  });

  it('stop() kills every process and removes the directory, and may be called again', async () => {
    const pids = cluster().nodes.map((n) => n.pid);
    expect(pids.filter(isAlive)).toHaveLength(6);
    expect(existsSync(cluster().dir)).toBe(true);
    await cluster().stop();
    expect(pids.filter(isAlive)).toEqual([]);
    expect(existsSync(cluster().dir)).toBe(false);
    await expect(cluster().stop()).resolves.toBeUndefined();
  });
});

describe('dedicated cluster with a password', () => {
  const PASSWORD = 'Harness#First1';
  const ROTATED = 'Harness#Rotated2';
  const cluster = useDedicatedCluster({ masters: 3, replicasPerMaster: 1, auth: { password: PASSWORD } });

  it('refuses clients without the password, and its replicas signed in to their masters', async () => {
    const port = cluster().nodes[0]!.port;
    await expect(ask(port, 'PING')).rejects.toThrow(/NOAUTH/);
    expect(await askAs(PASSWORD, port, 'PING')).toBe('PONG');
    const replicas = await cluster().replicaPorts();
    expect(replicas).toHaveLength(3);
    for (const replica of replicas) expect(String(await askAs(PASSWORD, replica, 'INFO', 'replication'))).toMatch(/^master_link_status:up\r$/m);
  });

  it('after the nodes change their password, useAuth lets it query, restart a node and wait for the cluster', async () => {
    for (const node of cluster().nodes) {
      await askAs(PASSWORD, node.port, 'CONFIG', 'SET', 'masterauth', ROTATED);
      await askAs(PASSWORD, node.port, 'CONFIG', 'SET', 'requirepass', ROTATED);
    }
    cluster().useAuth({ password: ROTATED });
    const [replica] = await cluster().replicaPorts();
    await cluster().killNode(replica!);
    await cluster().restartNode(replica!);
    await cluster().waitForClusterOk(30_000);
    // The restarted replica was started with the new password, and signed in to its master with it.
    await expect(ask(replica!, 'AUTH', PASSWORD)).rejects.toThrow(/WRONGPASS/);
    expect(String(await askAs(ROTATED, replica!, 'INFO', 'replication'))).toMatch(/^master_link_status:up\r$/m);
  });
});

describe('findFreePort', () => {
  it('returns a port below 55000 whose cluster bus port (+10000) is free too', async () => {
    const port = await findFreePort();
    expect(port).toBeLessThan(55000);
    expect(await canListen(port)).toBe(true);
    expect(await canListen(port + 10000)).toBe(true);
  });

  it('does not hand out the same port twice in a burst', async () => {
    const ports = await Promise.all(Array.from({ length: 10 }, () => findFreePort()));
    expect(new Set(ports).size).toBe(10);
  });
});

describe('leak protection', () => {
  // A script that starts a cluster and never calls stop(): the launcher's own hooks must clean up.
  async function runLeakyScript(ending: 'process.exit' | 'SIGTERM'): Promise<{ pids: number[]; dir: string }> {
    const scratch = await mkdtemp(join(tmpdir(), 'slotgate-leak-test-'));
    try {
      const script = join(scratch, 'leaky.mts'); // .mts: ESM (top-level await) outside any package.json
      const launcher = join(repoRoot, 'scripts/dev/local-cluster.ts');
      await writeFile(
        script,
        [
          `import { startLocalCluster } from ${JSON.stringify(launcher)};`,
          `const cluster = await startLocalCluster({ masters: 3, replicasPerMaster: 0 });`,
          `console.log('CLUSTER ' + JSON.stringify({ pids: cluster.nodes.map((n) => n.pid), dir: cluster.dir }));`,
          ending === 'process.exit' ? `process.exit(0);` : `setInterval(() => {}, 1000);`,
        ].join('\n'),
      );
      // Run the way `npm run dev` runs the harness: plain node with the tsx loader.
      const child = spawn(process.execPath, ['--import', 'tsx', script], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      const deadline = Date.now() + 60_000;
      while (!/^CLUSTER .*$/m.test(stdout) && child.exitCode === null && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      const line = /^CLUSTER (.*)$/m.exec(stdout);
      if (!line) {
        child.kill('SIGKILL');
        throw new Error(`leaky script did not report its cluster:\n${stdout}\n${stderr}`);
      }
      if (ending === 'SIGTERM') child.kill('SIGTERM');
      await exited;
      return JSON.parse(line[1]!) as { pids: number[]; dir: string };
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  }

  it.each(['process.exit', 'SIGTERM'] as const)('leaves no redis-server behind when the owner ends by %s', async (ending) => {
    const { pids, dir } = await runLeakyScript(ending);
    expect(pids).toHaveLength(3);
    expect(await waitUntilAllDead(pids)).toEqual([]);
    expect(existsSync(dir)).toBe(false);
  });
});
