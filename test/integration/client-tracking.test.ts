// Client-side caching through slotgate (CLIENT TRACKING): each mode's conversation, byte for byte,
// against a real redis-server's, then what only a cluster has (keys on every master, writes made
// on the nodes directly, a lost tracking connection) and the table's bound. Keys of one
// conversation share a hash tag, so their invalidations come from one master in order, as from
// the one redis-server.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useDedicatedCluster } from '../helpers/cluster-fixture.js';
import { backendNodes, type BackendNodes } from '../helpers/backend-nodes.js';
import { RawClient, startProxy, type StartedProxy } from '../helpers/slotgate.js';
import { startStandaloneRedis, type StandaloneRedis } from '../../scripts/dev/redis-server.js';

/** A step: who sends what; `$id:s` in an argument is replaced by the CLIENT ID of connection s. */
type Step = readonly [who: string, ...args: string[]];

const PUSH = 0x3e;
/** How long a conversation waits for more frames once it has what it expects (only extra frames could come). */
const SETTLE_MS = 150;

/**
 * Runs `steps` on `port` and returns, per step, every frame each connection received because of
 * it (replies and pushes, as latin1 text; client ids shown as <id:name>). `expected`: the frames
 * another server gave for each step: as many are waited for before settling.
 */
async function transcript(port: number, steps: readonly Step[], expected?: readonly (readonly string[])[]): Promise<string[][]> {
  const conns = new Map<string, RawClient>();
  const ids = new Map<string, string>();
  const out: string[][] = [];
  const conn = async (who: string) => {
    let c = conns.get(who);
    if (!c) {
      c = await RawClient.connect(port);
      c.keepPushes = true;
      conns.set(who, c);
      const id = String(await c.call('CLIENT', 'ID'));
      ids.set(who, id);
    }
    return c;
  };
  try {
    for (const [i, [who, ...args]] of steps.entries()) {
      const frames: string[] = [];
      const shown = (frame: Buffer, from: string) => {
        let text = frame.toString('latin1');
        for (const [name, id] of ids) text = text.replace(new RegExp(`:${id}\\r\\n`, 'g'), `:<id:${name}>\r\n`);
        frames.push(`${from}: ${text}`);
      };
      if (who === 'close') {
        conns.get(args[0]!)!.close();
        conns.delete(args[0]!);
        await new Promise((r) => setTimeout(r, 50));
        out.push(frames);
        continue;
      }
      const c = await conn(who);
      c.command(...args.map((a) => (a.startsWith('$id:') ? ids.get(a.slice(4))! : a)));
      // The reply, after any pushes that came first.
      for (;;) {
        const frame = await c.nextFrame();
        // HELLO's reply says which server it is (version, mode): not the subject here.
        if (args[0] === 'HELLO' && frame[0] === 0x25) frames.push(`${who}: <hello>`);
        else shown(frame, who);
        if (frame[0] !== PUSH || args[0] === 'SUBSCRIBE') break;
      }
      // Then whatever the others get from it: as many frames as the oracle gave, then nothing more for a while.
      const want = expected?.[i]?.length ?? 0;
      await collect(conns, shown, frames, want);
      // Per connection, in order; the order between connections is the network's, not the server's.
      out.push(frames.sort((a, b) => a.slice(0, a.indexOf(':')).localeCompare(b.slice(0, b.indexOf(':')))));
    }
  } finally {
    for (const c of conns.values()) c.close();
  }
  return out;
}

async function collect(conns: Map<string, RawClient>, shown: (f: Buffer, from: string) => void, frames: string[], want: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const waits = [...conns].map(([name, c]) => c.nextFrame(SETTLE_MS).then((f) => [name, f] as const, () => null));
    const got = (await Promise.all(waits)).filter((x) => x !== null);
    for (const [name, frame] of got) shown(frame, name);
    if (got.length === 0 && (frames.length >= want || Date.now() > deadline)) return;
  }
}

describe('CLIENT TRACKING through slotgate, against redis-server', () => {
  const cluster = useDedicatedCluster({ replicasPerMaster: 0 });
  let redis: StandaloneRedis;
  let proxy: StartedProxy;
  let backend: BackendNodes;

  beforeAll(async () => {
    redis = await startStandaloneRedis();
    proxy = await startProxy(cluster().seeds, ['--tracking-table-max-keys', '100']);
    backend = await backendNodes(cluster().seeds);
  });
  afterAll(async () => {
    await proxy?.close();
    await redis?.stop();
    backend?.close();
  });

  /** The same conversation on redis-server and through slotgate gives the same bytes. */
  async function sameAsRedis(steps: readonly Step[]): Promise<string[][]> {
    await backend.masters[0]!.client.call('FLUSHALL'); // whatever the others left
    const oracle = await transcript(redis.port, [['w', 'FLUSHALL'], ...steps]);
    const through = await transcript(proxy.port, [['w', 'FLUSHALL'], ...steps], oracle);
    expect(through.slice(1)).toEqual(oracle.slice(1));
    return oracle.slice(1);
  }

  it('default mode: the keys read, each invalidated once; MGET; FLUSHALL as one null invalidation', async () => {
    const log = await sameAsRedis([
      ['r', 'HELLO', '3', 'SETNAME', 'reader'],
      ['r', 'CLIENT', 'TRACKING', 'ON'],
      ['r', 'GET', '{t}a'],
      ['r', 'MGET', '{t}b', '{t}c'],
      ['w', 'SET', '{t}a', '1'],
      ['w', 'SET', '{t}a', '2'],
      ['w', 'DEL', '{t}c'],
      ['w', 'SET', '{t}c', '1'],
      ['r', 'CLIENT', 'TRACKINGINFO'],
      ['r', 'CLIENT', 'GETREDIR'],
      ['r', 'GET', '{t}a'],
      ['w', 'FLUSHALL'],
      ['r', 'CLIENT', 'TRACKING', 'OFF'],
      ['r', 'GET', '{t}b'],
      ['w', 'SET', '{t}b', '1'],
      ['r', 'CLIENT', 'TRACKINGINFO'],
    ]);
    expect(log[4]).toContain('r: >2\r\n$10\r\ninvalidate\r\n*1\r\n$4\r\n{t}a\r\n');
    expect(log[11]).toContain('r: >2\r\n$10\r\ninvalidate\r\n_\r\n');
  });

  it('BCAST with prefixes: every write of a matching key, one push per prefix', async () => {
    await sameAsRedis([
      ['r', 'HELLO', '3', 'SETNAME', 'reader'],
      ['r', 'CLIENT', 'TRACKING', 'ON', 'BCAST', 'PREFIX', '{t}b', 'PREFIX', '{t}a'],
      ['w', 'SET', '{t}a1', 'x'],
      ['w', 'SET', '{t}c', 'x'],
      ['w', 'MSET', '{t}b2', '1', '{t}a2', '2', '{t}c2', '3'],
      ['r', 'CLIENT', 'TRACKING', 'ON', 'BCAST', 'PREFIX', '{t}bc'],
      ['r', 'CLIENT', 'TRACKING', 'ON', 'PREFIX', '{t}d'],
      ['r', 'CLIENT', 'TRACKINGINFO'],
      ['r', 'CLIENT', 'TRACKING', 'OFF'],
      ['r', 'CLIENT', 'TRACKINGINFO'],
    ]);
    // BCAST without a prefix hears of every key written on the cluster, slotgate's own
    // presence keys ({slotgate}:instance:…) too, at moments of their own: see 'every master'.
  });

  it('OPTIN with CLIENT CACHING YES, OPTOUT with CLIENT CACHING NO: one command each', async () => {
    await sameAsRedis([
      ['r', 'HELLO', '3', 'SETNAME', 'reader'],
      ['r', 'CLIENT', 'CACHING', 'YES'],
      ['r', 'CLIENT', 'TRACKING', 'ON', 'OPTIN'],
      ['r', 'CLIENT', 'CACHING', 'NO'],
      ['r', 'GET', '{t}a'],
      ['r', 'CLIENT', 'CACHING', 'YES'],
      ['r', 'CLIENT', 'TRACKINGINFO'],
      ['r', 'GET', '{t}b'],
      ['r', 'GET', '{t}c'],
      ['w', 'MSET', '{t}a', '1', '{t}b', '1', '{t}c', '1'],
      ['r', 'CLIENT', 'TRACKING', 'ON', 'OPTOUT'],
      ['r', 'CLIENT', 'TRACKING', 'OFF'],
      ['r', 'CLIENT', 'TRACKING', 'ON', 'OPTOUT', 'NOLOOP'],
      ['r', 'GET', '{t}a'],
      ['r', 'CLIENT', 'CACHING', 'NO'],
      ['r', 'GET', '{t}b'],
      ['r', 'CLIENT', 'TRACKINGINFO'],
      ['w', 'SET', '{t}a', '2'],
      ['w', 'SET', '{t}b', '2'],
    ]);
  });

  it('RESP2 with REDIRECT: messages on __redis__:invalidate to a subscribed client; a broken redirect', async () => {
    await sameAsRedis([
      ['s', 'SUBSCRIBE', '__redis__:invalidate'],
      ['r', 'CLIENT', 'TRACKING', 'ON', 'REDIRECT', '$id:s'],
      ['r', 'CLIENT', 'GETREDIR'],
      ['r', 'CLIENT', 'TRACKINGINFO'],
      ['r', 'GET', '{t}a'],
      ['w', 'SET', '{t}a', '1'],
      ['r', 'GET', '{t}a'],
      ['w', 'FLUSHDB'],
      ['p', 'HELLO', '3', 'SETNAME', 'resp3'],
      ['p', 'CLIENT', 'TRACKING', 'ON', 'REDIRECT', '$id:s'],
      ['p', 'GET', '{t}b'],
      ['r', 'GET', '{t}b'],
      ['close', 's'],
      ['w', 'SET', '{t}b', '1'],
      ['r', 'CLIENT', 'TRACKINGINFO'],
      ['p', 'CLIENT', 'TRACKINGINFO'],
    ]);
  });

  it('refuses what Redis refuses, with its words', async () => {
    await sameAsRedis([
      ['r', 'CLIENT', 'TRACKING', 'MAYBE'],
      ['r', 'CLIENT', 'TRACKING', 'ON', 'FOO'],
      ['r', 'CLIENT', 'TRACKING', 'ON', 'PREFIX', 'a'],
      ['r', 'CLIENT', 'TRACKING', 'ON', 'BCAST', 'OPTIN'],
      ['r', 'CLIENT', 'TRACKING', 'ON', 'OPTIN', 'OPTOUT'],
      ['r', 'CLIENT', 'TRACKING', 'ON', 'BCAST', 'PREFIX', 'ab', 'PREFIX', 'a'],
      ['r', 'CLIENT', 'TRACKING', 'ON', 'REDIRECT', 'abc'],
      ['r', 'CLIENT', 'TRACKING', 'ON', 'REDIRECT', '999999999'],
      ['r', 'CLIENT', 'CACHING', 'YES'],
      ['r', 'CLIENT', 'TRACKING', 'ON', 'OPTIN'],
      ['r', 'CLIENT', 'TRACKING', 'ON', 'OPTOUT'],
      ['r', 'CLIENT', 'TRACKING', 'ON', 'BCAST'],
      ['r', 'CLIENT', 'CACHING', 'NO'],
      ['r', 'CLIENT', 'CACHING', 'MAYBE'],
      ['r', 'CLIENT', 'TRACKING', 'OFF'],
      ['r', 'CLIENT', 'TRACKING', 'ON', 'BCAST', 'PREFIX', 'a'],
      ['r', 'CLIENT', 'TRACKING', 'ON', 'BCAST', 'PREFIX', 'ab'],
      ['r', 'CLIENT', 'TRACKING', 'ON', 'BCAST', 'PREFIX', 'b'],
      ['r', 'CLIENT', 'TRACKINGINFO'],
    ]);
  });

  /** A RESP3 connection to slotgate with tracking on (`options` after ON), pushes kept. */
  async function tracker(...options: string[]): Promise<RawClient> {
    const c = await RawClient.connect(proxy.port);
    c.keepPushes = true;
    await c.call('HELLO', '3');
    expect(String(await c.call('CLIENT', 'TRACKING', 'ON', ...options))).toBe('OK');
    return c;
  }

  /** The next invalidation's keys (null: flush everything), skipping slotgate's own presence keys. */
  async function nextInvalidation(c: RawClient): Promise<string[] | null> {
    for (;;) {
      const frame = await c.nextFrame();
      expect(frame[0]).toBe(PUSH);
      const text = frame.toString('latin1');
      if (text === '>2\r\n$10\r\ninvalidate\r\n_\r\n') return null;
      const keys = text.split('\r\n').slice(4).filter((_, i) => i % 2 === 1);
      const mine = keys.filter((k) => !k.startsWith('{slotgate}'));
      if (mine.length > 0) return mine;
    }
  }

  /** A key on each master, in shard order. */
  async function keyPerMaster(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    for (const shard of backend.shards) {
      for (let i = 0; ; i++) {
        const key = `${prefix}${i}`;
        if ((await backend.masterOf(key)).id === shard.master.id) {
          keys.push(key);
          break;
        }
      }
    }
    return keys;
  }

  it('invalidates keys on every master, written by anyone: through slotgate or on the nodes directly', async () => {
    const keys = await keyPerMaster('every:');
    const reader = await tracker();
    const broadcast = await tracker('BCAST');
    try {
      expect(await reader.call('MGET', ...keys)).toEqual([null, null, null]);
      for (const [i, key] of keys.entries()) {
        await backend.shards[i]!.master.client.set(key, 'direct');
        expect(await nextInvalidation(reader)).toEqual([key]);
        expect(await nextInvalidation(broadcast)).toEqual([key]);
      }
      // Read again and written through slotgate by another client.
      for (const key of keys) expect(String(await reader.call('GET', key))).toBe('direct');
      await proxy.client().mset(keys[0]!, 'a', keys[1]!, 'b', keys[2]!, 'c');
      const seen = [await nextInvalidation(reader), await nextInvalidation(reader), await nextInvalidation(reader)].flat();
      expect(seen.sort()).toEqual([...keys].sort());
      const sent = await proxy.handle.context.metrics.registry.getSingleMetricAsString('slotgate_tracking_invalidations_total');
      expect(Number(/ (\d+)$/m.exec(sent)![1])).toBeGreaterThanOrEqual(9);
    } finally {
      reader.close();
      broadcast.close();
    }
  });

  it('a tracking connection to a node lost: a null invalidation, and tracking again once it is back', async () => {
    const [key] = await keyPerMaster('lost:');
    const reader = await tracker();
    const node = backend.shards[0]!.master.client;
    try {
      await reader.call('GET', key!);
      // slotgate's tracking connection is the node's client in BCAST tracking (flags t and B).
      const list = String(await node.call('CLIENT', 'LIST'));
      const line = list.split('\n').find((l) => / flags=tB /.test(l))!;
      await node.call('CLIENT', 'KILL', 'ID', /^id=(\d+)/.exec(line)![1]!);
      expect(await nextInvalidation(reader)).toBeNull();
      const tracking = proxy.handle.context.tracking;
      while (tracking.linksUp < backend.masters.length) await new Promise((r) => setTimeout(r, 20));
      // Nothing read since the last flush: no second null invalidation is owed; a read is tracked again.
      await reader.call('GET', key!);
      await node.set(key!, 'changed');
      expect(await nextInvalidation(reader)).toEqual([key]);
    } finally {
      reader.close();
    }
  });

  it('keeps at most tracking-table-max-keys keys, invalidating the oldest first', async () => {
    const reader = await tracker();
    try {
      const keys = Array.from({ length: 105 }, (_, i) => `{bound}k${i}`);
      await reader.call('MGET', ...keys);
      const evicted: string[] = [];
      while (evicted.length < 5) evicted.push(...(await nextInvalidation(reader))!);
      expect(evicted).toEqual(keys.slice(0, 5));
      expect(proxy.handle.context.tracking.table.keyCount).toBeLessThanOrEqual(100);
      const gauge = await proxy.handle.context.metrics.registry.getSingleMetricAsString('slotgate_tracking_keys');
      expect(Number(/ (\d+)$/m.exec(gauge)![1])).toBeLessThanOrEqual(100);
    } finally {
      reader.close();
    }
  });

  it('CLIENT LIST shows tracking (t, B, redir); RESET and closing turn it off', async () => {
    const reader = await tracker('BCAST', 'PREFIX', 'x:');
    const plain = proxy.client();
    try {
      const id = String(await reader.call('CLIENT', 'ID'));
      const line = String(await plain.call('CLIENT', 'LIST', 'ID', id));
      expect(line).toMatch(/ flags=tB /);
      expect(line).toMatch(/ redir=0 /);
      expect(String(await plain.call('CLIENT', 'LIST', 'ID', String(await plain.call('CLIENT', 'ID'))))).toMatch(/ flags=N .* redir=-1 /);
      const table = proxy.handle.context.tracking.table;
      expect(String(await plain.call('INFO', 'clients'))).toContain(`tracking_clients:${table.clientCount}\r\n`);
      expect(String(await plain.call('INFO', 'stats'))).toContain(`tracking_total_keys:${table.keyCount}\r\n`);
      expect(String(await reader.call('RESET'))).toBe('RESET');
      expect(await reader.call('CLIENT', 'GETREDIR')).toBe(-1);
      const clients = proxy.handle.context.tracking.table.clientCount;
      const other = await tracker();
      expect(proxy.handle.context.tracking.table.clientCount).toBe(clients + 1);
      other.close();
      while (proxy.handle.context.tracking.table.clientCount > clients) await new Promise((r) => setTimeout(r, 20));
    } finally {
      reader.close();
    }
  });
});
