// No client can crash, stall or lock out slotgate (issue #7): commands that used to throw in the
// fan-out, partial writes, faults inside slotgate failing one command only, SCRIPT KILL reaching
// a busy master, and a burst of big-value reads bounded per client.
import { Writable } from 'node:stream';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { stringKeyHashSlot } from '../../src/cluster/hash-slot.js';
import { encodeCommand } from '../../src/protocol/encoder.js';
import { RespError } from '../../src/protocol/reply-parser.js';
import { sharedClusterSeeds, useDedicatedCluster } from '../helpers/cluster-fixture.js';
import { runAndKillBusyScript } from '../helpers/busy-script.js';
import { startFakeNode, type FakeNode } from '../fakes/fake-node.js';
import { RawClient, startProxy, type StartedProxy } from '../helpers/slotgate.js';
import { waitUntil } from '../helpers/wait-until.js';

const ARITY_MSET = 'ERR wrong number of arguments for \'mset\' command';

function errorText(reply: unknown): string {
  return reply instanceof RespError ? reply.message : `not an error: ${String(reply)}`;
}

async function metricValue(proxy: StartedProxy, line: string): Promise<number> {
  const text = await proxy.handle.context.metrics.registry.metrics();
  const found = text.split('\n').find((l) => l.startsWith(line));
  return found ? Number(found.slice(line.length).trim()) : 0;
}

describe('commands slotgate splits are validated whole before any part is sent', () => {
  let proxy: StartedProxy;
  beforeAll(async () => {
    proxy = await startProxy(sharedClusterSeeds());
  });
  afterAll(async () => {
    await proxy?.close();
  });

  it('MSET with an odd argument count across slots gets the arity error and the proxy keeps serving', async () => {
    // a, b: slots 15495 and 3300, so the command would be split.
    expect(stringKeyHashSlot('a')).not.toBe(stringKeyHashSlot('b'));
    const raw = await RawClient.connect(proxy.port);
    try {
      expect(errorText(await raw.call('MSET', 'a', '1', 'b', '2', 'a'))).toBe(ARITY_MSET);
      expect(await raw.call('PING')).toBe('PONG');
    } finally {
      raw.close();
    }
    const other = await RawClient.connect(proxy.port);
    try {
      expect(await other.call('PING')).toBe('PONG');
    } finally {
      other.close();
    }
  });

  it('CONFIG SET with a parameter missing its value gets the arity error in every config-set mode', async () => {
    for (const mode of ['ignore', 'deny', 'forward']) {
      const configured = await startProxy(sharedClusterSeeds(), ['--config-set', mode]);
      const raw = await RawClient.connect(configured.port);
      try {
        expect(errorText(await raw.call('CONFIG', 'SET', 'maxmemory-samples', '5', 'lazyfree-lazy-eviction'))).toBe(
          "ERR wrong number of arguments for 'config|set' command",
        );
      } finally {
        raw.close();
        await configured.close();
      }
    }
  });

  it('MSET a 1 b (a value missing) writes nothing, as Redis', async () => {
    const client = proxy.client();
    const [k1, k2] = ['hardening:partial:a', 'hardening:partial:b'];
    expect(stringKeyHashSlot(k1)).not.toBe(stringKeyHashSlot(k2));
    await client.del(k1, k2);
    const raw = await RawClient.connect(proxy.port);
    try {
      expect(errorText(await raw.call('MSET', k1, '1', k2))).toBe(ARITY_MSET);
    } finally {
      raw.close();
    }
    expect(await client.exists(k1, k2)).toBe(0);
  });
});

describe('a fault inside slotgate fails that one command', () => {
  let proxy: StartedProxy;
  const logLines: string[] = [];
  beforeAll(async () => {
    const capture = new Writable({
      write(chunk: Buffer, _encoding, done) {
        logLines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
        done();
      },
    });
    proxy = await startProxy(sharedClusterSeeds(), ['--log-level', 'error'], { logDestination: capture });
  });
  afterAll(async () => {
    await proxy?.close();
  });

  it('an exception while dispatching gets -ERR slotgate internal error, is counted and logged; the connection and others go on', async () => {
    const context = proxy.handle.context;
    const healthy = proxy.client();
    await healthy.set('hardening:fault', 'kept');
    const raw = await RawClient.connect(proxy.port);
    const before = await metricValue(proxy, 'slotgate_internal_errors_total{command="dbsize"}');
    // Fault injection: the next command's permission check meets a runtime that throws.
    const runtime = context.runtime;
    context.runtime = Object.create(runtime, {
      disabledCommands: {
        get() {
          context.runtime = runtime;
          throw new Error('injected fault');
        },
      },
    });
    try {
      expect(errorText(await raw.call('DBSIZE'))).toMatch(/^ERR slotgate internal error/);
    } finally {
      context.runtime = runtime;
    }
    expect(await raw.call('PING')).toBe('PONG');
    expect(await healthy.get('hardening:fault')).toBe('kept');
    raw.close();
    expect(await metricValue(proxy, 'slotgate_internal_errors_total{command="dbsize"}')).toBe(before + 1);
    const logged = logLines.filter((l) => l.includes('internal error'));
    expect(logged.length).toBe(1);
    expect(JSON.parse(logged[0]!)).toMatchObject({ command: 'dbsize' });
  });
});

describe('a backend reply slotgate did not expect', () => {
  let node: FakeNode;
  let proxy: StartedProxy;
  let released = false;
  beforeAll(async () => {
    // SCAN answered with an integer where an array belongs; GETs echo their key once released.
    node = await startFakeNode((args) => {
      const name = args[0]!.toLowerCase();
      if (name === 'get') return released ? Buffer.from(`$${args[1]!.length}\r\n${args[1]}\r\n`) : null;
      if (name === 'scan') return Buffer.from(':5\r\n');
      return Buffer.from('-ERR not scripted\r\n');
    });
    // One shared connection: every client's requests travel the same backend stream.
    proxy = await startProxy([node.seed], ['--backend-connections', '1']);
  });
  afterAll(async () => {
    await proxy?.close();
    await node?.close();
  });

  it('fails only the command that got it; another client pipelined on the same connection gets every reply', async () => {
    const pipelined = await RawClient.connect(proxy.port);
    const scanner = await RawClient.connect(proxy.port);
    try {
      for (let i = 0; i < 5; i++) pipelined.command('GET', `k${i}`);
      await waitUntil(() => node.received.length === 5, 5000, 'the first GETs at the node');
      scanner.command('SCAN', '0');
      await waitUntil(() => node.received.length === 6, 5000, 'the SCAN at the node');
      for (let i = 5; i < 10; i++) pipelined.command('GET', `k${i}`);
      await waitUntil(() => node.received.length === 11, 5000, 'the later GETs at the node');
      // Everything held goes now, in order, in one write.
      released = true;
      node.release();
      expect(errorText(await scanner.next())).toMatch(/^ERR slotgate internal error/);
      const values: unknown[] = [];
      for (let i = 0; i < 10; i++) values.push((await pipelined.next()) as Buffer);
      expect(values.map(String)).toEqual(Array.from({ length: 10 }, (_, i) => `k${i}`));
      // The connection was not torn down: both clients go on.
      pipelined.command('GET', 'after');
      expect(String(await pipelined.next())).toBe('after');
    } finally {
      pipelined.close();
      scanner.close();
    }
  });
});

describe('busy masters and big values', () => {
  const cluster = useDedicatedCluster({ replicasPerMaster: 0, nodeTimeoutMs: 60_000 });
  let proxy: StartedProxy;
  const direct: Redis[] = [];
  beforeAll(async () => {
    // One shared connection per node, so the killer's SCRIPT KILL would queue behind the script.
    proxy = await startProxy(cluster().seeds, ['--backend-connections', '1', '--command-timeout', '3000']);
    for (const node of cluster().nodes) {
      const redis = new Redis({ host: '127.0.0.1', port: node.port, lazyConnect: true });
      await redis.connect();
      // Redis answers other clients during a script only after this long (default 5 s).
      await redis.config('SET', 'busy-reply-threshold', '100');
      direct.push(redis);
    }
  });
  afterAll(async () => {
    for (const redis of direct) redis.disconnect();
    await proxy?.close();
  });
  afterEach(async () => {
    for (const redis of direct) await redis.config('RESETSTAT');
  });

  it('SCRIPT KILL reaches a master busy with a script that runs on the same shared connection', async () => {
    const runner = await RawClient.connect(proxy.port);
    const killer = await RawClient.connect(proxy.port);
    try {
      expect(await runAndKillBusyScript(runner, killer, 'hardening:busy')).toBe('OK');
      expect(errorText(await runner.next())).toMatch(/killed by user/i);
      expect(await runner.call('SET', 'hardening:busy', 'free')).toBe('OK');
    } finally {
      runner.close();
      killer.close();
    }
  });

  it('a burst of pipelined GETs of a 1 MB value is forwarded a window at a time, not all at once', async () => {
    // One hash tag: the other client's key is on the same master, so on the same shared connection.
    const key = '{hardening:big}';
    const client = proxy.client();
    await client.set(key, Buffer.alloc(1024 * 1024, 0x61));
    const owner = direct.find((r) => r.options.port === proxy.handle.context.topology.current.masterForSlot(stringKeyHashSlot(key))!.port)!;
    await owner.config('RESETSTAT');
    // 2,500 GETs in one write (about 70 kB), from a client that does not read its replies.
    const burst = Buffer.concat(Array.from({ length: 2500 }, () => encodeCommand(['GET', key])));
    const greedy = await RawClient.connect(proxy.port);
    greedy.socket.pause();
    greedy.write(burst);
    try {
      // Meanwhile another client on the same shard and the same shared connection is served.
      const other = proxy.client({ maxRetriesPerRequest: 0 });
      for (let i = 0; i < 20; i++) expect(await other.set(`${key}:other`, String(i))).toBe('OK');
      // Those SETs queued behind every GET forwarded before them (one connection answers in
      // order), and the greedy client gets no more forwarded while it does not read: what the
      // master has run now is all the proxy let through.
      const stats = (await owner.info('commandstats')).match(/cmdstat_get:calls=(\d+)/);
      const gets = stats ? Number(stats[1]) : 0;
      expect(gets).toBeGreaterThan(0);
      expect(gets).toBeLessThan(200);
    } finally {
      greedy.close();
    }
  });
});

describe('blocking commands inside a pipeline', () => {
  let proxy: StartedProxy;
  beforeAll(async () => {
    proxy = await startProxy(sharedClusterSeeds());
  });
  afterAll(async () => {
    await proxy?.close();
  });

  // Each pipeline in one write; Redis runs a client's commands in order, blocking ones included.
  const cases: { name: string; pipeline: string[][]; expected: unknown[] }[] = [
    {
      name: 'a blocking pop sees the writes before it and not those after it',
      pipeline: [['DEL', 'hb:k'], ['BLPOP', 'hb:k', '0.01'], ['SET', 'hb:k', 'v']],
      expected: [expect.any(Number), null, 'OK'],
    },
    {
      name: 'a write before the blocking command is visible to it; a delete after it does not overtake it',
      pipeline: [['SET', 'hb:k', 'v'], ['BLPOP', 'hb:k', '0.01'], ['DEL', 'hb:k']],
      expected: ['OK', 'WRONGTYPE', 1],
    },
    {
      name: 'a list pushed before is popped by the blocking command, then the next command sees it gone',
      pipeline: [['RPUSH', 'hb:l', 'a'], ['BLPOP', 'hb:l', '1'], ['EXISTS', 'hb:l']],
      expected: [1, ['hb:l', 'a'], 0],
    },
  ];
  for (const { name, pipeline, expected } of cases) {
    it(name, async () => {
      const raw = await RawClient.connect(proxy.port);
      try {
        raw.write(Buffer.concat(pipeline.map((c) => encodeCommand(c))));
        const replies: unknown[] = [];
        for (let i = 0; i < pipeline.length; i++) {
          const reply = await raw.next();
          replies.push(reply instanceof RespError ? reply.message.split(' ')[0] : Buffer.isBuffer(reply) ? String(reply) : Array.isArray(reply) ? reply.map(String) : reply);
        }
        expect(replies).toEqual(expected);
      } finally {
        raw.close();
      }
    });
  }
});
