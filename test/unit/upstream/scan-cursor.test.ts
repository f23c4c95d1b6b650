// The combined SCAN cursor: a round trip for every shard index and node cursor at the edges of
// their bit fields, and the walk from shard to shard.
import { describe, expect, it } from 'vitest';
import { decodeCursor, encodeCursor, nextCursor, NODE_CURSOR_LIMIT, parseCursor } from '../../../src/upstream/scan-cursor.js';

const U64_MAX = 2n ** 64n - 1n;

describe('SCAN cursor', () => {
  it.each([
    [0, 0n],
    [0, 7n],
    [1, 0n],
    [1, 7n],
    [2, 2n ** 50n - 1n],
    [16383, 0n],
    [16383, 2n ** 50n - 1n],
  ])('shard %i, node cursor %s round-trips and fits in 64 bits', (shard, nodeCursor) => {
    const cursor = encodeCursor({ shard, nodeCursor });
    expect(cursor).toBeLessThanOrEqual(U64_MAX);
    expect(decodeCursor(cursor)).toEqual({ shard, nodeCursor });
    expect(parseCursor(cursor.toString())).toBe(cursor);
  });

  it("shard 0's cursors are the node's own, so a one-shard scan looks like Redis's", () => {
    expect(encodeCursor({ shard: 0, nodeCursor: 1234n })).toBe(1234n);
  });

  it('the largest cursor a client can send decodes to the last shard index', () => {
    expect(decodeCursor(U64_MAX)).toEqual({ shard: 16383, nodeCursor: NODE_CURSOR_LIMIT - 1n });
  });

  it('walks shard by shard and ends with 0', () => {
    expect(nextCursor(0, 3, 5n)).toBe(5n);
    expect(nextCursor(0, 3, 0n)).toBe(2n ** 50n);
    expect(nextCursor(1, 3, 9n)).toBe(2n ** 50n + 9n);
    expect(nextCursor(1, 3, 0n)).toBe(2n * 2n ** 50n);
    expect(nextCursor(2, 3, 0n)).toBe(0n);
  });

  it('refuses a node cursor that does not fit', () => {
    expect(nextCursor(0, 3, 2n ** 50n)).toBeNull();
  });

  it.each(['', '-1', '1.5', 'abc', ' 1', '18446744073709551616', '99999999999999999999999'])('"%s" is not a cursor', (text) => {
    expect(parseCursor(text)).toBeNull();
  });
});
