/**
 * Top-K heavy hitters in bounded memory: the Space-Saving algorithm (Metwally, Agrawal, El Abbadi,
 * "Efficient Computation of Frequent and Top-k Elements in Data Streams", 2005).
 *
 * At most `capacity` items are tracked. An item already tracked has its count raised; a new item
 * takes the place of the tracked item with the smallest count and inherits that count (+1), which
 * it records as its possible overestimate (`error`). Guarantees: every item whose true count is
 * above total/capacity is tracked; a tracked item's true count lies in [count - error, count].
 *
 * Finding the minimum: a linear scan collects every item holding the smallest count, and later
 * replacements take from that list, so a scan is paid once per many replacements (with many
 * distinct keys, most tracked items sit at the minimum). This is sound because, once the sketch is
 * full, no count ever goes down and a newcomer enters above the minimum: an item still holding
 * that count when taken from the list is still a minimum. (A scan per replacement cost 1.5% of the
 * proxy's busy time at pipeline 1 under random keys; issue #12.)
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
  /** Ids that held the smallest count, `minCount`, at the last scan (see the header); used from the end. */
  private minIds: string[] = [];
  private minCount = 0;
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
    const [minId, min] = this.takeMinimum();
    this.counters.delete(minId);
    this.counters.set(id, { item, count: min.count + weight, error: min.count });
  }

  /** A tracked item with the smallest count (the sketch is full). */
  private takeMinimum(): [string, Counter<T>] {
    for (;;) {
      const candidate = this.minIds.pop();
      if (candidate === undefined) {
        this.scanMinimum();
        continue;
      }
      const counter = this.counters.get(candidate);
      // Gone (replaced) or counted up since the scan: no longer a minimum.
      if (counter !== undefined && counter.count === this.minCount) return [candidate, counter];
    }
  }

  private scanMinimum(): void {
    let min = Infinity;
    const ids: string[] = [];
    for (const [id, counter] of this.counters) {
      if (counter.count < min) {
        min = counter.count;
        ids.length = 0;
      }
      if (counter.count === min) ids.push(id);
    }
    // Reversed, so pop() takes the oldest first, as the plain scan did.
    this.minIds = ids.reverse();
    this.minCount = min;
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
    this.minIds = [];
    this.total = 0;
  }
}
