/**
 * Top-K heavy hitters in bounded memory: the Space-Saving algorithm (Metwally, Agrawal, El Abbadi,
 * "Efficient Computation of Frequent and Top-k Elements in Data Streams", 2005).
 *
 * At most `capacity` items are tracked. An item already tracked has its count raised; a new item
 * takes the place of the tracked item with the smallest count and inherits that count (+1), which
 * it records as its possible overestimate (`error`). Guarantees: every item whose true count is
 * above total/capacity is tracked; a tracked item's true count lies in [count - error, count].
 *
 * Finding the minimum is a linear scan, done only when a new item replaces one (the tracker is fed
 * sampled requests, and capacity is small), which keeps the structure a plain Map.
 */
export interface HeavyHitter<T> {
  readonly id: string;
  readonly item: T;
  readonly count: number;
  /** The most `count` may overstate the item's true count. */
  readonly error: number;
}

interface Counter<T> {
  item: T;
  count: number;
  error: number;
}

export class SpaceSaving<T> {
  private readonly counters = new Map<string, Counter<T>>();
  /** Items offered since the start or the last reset. */
  total = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError('capacity must be a positive integer');
  }

  get size(): number {
    return this.counters.size;
  }

  /**
   * Counts one occurrence of the item named `id`; `item` is what top() shows for it (the latest one
   * offered under that id replaces the previous one, so it may carry fresh details).
   */
  offer(id: string, item: T, weight = 1): void {
    this.total += weight;
    const counter = this.counters.get(id);
    if (counter) {
      counter.count += weight;
      counter.item = item;
      return;
    }
    if (this.counters.size < this.capacity) {
      this.counters.set(id, { item, count: weight, error: 0 });
      return;
    }
    let minId = '';
    let min: Counter<T> | undefined;
    for (const [otherId, other] of this.counters) {
      if (min === undefined || other.count < min.count) {
        min = other;
        minId = otherId;
      }
    }
    this.counters.delete(minId);
    this.counters.set(id, { item, count: min!.count + weight, error: min!.count });
  }

  /** The item tracked under `id`, if it is tracked. */
  itemOf(id: string): T | undefined {
    return this.counters.get(id)?.item;
  }

  /** The `limit` items with the highest counts, highest first (ties: the smaller error first). */
  top(limit: number): HeavyHitter<T>[] {
    const all: HeavyHitter<T>[] = [];
    for (const [id, c] of this.counters) all.push({ id, item: c.item, count: c.count, error: c.error });
    all.sort((a, b) => b.count - a.count || a.error - b.error);
    return all.slice(0, Math.max(0, limit));
  }

  reset(): void {
    this.counters.clear();
    this.total = 0;
  }
}
