import { describe, expect, it } from 'vitest';
import { SpaceSaving } from '../../../src/observability/space-saving.js';

/** A deterministic stream: a few heavy items among many light ones (a simple LCG, no Math.random). */
function stream(length: number): string[] {
  const items: string[] = [];
  let seed = 12345;
  const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  for (let i = 0; i < length; i++) {
    const r = next();
    if (r < 0.2) items.push('hot-a');
    else if (r < 0.32) items.push('hot-b');
    else if (r < 0.4) items.push('hot-c');
    else items.push(`cold-${Math.floor(next() * 5000)}`);
  }
  return items;
}

describe('SpaceSaving', () => {
  it('counts exactly while it has room', () => {
    const s = new SpaceSaving<string>(10);
    for (const x of ['a', 'b', 'a', 'c', 'a', 'b']) s.offer(x, x);
    expect(s.top(10).map(({ id, count, error }) => [id, count, error])).toEqual([
      ['a', 3, 0],
      ['b', 2, 0],
      ['c', 1, 0],
    ]);
    expect(s.total).toBe(6);
  });

  it('never tracks more than its capacity, and a newcomer inherits the smallest count as its error', () => {
    const s = new SpaceSaving<string>(2);
    s.offer('a', 'a');
    s.offer('a', 'a');
    s.offer('b', 'b');
    s.offer('c', 'c'); // replaces b (count 1): c counts 2, error 1
    expect(s.size).toBe(2);
    expect(s.top(5).map(({ id, count, error }) => [id, count, error])).toEqual([
      ['a', 2, 0],
      ['c', 2, 1],
    ]);
  });

  it('finds every item above total/capacity, and each true count lies in [count - error, count]', () => {
    const items = stream(50_000);
    const truth = new Map<string, number>();
    for (const x of items) truth.set(x, (truth.get(x) ?? 0) + 1);
    const s = new SpaceSaving<string>(64);
    for (const x of items) s.offer(x, x);
    const top = s.top(64);
    const tracked = new Set(top.map((t) => t.id));
    for (const [id, n] of truth) if (n > items.length / 64) expect(tracked.has(id)).toBe(true);
    for (const t of top) {
      const real = truth.get(t.id)!;
      expect(real).toBeLessThanOrEqual(t.count);
      expect(real).toBeGreaterThanOrEqual(t.count - t.error);
    }
    expect(top.slice(0, 3).map((t) => t.id)).toEqual(['hot-a', 'hot-b', 'hot-c']);
  });

  it('keeps the latest item under an id, and forgets everything on reset', () => {
    const s = new SpaceSaving<{ v: number }>(4);
    s.offer('k', { v: 1 });
    s.offer('k', { v: 2 });
    expect(s.itemOf('k')).toEqual({ v: 2 });
    s.reset();
    expect(s.top(4)).toEqual([]);
    expect(s.total).toBe(0);
  });

  it('refuses a capacity that is not a positive integer', () => {
    expect(() => new SpaceSaving(0)).toThrow(RangeError);
  });
});

describe('SpaceSaving replacement order', () => {
  it('replaces an item at the smallest count, the oldest first, and never one counted up since', () => {
    const s = new SpaceSaving<string>(3);
    for (const x of ['a', 'b', 'c']) s.offer(x, x);
    s.offer('d', 'd'); // a, b, c all at 1: the oldest, a, goes
    expect(new Set(s.top(3).map((t) => t.id))).toEqual(new Set(['b', 'c', 'd']));
    s.offer('b', 'b'); // b counted up to 2: c (1) is now the only minimum
    s.offer('e', 'e');
    expect(new Set(s.top(3).map((t) => t.id))).toEqual(new Set(['b', 'd', 'e']));
    expect(s.top(3).find((t) => t.id === 'e')).toMatchObject({ count: 2, error: 1 });
    // Everything is at 2 now: the next newcomer replaces one of them and counts 3.
    s.offer('f', 'f');
    expect(s.top(1)[0]).toMatchObject({ id: 'f', count: 3, error: 2 });
  });
});
