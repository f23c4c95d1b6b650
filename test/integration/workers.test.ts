// --workers N: several processes share the client port; the primary aggregates metrics, replaces dead
// workers and stops them all. Runs the built program (dist/), as users do.
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { sharedClusterSeeds } from '../helpers/cluster-fixture.js';
import { metricLintProblems } from '../helpers/metric-lint.js';
import { startSlotgateProcess } from '../helpers/slotgate-cli.js';
import { waitUntil } from '../helpers/wait-until.js';


function childrenOf(pid: number): number[] {
  const children: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      // the command name (field 2) may contain spaces; fields after the closing paren are fixed
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid && !stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) children.push(Number(entry));
    } catch {
      // the process ended while we looked
    }
  }
  return children;
}

function socketCount(pid: number): number {
  try {
    return fs.readdirSync(`/proc/${pid}/fd`).filter((fd) => {
      try {
        return fs.readlinkSync(`/proc/${pid}/fd/${fd}`).startsWith('socket:');
      } catch {
        return false;
      }
    }).length;
  } catch {
    return 0;
  }
}

/** The status line of the answer to a raw HTTP request ('' when the connection closes without one). */
function rawStatusLine(port: number, request: string): Promise<string> {
  return new Promise((resolve) => {
    let answer = '';
    const socket = net.connect(port, '127.0.0.1', () => socket.write(request));
    socket.on('data', (chunk) => (answer += chunk.toString('latin1')));
    socket.on('error', () => undefined); // a crashed server resets the connection: the empty answer says it
    socket.on('close', () => resolve(answer.split('\r\n')[0]!));
  });
}

const ADMIN_TOKEN = 'workers-admin-token';
const authed = { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } };

describe('worker processes', () => {
  let primary: ChildProcess;
  let port: number;
  let adminPort: number;
  const clients: Redis[] = [];

  beforeAll(async () => {
    const started = await startSlotgateProcess(['--workers', '2', '--cluster', sharedClusterSeeds().join(','), '--log-level', 'info'], { SLOTGATE_ADMIN_TOKEN: ADMIN_TOKEN }, '"msg":"all workers listening"');
    primary = started.child;
    port = started.port;
    adminPort = started.adminPort;
    await waitUntil(async () => {
      const probe = new Redis({ port, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
      probe.on('error', () => undefined); // refused until the workers listen
      try {
        await probe.connect();
        return (await probe.ping()) === 'PONG';
      } catch {
        return false;
      } finally {
        probe.disconnect();
      }
    }, 30_000, 'slotgate workers to answer');
    await waitUntil(() => childrenOf(primary.pid!).length === 2, 10_000, 'two workers');
  });
  afterAll(async () => {
    for (const c of clients) c.disconnect();
    if (primary && primary.exitCode === null) primary.kill('SIGKILL');
  });

  it('spreads client connections over the workers and serves them all', async () => {
    const workers = childrenOf(primary.pid!);
    const before = workers.map(socketCount);
    for (let i = 0; i < 24; i++) clients.push(new Redis({ port, maxRetriesPerRequest: 1 }));
    for (const [i, c] of clients.entries()) {
      expect(await c.set(`workers:${i}`, String(i))).toBe('OK');
      expect(await clients[(i + 1) % clients.length]!.get(`workers:${i}`)).toBe(String(i));
    }
    const after = workers.map(socketCount);
    // every worker took some of the new client connections
    after.forEach((count, i) => expect(count - before[i]!).toBeGreaterThan(0));
  });

  it('adds up every worker in /metrics and passes other admin calls to a worker', async () => {
    const metrics = await (await fetch(`http://127.0.0.1:${adminPort}/metrics`, authed)).text();
    const connections = Number(/^slotgate_client_connections (\d+)/m.exec(metrics)?.[1]);
    expect(connections).toBeGreaterThanOrEqual(clients.length);
    // Node's process metrics under their standard names, added up over the workers
    expect(metrics).toMatch(/^process_cpu_seconds_total \d/m);
    expect(metrics).toMatch(/^nodejs_heap_size_used_bytes \d/m);
    // Added up, but still 1: one slotgate build runs, however many workers.
    expect(metrics).toMatch(/^slotgate_build_info\{version="[^"]+",node_version="v[^"]+"\} 1$/m);
    // What `promtool check metrics` checks of names and types holds for the workers' sum too.
    expect(metricLintProblems(metrics)).toEqual([]);
    const topology = (await (await fetch(`http://127.0.0.1:${adminPort}/v1/topology`, authed)).json()) as { shards: unknown[] };
    expect(topology.shards).toHaveLength(3);
    const reload = await fetch(`http://127.0.0.1:${adminPort}/v1/reload`, { method: 'POST', ...authed });
    expect(reload.status).toBe(200);
  });

  it('adds up every worker in /v1/stats and asks the primary\'s callers for the admin token', async () => {
    const top = (await (await fetch(`http://127.0.0.1:${adminPort}/v1/stats/top-commands?limit=100`, authed)).json()) as { by_count: { command: string; count: number }[] };
    // the first test's 24 SETs went through both workers
    expect(top.by_count.find((r) => r.command === 'set')?.count).toBe(24);
    for (const path of ['/metrics', '/v1/topology', '/v1/stats/hot-keys']) {
      const res = await fetch(`http://127.0.0.1:${adminPort}${path}`);
      expect(res.status, path).toBe(401);
      expect(await res.json()).toEqual({ error_code: 'Unauthorized', error_msg: expect.any(String) });
    }
    expect((await fetch(`http://127.0.0.1:${adminPort}/v1/reload`, { method: 'POST' })).status).toBe(401);
    expect((await fetch(`http://127.0.0.1:${adminPort}/healthz`)).status).toBe(200);
  });

  it('answers a request target that is no URL with 400, and the primary keeps serving', async () => {
    expect(await rawStatusLine(adminPort, 'GET http://[ HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n')).toBe('HTTP/1.1 400 Bad Request');
    expect((await fetch(`http://127.0.0.1:${adminPort}/livez`)).status).toBe(200);
  });

  it('replaces a worker that dies, and stops every worker on SIGTERM', async () => {
    const [victim] = childrenOf(primary.pid!);
    process.kill(victim!, 'SIGKILL');
    await waitUntil(() => {
      const now = childrenOf(primary.pid!);
      return now.length === 2 && !now.includes(victim!);
    }, 15_000, 'a replacement worker');
    const fresh = new Redis({ port, maxRetriesPerRequest: 1 });
    clients.push(fresh);
    expect(await fresh.ping()).toBe('PONG');
    // The primary counts the replacement (its /metrics times out while the new worker still loads).
    let restarts: string | undefined;
    await waitUntil(async () => {
      const response = await fetch(`http://127.0.0.1:${adminPort}/metrics`, authed);
      restarts = /^slotgate_worker_restarts_total (\d+)/m.exec(await response.text())?.[1];
      return response.status === 200;
    }, 20_000, 'the primary to serve /metrics again');
    expect(restarts).toBe('1');
    const workers = childrenOf(primary.pid!);
    const exited = new Promise<number | null>((resolve) => primary.once('exit', (code) => resolve(code)));
    primary.kill('SIGTERM');
    expect(await exited).toBe(0);
    await waitUntil(() => workers.every((pid) => !fs.existsSync(`/proc/${pid}`) || fs.readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z')), 10_000, 'workers to exit');
  });
});
