/**
 * The SCAN cursor slotgate gives clients (README: *Cross-slot commands, node targeting and the cluster view*): still one unsigned 64-bit integer, as
 * clients expect, holding the shard being scanned and that shard master's own cursor.
 *
 *   bits 63..50  shard index (14 bits)     bits 49..0  the node's cursor (50 bits)
 *
 * Why it fits: a shard owns at least one of the 16384 slots, so there are at most 2^14 shards.
 * A Redis SCAN cursor is a position in the node's hash table (reverse-binary iteration), so it
 * is below the table size; 2^50 buckets would be 8 PiB of bucket pointers alone, far beyond any
 * node. A node cursor that does not fit is refused rather than silently truncated.
 * Shard 0's cursors are the node's own; cursor 0 means "start" going in and "done" coming out.
 * Worked example: shard 1, node cursor 7 → 1·2^50 + 7 = 1125899906842631.
 */
export const NODE_CURSOR_BITS = 50n;
export const NODE_CURSOR_LIMIT = 1n << NODE_CURSOR_BITS;
const U64_MAX = (1n << 64n) - 1n;

export interface ScanPosition {
  readonly shard: number;
  readonly nodeCursor: bigint;
}

/** The client's cursor argument, or null when it is not an unsigned 64-bit decimal (Redis: "invalid cursor"). */
export function parseCursor(text: string): bigint | null {
  if (!/^\d{1,20}$/.test(text)) return null;
  const value = BigInt(text);
  return value <= U64_MAX ? value : null;
}

export function decodeCursor(cursor: bigint): ScanPosition {
  return { shard: Number(cursor >> NODE_CURSOR_BITS), nodeCursor: cursor & (NODE_CURSOR_LIMIT - 1n) };
}

export function encodeCursor(position: ScanPosition): bigint {
  return (BigInt(position.shard) << NODE_CURSOR_BITS) | position.nodeCursor;
}

/**
 * The cursor to give the client after shard `shard` (of `shardCount`) answered `nodeNext`:
 * the same shard while it has more, else the start of the next shard, else 0 (all done).
 * Null when the node's cursor does not fit in 50 bits.
 */
export function nextCursor(shard: number, shardCount: number, nodeNext: bigint): bigint | null {
  if (nodeNext >= NODE_CURSOR_LIMIT) return null;
  if (nodeNext !== 0n) return encodeCursor({ shard, nodeCursor: nodeNext });
  return shard + 1 < shardCount ? encodeCursor({ shard: shard + 1, nodeCursor: 0n }) : 0n;
}
