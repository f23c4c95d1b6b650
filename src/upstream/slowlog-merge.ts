/**
 * One slow log for the whole cluster (SLOWLOG GET without a node, GET /v1/slowlog): every
 * master's newest entries, merged newest first. Each node lists its own entries newest first, so
 * the merge is a k-way merge on the entry's timestamp (Redis records whole seconds: entries of
 * the same second keep the order of the shards, then each node's own order). Asking every master
 * for its n newest is enough for the n newest overall: an entry that is not among its own node's
 * n newest has n newer ones on that node alone.
 *
 * Entry ids stay the node's own (`SLOWLOG GET` entry field 1): they grow per node, so two entries
 * of different nodes may share an id. GET /v1/slowlog names each entry's node.
 */
import { encodeArrayOfFrames } from '../protocol/encoder.js';
import { failureOf, unexpectedReply, type PartReply } from './reducers.js';
import { arrayElementFrames, integerOf } from './resp-elements.js';

/** Redis's default count for `SLOWLOG GET` without one. */
export const DEFAULT_SLOWLOG_COUNT = 10;

export interface Placed<T> {
  readonly item: T;
  /** Index of the list the item came from. */
  readonly list: number;
}

/**
 * The `count` newest items of lists that are each newest first (count < 0: all of them), newest
 * first; ties keep list order, then each list's own order.
 */
export function mergeNewestFirst<T>(lists: readonly (readonly T[])[], timeOf: (item: T) => number, count: number): Placed<T>[] {
  const heads = lists.map(() => 0);
  const out: Placed<T>[] = [];
  while (count < 0 || out.length < count) {
    let best = -1;
    let bestTime = -Infinity;
    for (let l = 0; l < lists.length; l++) {
      const item = lists[l]![heads[l]!];
      if (item === undefined) continue;
      const time = timeOf(item);
      if (best < 0 || time > bestTime) {
        best = l;
        bestTime = time;
      }
    }
    if (best < 0) break;
    out.push({ item: lists[best]![heads[best]!]!, list: best });
    heads[best]!++;
  }
  return out;
}

/** Field 2 of a slow log entry frame (`*6 :id :timestamp :micros *args $addr $name`), or null when it is not one. */
function timestampOf(entry: Buffer): number | null {
  if (entry[0] !== 0x2a) return null;
  const fields = arrayElementFrames(entry);
  if (fields === null || fields.length < 3 || fields[1]![0] !== 0x3a) return null;
  return integerOf(fields[1]!);
}

/** `SLOWLOG GET [count]`: every master's reply merged; `count` as the client gave it (nodes validated it). */
export function mergeSlowlogReplies(command: string, replies: readonly PartReply[], count: number): Buffer {
  const failure = failureOf({ command, replies });
  if (failure) return failure;
  const lists: { frame: Buffer; time: number }[][] = [];
  for (const part of replies) {
    if (part.frame[0] !== 0x2a) return unexpectedReply(command, part);
    const entries: { frame: Buffer; time: number }[] = [];
    for (const frame of arrayElementFrames(part.frame) ?? []) {
      const time = timestampOf(frame);
      if (time === null) return unexpectedReply(command, part);
      entries.push({ frame, time });
    }
    lists.push(entries);
  }
  return encodeArrayOfFrames(mergeNewestFirst(lists, (e) => e.time, count).map((p) => p.item.frame));
}

/** The count argument of `SLOWLOG GET [count]` (args without the node suffix); a node already refused a bad one. */
export function slowlogCount(args: readonly Buffer[]): number {
  const raw = args[2];
  if (raw === undefined) return DEFAULT_SLOWLOG_COUNT;
  const n = Number(raw.toString('latin1'));
  // Redis 7: -1 (any negative before 7.0) means every entry.
  return Number.isInteger(n) && n >= 0 ? n : -1;
}
