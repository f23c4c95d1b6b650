// backend standalone (issue #13; README: *Standalone and Sentinel backends*): slotgate in front of one master
// with two replicas, all started here. Which node served a command is read from the nodes' own
// INFO commandstats; expected replies come from the master itself (a real standalone Redis) where
// Redis has an answer. Before this backend kind existed, slotgate could not start against such a
// master at all ("ERR This instance has cluster support disabled").
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { startLocalReplication, type LocalReplication } from '../../scripts/dev/local-replication.js';
import { addressNodeId } from '../../src/cluster/node-identity.js';
import { stringKeyHashSlot } from '../../src/cluster/hash-slot.js';
import { tempConfigFile, type TempConfigFile } from '../helpers/config-file.js';
import { RawClient, startProxyFor, type StartedProxy } from '../helpers/slotgate.js';
import { waitUntil } from '../helpers/wait-until.js';

/** Resolves with the next message event of `client` (ioredis). */
function nextMessage(client: Redis, event: 'message' | 'pmessage' | 'smessage'): Promise<string[]> {
  return new Promise((resolve) => client.once(event, (...args: string[]) => resolve(args)));
}

const READER_PASSWORD = 'Reader#Pass1';

describe('backend standalone: a master with two replicas', () => {
  let group: LocalReplication;
  /** Reads go to the master (read-your-writes for the tests of commands). */
  let proxy: StartedProxy;
  /** replica-read on: the `reader` account's reads go to replicas. */
  let readProxy: StartedProxy;
  let config: TempConfigFile;
  const direct = new Map<number, Redis>();
  const run = Date.now().toString(36);
  let master: Redis;

  /** A direct connection to a data node (closed in afterAll). */
  function node(port: number): Redis {
    let conn = direct.get(port);
    if (!conn) {
      conn = new Redis({ host: '127.0.0.1', port, maxRetriesPerRequest: 0, retryStrategy: () => null, lazyConnect: false });
      conn.on('error', () => {}); // nodes are paused and killed below
      direct.set(port, conn);
    }
    return conn;
  }

  async function commandCalls(port: number, command: string): Promise<number> {
    const info = await node(port).info('commandstats');
    return Number(new RegExp(`cmdstat_${command}:calls=(\\d+)`).exec(info)?.[1] ?? 0);
  }

  /**
   * Every write so far is on both replicas: WAIT waits for the replication stream up to this
   * connection's own last write, which comes after every write the master executed before it.
   */
  async function replicated(): Promise<void> {
    await master.set(`sync:${run}`, '1');
    expect(await master.call('WAIT', String(group.replicaPorts.length), '10000')).toBe(group.replicaPorts.length);
  }

  beforeAll(async () => {
    group = await startLocalReplication({ replicas: 2 });
    master = node(group.initialMasterPort);
    config = tempConfigFile(`replica-read: yes
max-replica-lag: 4kb
accounts:
  - name: reader
    password: "${READER_PASSWORD}"
    permission: read-only
    read-policy: replica
`);
    const backend = ['--backend', 'standalone', '--master', `127.0.0.1:${group.initialMasterPort}`];
    proxy = await startProxyFor(backend);
    // Refreshed only when the test says so (refreshNow), so what it checks cannot move under it.
    readProxy = await startProxyFor(backend, ['--config', config.path, '--command-timeout', '2000', '--topology-refresh-interval', '3600000']);
  });

  afterAll(async () => {
    await proxy?.close();
    await readProxy?.close();
    for (const conn of direct.values()) conn.disconnect();
    await group?.stop();
    config?.remove();
  });

  it('sees one shard owning every slot: the master and its replicas, with stable 40-hex ids', () => {
    const topology = proxy.handle.context.topology.current;
    expect(topology.shards).toHaveLength(1);
    expect(topology.coveredSlotCount()).toBe(16384);
    const shard = topology.shards[0]!;
    expect(shard.master.port).toBe(group.initialMasterPort);
    expect(shard.master.id).toBe(addressNodeId('127.0.0.1', group.initialMasterPort));
    expect(shard.replicas.map((r) => r.port).sort()).toEqual([...group.replicaPorts].sort());
    expect(shard.replicas.every((r) => r.health === 'online' && /^[0-9a-f]{40}$/.test(r.id))).toBe(true);
  });

  it('forwards multi-key commands whole, with no CROSSSLOT: MGET, MSETNX, DEL across slots', async () => {
    const client = proxy.client();
    const [a, b] = [`{a}${run}`, `{b}${run}`];
    expect(stringKeyHashSlot(a)).not.toBe(stringKeyHashSlot(b));
    const ports = [group.initialMasterPort, ...group.replicaPorts];
    for (const port of ports) await node(port).config('RESETSTAT');
    expect(await client.msetnx(a, '1', b, '2')).toBe(1);
    expect(await client.mget(a, b, `missing${run}`)).toEqual(['1', '2', null]);
    expect(await client.del(a, b)).toBe(2);
    // One MGET reached the master, as sent, not split by slot; one DEL too.
    expect(await commandCalls(group.initialMasterPort, 'mget')).toBe(1);
    expect(await commandCalls(group.initialMasterPort, 'del')).toBe(1);
  });

  it('runs transactions and WATCH on keys in different slots', async () => {
    const client = proxy.client();
    const [a, b] = [`{tx-a}${run}`, `{tx-b}${run}`];
    expect(await client.watch(a, b)).toBe('OK');
    const result = await client.multi().set(a, 'x').incr(b).get(a).exec();
    expect(result).toEqual([[null, 'OK'], [null, 1], [null, 'x']]);
    // A WATCHed key changed by someone else aborts the transaction, as on Redis.
    await client.watch(a);
    await master.set(a, 'changed');
    expect(await client.multi().set(a, 'mine').exec()).toBeNull();
    expect(await master.get(a)).toBe('changed');
  });

  it('SELECT answers as the master does, and each session keeps its own database', async () => {
    const client = proxy.client();
    const other = proxy.client();
    for (const args of [['16'], ['-1'], ['abc'], ['99999999999'], ['99999999999999999999'], ['3.5'], ['007'], ['-0'], ['+1'], ['15']]) {
      const expected = await master.call('SELECT', ...args).then(String, (e: Error) => e.message);
      const got = await client.call('SELECT', ...args).then(String, (e: Error) => e.message);
      expect(got).toBe(expected);
    }
    await master.call('SELECT', '0');
    const key = `db:${run}`;
    expect(await client.select(3)).toBe('OK');
    expect(await client.set(key, 'in-3')).toBe('OK');
    expect(await other.set(key, 'in-0')).toBe('OK');
    expect(await client.get(key)).toBe('in-3');
    expect(await other.get(key)).toBe('in-0');
    // The master agrees: each value is in its database.
    const check = new Redis({ host: '127.0.0.1', port: group.initialMasterPort, db: 3 });
    try {
      expect(await check.get(key)).toBe('in-3');
    } finally {
      check.disconnect();
    }
    expect(await master.get(key)).toBe('in-0');
    // Fan-out commands run in the session's database too.
    expect(await client.dbsize()).toBe(1);
    expect(await client.keys(`db:${run}`)).toEqual([key]);
  });

  it('passes MOVE and SWAPDB through, and blocking commands wait in the session\'s database', async () => {
    const client = proxy.client();
    const key = `move:${run}`;
    await client.select(5);
    await client.set(key, 'v');
    expect(await client.move(key, '6')).toBe(1);
    expect(await client.exists(key)).toBe(0);
    expect(await client.call('SWAPDB', '5', '6')).toBe('OK');
    expect(await client.get(key)).toBe('v');

    const blocked = proxy.client();
    await blocked.select(7);
    const pusher = proxy.client();
    await pusher.select(7);
    const list = `list:${run}`;
    const waiting = blocked.blpop(list, 0);
    await new Promise((r) => setTimeout(r, 100)); // let BLPOP reach the master first (no assertion on time)
    await pusher.rpush(list, 'item');
    expect(await waiting).toEqual([list, 'item']);
  });

  it('CLIENT LIST shows the session\'s database; CLIENT UNBLOCK reaches a client blocked in any of its databases', async () => {
    const blocked = await RawClient.connect(proxy.port);
    const admin = await RawClient.connect(proxy.port);
    try {
      const id = String(await blocked.call('CLIENT', 'ID'));
      const line = async (): Promise<Record<string, string>> =>
        Object.fromEntries(String(await admin.call('CLIENT', 'LIST', 'ID', id)).trim().split(' ').map((f) => [f.slice(0, f.indexOf('=')), f.slice(f.indexOf('=') + 1)]));
      const blockAndUnblock = async (db: string): Promise<void> => {
        expect(await blocked.call('SELECT', db)).toBe('OK');
        blocked.command('BLPOP', `unblock:${run}:${db}`, '0');
        await waitUntil(async () => (await line()).flags === 'b', 10_000, `the client to block in db ${db}`);
        expect((await line()).db).toBe(db);
        expect(await admin.call('CLIENT', 'UNBLOCK', id)).toBe(1);
        expect(await blocked.next()).toBe(null);
      };
      // Each database has a blocking connection of its own, with its own backend id to unblock.
      await blockAndUnblock('0');
      await blockAndUnblock('4');
      await blockAndUnblock('0');
    } finally {
      blocked.close();
      admin.close();
    }
  });

  it('a RESP3 session in database 4: shared, WATCH and blocking connections say HELLO 3 and SELECT 4, replies as the master gives them', async () => {
    const hash = `resp3-db:${run}`;
    const list = `resp3-db-list:${run}`;
    const commands = [
      ['HGETALL', hash],
      ['WATCH', hash], ['MULTI'], ['HGETALL', hash], ['EXEC'],
      ['BLPOP', list, '0.01'],
      ['BLPOP', list, '0'],
    ];
    /** HELLO 3, SELECT 4, HSET, then `commands` (RPUSH from a second connection for the last BLPOP). */
    async function replies(port: number): Promise<string[]> {
      const c = await RawClient.connect(port);
      const pusher = await RawClient.connect(port);
      const send = async (...args: string[]) => {
        c.command(...args);
        return (await c.nextFrame()).toString('latin1');
      };
      try {
        expect((await send('HELLO', '3')).startsWith('%')).toBe(true);
        const out = [await send('SELECT', '4'), await send('HSET', hash, 'f', 'v')];
        for (const command of commands.slice(0, -1)) out.push(await send(...command));
        c.command(...commands.at(-1)!);
        await new Promise((r) => setTimeout(r, 100)); // let BLPOP reach the master first (no assertion on time)
        pusher.command('SELECT', '4');
        pusher.command('RPUSH', list, 'item');
        out.push((await c.nextFrame()).toString('latin1'));
        return out;
      } finally {
        c.close();
        pusher.close();
      }
    }
    const expected = await replies(group.initialMasterPort);
    await master.call('SELECT', '4');
    await master.del(hash, list);
    await master.call('SELECT', '0');
    const got = await replies(proxy.port);
    expect(got).toEqual(expected);
    expect(got[2]).toBe('%1\r\n$1\r\nf\r\n$1\r\nv\r\n'); // a RESP3 map, from database 4
    expect(await master.exists(hash)).toBe(0);
  });

  it('pub/sub: a subscriber through slotgate gets what is published on the master, directly or through slotgate', async () => {
    const channel = `news:${run}`;
    const shardChannel = `shard-news:${run}`;
    const sub = proxy.client();
    await sub.subscribe(channel);
    await sub.psubscribe(`news:${run.slice(0, 3)}*`);
    await sub.ssubscribe(shardChannel);
    // The master replicates PUBLISH to its replicas: slotgate's subscription may sit on any node of it.
    for (const publisher of [master, proxy.client()]) {
      const message = nextMessage(sub, 'message');
      const pmessage = nextMessage(sub, 'pmessage');
      await publisher.publish(channel, 'hello');
      expect(await message).toEqual([channel, 'hello']);
      expect(await pmessage).toEqual([`news:${run.slice(0, 3)}*`, channel, 'hello']);
      const smessage = nextMessage(sub, 'smessage');
      await publisher.call('SPUBLISH', shardChannel, 'sharded');
      expect(await smessage).toEqual([shardChannel, 'sharded']);
    }
    // The same client in database 2 still hears them (pub/sub has no databases).
    const other = proxy.client();
    await other.select(2);
    const message = nextMessage(sub, 'message');
    await other.publish(channel, 'from db 2');
    expect(await message).toEqual([channel, 'from db 2']);
    sub.disconnect();
  });

  it('keyspace notifications: one per write, though slotgate holds the pattern on the master and on a replica', async () => {
    const admin = proxy.client();
    const sub = proxy.client();
    const got: string[] = [];
    sub.on('pmessage', (_pattern: string, channel: string, message: string) => got.push(`${channel} ${message}`));
    sub.on('message', (channel: string, message: string) => got.push(`${channel} ${message}`));
    try {
      expect(await admin.call('CONFIG', 'SET', 'notify-keyspace-events', 'KEA')).toBe('OK');
      await sub.psubscribe('__keyevent@*__:set');
      await sub.subscribe(`barrier:${run}`);
      await admin.set(`ks:${run}:a`, '1');
      await admin.select(3);
      await admin.set(`ks:${run}:b`, '1');
      await replicated();
      // The master replicates PUBLISH after the writes: once it is here, any duplicate from a replica would be.
      await admin.publish(`barrier:${run}`, 'done');
      // The events come from the master's connection, the barrier from the replica's: wait for both.
      const awaited = [`barrier:${run} done`, `__keyevent@0__:set ks:${run}:a`, `__keyevent@3__:set ks:${run}:b`];
      await waitUntil(async () => awaited.every((line) => got.includes(line)), 10_000, 'the barrier and the events');
      expect(got.filter((line) => line.includes(`ks:${run}:`)).sort()).toEqual([`__keyevent@0__:set ks:${run}:a`, `__keyevent@3__:set ks:${run}:b`]);
    } finally {
      await admin.call('CONFIG', 'SET', 'notify-keyspace-events', '');
      sub.disconnect();
      admin.disconnect();
    }
  });

  it('reaches each node by its invented id and @0, and shows clients a one-node cluster', async () => {
    const client = proxy.client();
    const [replicaPort] = group.replicaPorts;
    const replicaId = addressNodeId('127.0.0.1', replicaPort!);
    expect((await client.call('ROLE', replicaId)) as unknown[]).toEqual(expect.arrayContaining(['slave']));
    expect(((await client.call('ROLE', '@0')) as unknown[])[0]).toBe('master');
    expect(String(await client.call('CLUSTER', 'INFO'))).toContain('cluster_state:ok');
    const slots = (await client.call('CLUSTER', 'SLOTS')) as unknown[][];
    expect(slots[0]!.slice(0, 2)).toEqual([0, 16383]);
  });

  it('sends a replica-policy account\'s reads to the replicas, writes to the master', async () => {
    const reader = readProxy.client({ username: 'reader', password: READER_PASSWORD });
    const key = `rr:${run}`;
    await master.set(key, 'value');
    await replicated();
    for (const port of [group.initialMasterPort, ...group.replicaPorts]) await node(port).config('RESETSTAT');
    for (let i = 0; i < 20; i++) expect(await reader.get(key)).toBe('value');
    expect(await commandCalls(group.initialMasterPort, 'get')).toBe(0);
    const [r1, r2] = await Promise.all(group.replicaPorts.map((p) => commandCalls(p, 'get')));
    // Both replicas caught up: equal weights, strict turns.
    expect([r1, r2]).toEqual([10, 10]);
  });

  it('stops reading from a replica that falls further behind than max-replica-lag', async () => {
    const reader = readProxy.client({ username: 'reader', password: READER_PASSWORD });
    const [stalled, healthy] = group.replicaPorts as [number, number];
    await replicated();
    group.pauseNode(stalled);
    try {
      // The master keeps writing; the paused replica acknowledges nothing (its offset stays put).
      const key = `lag:${run}`;
      await master.set(key, 'x'.repeat(16 * 1024));
      expect(await master.call('WAIT', '1', '10000')).toBe(1); // the healthy replica has it
      await readProxy.handle.context.topology.refreshNow();
      const replicas = readProxy.handle.context.topology.current.shards[0]!.replicas;
      expect(replicas.find((r) => r.port === stalled)!.lagBytes).toBeGreaterThan(4096);
      expect(replicas.find((r) => r.port === healthy)!.lagBytes).toBeLessThanOrEqual(4096);
      // Every read is served, fresh, by the replica that keeps up (the paused one would never answer).
      await node(healthy).config('RESETSTAT');
      for (let i = 0; i < 10; i++) expect((await reader.get(key))?.length).toBe(16 * 1024);
      expect(await commandCalls(healthy, 'get')).toBe(10);
    } finally {
      group.resumeNode(stalled);
    }
    await group.waitForReplicas(group.initialMasterPort, 2);
  });

  it('takes a replica that goes down out of reads within one refresh', async () => {
    const reader = readProxy.client({ username: 'reader', password: READER_PASSWORD });
    const [victim, survivor] = group.replicaPorts as [number, number];
    const key = `down:${run}`;
    await master.set(key, 'still here');
    await replicated();
    await group.killNode(victim);
    // The master notices the closed replication link (on a loaded machine, not within the same
    // millisecond); from then on one refresh is enough, which is what slotgate promises.
    await waitUntil(async () => /connected_slaves:1\r\n/.test(await master.info('replication')), 20_000, 'the master to drop the killed replica');
    await readProxy.handle.context.topology.refreshNow();
    const replicas = readProxy.handle.context.topology.current.shards[0]!.replicas;
    expect(replicas.filter((r) => r.health === 'online').map((r) => r.port)).toEqual([survivor]);
    await node(survivor).config('RESETSTAT');
    for (let i = 0; i < 10; i++) expect(await reader.get(key)).toBe('still here');
    expect(await commandCalls(survivor, 'get')).toBe(10);
  });

  it('follows a manual promotion: a write the demoted master refuses (READONLY) is retried on the new master', async () => {
    const client = proxy.client({ maxRetriesPerRequest: 0 });
    expect(await client.set(`before:${run}`, '1')).toBe('OK'); // slotgate has connections to the old master
    const survivor = (await Promise.all(group.replicaPorts.map(async (p) => [p, await node(p).ping().catch(() => null)] as const))).find(([, pong]) => pong === 'PONG')![0];
    await node(survivor).call('REPLICAOF', 'NO', 'ONE');
    await master.call('REPLICAOF', '127.0.0.1', String(survivor));
    // slotgate still takes the old node for the master: the write is refused there, not run, and retried.
    const key = `after-promotion:${run}`;
    expect(await client.set(key, 'new master')).toBe('OK');
    expect(await node(survivor).get(key)).toBe('new master');
    expect(proxy.handle.context.topology.current.shards[0]!.master.port).toBe(survivor);
  });
});
