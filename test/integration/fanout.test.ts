// Cross-slot commands through slotgate (README: *Cross-slot commands, node targeting and the cluster view*) on the shared cluster. Every expected value is
// what the backend nodes answer when asked directly; keys carry a per-run prefix so that other
// test files writing to the same cluster cannot change the answers.
import { describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { sharedClusterSeeds } from '../helpers/cluster-fixture.js';
import { RawClient, type StartedProxy } from '../helpers/slotgate.js';
import { useProxyFixture } from '../helpers/proxy-fixture.js';

describe('cross-slot fan-out', () => {
  const fx = useProxyFixture(sharedClusterSeeds);
  const run = `fan-${Date.now().toString(36)}`;
  const keys = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${run}:${prefix}:${i}`);

  /** Every master's own KEYS for `pattern`, merged: the oracle for KEYS and SCAN. */
  async function keysOnMasters(pattern: string): Promise<string[]> {
    const lists = await Promise.all(fx.backend.masters.map((m) => m.client.keys(pattern)));
    return lists.flat().sort();
  }

  it('MGET returns the values in request order, across every master', async () => {
    const names = keys('mget', 300);
    for (const [i, k] of names.entries()) if (i % 4 !== 0) await fx.direct.set(k, `value-${i}`);
    const expected = await Promise.all(names.map((k) => fx.direct.get(k)));
    // Keys repeated and out of order, plus missing ones: positions must still line up.
    const request = [...names, names[5]!, names[1]!, `${run}:mget:missing`];
    const reply = await fx.client.mget(...request);
    expect(reply).toEqual([...expected, expected[5], expected[1], null]);
    const slots = new Set(await Promise.all(names.map((k) => fx.direct.cluster('KEYSLOT', k))));
    expect(slots.size).toBeGreaterThan(250);
  });

  it('MGET gives nil for a key of another type, like Redis', async () => {
    const [list, str] = keys('mget-type', 2);
    await fx.direct.rpush(list!, 'x');
    await fx.direct.set(str!, 's');
    expect(await fx.client.mget(list!, str!)).toEqual([null, 's']);
  });

  it('MSET writes every key where the cluster wants it', async () => {
    const names = keys('mset', 120);
    expect(await fx.client.mset(...names.flatMap((k, i) => [k, `m${i}`]))).toBe('OK');
    for (const [i, k] of names.entries()) {
      const owner = await fx.backend.masterOf(k);
      expect(await owner.client.get(k)).toBe(`m${i}`);
    }
  });

  it('MSET with a key twice keeps the last value, as one MSET would', async () => {
    const [a, b] = keys('mset-dup', 2);
    await fx.client.mset(a!, '1', b!, '2', a!, '3');
    expect(await fx.direct.get(a!)).toBe('3');
  });

  it('EXISTS, TOUCH, DEL and UNLINK answer the sums the nodes give', async () => {
    const names = keys('sums', 80);
    await Promise.all(names.slice(0, 50).map((k) => fx.direct.set(k, 'x')));
    const request = [...names, names[0]!, names[0]!]; // duplicates count twice, as in Redis
    const existing = (await Promise.all(request.map((k) => fx.direct.exists(k)))).reduce((a, b) => a + b, 0);
    expect(await fx.client.exists(...request)).toBe(existing);
    expect(await fx.client.touch(...request)).toBe(existing);
    const deletedDirectly = 50;
    expect(await fx.client.del(...names.slice(0, 30), ...names.slice(60))).toBe(30);
    expect(await fx.client.unlink(...names)).toBe(deletedDirectly - 30);
    expect(await Promise.all(names.map((k) => fx.direct.exists(k)))).toEqual(names.map(() => 0));
  });

  it('keeps pipelined order: a write, then a split read of it', async () => {
    const names = keys('pipe', 40);
    const pipeline = fx.client.pipeline();
    names.forEach((k, i) => pipeline.set(k, `p${i}`));
    pipeline.mget(...names);
    pipeline.del(...names);
    pipeline.mget(...names);
    const results = (await pipeline.exec())!.map(([err, value]) => (err ? err.message : value));
    expect(results[names.length]).toEqual(names.map((_, i) => `p${i}`));
    expect(results[names.length + 1]).toBe(names.length);
    expect(results[names.length + 2]).toEqual(names.map(() => null));
  });

  it('inside MULTI a cross-slot command stays CROSSSLOT and the transaction is aborted', async () => {
    const [a, b] = keys('multi', 2);
    const raw = await RawClient.connect(fx.proxy.port);
    expect(await raw.call('MULTI')).toBe('OK');
    expect(((await raw.call('MGET', a!, b!)) as Error).message).toBe("CROSSSLOT Keys in request don't hash to the same slot");
    expect(await raw.call('DBSIZE')).toBe('QUEUED'); // run by slotgate at EXEC, had the EXEC gone ahead
    expect(((await raw.call('EXEC')) as Error).message).toMatch(/^EXECABORT/);
    raw.close();
  });

  it('KEYS is the union of every master\'s KEYS', async () => {
    const names = keys('keys', 60);
    await Promise.all(names.map((k) => fx.direct.set(k, '1')));
    const pattern = `${run}:keys:*`;
    expect((await fx.client.keys(pattern)).sort()).toEqual(await keysOnMasters(pattern));
    expect((await fx.client.keys(pattern)).length).toBe(60);
  });

  it('KEYS with a hash tag asks only that slot\'s master', async () => {
    const tagged = Array.from({ length: 10 }, (_, i) => `{${run}-tag}:${i}`);
    await Promise.all(tagged.map((k) => fx.direct.set(k, '1')));
    const owner = await fx.backend.masterOf(tagged[0]!);
    // Each master's own MONITOR feed says whether it ran the command.
    const monitors = await Promise.all(fx.backend.masters.map((m) => monitorOf(m.address)));
    try {
      expect((await fx.client.keys(`{${run}-tag}:*`)).sort()).toEqual((await owner.client.keys(`{${run}-tag}:*`)).sort());
      await fx.client.keys(`${run}:untagged:*`); // the control: goes to every master
      const sawTagged = await Promise.all(monitors.map((m) => sawLine(m, `"KEYS" "{${run}-tag}:*"`, `"KEYS" "${run}:untagged:*"`)));
      expect(sawTagged).toEqual(fx.backend.masters.map((m) => m === owner));
    } finally {
      for (const m of monitors) m.close();
    }
  });

  it('SCAN walks every master and returns every key, with MATCH and COUNT kept', async () => {
    const names = keys('scan', 500);
    await Promise.all(names.map((k) => fx.direct.set(k, '1')));
    const pattern = `${run}:scan:*`;
    const seen = new Set<string>();
    let cursor = '0';
    let calls = 0;
    do {
      const [next, batch] = await fx.client.scan(cursor, 'MATCH', pattern, 'COUNT', 200);
      for (const k of batch) seen.add(k);
      expect(BigInt(next)).toBeLessThan(2n ** 64n);
      cursor = next;
      calls++;
    } while (cursor !== '0');
    expect([...seen].sort()).toEqual(await keysOnMasters(pattern));
    expect(calls).toBeGreaterThanOrEqual(fx.backend.masters.length);
  });

  it('SCAN returns every key present for the whole scan while keys are being added', async () => {
    const stable = keys('scan-live', 300);
    await Promise.all(stable.map((k) => fx.direct.set(k, '1')));
    const seen = new Set<string>();
    let cursor = '0';
    let added = 0;
    do {
      const [next, batch] = await fx.client.scan(cursor, 'MATCH', `${run}:scan-live*`, 'COUNT', 50);
      for (const k of batch) seen.add(k);
      // Meanwhile, new keys arrive on every shard.
      await Promise.all(Array.from({ length: 20 }, () => fx.direct.set(`${run}:scan-live-new:${added++}`, '1')));
      cursor = next;
    } while (cursor !== '0');
    expect(stable.filter((k) => !seen.has(k))).toEqual([]);
  });

  it('SCAN with a TYPE filter and a hash-tagged MATCH', async () => {
    const tag = `{${run}-st}`;
    await fx.direct.set(`${tag}:s`, '1');
    await fx.direct.rpush(`${tag}:l`, '1');
    const owner = await fx.backend.masterOf(tag);
    // A pinned MATCH scans the owner only, with the owner's own cursors, to the end.
    const scanAll = async (scan: (cursor: string) => Promise<[string, string[]]>) => {
      const steps: [string, string[]][] = [];
      let cursor = '0';
      do {
        const step = await scan(cursor);
        steps.push(step);
        cursor = step[0];
      } while (cursor !== '0');
      return steps;
    };
    const viaProxy = await scanAll((cursor) => fx.client.scan(cursor, 'MATCH', `${tag}:*`, 'COUNT', 1000, 'TYPE', 'list'));
    const onOwner = await scanAll((cursor) => owner.client.scan(cursor, 'MATCH', `${tag}:*`, 'COUNT', 1000, 'TYPE', 'list'));
    expect(viaProxy.flatMap(([, keys]) => keys)).toEqual(onOwner.flatMap(([, keys]) => keys));
    expect(viaProxy.flatMap(([, keys]) => keys)).toEqual([`${tag}:l`]);
  });

  it('SCAN refuses a cursor that is not one', async () => {
    await expect(fx.client.scan('abc')).rejects.toThrow('ERR invalid cursor');
    await expect(fx.client.scan('18446744073709551615')).rejects.toThrow('ERR invalid cursor');
  });

  it('RANDOMKEY gives a key that exists', async () => {
    await fx.direct.set(`${run}:random`, '1');
    const key = await fx.client.randomkey();
    expect(key).not.toBeNull();
    expect(await fx.direct.exists(key!)).toBe(1);
  });

  it('SCRIPT LOAD loads on every master; EXISTS is the AND; EVALSHA works on every shard', async () => {
    const body = `return '${run}' .. KEYS[1]`;
    const sha = (await fx.client.script('LOAD', body)) as string;
    for (const master of fx.backend.masters) expect(await master.client.script('EXISTS', sha)).toEqual([1]);
    // Loaded on one master only: not "loaded" for the cluster.
    const partial = `return '${run}-partial'`;
    const partialSha = (await fx.backend.masters[1]!.client.script('LOAD', partial)) as string;
    expect(await fx.client.script('EXISTS', sha, partialSha)).toEqual([1, 0]);
    for (const master of fx.backend.masters) {
      const key = `${run}:script:${master.id}`;
      const slotKey = await keyOwnedBy(master.id, key);
      expect(await fx.client.evalsha(sha, 1, slotKey)).toBe(`${run}${slotKey}`);
    }
    await expect(fx.client.script('LOAD', 'this is not lua')).rejects.toThrow(/^ERR Error compiling script/);
  });

  it('PUBSUB answers for the whole cluster, subscribers on masters and replicas alike', async () => {
    const channel = `${run}:chan`;
    const subscribers: Redis[] = [];
    for (const node of [fx.backend.masters[0]!, fx.backend.shards[1]!.replicas[0] ?? fx.backend.masters[1]!, fx.backend.masters[2]!]) {
      const sub = node.client.duplicate();
      await sub.subscribe(channel, `${channel}:only-${subscribers.length}`);
      await sub.psubscribe(`${run}:pattern:*`);
      subscribers.push(sub);
    }
    try {
      const perNode = await Promise.all(fx.backend.all.map((n) => n.client.call('PUBSUB', 'NUMSUB', channel, `${channel}:only-1`) as Promise<[string, number, string, number]>));
      const expectedNumsub = [channel, perNode.reduce((s, r) => s + r[1], 0), `${channel}:only-1`, perNode.reduce((s, r) => s + r[3], 0)];
      expect(await fx.client.call('PUBSUB', 'NUMSUB', channel, `${channel}:only-1`)).toEqual(expectedNumsub);
      expect(expectedNumsub[1]).toBe(3);
      const channels = new Set((await Promise.all(fx.backend.all.map((n) => n.client.call('PUBSUB', 'CHANNELS', `${run}:*`) as Promise<string[]>))).flat());
      expect(((await fx.client.call('PUBSUB', 'CHANNELS', `${run}:*`)) as string[]).sort()).toEqual([...channels].sort());
      const numpat = (await Promise.all(fx.backend.all.map((n) => n.client.call('PUBSUB', 'NUMPAT') as Promise<number>))).reduce((a, b) => a + b, 0);
      expect(await fx.client.call('PUBSUB', 'NUMPAT')).toBe(numpat);
    } finally {
      for (const sub of subscribers) sub.disconnect();
    }
  });

  it('counts MGETs and the keys they name', async () => {
    const names = keys('metric', 25);
    const before = await metricValue(fx.proxy, 'slotgate_mget_total');
    const keysBefore = await metricValue(fx.proxy, 'slotgate_keys_accessed_total');
    await fx.client.mget(...names);
    expect(await metricValue(fx.proxy, 'slotgate_mget_total')).toBe(before + 1);
    expect(await metricValue(fx.proxy, 'slotgate_keys_accessed_total')).toBe(keysBefore + names.length);
  });

  /** A key whose slot `masterId` owns: `base` with a suffix, tried until the cluster says so. */
  async function keyOwnedBy(masterId: string, base: string): Promise<string> {
    for (let i = 0; ; i++) {
      const key = `${base}:${i}`;
      if ((await fx.backend.masterOf(key)).id === masterId) return key;
    }
  }
});

async function monitorOf(address: string): Promise<RawClient> {
  const colon = address.lastIndexOf(':');
  const raw = await RawClient.connect(Number(address.slice(colon + 1)), address.slice(0, colon));
  expect(await raw.call('MONITOR')).toBe('OK');
  return raw;
}

/** Reads a MONITOR feed until the line containing `end`; true when `needle` came before it. */
async function sawLine(monitor: RawClient, needle: string, end: string): Promise<boolean> {
  let seen = false;
  for (;;) {
    // Command names appear as the client wrote them: compare without case.
    const line = (await monitor.nextFrame(5000)).toString('latin1').toLowerCase();
    if (line.includes(needle.toLowerCase())) seen = true;
    if (line.includes(end.toLowerCase())) return seen;
  }
}

async function metricValue(proxy: StartedProxy, name: string): Promise<number> {
  const metric = await proxy.handle.context.metrics.registry.getSingleMetric(name)!.get();
  return metric.values.reduce((sum, v) => sum + v.value, 0);
}
