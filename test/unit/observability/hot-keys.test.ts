import { describe, expect, it } from 'vitest';
import { FALLBACK_COMMAND_TABLE, type CommandSpec } from '../../../src/commands/command-table.js';
import { HotKeyTracker, MAX_KEY_BYTES, MAX_KEYS_PER_SAMPLE } from '../../../src/observability/hot-keys.js';

function request(...words: (string | Buffer)[]): { spec: CommandSpec; args: Buffer[] } {
  const args = words.map((w) => (Buffer.isBuffer(w) ? w : Buffer.from(w)));
  const lookup = FALLBACK_COMMAND_TABLE.lookup(args);
  if (!lookup.ok) throw new Error(lookup.error.toString());
  return { spec: lookup.spec, args };
}

describe('HotKeyTracker', () => {
  it('samples every request at 1, none at 0, and about one in N otherwise', () => {
    const all = new HotKeyTracker(1);
    const off = new HotKeyTracker(0);
    let seed = 7;
    const lcg = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const some = new HotKeyTracker(50, 16, lcg);
    let a = 0;
    let o = 0;
    let s = 0;
    for (let i = 0; i < 100_000; i++) {
      if (all.shouldSample()) a++;
      if (off.shouldSample()) o++;
      if (some.shouldSample()) s++;
    }
    expect(a).toBe(100_000);
    expect(o).toBe(0);
    expect(s).toBeGreaterThan(1600);
    expect(s).toBeLessThan(2400);
  });

  it('does not alias with a periodic pattern: two alternating commands are both sampled', () => {
    let seed = 99;
    const lcg = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const t = new HotKeyTracker(2, 16, lcg);
    const get = request('GET', 'even');
    const set = request('SET', 'odd', 'v');
    for (let i = 0; i < 10_000; i++) {
      const r = i % 2 === 0 ? get : set;
      if (t.shouldSample()) t.record(r.spec, r.args);
    }
    const counts = Object.fromEntries(t.top(2).map((k) => [k.key.toString(), k.sampled]));
    expect(counts.even).toBeGreaterThan(1000);
    expect(counts.odd).toBeGreaterThan(1000);
  });

  it('ranks the keys of sampled requests, scales counts by the sampling, and says the type the command implies', () => {
    const t = new HotKeyTracker(1);
    for (let i = 0; i < 5; i++) t.record(request('HGET', 'user:1', 'name').spec, request('HGET', 'user:1', 'name').args);
    for (let i = 0; i < 3; i++) t.record(request('GET', 'page:home').spec, request('GET', 'page:home').args);
    const mget = request('MGET', 'page:home', 'other');
    t.record(mget.spec, mget.args);
    const del = request('DEL', 'user:1'); // DEL does not say what user:1 is: the known type stays
    t.record(del.spec, del.args);
    const top = t.top(10);
    expect(top.map((k) => [k.key.toString(), k.count, k.type])).toEqual([
      ['user:1', 6, 'hash'],
      ['page:home', 4, 'string'],
      ['other', 1, 'string'],
    ]);
    expect(t.sampledRequests).toBe(10);
    expect(t.topShare()).toBeCloseTo(6 / 11);
  });

  it('reports estimated counts as sampled × N', () => {
    const t = new HotKeyTracker(64);
    const r = request('GET', 'k');
    t.record(r.spec, r.args);
    t.record(r.spec, r.args);
    expect(t.top(1)[0]).toMatchObject({ sampled: 2, count: 128 });
  });

  it('keeps a copy of the key, not the request buffer, and keeps long keys as a prefix', () => {
    const t = new HotKeyTracker(1);
    const shared = Buffer.from('key-in-a-big-buffer');
    const r = request('GET', shared);
    t.record(r.spec, r.args);
    shared.write('XXX');
    expect(t.top(1)[0]!.key.toString()).toBe('key-in-a-big-buffer');
    const long1 = Buffer.alloc(MAX_KEY_BYTES + 10, 'a');
    const long2 = Buffer.concat([Buffer.alloc(MAX_KEY_BYTES, 'a'), Buffer.from('different!')]);
    t.record(request('GET', long1).spec, request('GET', long1).args);
    t.record(request('GET', long2).spec, request('GET', long2).args);
    const longs = t.top(10).filter((k) => k.truncated);
    expect(longs).toHaveLength(2); // same prefix, still two keys
    for (const k of longs) {
      expect(k.key.length).toBe(MAX_KEY_BYTES);
      expect(k.length).toBe(MAX_KEY_BYTES + 10);
    }
  });

  it('looks at a bounded number of keys per sampled request, and keyless commands add none', () => {
    const t = new HotKeyTracker(1, 1000);
    const keys = Array.from({ length: 100 }, (_, i) => `k${i}`);
    const r = request('MGET', ...keys);
    t.record(r.spec, r.args);
    expect(t.sampledKeys).toBe(MAX_KEYS_PER_SAMPLE);
    const ping = request('PING');
    t.record(ping.spec, ping.args);
    expect(t.sampledKeys).toBe(MAX_KEYS_PER_SAMPLE);
    expect(t.sampledRequests).toBe(2);
  });
});
