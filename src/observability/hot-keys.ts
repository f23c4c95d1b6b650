/**
 * Hot keys (README: *Metrics*; Tencent's DescribeInstanceMonitorHotKey): which keys the clients hit most,
 * from a sample of requests, in bounded memory.
 *
 * About one request in `sampleEvery` is looked at: the gap to the next sample is drawn at random
 * (uniform, mean `sampleEvery`), so a client's fixed request pattern cannot hide a key by always
 * falling between samples. The keys of a sampled request feed a Space-Saving sketch of `capacity`
 * keys. Reported counts are scaled back up by `sampleEvery`: estimates of requests, not counts.
 *
 * Keys are shown only through the admin API, never as metric labels (unbounded); values are never
 * looked at. Keys are copied (a key must not pin the client's whole read buffer) and keys longer
 * than MAX_KEY_BYTES are kept as their prefix plus a hash of the whole key, which bounds memory to
 * about capacity × MAX_KEY_BYTES.
 */
import { createHash } from 'node:crypto';
import type { CommandSpec } from '../commands/command-table.js';
import { getKeyIndexes } from '../commands/key-extraction.js';
import { SpaceSaving } from './space-saving.js';

export const MAX_KEY_BYTES = 1024;
/** Keys looked at per sampled request (a sampled 1,000-key MGET costs no more than this). */
export const MAX_KEYS_PER_SAMPLE = 32;
export const DEFAULT_HOT_KEY_CAPACITY = 256;

/** What a key is, as the command that touched it tells (Redis TYPE names); null: the command does not say (DEL, EXPIRE …). */
export type KeyType = 'string' | 'hash' | 'list' | 'set' | 'zset' | 'stream' | null;

export interface HotKey {
  /** The key's bytes (its first MAX_KEY_BYTES when `truncated`). */
  readonly key: Buffer;
  readonly length: number;
  readonly truncated: boolean;
  readonly type: KeyType;
}

export interface HotKeyReport {
  readonly key: Buffer;
  readonly length: number;
  readonly truncated: boolean;
  readonly type: KeyType;
  /** Estimated requests naming the key: sampled count × sampleEvery. */
  readonly count: number;
  /** Times the key was seen in sampled requests (Space-Saving's count: may overstate by `error`). */
  readonly sampled: number;
  readonly error: number;
}

const TYPE_BY_CATEGORY: ReadonlyMap<string, KeyType> = new Map<string, KeyType>([
  ['@string', 'string'],
  ['@bitmap', 'string'],
  ['@hyperloglog', 'string'],
  ['@hash', 'hash'],
  ['@list', 'list'],
  ['@set', 'set'],
  ['@sortedset', 'zset'],
  ['@geo', 'zset'],
  ['@stream', 'stream'],
]);

export function keyTypeOf(spec: CommandSpec): KeyType {
  for (const category of spec.aclCategories) {
    const type = TYPE_BY_CATEGORY.get(category);
    if (type !== undefined) return type;
  }
  return null;
}

export class HotKeyTracker {
  private readonly sketch: SpaceSaving<HotKey>;
  get capacity(): number {
    return this.sketch.capacity;
  }

  /** Requests still to go before the next sample. */
  private countdown: number;
  /** Requests sampled (whether or not they named a key). */
  sampledRequests = 0;

  /**
   * @param sampleEvery 1: every request; N: about one in N; 0: tracking off.
   * @param random where the sampling gaps come from (tests pass their own).
   */
  constructor(
    readonly sampleEvery: number,
    capacity = DEFAULT_HOT_KEY_CAPACITY,
    private readonly random: () => number = Math.random,
  ) {
    this.sketch = new SpaceSaving(capacity);
    this.countdown = this.nextGap();
  }

  /** Called once per request; true when this request is one of the sample. Hot path: a decrement. */
  shouldSample(): boolean {
    if (this.sampleEvery === 0 || --this.countdown > 0) return false;
    this.countdown = this.nextGap();
    return true;
  }

  /** The keys of one sampled request (`args` as the client sent them, args[0] the command name). */
  record(spec: CommandSpec, args: readonly Buffer[]): void {
    this.sampledRequests++;
    const indexes = getKeyIndexes(spec, args);
    if (!Array.isArray(indexes)) return; // a numkeys error: the command names no key
    const type = keyTypeOf(spec);
    const n = Math.min(indexes.length, MAX_KEYS_PER_SAMPLE);
    for (let i = 0; i < n; i++) {
      const key = args[indexes[i]!];
      if (key !== undefined) this.offer(key, type);
    }
  }

  /** The `limit` hottest keys, hottest first. */
  top(limit: number): HotKeyReport[] {
    return this.sketch.top(limit).map(({ item, count, error }) => ({
      key: item.key,
      length: item.length,
      truncated: item.truncated,
      type: item.type,
      count: count * Math.max(1, this.sampleEvery),
      sampled: count,
      error,
    }));
  }

  /** Key occurrences fed to the sketch since the start or the last reset. */
  get sampledKeys(): number {
    return this.sketch.total;
  }

  /** Share of the sampled key occurrences that went to the hottest key (0 when nothing was sampled). */
  topShare(): number {
    const total = this.sketch.total;
    const [hottest] = this.sketch.top(1);
    return total === 0 || hottest === undefined ? 0 : Math.min(1, hottest.count / total);
  }

  reset(): void {
    this.sketch.reset();
    this.sampledRequests = 0;
  }

  private offer(key: Buffer, type: KeyType): void {
    const truncated = key.length > MAX_KEY_BYTES;
    const id = truncated
      ? `${key.toString('latin1', 0, MAX_KEY_BYTES)}\u0100${createHash('sha1').update(key).digest('hex')}`
      : key.toString('latin1');
    const known = this.sketch.itemOf(id);
    this.sketch.offer(
      id,
      known !== undefined
        ? known.type === type || type === null ? known : { ...known, type }
        : { key: Buffer.from(truncated ? key.subarray(0, MAX_KEY_BYTES) : key), length: key.length, truncated, type },
    );
  }

  /** A gap uniform in 1 … 2N-1: mean N. */
  private nextGap(): number {
    if (this.sampleEvery <= 1) return 1;
    return 1 + Math.floor(this.random() * (2 * this.sampleEvery - 1));
  }
}
