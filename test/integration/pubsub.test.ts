// Pub/sub through slotgate on the shared cluster: Redis's exact subscribed-mode bytes (a standalone
// redis-server is the oracle), messages published anywhere in the cluster, many clients on one
// upstream subscription, unsubscribe semantics, sharded channels, slow subscribers, drain.
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { referenceRedisServer, startStandaloneRedis, type StandaloneRedis } from '../../scripts/dev/redis-server.js';
import { stringKeyHashSlot } from '../../src/cluster/hash-slot.js';
import { encodeCommand } from '../../src/protocol/encoder.js';
import { ReplyFramer } from '../../src/protocol/reply-framer.js';
import { sharedClusterSeeds } from '../helpers/cluster-fixture.js';
import { useProxyFixture } from '../helpers/proxy-fixture.js';
import { startProxy } from '../helpers/slotgate.js';
import { waitUntil } from '../helpers/wait-until.js';

const PATIENCE_MS = 30_000;
const run = `ps${process.pid}-${Date.now()}`;

/** Writes `commands` pipelined on a fresh connection and returns the bytes of the first `frames` reply frames. */
async function rawExchange(port: number, commands: (string | Buffer)[][], frames: number): Promise<Buffer> {
  const socket = net.connect({ port, host: '127.0.0.1' });
  const got: Buffer[] = [];
  try {
    return await new Promise<Buffer>((resolve, reject) => {
      const framer = new ReplyFramer((frame) => {
        got.push(frame);
        if (got.length === frames) resolve(Buffer.concat(got));
      });
      socket.on('data', (chunk) => framer.write(chunk));
      socket.on('error', reject);
      socket.on('close', () => reject(new Error(`closed after ${got.length} frames: ${Buffer.concat(got).toString('latin1')}`)));
      // Bounded only so that a wrong count fails with what did come, not with the test's timeout.
      setTimeout(() => reject(new Error(`${got.length} of ${frames} frames: ${Buffer.concat(got).toString('latin1')}`)), 10_000).unref();
      // Pipelined in one write: Redis answers in order, and slotgate must too.
      socket.write(Buffer.concat(commands.map((c) => encodeCommand(c))));
    });
  } finally {
    socket.destroy();
  }
}

/**
 * Sends HELLO `protocol`, then once it is answered `commands` pipelined, and returns every byte
 * that follows HELLO's reply up to `last` (push frames included, which ReplyFramer keeps apart).
 */
async function bytesAfterHello(port: number, protocol: '2' | '3', commands: string[][], last: string): Promise<string> {
  const socket = net.connect({ port, host: '127.0.0.1' });
  let received = '';
  let sent = false;
  try {
    return await new Promise<string>((resolve, reject) => {
      socket.on('data', (chunk) => {
        received += chunk.toString('latin1');
        if (!sent) {
          sent = true; // HELLO's reply is one small write: the first chunk
          received = '';
          socket.write(Buffer.concat(commands.map((c) => encodeCommand(c))));
        } else if (received.endsWith(last)) resolve(received);
      });
      socket.on('error', reject);
      setTimeout(() => reject(new Error(`got: ${received}`)), 10_000).unref();
      socket.write(encodeCommand(['HELLO', protocol]));
    });
  } finally {
    socket.destroy();
  }
}

/** Resolves with the next message event of `client` (ioredis). */
function nextMessage(client: Redis, event: 'message' | 'pmessage' | 'smessage'): Promise<string[]> {
  return new Promise((resolve) => client.once(event, (...args: string[]) => resolve(args)));
}

async function sumOverNodes(fx: ReturnType<typeof useProxyFixture>, ...args: string[]): Promise<number> {
  const replies = await Promise.all(fx.backend.all.map((n) => n.client.call(...(args as [string, ...string[]])) as Promise<[string, number]>));
  return replies.reduce((sum, reply) => sum + Number(reply[1]), 0);
}

describe('pub/sub through slotgate', () => {
  const fx = useProxyFixture(sharedClusterSeeds);
  let oracle: StandaloneRedis;
  beforeAll(async () => {
    // Subscribed mode is slotgate's own: Redis's replies whatever the nodes run (Valkey 8 answers
    // an UNSUBSCRIBE outside subscribed mode with -NOSUB).
    oracle = await startStandaloneRedis({ redisServer: referenceRedisServer() });
  });
  afterAll(async () => {
    await oracle?.stop();
  });

  it('answers subscribed-mode commands with the exact bytes Redis sends', async () => {
    const a = `${run}:bytes:a`;
    const b = `${run}:bytes:b`;
    const missing = `${run}:bytes:missing-key`;
    const conversation: string[][] = [
      ['UNSUBSCRIBE'],
      ['PUNSUBSCRIBE'],
      ['SUBSCRIBE', a, b, a],
      ['PING'],
      ['PING', 'hello'],
      ['GET', missing],
      ['CLIENT', 'ID'],
      ['UNSUBSCRIBE', b, `${run}:never`],
      ['PSUBSCRIBE', `${run}:p*`],
      ['UNSUBSCRIBE'],
      ['PUNSUBSCRIBE'],
      ['UNSUBSCRIBE'],
      ['GET', missing],
      ['PING'],
    ];
    // Frames: 1+1+3+1+1+1+1+2+1+1+1+1+1+1
    const frames = 17;
    const expected = await rawExchange(oracle.port, conversation, frames);
    expect(expected.toString('latin1')).toContain("-ERR Can't execute 'get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context");
    expect(expected.toString('latin1')).toContain('*2\r\n$4\r\npong\r\n$0\r\n\r\n');
    expect((await rawExchange(fx.proxy.port, conversation, frames)).toString('latin1')).toBe(expected.toString('latin1'));
  });

  it('answers shard-channel subscriptions and RESET out of subscribed mode with the bytes Redis sends', async () => {
    const conversation: string[][] = [
      ['SUNSUBSCRIBE'],
      ['SSUBSCRIBE', `${run}:s1`],
      ['SUBSCRIBE', `${run}:c1`],
      ['SSUBSCRIBE', `${run}:s2`],
      ['SUNSUBSCRIBE', `${run}:s1`, `${run}:nope`],
      ['SUNSUBSCRIBE'],
      ['SET', `${run}:x`, '1'],
      ['RESET'],
      ['DEL', `${run}:x`],
    ];
    const frames = 10;
    const expected = await rawExchange(oracle.port, conversation, frames);
    expect((await rawExchange(fx.proxy.port, conversation, frames)).toString('latin1')).toBe(expected.toString('latin1'));
  });

  it.each(['2', '3'] as const)('sends a RESP%s client its confirmations under CLIENT REPLY OFF, as Redis does', async (protocol) => {
    const conversation = [
      ['CLIENT', 'REPLY', 'OFF'],
      ['SUBSCRIBE', `${run}:off`],
      ['PSUBSCRIBE', `${run}:of*`],
      ['GET', `${run}:missing`],
      ['UNSUBSCRIBE'],
      ['PUNSUBSCRIBE'],
      ['CLIENT', 'REPLY', 'ON'],
      ['PING'],
    ];
    const expected = await bytesAfterHello(oracle.port, protocol, conversation, '+PONG\r\n');
    expect(expected).toContain('$10\r\npsubscribe');
    expect(await bytesAfterHello(fx.proxy.port, protocol, conversation, '+PONG\r\n')).toBe(expected);
  });

  it('delivers messages published on any node, to channel and pattern subscribers', async () => {
    const channel = `${run}:news`;
    const sub = fx.proxy.client();
    await sub.subscribe(channel);
    await sub.psubscribe(`${run}:ne*`);
    // Published straight to every master and a replica: PUBLISH is broadcast over the cluster bus.
    for (const node of fx.backend.all) {
      const message = nextMessage(sub, 'message');
      const pmessage = nextMessage(sub, 'pmessage');
      await node.client.publish(channel, `from ${node.address}`);
      expect(await message).toEqual([channel, `from ${node.address}`]);
      expect(await pmessage).toEqual([`${run}:ne*`, channel, `from ${node.address}`]);
    }
    // And through slotgate itself.
    const message = nextMessage(sub, 'message');
    await fx.client.publish(channel, 'through slotgate');
    expect(await message).toEqual([channel, 'through slotgate']);
  });

  it('writes message and pmessage frames with the exact bytes Redis sends', async () => {
    const channel = `${run}:frames`;
    const conversation = [['SUBSCRIBE', channel], ['PSUBSCRIBE', `${run}:fr*`]];
    const capture = async (port: number, publish: () => Promise<unknown>): Promise<string> => {
      const socket = net.connect({ port, host: '127.0.0.1' });
      const got: Buffer[] = [];
      try {
        await new Promise<void>((resolve, reject) => {
          let published = false;
          const framer = new ReplyFramer((frame) => {
            got.push(frame);
            if (got.length === 2 && !published) {
              published = true;
              publish().catch(reject);
            }
            if (got.length === 4) resolve();
          });
          socket.on('data', (chunk) => framer.write(chunk));
          socket.on('error', reject);
          setTimeout(() => reject(new Error(`got: ${Buffer.concat(got).toString('latin1')}`)), 10_000).unref();
          socket.write(Buffer.concat(conversation.map((c) => encodeCommand(c))));
        });
      } finally {
        socket.destroy();
      }
      return Buffer.concat(got).toString('latin1');
    };
    const oracleBytes = await capture(oracle.port, async () => {
      const direct = new Redis({ port: oracle.port, host: '127.0.0.1' });
      await direct.publish(channel, 'bin\r\n\0ary');
      direct.disconnect();
    });
    const proxyBytes = await capture(fx.proxy.port, () => fx.backend.masters[1]!.client.publish(channel, 'bin\r\n\0ary'));
    expect(oracleBytes).toContain('pmessage');
    expect(proxyBytes).toBe(oracleBytes);
  });

  it('holds one upstream subscription for many clients on one channel, and drops it with the last', async () => {
    const channel = `${run}:crowd`;
    const subs = Array.from({ length: 25 }, () => fx.proxy.client());
    for (const sub of subs) await sub.subscribe(channel);
    // The nodes see ONE subscriber (slotgate's upstream connection), and one connection subscribed.
    expect(await sumOverNodes(fx, 'PUBSUB', 'NUMSUB', channel)).toBe(1);
    const subscribedConnections = await Promise.all(
      fx.backend.all.map(async (n) => ((await n.client.call('CLIENT', 'LIST')) as string).split('\n').filter((line) => / sub=[1-9]/.test(line)).length),
    );
    expect(subscribedConnections.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(2); // slotgate's classic link (+ ours from other tests)
    // Slotgate counts its own clients.
    expect(await fx.client.call('PUBSUB', 'NUMSUB', channel)).toEqual([channel, 25]);

    const received = subs.map((sub) => nextMessage(sub, 'message'));
    await fx.backend.masters[2]!.client.publish(channel, 'to all');
    for (const got of await Promise.all(received)) expect(got).toEqual([channel, 'to all']);

    // One leaves: the others still receive, the upstream subscription stays.
    await subs[0]!.unsubscribe(channel);
    const stillListening = subs.slice(1).map((sub) => nextMessage(sub, 'message'));
    let strayToLeaver = false;
    subs[0]!.once('message', () => (strayToLeaver = true));
    await fx.backend.masters[0]!.client.publish(channel, 'after one left');
    await Promise.all(stillListening);
    expect(strayToLeaver).toBe(false);
    expect(await sumOverNodes(fx, 'PUBSUB', 'NUMSUB', channel)).toBe(1);
    expect(await fx.client.call('PUBSUB', 'NUMSUB', channel)).toEqual([channel, 24]);

    // The rest leave, some by UNSUBSCRIBE, some by disconnecting: the upstream subscription goes.
    for (const sub of subs.slice(1, 12)) await sub.unsubscribe();
    for (const sub of subs.slice(12)) sub.disconnect();
    await waitUntil(async () => (await sumOverNodes(fx, 'PUBSUB', 'NUMSUB', channel)) === 0, PATIENCE_MS, 'the upstream UNSUBSCRIBE');
    expect(await fx.client.call('PUBSUB', 'NUMSUB', channel)).toEqual([channel, 0]);
  });

  it('counts direct subscribers of the nodes together with slotgate\'s own clients', async () => {
    const channel = `${run}:mixed`;
    const direct = fx.backend.masters[1]!.client.duplicate();
    await direct.subscribe(channel);
    const subs = [fx.proxy.client(), fx.proxy.client()];
    for (const sub of subs) await sub.subscribe(channel);
    try {
      expect(await fx.client.call('PUBSUB', 'NUMSUB', channel)).toEqual([channel, 3]);
    } finally {
      direct.disconnect();
    }
  });

  it('PUBLISH and SPUBLISH return the receivers one Redis counts: channel and pattern subscribers, direct ones where it landed', async () => {
    const channel = `${run}:count:{c}`;
    // The same steps on the oracle and through slotgate; each step's PUBLISH / SPUBLISH replies.
    const steps = async (port: number): Promise<number[]> => {
      const clients = [0, 1, 2, 3].map(() => new Redis({ port, host: '127.0.0.1' }));
      const publisher = new Redis({ port, host: '127.0.0.1' });
      const counts: number[] = [];
      const publishBoth = async (): Promise<void> => {
        counts.push(await publisher.publish(channel, 'm'), (await publisher.call('SPUBLISH', channel, 's')) as number);
      };
      try {
        await publishBoth(); // nobody: 0
        await clients[0]!.subscribe(channel);
        await publishBoth(); // 1
        await clients[1]!.psubscribe(`${run}:count:*`);
        await publishBoth(); // 2
        await clients[1]!.psubscribe(`${run}:cou[m-o]t:?c}`, `${run}:nomatch*`);
        await clients[2]!.ssubscribe(channel);
        await clients[3]!.ssubscribe(channel);
        await publishBoth(); // 3 (one client, two patterns counted twice), 2 shard subscribers
        await clients[0]!.unsubscribe(channel);
        await publishBoth();
      } finally {
        for (const client of [...clients, publisher]) client.disconnect();
      }
      return counts;
    };
    const expected = await steps(oracle.port);
    expect(expected).toEqual([0, 0, 1, 0, 2, 0, 3, 2, 2, 2]);
    expect(await steps(fx.proxy.port)).toEqual(expected);

    // A client subscribed on the node itself counts too (SPUBLISH lands on the channel's master).
    const owner = await fx.backend.masterOf(channel);
    const direct = owner.client.duplicate();
    const sub = fx.proxy.client();
    try {
      await direct.ssubscribe(channel);
      await sub.ssubscribe(channel);
      expect(await fx.client.call('SPUBLISH', channel, 'both')).toBe(2);
    } finally {
      direct.disconnect();
      sub.disconnect();
    }
  });

  it('subscribes shard channels on their slot\'s master; SPUBLISH reaches them', async () => {
    const channel = `${run}:shard:{a}`;
    const owner = await fx.backend.masterOf(channel);
    const sub = fx.proxy.client();
    await sub.ssubscribe(channel);
    // Held on the owner (SPUBLISH is not broadcast), once.
    expect(await owner.client.call('PUBSUB', 'SHARDNUMSUB', channel)).toEqual([channel, 1]);
    let message = nextMessage(sub, 'smessage');
    expect(await owner.client.call('SPUBLISH', channel, 'direct')).toBe(1);
    expect(await message).toEqual([channel, 'direct']);
    // SPUBLISH through slotgate is routed by the channel's slot.
    message = nextMessage(sub, 'smessage');
    expect(await fx.client.call('SPUBLISH', channel, 'routed')).toBe(1);
    expect(await message).toEqual([channel, 'routed']);
    expect(stringKeyHashSlot(channel)).toBe(stringKeyHashSlot('a'));
    expect(await fx.client.call('PUBSUB', 'SHARDNUMSUB', channel)).toEqual([channel, 1]);
    await sub.sunsubscribe(channel);
    await waitUntil(async () => ((await owner.client.call('PUBSUB', 'SHARDNUMSUB', channel)) as [string, number])[1] === 0, PATIENCE_MS, 'the upstream SUNSUBSCRIBE');
  });

  it('disconnects a subscriber that does not read past client-output-buffer-limit-pubsub; the others get every message', async () => {
    const proxy = await startProxy(sharedClusterSeeds(), ['--client-output-buffer-limit-pubsub', '1mb']);
    const channel = `${run}:firehose`;
    const slow = net.connect({ port: proxy.port, host: '127.0.0.1' });
    slow.on('error', () => undefined);
    let slowClosed = false;
    slow.on('close', () => (slowClosed = true));
    try {
      slow.write(encodeCommand(['SUBSCRIBE', channel]));
      const fast = proxy.client();
      let count = 0;
      fast.on('message', () => count++);
      await fast.subscribe(channel);
      await waitUntil(async () => (await proxy.handle.context.pubsub.subscriberCount('channel', channel)) === 2, PATIENCE_MS, 'both subscribed');
      slow.pause(); // reads nothing from now on
      const payload = 'x'.repeat(64 * 1024);
      const total = 400; // ~25 MB: more than the socket buffers and the 1 MB limit
      const publisher = fx.backend.masters[0]!.client;
      for (let i = 0; i < total; i++) await publisher.publish(channel, payload);
      await waitUntil(() => count === total, PATIENCE_MS, 'the reading subscriber to get every message');
      await waitUntil(() => proxy.handle.sessions.size === 1 || slowClosed, PATIENCE_MS, 'the slow subscriber to be disconnected');
      expect(proxy.handle.sessions.size).toBe(1);
      const disconnected = (await proxy.handle.context.metrics.pubsubSlowSubscribersDisconnected.get()).values[0]!.value;
      expect(disconnected).toBe(1);
    } finally {
      slow.destroy();
      await proxy.close();
    }
  });

  it('counts a subscribed client as busy during a drain: it is cut at the deadline, not closed as idle', async () => {
    const proxy = await startProxy(sharedClusterSeeds());
    const sub = proxy.client({ retryStrategy: () => null });
    sub.on('error', () => undefined);
    await sub.subscribe(`${run}:drain`);
    const idle = proxy.client({ retryStrategy: () => null });
    idle.on('error', () => undefined);
    await idle.ping();
    try {
      expect(await proxy.handle.drain(300)).toEqual({ drained: 1, cut: 1 });
    } finally {
      await proxy.close();
    }
  });
});
