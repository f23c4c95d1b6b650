// What a client sees on the wire: pipelines, inline commands, binary data, big values, bad input.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import type { Cluster } from 'ioredis';
import { connectClusterClient, parseSeed, sharedClusterSeeds } from '../helpers/cluster-fixture.js';
import { RawClient, startProxy, type StartedProxy } from '../helpers/slotgate.js';
import { repliesUntilClose } from '../helpers/conversation.js';
import { waitUntil } from '../helpers/wait-until.js';
import { RespError } from '../../src/protocol/reply-parser.js';
import { keyHashSlot } from '../../src/cluster/hash-slot.js';

describe('wire behaviour', () => {
  let proxy: StartedProxy;
  let direct: Cluster;
  let node: Redis; // one plain backend node, the reference for error texts
  const run = Date.now().toString(36);

  beforeAll(async () => {
    proxy = await startProxy(sharedClusterSeeds());
    direct = connectClusterClient(sharedClusterSeeds());
    const seed = parseSeed(sharedClusterSeeds()[0]!);
    node = new Redis({ ...seed, maxRetriesPerRequest: 1 });
  });
  afterAll(async () => {
    node?.disconnect();
    direct?.disconnect();
    await proxy?.close();
  });

  it('answers a 20k-command pipeline across all slots completely and in order', async () => {
    const c = await RawClient.connect(proxy.port);
    const n = 20_000;
    const parts: string[] = [];
    for (let i = 0; i < n; i++) {
      const key = `pipe:${run}:${i}`;
      parts.push(`*3\r\n$3\r\nSET\r\n$${key.length}\r\n${key}\r\n$${String(i).length}\r\n${i}\r\n`);
      parts.push(`*2\r\n$3\r\nGET\r\n$${key.length}\r\n${key}\r\n`);
    }
    c.write(parts.join(''));
    for (let i = 0; i < n; i++) {
      expect(await c.next()).toBe('OK');
      expect((await c.next() as Buffer).toString()).toBe(String(i));
    }
    c.close();
    // and the writes really are in the cluster
    expect(await direct.get(`pipe:${run}:${n - 1}`)).toBe(String(n - 1));
  });

  it('pipelines through ioredis across slots keep order', async () => {
    const c = proxy.client();
    const p = c.pipeline();
    for (let i = 0; i < 5000; i++) p.incr(`ord:${run}:${i % 97}`);
    const results = (await p.exec())!;
    const seen = new Map<number, number>();
    results.forEach(([err, value], i) => {
      expect(err).toBeNull();
      const k = i % 97;
      seen.set(k, (seen.get(k) ?? 0) + 1);
      expect(value).toBe(seen.get(k));
    });
  });

  it('accepts inline commands, telnet style, and closes on unbalanced quotes like Redis', async () => {
    const c = await RawClient.connect(proxy.port);
    c.write(`SET inline:${run} "hello world"\r\nGET inline:${run}\nPING\r\n\r\nECHO "a\\x41\\n"\r\n`);
    expect(await c.next()).toBe('OK');
    expect((await c.next() as Buffer).toString()).toBe('hello world');
    expect(await c.next()).toBe('PONG');
    expect((await c.next() as Buffer).toString()).toBe('aA\n');
    c.close();
    const bad = `PING\r\nECHO 'it''s'\r\nPING\r\n`;
    expect(await repliesUntilClose(proxy.port, bad)).toEqual(await repliesUntilClose(node.options.port!, bad, node.options.host));
  });

  it('stores binary keys and values byte-exact, and agrees with CLUSTER KEYSLOT for non-ASCII keys', async () => {
    const c = proxy.client();
    const keys = [Buffer.from([0, 1, 2, 0xff, 0x0d, 0x0a]), Buffer.from(`ключ-${run}`), Buffer.from(`键{标签}${run}`), Buffer.from(`😀-${run}`)];
    for (const key of keys) {
      const value = Buffer.concat([key, Buffer.from([0, 0xfe, 0x0d, 0x0a, 0x24])]);
      await c.set(key, value);
      expect(await c.getBuffer(key)).toEqual(value);
      expect(await direct.getBuffer(key)).toEqual(value);
      expect(keyHashSlot(key)).toBe(await node.cluster('KEYSLOT', key as unknown as string));
    }
  });

  it('round-trips a 10 MB value', async () => {
    const c = proxy.client();
    const big = Buffer.alloc(10 * 1024 * 1024);
    for (let i = 0; i < big.length; i++) big[i] = (i * 31) & 0xff;
    await c.set(`big:${run}`, big);
    expect((await c.getBuffer(`big:${run}`))!.equals(big)).toBe(true);
    expect(await direct.strlen(`big:${run}`)).toBe(big.length);
  });

  it('refuses cross-slot multi-key commands with the cluster error and keeps same-slot ones', async () => {
    const c = proxy.client();
    // MSETNX is all-or-nothing, so unlike MSET (fanout.test.ts) it is never split.
    await expect(c.msetnx(`a:${run}`, '1', `b:${run}`, '2')).rejects.toThrow("CROSSSLOT Keys in request don't hash to the same slot");
    await expect(c.call('SUNIONSTORE', `x:${run}`, `{t}a`, `{t}b`)).rejects.toThrow('CROSSSLOT');
    expect(await c.mset(`{${run}}a`, '1', `{${run}}b`, '2')).toBe('OK');
    expect(await c.mget(`{${run}}a`, `{${run}}b`)).toEqual(['1', '2']);
  });

  it('answers keyless commands like Redis', async () => {
    const c = proxy.client();
    expect(await c.call('ECHO', 'hi')).toBe('hi');
    expect(await c.ping('msg')).toBe('msg');
    expect(await c.select(0)).toBe('OK');
    await expect(c.select(1)).rejects.toThrow('ERR SELECT is not allowed in cluster mode');
    const time = (await c.time()) as unknown as string[];
    expect(Math.abs(Number(time[0]) - Date.now() / 1000)).toBeLessThan(60);
    expect(await c.command('COUNT')).toBe(await node.command('COUNT'));
    expect(await c.call('COMMAND', 'GETKEYS', 'MSET', 'a', '1', 'b', '2')).toEqual(['a', 'b']);
    expect(await c.call('COMMAND', 'INFO', 'get')).toEqual(await node.call('COMMAND', 'INFO', 'get'));
    expect((await c.call('COMMAND', 'LIST')) as string[]).toContain('get');
    expect(((await c.call('COMMAND', 'DOCS', 'get')) as unknown[])[0]).toBe('get');
    const hello = (await c.call('HELLO', '2')) as unknown[];
    expect(hello.slice(0, 6)).toEqual(['server', 'redis', 'version', await node.info('server').then((s) => /redis_version:(\S+)/.exec(s)![1]), 'proto', 2]);
    await expect(c.call('HELLO', '4')).rejects.toThrow('NOPROTO');
    expect(await rawVia(proxy.port, 'QUIT\r\n')).toBe('OK');
  });

  it('gives the same errors as Redis for unknown commands and wrong arity', async () => {
    const cases = [
      ['FOO'], ['FOO', 'a', 'b'], ['foo', 'x'.repeat(300)], ['GET'], ['GET', 'a', 'b'], ['OBJECT', 'NOPE', 'k'],
      ['CONFIG'], ['XINFO', 'STREAM'], ['MEMORY', 'USAGE'],
    ];
    for (const args of cases) {
      const viaProxy = await rawVia(proxy.port, encode(args));
      const viaNode = await rawOn(node, encode(args));
      expect(viaProxy, args.join(' ')).toEqual(viaNode);
    }
  });

  it('answers malformed RESP with the Redis protocol error and closes only that connection', async () => {
    const bystander = proxy.client();
    const cases = [
      '*1\r\n$3\r\nGET\r\n*x\r\n', // a wrong-arity command, then a bad multibulk count
      '*2\r\n$3\r\nGET\r\n!3\r\nabc\r\n', // not a bulk
      '*1\r\n$-5\r\n', // negative bulk length
      `*1\r\n$${512 * 1024 * 1024 + 1}\r\n`, // bulk too large
      `PING\r\n*1\r\n$4\r\nPING\r\n*${'9'.repeat(70 * 1024)}`, // multibulk count line too long
      'x'.repeat(70 * 1024), // inline too big, no newline
    ];
    for (const input of cases) {
      const viaProxy = await repliesUntilClose(proxy.port, input).catch((e: Error) => { throw new Error(`proxy ${JSON.stringify(input.slice(0, 30))}: ${e.message}`); });
      const viaNode = await repliesUntilClose(node.options.port!, input, node.options.host).catch((e: Error) => { throw new Error(`node ${JSON.stringify(input.slice(0, 30))}: ${e.message}`); });
      expect(viaProxy, JSON.stringify(input.slice(0, 40))).toEqual(viaNode);
      expect(String(viaProxy[viaProxy.length - 1])).toMatch(/^ERR Protocol error/);
    }
    // Redis itself allows up to INT_MAX elements once authenticated; slotgate takes "at most 1 048 576
    // arguments" (README: *What clients see*, Bad input).
    expect(await repliesUntilClose(proxy.port, `*${1024 * 1024 + 1}\r\n`)).toEqual(['ERR Protocol error: invalid multibulk length']);
    expect(await bystander.ping()).toBe('PONG');
  });

  it('serves MULTI/EXEC atomically on one slot and rejects cross-slot transactions', async () => {
    const c = proxy.client();
    const k = `{tx${run}}`;
    const results = await c.multi().set(`${k}a`, '1').incr(`${k}a`).get(`${k}a`).exec();
    expect(results).toEqual([[null, 'OK'], [null, 2], [null, '2']]);
    await expect(c.multi().set(`${k}a`, '1').set(`other${run}`, '2').exec()).rejects.toThrow('EXECABORT');
    // WATCH: a concurrent change aborts the transaction
    const other = proxy.client();
    await c.watch(`${k}w`);
    await other.set(`${k}w`, 'changed');
    expect(await c.multi().set(`${k}w`, 'mine').exec()).toBeNull();
    expect(await c.get(`${k}w`)).toBe('changed');
    await c.watch(`${k}w`);
    expect(await c.multi().set(`${k}w`, 'mine').exec()).toEqual([[null, 'OK']]);
    expect(await other.get(`${k}w`)).toBe('mine');
  });

  it('runs blocking commands without stalling other clients', async () => {
    const blocker = proxy.client();
    const other = proxy.client();
    const k = `blk:${run}`;
    const popped = blocker.blpop(k, 5);
    await new Promise((r) => setTimeout(r, 100));
    // Other clients on the same shared backend connections keep working meanwhile.
    for (let i = 0; i < 20; i++) expect(await other.ping()).toBe('PONG');
    expect(await other.set(`${k}:side`, 'x')).toBe('OK');
    await other.rpush(k, 'v');
    expect(await popped).toEqual([k, 'v']);
  });
  it('a blocking command from a new client is on the node before a write another client sends after it (Redis 7.0 suite: "Blocking XREADGROUP: key deleted")', async () => {
    const stream = `{blk:${run}}:stream`;
    const owner = proxy.handle.context.topology.current.masterForSlot(keyHashSlot(Buffer.from(stream)))!.address;
    const other = await RawClient.connect(proxy.port);
    try {
      // The first blocking command to this node (and protocol) opens what the later ones find ready.
      const first = await RawClient.connect(proxy.port);
      expect(await first.call('BLPOP', `{blk:${run}}:none`, '0.01')).toBeNull();
      first.close();
      for (let round = 1; round <= 10; round++) {
        // The spare opened behind the last one taken is signed in (on a loaded machine that takes
        // a moment; a command given a connection still connecting could be overtaken).
        await waitUntil(() => proxy.handle.context.pool.blockingSpareReady(owner), 10_000, 'the spare blocking connection to be open');
        // As Redis's suite does it: a fresh client (one PING answered) sends the blocking read, and
        // without waiting for anything another client writes. The node must see them in that
        // order: XREAD … $ reads what comes after the stream's last entry *when it runs*, so it
        // gets this round's entry only if it was there before the XADD (had the XADD overtaken it
        // while its backend connection was being opened, it would wait for a later entry).
        const reader = await RawClient.connect(proxy.port);
        try {
          expect(await reader.call('PING')).toBe('PONG');
          reader.command('XREAD', 'BLOCK', '0', 'STREAMS', stream, '$');
          expect(String(await other.call('XADD', stream, `${round}-1`, 'f', 'v'))).toBe(`${round}-1`);
          const answer = (await reader.next()) as [Buffer, [Buffer, Buffer[]][]][];
          expect(String(answer[0]![1][0]![0])).toBe(`${round}-1`);
        } finally {
          reader.close();
        }
      }
    } finally {
      other.close();
    }
  });
});

function encode(args: string[]): string {
  return `*${args.length}\r\n` + args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('');
}

/** Sends raw bytes to slotgate and returns the first reply (error text for errors). */
async function rawVia(port: number, input: string): Promise<unknown> {
  const c = await RawClient.connect(port);
  c.write(input);
  const reply = await c.next();
  c.close();
  return reply instanceof RespError ? reply.message : reply;
}

/** The same against a backend node: error text of the last reply before close, or the first reply. */
async function rawOn(node: Redis, input: string, untilClose = false): Promise<unknown> {
  const opts = node.options;
  const c = await RawClient.connect(opts.port!, opts.host);
  c.write(input);
  const replies: unknown[] = [];
  for (;;) {
    const reply = await c.next(3000).catch(() => undefined);
    if (reply === undefined) break;
    replies.push(reply instanceof RespError ? reply.message : reply);
    if (!untilClose) break;
  }
  c.close();
  return untilClose ? replies : replies[0];
}
