// MULTI/EXEC through slotgate as Redis has them: commands slotgate answers itself (CONFIG SET/GET,
// DBSIZE …) are queued and answered at EXEC, errors included; a standalone redis-server is the oracle.
import { describe, expect, it } from 'vitest';
import { sharedClusterSeeds } from '../helpers/cluster-fixture.js';
import { converse, plain, type Command } from '../helpers/conversation.js';
import { useProxyFixture } from '../helpers/proxy-fixture.js';
import { RawClient } from '../helpers/slotgate.js';
import { useStandaloneRedis } from '../helpers/standalone-redis.js';

const run = `tx${process.pid}-${Date.now()}`;

describe('transactions through slotgate', () => {
  const fx = useProxyFixture(sharedClusterSeeds);
  const oracle = useStandaloneRedis();

  it('queues CONFIG SET and CONFIG GET inside MULTI and answers them in EXEC\'s array, errors included', async () => {
    const key = `${run}:config`;
    const conversation: Command[] = [
      ['MULTI'],
      ['SET', key, '1'],
      ['CONFIG', 'SET', 'maxmemory', 'bla'],
      ['CONFIG', 'GET', 'maxmemory-policy'],
      ['INCR', key],
      ['EXEC'],
      ['GET', key],
    ];
    const expected = await converse(oracle().options.port!, conversation);
    expect(expected[2]).toBe('QUEUED');
    expect((expected[5] as unknown[])[1]).toMatch(/^ERR CONFIG SET failed/);
    expect(await converse(fx.proxy.port, conversation)).toEqual(expected);
  });

  it('runs a transaction of such commands alone, and DBSIZE inside MULTI counts the whole cluster', async () => {
    const key = `${run}:dbsize`;
    await fx.client.set(key, 'x');
    const replies = await converse(fx.proxy.port, [['MULTI'], ['CONFIG', 'GET', 'maxmemory-policy'], ['DBSIZE'], ['EXEC']]);
    expect(replies.slice(0, 3)).toEqual(['OK', 'QUEUED', 'QUEUED']);
    const [config, size] = replies[3] as [unknown, number];
    expect(config).toEqual(['maxmemory-policy', 'noeviction']);
    expect(size).toBe(await fx.client.dbsize());
  });

  it('does not run them when a WATCHed key changed: EXEC answers null', async () => {
    const key = `${run}:watched`;
    const c = await RawClient.connect(fx.proxy.port);
    try {
      expect(await c.call('WATCH', key)).toBe('OK');
      await fx.client.set(key, 'changed');
      expect(await c.call('MULTI')).toBe('OK');
      expect(await c.call('CONFIG', 'GET', 'maxmemory-policy')).toBe('QUEUED');
      expect(await c.call('EXEC')).toBeNull();
    } finally {
      c.close();
    }
  });

  it('ends in EXECABORT with the BUSY error while the transaction\'s node runs a long script, and runs nothing', async () => {
    const key = `${run}:busy`;
    await fx.client.set(key, '1');
    const owner = await fx.backend.masterOf(key);
    const runner = owner.client.duplicate();
    const probe = owner.client.duplicate();
    const c = await RawClient.connect(fx.proxy.port);
    try {
      await probe.config('SET', 'busy-reply-threshold', '10');
      const script = runner.eval('while true do end', 0).catch((err: Error) => err.message);
      // The node answers BUSY once the script has run past busy-reply-threshold.
      for (;;) {
        const pong = await probe.ping().catch((err: Error) => err.message);
        if (String(pong).startsWith('BUSY')) break;
      }
      expect(await c.call('MULTI')).toBe('OK');
      expect(await c.call('INCR', key)).toBe('QUEUED');
      expect(plain(await c.call('EXEC'))).toMatch(/^EXECABORT Transaction discarded because of: BUSY /);
      await probe.call('SCRIPT', 'KILL');
      expect(await script).toMatch(/Script killed/);
      expect(await fx.client.get(key)).toBe('1');
      expect(await c.call('PING')).toBe('PONG'); // out of MULTI
    } finally {
      await probe.config('SET', 'busy-reply-threshold', '5000').catch(() => undefined);
      c.close();
      runner.disconnect();
      probe.disconnect();
    }
  });
});
