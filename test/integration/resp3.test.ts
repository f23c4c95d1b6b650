// RESP3 through slotgate (issue #9): a client that says HELLO 3 gets what Redis 7 would send it —
// maps, sets, doubles, `_` nulls, verbatim strings — for forwarded commands (RESP3 backend
// connections: shared, dedicated for WATCH and blocking commands, replica reads) and for the
// replies slotgate builds itself (fan-out merges, INFO, CLUSTER SHARDS/SLOTS, HELLO). Checked with
// node-redis with its default options (it sends HELLO 3) and byte for byte against redis-server
// speaking RESP3 (the oracle), while RESP2 clients of the same proxy keep getting RESP2.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, RESP_TYPES } from 'redis';
import { Redis } from 'ioredis';
import { referenceRedisServer, startStandaloneRedis, type StandaloneRedis } from '../../scripts/dev/redis-server.js';
import { sharedClusterSeeds } from '../helpers/cluster-fixture.js';
import { RawClient, startProxy, type StartedProxy } from '../helpers/slotgate.js';

type NodeRedis = ReturnType<typeof createClient>;

const run = Date.now().toString(36);
/** Keys in different slots (no hash tag), so multi-key commands fan out. */
const k = (name: string) => `resp3:${run}:${name}`;

/** A raw connection that said HELLO 3; replies as their exact bytes (latin1). */
async function resp3Raw(port: number): Promise<RawClient & { send(...args: string[]): Promise<string> }> {
  const c = await RawClient.connect(port);
  const send = async (...args: string[]) => {
    c.command(...args);
    return (await c.nextFrame()).toString('latin1');
  };
  const hello = await send('HELLO', '3');
  if (!hello.startsWith('%')) throw new Error(`HELLO 3 refused: ${hello}`);
  return Object.assign(c, { send });
}

/** The bytes each command gets from `port` on one RESP3 connection. */
async function resp3Replies(port: number, commands: readonly string[][]): Promise<string[]> {
  const c = await resp3Raw(port);
  try {
    const out: string[] = [];
    for (const command of commands) out.push(await c.send(...command));
    return out;
  } finally {
    c.close();
  }
}

/** A reply's shape: its type bytes and aggregate sizes, scalars left out (ids and ports differ). */
function skeleton(frame: string): string {
  let pos = 0;
  const value = (): string => {
    const type = frame[pos]!;
    const cr = frame.indexOf('\r\n', pos);
    const header = frame.slice(pos + 1, cr);
    pos = cr + 2;
    if (type === '$' || type === '=' || type === '!') {
      const n = Number(header);
      const body = n < 0 ? '' : frame.slice(pos, pos + n);
      if (n >= 0) pos += n + 2;
      return type === '$' && /^[a-z-]+$/.test(body) ? `$${body}` : type; // map keys stay readable
    }
    if ('*~%>'.includes(type)) {
      const count = Number(header) * (type === '%' ? 2 : 1);
      const elements: string[] = [];
      for (let i = 0; i < count; i++) elements.push(value());
      return `${type}[${elements.join(',')}]`;
    }
    return type;
  };
  return value();
}

describe('RESP3 through slotgate', () => {
  let proxy: StartedProxy;
  let oracle: StandaloneRedis; // plain redis-server: data commands
  // Cluster-enabled reference redis-server owning every slot: CLUSTER *, HELLO (slotgate's own answers,
  // the same whatever the nodes run: HELLO says server redis in front of Valkey too).
  let clusterOracle: StandaloneRedis;
  let client: NodeRedis;

  beforeAll(async () => {
    [proxy, oracle, clusterOracle] = await Promise.all([
      startProxy(sharedClusterSeeds()),
      startStandaloneRedis(),
      startStandaloneRedis({ args: ['--cluster-enabled', 'yes'], redisServer: referenceRedisServer() }),
    ]);
    const node = new Redis({ host: clusterOracle.host, port: clusterOracle.port });
    await node.call('CLUSTER', 'ADDSLOTSRANGE', '0', '16383');
    node.disconnect();
    // Default options: node-redis 6 says HELLO 3 on connect.
    client = createClient({ socket: { host: '127.0.0.1', port: proxy.port, reconnectStrategy: false } });
    client.on('error', () => undefined);
    await client.connect();
  });
  afterAll(async () => {
    if (client?.isOpen) client.destroy();
    await Promise.all([proxy?.close(), oracle?.stop(), clusterOracle?.stop()]);
  });

  /** The same commands on a fresh RESP3 connection to slotgate and to the oracle; both byte lists. */
  async function both(commands: string[][], server: StandaloneRedis = oracle): Promise<[string[], string[]]> {
    const c = await resp3Raw(server.port);
    try {
      const expected: string[] = [];
      for (const command of commands) expected.push(await c.send(...command));
      return [await resp3Replies(proxy.port, commands), expected];
    } finally {
      c.close();
    }
  }

  it('node-redis (default options, HELLO 3) connects and gets RESP3 types for forwarded commands', async () => {
    expect(await client.ping()).toBe('PONG');
    await client.set(k('s'), 'v');
    expect(await client.get(k('s'))).toBe('v');
    expect(await client.get(k('missing'))).toBeNull();
    await client.hSet(k('h'), { a: '1', b: '2' });
    expect(await client.hGetAll(k('h'))).toEqual({ a: '1', b: '2' });
    const typed = client.withTypeMapping({ [RESP_TYPES.MAP]: Map, [RESP_TYPES.SET]: Set });
    // Raw replies: a RESP2 HGETALL would be a flat array, SMEMBERS an array, ZSCORE a string.
    expect(await typed.sendCommand(['HGETALL', k('h')])).toEqual(new Map([['a', '1'], ['b', '2']]));
    await client.sAdd(k('set'), ['x', 'y']);
    expect(await typed.sendCommand(['SMEMBERS', k('set')])).toEqual(new Set(['x', 'y']));
    await client.zAdd(k('z'), { score: 1.5, value: 'm' });
    expect(await client.sendCommand(['ZSCORE', k('z'), 'm'])).toBe(1.5);
    expect(await client.sendCommand(['ZSCORE', k('z'), 'nobody'])).toBeNull();
    expect(await client.sendCommand(['CONFIG', 'GET', 'maxmemory-policy'])).toEqual({ 'maxmemory-policy': 'noeviction' });
  });

  it('node-redis: MGET across slots, EXISTS and DEL sums, INFO and CLUSTER SHARDS made by slotgate', async () => {
    await client.mSet({ [k('m1')]: '1', [k('m2')]: '2', [k('m3')]: '3' });
    expect(await client.mGet([k('m1'), k('nope'), k('m2'), k('m3')])).toEqual(['1', null, '2', '3']);
    expect(await client.exists([k('m1'), k('m2'), k('nope')])).toBe(2);
    expect(await client.del([k('m1'), k('m2'), k('nope')])).toBe(2);
    const info = await client.sendCommand(['INFO']);
    expect(typeof info).toBe('string'); // a verbatim string, given as its text
    expect(info).toMatch(/^# Server\r\n/);
    expect(info).toContain('# Proxy\r\n');
    const shards = (await client.sendCommand(['CLUSTER', 'SHARDS'])) as Array<Record<string, unknown>>;
    expect(shards).toHaveLength(1);
    expect(shards[0]!.slots).toEqual([0, 16383]);
    expect((shards[0]!.nodes as Array<Record<string, unknown>>)[0]).toMatchObject({ port: proxy.port, role: 'master', health: 'online' });
  });

  it('node-redis: WATCH/MULTI/EXEC and BLPOP on RESP3 dedicated connections', async () => {
    const w = `{${k('t')}}:w`;
    const h = `{${k('t')}}:h`;
    await client.hSet(h, { a: '1' });
    await client.watch(w);
    expect(await client.multi().set(w, 'x').hGetAll(h).exec()).toEqual(['OK', { a: '1' }]);
    const other = client.duplicate();
    other.on('error', () => undefined);
    await other.connect();
    try {
      const popped = client.blPop(k('list'), 5);
      setTimeout(() => void other.rPush(k('list'), 'item'), 100);
      expect(await popped).toEqual({ key: k('list'), element: 'item' });
      // A WATCH broken by another client: EXEC answers the RESP3 null, which node-redis reports as a WatchError.
      await client.watch(w);
      await other.set(w, 'changed');
      await expect(client.multi().set(w, 'y').exec()).rejects.toThrow(/watch/i);
    } finally {
      other.destroy();
    }
  });

  it('replies slotgate builds or merges are byte for byte what redis-server sends in RESP3', async () => {
    const oracleSetup = new Redis({ host: oracle.host, port: oracle.port });
    const sha = (await oracleSetup.script('LOAD', 'return 1')) as string;
    await Promise.all([
      oracleSetup.mset(k('b1'), 'one', k('b2'), 'two'),
      client.mSet({ [k('b1')]: 'one', [k('b2')]: 'two' }),
      client.scriptLoad('return 1'),
    ]);
    oracleSetup.disconnect();
    const [got, expected] = await both([
      ['MGET', k('b1'), k('none'), k('b2'), k('none2')],
      ['EXISTS', k('b1'), k('b2'), k('none')],
      ['SCRIPT', 'EXISTS', sha, 'f'.repeat(40)],
      ['CLIENT', 'GETNAME'],
      ['GET', k('none')],
      ['BLPOP', k('none'), '0.01'],
      ['HGETALL', k('none')],
      ['ZSCORE', k('none'), 'x'],
      ['CONFIG', 'GET', 'maxmemory-policy'],
      ['WATCH', k('b1')],
      ['MULTI'],
      ['GET', k('b1')],
      ['EXEC'],
    ]);
    expect(got).toEqual(expected);
    expect(got[0]).toBe('*4\r\n$3\r\none\r\n_\r\n$3\r\ntwo\r\n_\r\n');
  });

  it('node-redis\'s CLIENT MAINT_NOTIFICATIONS on connect gets Redis\'s answer and counts no proxy error', async () => {
    const proxyErrors = async () => (await proxy.handle.context.metrics.proxyErrors.get()).values.reduce((sum, v) => sum + v.value, 0);
    const before = await proxyErrors();
    const fresh = createClient({ socket: { host: '127.0.0.1', port: proxy.port, reconnectStrategy: false } });
    fresh.on('error', () => undefined);
    await fresh.connect();
    expect(await fresh.ping()).toBe('PONG');
    fresh.destroy();
    expect(await proxyErrors()).toBe(before);
    // The reply is Redis's (none has the sub-command), in whatever case the client sent it.
    const [got, expected] = await both([['CLIENT', 'MAINT_NOTIFICATIONS', 'ON', 'moving-endpoint-type', 'internal-ip'], ['client', 'maint_notifications']], clusterOracle);
    expect(got).toEqual(expected);
    expect(got[0]).toBe("-ERR unknown subcommand 'MAINT_NOTIFICATIONS'. Try CLIENT HELP.\r\n");
  });

  it('HELLO, CLUSTER SLOTS/SHARDS/NODES/INFO and INFO have the shape a cluster node gives in RESP3', async () => {
    const commands = [['HELLO'], ['CLUSTER', 'SLOTS'], ['CLUSTER', 'SHARDS'], ['CLUSTER', 'NODES'], ['CLUSTER', 'INFO'], ['INFO', 'server'], ['SCAN', '0', 'MATCH', 'no-such-key*']];
    const [got, expected] = await both(commands, clusterOracle);
    expect(got.map(skeleton)).toEqual(expected.map(skeleton));
    // The HELLO map, except the connection id; its version is the nodes' (INFO redis_version: 7.2.4
    // on Valkey 8), the rest the reference Redis's.
    const [host, port] = sharedClusterSeeds()[0]!.split(':');
    const node = new Redis({ host, port: Number(port) });
    const nodeVersion = /redis_version:(\S+)/.exec((await node.info('server')) as string)![1]!;
    node.disconnect();
    const withoutId = (hello: string) => hello.replace(/\$2\r\nid\r\n:\d+\r\n/, '');
    const withVersion = (hello: string, version: string) => hello.replace(/(\$7\r\nversion\r\n)\$\d+\r\n[^\r]*/, `$1$${version.length}\r\n${version}`);
    expect(withoutId(got[0]!)).toBe(withVersion(withoutId(expected[0]!), nodeVersion));
    for (const text of got.slice(3, 6)) expect(text).toMatch(/^=\d+\r\ntxt:/);
  });

  it('KEYS and PUBSUB NUMSUB merged from every node stay arrays; RANDOMKEY, FUNCTION LIST work in RESP3', async () => {
    const c = await resp3Raw(proxy.port);
    try {
      await c.send('SET', k('kk1'), '1');
      await c.send('SET', k('kk2'), '2');
      const keys = await c.send('KEYS', `resp3:${run}:kk*`);
      expect(keys.startsWith('*2\r\n')).toBe(true);
      expect(await c.send('PUBSUB', 'NUMSUB', 'nochannel')).toBe('*2\r\n$9\r\nnochannel\r\n:0\r\n');
      expect(await c.send('RANDOMKEY')).toMatch(/^\$/);
      expect(await c.send('FUNCTION', 'LIST', 'LIBRARYNAME', `nolib${run}`)).toBe('*0\r\n');
    } finally {
      c.close();
    }
  });

  it('RESP2 clients of the same proxy, at the same time, still get RESP2; HELLO 2 and RESET switch back', async () => {
    const resp2 = proxy.client();
    const c = await resp3Raw(proxy.port);
    try {
      const [map, flat] = await Promise.all([c.send('HGETALL', k('h')), resp2.hgetall(k('h'))]);
      expect(map).toBe('%2\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n');
      expect(flat).toEqual({ a: '1', b: '2' });
      const raw2 = await RawClient.connect(proxy.port);
      raw2.command('HGETALL', k('h'));
      raw2.command('CLIENT', 'GETNAME');
      raw2.command('ZSCORE', k('z'), 'm');
      expect((await raw2.nextFrame()).toString('latin1')).toBe('*4\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n');
      expect((await raw2.nextFrame()).toString('latin1')).toBe('$-1\r\n');
      expect((await raw2.nextFrame()).toString('latin1')).toBe('$3\r\n1.5\r\n');
      raw2.close();
      // Pipelined across the switch: each reply in the protocol in force when its command was read.
      c.command('ZSCORE', k('z'), 'm');
      c.command('HELLO', '2');
      c.command('ZSCORE', k('z'), 'm');
      c.command('HELLO', '3');
      c.command('ZSCORE', k('z'), 'm');
      c.command('RESET');
      c.command('ZSCORE', k('z'), 'm');
      const frames: string[] = [];
      for (let i = 0; i < 7; i++) frames.push((await c.nextFrame()).toString('latin1'));
      expect([frames[0], frames[2], frames[4], frames[5], frames[6]]).toEqual([',1.5\r\n', '$3\r\n1.5\r\n', ',1.5\r\n', '+RESET\r\n', '$3\r\n1.5\r\n']);
      expect(frames[1]).toMatch(/^\*14\r\n/);
      expect(frames[3]).toMatch(/^%7\r\n/);
    } finally {
      c.close();
    }
  });

  it('HELLO 4 is NOPROTO and keeps the protocol; CLIENT TRACKING works (client-tracking.test.ts)', async () => {
    const c = await resp3Raw(proxy.port);
    try {
      expect(await c.send('HELLO', '4')).toBe('-NOPROTO unsupported protocol version\r\n');
      expect(await c.send('CLIENT', 'GETNAME')).toBe('_\r\n');
      expect(await c.send('CLIENT', 'TRACKING', 'on')).toBe('+OK\r\n');
    } finally {
      c.close();
    }
  });
});

describe('RESP3 replica reads', () => {
  let proxy: StartedProxy;
  let client: NodeRedis;
  beforeAll(async () => {
    proxy = await startProxy(sharedClusterSeeds(), ['--replica-read', 'yes']);
    client = createClient({ socket: { host: '127.0.0.1', port: proxy.port, reconnectStrategy: false } });
    client.on('error', () => undefined);
    await client.connect();
  });
  afterAll(async () => {
    if (client?.isOpen) client.destroy();
    await proxy?.close();
  });

  it('reads served by replicas (READONLY connections that also said HELLO 3) come back in RESP3', async () => {
    const typed = client.withTypeMapping({ [RESP_TYPES.MAP]: Map });
    await client.hSet(k('rh'), { f: 'v' });
    await client.zAdd(k('rz'), { score: 2.5, value: 'm' });
    // Replication is asynchronous: wait until a replica has the write (a replica read may see it late).
    let seen: unknown = null;
    for (let i = 0; i < 100 && !(seen instanceof Map && seen.size === 1); i++) {
      seen = await typed.sendCommand(['HGETALL', k('rh')]);
      if (!(seen instanceof Map && seen.size === 1)) await new Promise((r) => setTimeout(r, 20));
    }
    expect(seen).toEqual(new Map([['f', 'v']]));
    let score: unknown = null;
    for (let i = 0; i < 100 && score === null; i++) {
      score = await client.sendCommand(['ZSCORE', k('rz'), 'm']);
      if (score === null) await new Promise((r) => setTimeout(r, 20));
    }
    expect(score).toBe(2.5);
    expect(await client.mGet([k('rh-none'), k('rz-none')])).toEqual([null, null]);
  });
});
