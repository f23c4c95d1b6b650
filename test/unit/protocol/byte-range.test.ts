// Ranges of read buffers (protocol/byte-range.ts): what the hot path copies into its joined writes.
import { describe, expect, it } from 'vitest';
import { copyRange, frameOf } from '../../../src/protocol/byte-range.js';

describe('byte ranges', () => {
  it('copies exactly bytes[start, end) to `at`, short (a loop) and long (Buffer.copy) alike, and nothing around them', () => {
    const source = Buffer.from(Array.from({ length: 200 }, (_, i) => i));
    // Every length from 0 to 60 at two offsets (the loop's four-byte steps and their remainders, both
    // sides of the loop's limit), and long ranges.
    const ranges: [number, number][] = [[5, 150], [0, 200]];
    for (let length = 0; length <= 60; length++) ranges.push([3, 3 + length], [10, 10 + length]);
    for (const [start, end] of ranges) {
      const target = Buffer.alloc(220, 0xee);
      expect(copyRange(source, start, end, target, 7)).toBe(end - start);
      expect(target.subarray(7, 7 + end - start)).toEqual(source.subarray(start, end));
      expect([...target.subarray(0, 7), ...target.subarray(7 + end - start)].every((b) => b === 0xee)).toBe(true);
    }
  });

  it('gives the buffer itself for all of it, and a view of the same bytes otherwise', () => {
    const bytes = Buffer.from('+OK\r\n:1\r\n');
    expect(frameOf(bytes, 0, bytes.length)).toBe(bytes);
    const part = frameOf(bytes, 5, 9);
    expect(part.toString()).toBe(':1\r\n');
    expect(part.buffer).toBe(bytes.buffer);
  });
});
