// The splitter's contract, checked as properties over many random requests: every key lands in
// exactly one part, a part's keys share one slot, positions point back at the request's keys,
// and MSET values travel with their keys. Slots are Redis Cluster's (hash-slot.ts is tested
// against Redis itself); the expected parts are derived from the request, not from the splitter.
import { describe, expect, it } from 'vitest';
import { keyHashSlot } from '../../../src/cluster/hash-slot.js';
import { splitBySlot } from '../../../src/routing/splitter.js';

const b = (s: string) => Buffer.from(s);

function randomKeys(count: number, seed: number): string[] {
  let x = seed;
  const next = () => (x = (x * 1103515245 + 12345) % 2 ** 31);
  // Some keys share hash tags so that parts with several keys occur; some repeat.
  return Array.from({ length: count }, (_, i) => (next() % 4 === 0 ? `{tag${next() % 3}}k${i}` : next() % 10 === 0 ? 'dup' : `key:${next()}`));
}

describe('splitBySlot', () => {
  it.each([1, 2, 5, 17, 100, 500])('MGET with %i keys: each key once, one slot per part, positions in request order', (count) => {
    const keys = randomKeys(count, count * 7 + 1);
    const args = [b('MGET'), ...keys.map(b)];
    const parts = splitBySlot(args, keys.map((_, i) => i + 1), 0);

    const seen = new Array<number>(count).fill(0);
    for (const part of parts) {
      expect(part.args[0]!.toString()).toBe('MGET');
      expect(part.args.length - 1).toBe(part.positions.length);
      part.positions.forEach((position, j) => {
        seen[position]!++;
        expect(part.args[j + 1]!.toString()).toBe(keys[position]);
        expect(keyHashSlot(part.args[j + 1]!)).toBe(part.slot);
      });
      // positions ascend: the part keeps the request's order (MSET's last-wins relies on it)
      expect([...part.positions].sort((x, y) => x - y)).toEqual(part.positions);
    }
    expect(seen.every((n) => n === 1)).toBe(true);
    expect(new Set(parts.map((p) => p.slot)).size).toBe(parts.length);
    expect(parts.length).toBe(new Set(keys.map((k) => keyHashSlot(b(k)))).size);
  });

  it('MSET: every value follows its key into the key slot part', () => {
    const keys = randomKeys(60, 3);
    const args = [b('MSET'), ...keys.flatMap((k, i) => [b(k), b(`value-${i}`)])];
    const parts = splitBySlot(args, keys.map((_, i) => 1 + 2 * i), 1);
    let pairs = 0;
    for (const part of parts) {
      for (let j = 1; j < part.args.length; j += 2) {
        const position = part.positions[(j - 1) / 2]!;
        expect(part.args[j]!.toString()).toBe(keys[position]);
        expect(part.args[j + 1]!.toString()).toBe(`value-${position}`);
        pairs++;
      }
    }
    expect(pairs).toBe(keys.length);
  });

  it('keys of one hash tag stay together in one part', () => {
    const args = ['DEL', '{u1}a', 'x', '{u1}b', 'y', '{u1}c'].map(b);
    const parts = splitBySlot(args, [1, 2, 3, 4, 5], 0);
    const tagged = parts.find((p) => p.slot === keyHashSlot(b('{u1}')))!;
    expect(tagged.args.map(String)).toEqual(['DEL', '{u1}a', '{u1}b', '{u1}c']);
    expect(tagged.positions).toEqual([0, 2, 4]);
  });
});
