// No session outlives its socket (issue #17): whatever state a client is in when its connection
// ends, nothing of it stays in slotgate (its session, its place under maxclients) or on the nodes
// (its blocked commands, its own backend connections).
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { useDedicatedCluster } from '../helpers/cluster-fixture.js';
import { findFreePort } from '../../scripts/dev/redis-server.js';
import { RawClient, startProxy, type StartedProxy } from '../helpers/slotgate.js';
import { waitUntil } from '../helpers/wait-until.js';
import { Random } from '../helpers/fuzz/random.js';
import { RespError, type RespValue } from '../../src/protocol/reply-parser.js';

function errorText(reply: RespValue): string {
  return reply instanceof RespError ? reply.message : `not an error: ${String(reply)}`;
}

/**
 * Redis frees a client the moment its connection ends; slotgate promises the same within this
 * bound (events, not timing: a close is seen as a read of EOF).
 */
const RELEASE_MS = 1000;

/** Frames Redis answers with a protocol error and then closes the connection. */
const MALFORMED: Record<string, string> = {
  'negative bulk length': '*1\r\n$-5\r\n',
  'invalid bulk length': '*1\r\n$abc\r\n',
  'invalid multibulk length': '*abc\r\n',
  'unbalanced quotes': 'SET "a b\r\n',
  'too big inline request': 'x'.repeat(70 * 1024),
  'bulk over proto-max-bulk-len': '*2\r\n$3\r\nGET\r\n$2000000\r\n',
};

/** Sum of an INFO field over every node of the cluster. */
async function infoSum(ports: number[], field: string): Promise<number> {
  let sum = 0;
  for (const port of ports) {
    const node = new Redis({ port, host: '127.0.0.1', lazyConnect: true, enableReadyCheck: false });
    await node.connect();
    const info = await node.info('clients');
    node.disconnect();
    const match = new RegExp(`^${field}:(\\d+)`, 'm').exec(info);
    // The probe's own connection counts in connected_clients.
    sum += Number(match?.[1] ?? 0) - (field === 'connected_clients' ? 1 : 0);
  }
  return sum;
}

/** Shard channels matching `pattern` that some connection subscribes to, over every node. */
async function upstreamShardChannels(ports: number[], pattern: string): Promise<number> {
  let count = 0;
  for (const port of ports) {
    const node = new Redis({ port, host: '127.0.0.1' });
    count += ((await node.call('PUBSUB', 'SHARDCHANNELS', pattern)) as string[]).length;
    node.disconnect();
  }
  return count;
}

async function sendAndCut(port: number, bytes: string, mode: 'destroy' | 'end'): Promise<void> {
  const socket = net.connect({ port, host: '127.0.0.1' });
  // A connect that fails (the machine out of ports, a refused connection) fails the test with its
  // cause instead of leaving it waiting for a 'connect' that never comes. Errors after it are
  // slotgate closing on the malformed frame, which is the point.
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('error', (err) => reject(new Error(`connect to slotgate failed: ${err.message}`)));
  });
  socket.on('error', () => undefined);
  socket.write(bytes);
  await new Promise((r) => setTimeout(r, 20));
  if (mode === 'destroy') socket.destroy();
  else {
    // Half-close, then read to the end like a client reading the error: the socket is freed once
    // slotgate's side ends. (Unread, Node never sees that end, and the test's own descriptors ran
    // out after some 60,000 connections: 1,038 left open per 3,000, none of them slotgate's.)
    socket.end();
    socket.resume();
  }
}

describe('session lifecycle: no session outlives its socket', () => {
  const cluster = useDedicatedCluster();
  /** `tight` has room for three clients: three leaked sessions lock everyone out. */
  let tight: StartedProxy;
  let proxy: StartedProxy;
  let ports: number[];

  beforeAll(async () => {
    tight = await startProxy(cluster().seeds, ['--maxclients', '3', '--proto-max-bulk-len', '1mb']);
    proxy = await startProxy(cluster().seeds);
    ports = cluster().nodes.map((n) => n.port);
  });
  afterAll(async () => {
    await tight?.close();
    await proxy?.close();
  });

  const sessions = () => proxy.handle.sessions.size;

  for (const [name, bytes] of Object.entries(MALFORMED)) {
    it(`a ${name} gets Redis's error, the connection is closed by slotgate, and the client's slot under maxclients is free again`, async () => {
      // Three such clients fill maxclients 3 if their sessions stay.
      for (let i = 0; i < 3; i++) {
        const c = await RawClient.connect(tight.port);
        c.write(bytes);
        const reply = await c.next();
        expect(errorText(reply)).toMatch(/^ERR Protocol error/);
        // The client keeps its side open; slotgate closes the connection all the same.
        expect(await c.closedWithin(RELEASE_MS)).toBe(true);
        c.close();
      }
      await waitUntil(() => tight.handle.sessions.size === 0, RELEASE_MS, 'the sessions to be released');
      const client = tight.client({ lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
      await client.connect();
      expect(await client.ping()).toBe('PONG');
      client.disconnect();
      await waitUntil(() => tight.handle.sessions.size === 0, RELEASE_MS, 'the probe session to be released');
    });
  }

  it('a flood of malformed frames from many short connections never locks a well-behaved client out', async () => {
    // Twice maxclients at a time, closing or not after the error; after every wave a client gets in.
    const total = Number(process.env.MALFORMED_FUZZ_CONNECTIONS ?? 600);
    const rng = new Random(Number(process.env.MALFORMED_FUZZ_SEED ?? 17));
    const frames = Object.values(MALFORMED);
    const probe = async (): Promise<void> => {
      const c = await RawClient.connect(tight.port);
      try {
        expect(await c.call('PING')).toBe('PONG');
      } finally {
        c.close();
      }
    };
    for (let sent = 0; sent < total; sent += 6) {
      await Promise.all(
        Array.from({ length: 6 }, async () => {
          const frame = rng.pick(frames);
          // A random cut of the frame, and garbage bytes after it: still one protocol error.
          const bytes = frame.slice(0, rng.int(1, frame.length)) + (rng.chance(0.5) ? '\x00\xff*-1\r\n$x\r\n' : '');
          await sendAndCut(tight.port, rng.chance(0.5) ? frame : bytes, rng.chance(0.5) ? 'destroy' : 'end');
        }),
      );
      await waitUntil(() => tight.handle.sessions.size === 0, RELEASE_MS, `the wave's sessions to be released (${tight.handle.sessions.size} left)`);
      if (sent % 60 === 0) await probe();
    }
    await probe();
    await waitUntil(() => tight.handle.sessions.size === 0, RELEASE_MS, 'every session to be released');
  });

  for (const [name, command] of [
    ['BLPOP k 0', ['BLPOP', 'life:list', '0']],
    ['XREAD BLOCK 0', ['XREAD', 'BLOCK', '0', 'STREAMS', 'life:stream', '$']],
    ['BRPOPLPUSH k d 0', ['BRPOPLPUSH', '{life}:src', '{life}:dst', '0']],
  ] as const) {
    it(`a client that disconnects while blocked in ${name} leaves no session and nothing blocked on the nodes`, async () => {
      // A first cycle opens the shared connections slotgate keeps (by protocol, round-robin)
      // before the nodes' connections are counted.
      await blockedCycle(command, 3);
      const before = await infoSum(ports, 'connected_clients');
      await blockedCycle(command, 3);
      expect(await infoSum(ports, 'connected_clients')).toBeLessThanOrEqual(before);
    });
  }

  /** `count` clients block in `command`, are seen blocked by the nodes and by slotgate, and disconnect. */
  async function blockedCycle(command: readonly string[], count: number): Promise<void> {
    const admin = proxy.client({ maxRetriesPerRequest: 0 });
    const clients: RawClient[] = [];
    try {
      for (let i = 0; i < count; i++) {
        const c = await RawClient.connect(proxy.port);
        clients.push(c);
        c.command(...command);
      }
      // Reported blocked once the node holds the command (INFO blocked_clients, CLIENT LIST b).
      await waitUntil(async () => (await infoSum(ports, 'blocked_clients')) === count, 10_000, `the nodes to hold ${count} blocked commands`);
      const reported = new RegExp(`^blocked_clients:${count}\\r?$`, 'm');
      await waitUntil(async () => reported.test(await admin.info('clients')), 10_000, `slotgate to report ${count} blocked clients`);
    } finally {
      admin.disconnect();
      for (const c of clients) c.close();
    }
    await waitUntil(() => sessions() === 0, RELEASE_MS, 'the blocked sessions to be released');
    await waitUntil(async () => (await infoSum(ports, 'blocked_clients')) === 0, RELEASE_MS, 'the nodes to free the blocked commands');
  }

  it('after a protocol error, a client that goes on sending is still closed and released', async () => {
    const c = await RawClient.connect(proxy.port);
    c.write('*1\r\n$-5\r\n');
    const flood = setInterval(() => c.socket.write('PING\r\n'.repeat(1000)), 1);
    try {
      expect(errorText(await c.next())).toMatch(/^ERR Protocol error/);
      expect(await c.closedWithin(RELEASE_MS)).toBe(true);
    } finally {
      clearInterval(flood);
      c.close();
    }
    await waitUntil(() => sessions() === 0, RELEASE_MS, 'the session to be released');
  });

  it('a client held back by its in-flight window is released when it disconnects', async () => {
    const writer = proxy.client({ maxRetriesPerRequest: 0 });
    await writer.set('life:big', 'v'.repeat(512 * 1024));
    writer.disconnect();
    const socket = net.connect({ port: proxy.port, host: '127.0.0.1' });
    socket.on('error', () => undefined);
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    socket.pause(); // reads nothing: its replies pile up and slotgate holds its requests back
    socket.write('*2\r\n$3\r\nGET\r\n$8\r\nlife:big\r\n'.repeat(4000));
    await new Promise((r) => setTimeout(r, 300));
    socket.destroy();
    await waitUntil(() => sessions() === 0, RELEASE_MS, 'the held-back session to be released');
  });

  it('RESET ends MONITOR, as in Redis 6.2+: the feed stops, and the client runs commands again', async () => {
    const monitor = await RawClient.connect(proxy.port);
    const other = await RawClient.connect(proxy.port);
    try {
      expect(await monitor.call('MONITOR')).toBe('OK');
      expect(await monitor.call('RESET')).toBe('RESET');
      await other.call('SET', 'life:after-monitor', 'v');
      expect(String(await monitor.call('GET', 'life:after-monitor'))).toBe('v');
      expect(String(await other.call('CLIENT', 'LIST'))).not.toMatch(/flags=O/);
    } finally {
      monitor.close();
      other.close();
    }
  });

  it('a client cut half-way through a frame, or with its write side shut, is released', async () => {
    await sendAndCut(proxy.port, '*3\r\n$3\r\nSET\r\n$1\r\na', 'destroy');
    await sendAndCut(proxy.port, '*3\r\n$3\r\nSET\r\n$1\r\na', 'end');
    await waitUntil(() => sessions() === 0, RELEASE_MS, 'the sessions to be released');
  });
});

describe('session lifecycle: random short lives leave nothing behind', () => {
  const cluster = useDedicatedCluster();
  let proxy: StartedProxy;
  let ports: number[];
  const LIVES = Number(process.env.SESSION_FUZZ_LIVES ?? 120);
  const SEED = Number(process.env.SESSION_FUZZ_SEED ?? 20261206);

  beforeAll(async () => {
    // One shared connection per node and protocol, so the warm-up below opens every one there is.
    proxy = await startProxy(cluster().seeds, ['--maxclients', '64', '--backend-connections', '1', '--admin-port', String(await findFreePort())]);
    ports = cluster().nodes.map((n) => n.port);
  });
  afterAll(async () => {
    await proxy?.close();
  });

  /** What a client does before it is cut: each a state Redis can free a client in. */
  const LIVES_BY_KIND: Record<string, (key: string) => string[][]> = {
    pipeline: (k) => Array.from({ length: 200 }, (_, i) => (i % 2 ? ['GET', `${k}:${i}`] : ['SET', `${k}:${i}`, 'v'])),
    blpop: (k) => [['BLPOP', k, '0']],
    xread: (k) => [['XREAD', 'BLOCK', '0', 'STREAMS', k, '$']],
    subscribe: (k) => [['SUBSCRIBE', k]],
    psubscribe: (k) => [['PSUBSCRIBE', `${k}*`]],
    ssubscribe: (k) => [['SSUBSCRIBE', k]],
    monitor: () => [['MONITOR']],
    multi: (k) => [['MULTI'], ['SET', k, 'v']],
    watch: (k) => [['WATCH', k], ['GET', k]],
    hello3: (k) => [['HELLO', '3'], ['GET', k], ['BLPOP', k, '0']],
    'blocked-behind-pipeline': (k) => [['SET', `${k}:a`, 'v'], ['BLPOP', k, '0'], ['GET', `${k}:a`]],
  };
  const RAW_LIVES: Record<string, string> = {
    malformed: '*1\r\n$-5\r\n',
    'half-sent': '*3\r\n$3\r\nSET\r\n$4\r\nhalf\r\n$10\r\nabc',
    quit: 'PING\r\nQUIT\r\n',
  };

  /**
   * Opens every connection slotgate shares between clients and keeps (per node and protocol, the
   * pub/sub links, one per master for shard channels, the spare for the next blocking command), so that the nodes' count of connections
   * afterwards is the baseline: what a gone client leaves would come on top of it.
   */
  async function openSharedConnections(): Promise<void> {
    const keys = Array.from({ length: 30 }, (_, i) => `warm:${i}`);
    for (const protocol of ['2', '3']) {
      const c = await RawClient.connect(proxy.port);
      await c.call('HELLO', protocol);
      for (const key of keys) await c.call('GET', key);
      // The connection kept open for each node's next blocking command (backend/blocking-spares.ts).
      for (const key of keys) await c.call('BLPOP', key, '0.01');
      // (RawClient reads no RESP3 pushes: the subscriptions are watched on the nodes instead.)
      for (const key of keys) c.command('SSUBSCRIBE', key);
      c.command('SUBSCRIBE', 'warm');
      c.command('PSUBSCRIBE', 'warm*');
      await waitUntil(async () => (await upstreamShardChannels(ports, 'warm:*')) === keys.length, 10_000, 'the shard subscriptions to reach the masters');
      c.close();
      const monitor = await RawClient.connect(proxy.port);
      await monitor.call('HELLO', protocol);
      await monitor.call('MONITOR');
      monitor.close();
    }
    await waitUntil(() => proxy.handle.sessions.size === 1, RELEASE_MS, 'the warm-up sessions to end');
  }

  it('after random lives cut at random points, 0 sessions remain and the nodes hold what they held before', async () => {
    const rng = new Random(SEED);
    const random = (): number => rng.next();
    const kinds = [...Object.keys(LIVES_BY_KIND), ...Object.keys(RAW_LIVES)];
    const plain = proxy.client({ maxRetriesPerRequest: 0 });
    await plain.get('warm');
    let life = 0;
    const runLife = async (): Promise<void> => {
      const n = life++;
      const kind = kinds[Math.floor(random() * kinds.length)]!;
      const key = `life:${SEED}:${n}`;
      const socket = net.connect({ port: proxy.port, host: '127.0.0.1' });
      socket.on('error', () => undefined);
      socket.on('data', () => undefined);
      await new Promise<void>((resolve) => {
        socket.once('connect', () => resolve());
        socket.once('close', () => resolve());
      });
      const raw = RAW_LIVES[kind];
      const bytes = raw ?? LIVES_BY_KIND[kind]!(key).map((args) => `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`).join('');
      // Cut at a random point: before, inside or after what it sends, at a random time.
      const cutAt = Math.floor(random() * (bytes.length + 1));
      socket.write(bytes.slice(0, cutAt));
      if (random() < 0.7) socket.write(bytes.slice(cutAt));
      await new Promise((r) => setTimeout(r, Math.floor(random() * 60)));
      if (random() < 0.5) socket.destroy();
      else socket.end(() => socket.destroy());
    };
    const runLives = async (count: number): Promise<void> => {
      for (let i = 0; i < count; i += 8) await Promise.all(Array.from({ length: Math.min(8, count - i) }, runLife));
    };
    await openSharedConnections();
    const before = await infoSum(ports, 'connected_clients');
    await runLives(LIVES);
    await waitUntil(() => proxy.handle.sessions.size === 1, RELEASE_MS, `every cut session to be released (${proxy.handle.sessions.size - 1} left)`);
    await waitUntil(async () => (await infoSum(ports, 'blocked_clients')) === 0, RELEASE_MS, 'the nodes to hold no blocked command');
    await waitUntil(async () => (await infoSum(ports, 'connected_clients')) <= before, RELEASE_MS, 'the nodes to hold no connection of a gone client');
    expect(await plain.ping()).toBe('PONG');
    // Every view of the clients agrees with the one socket still open.
    expect(await plain.info('clients')).toMatch(/^connected_clients:1\r?$/m);
    expect(String(await plain.client('LIST')).trim().split('\n')).toHaveLength(1);
    const admin = `http://127.0.0.1:${proxy.handle.adminPort}`;
    expect(await (await fetch(`${admin}/metrics`)).text()).toMatch(/^slotgate_client_connections 1$/m);
    const listed = (await (await fetch(`${admin}/v1/clients`)).json()) as { clients?: unknown[] };
    expect(listed.clients).toHaveLength(1);
    plain.disconnect();
  });
});
