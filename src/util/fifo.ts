/**
 * A growable ring buffer used as a FIFO queue.
 *
 * Why not an Array with push/shift: Array#shift is O(n) once V8 stops using its
 * fast path, and the proxy keeps one of these per backend connection (requests in
 * flight) and per session (replies owed), both of which can hold tens of thousands
 * of entries under a deep pipeline.
 */
export class Fifo<T> {
  private items: (T | undefined)[];
  private head = 0;
  private count = 0;

  constructor(initialCapacity = 16) {
    // Capacity is kept a power of two so index wrapping is a bit mask.
    let capacity = 16;
    while (capacity < initialCapacity) capacity <<= 1;
    this.items = new Array<T | undefined>(capacity);
  }

  get length(): number {
    return this.count;
  }

  push(item: T): void {
    if (this.count === this.items.length) this.grow();
    this.items[(this.head + this.count) & (this.items.length - 1)] = item;
    this.count++;
  }

  peek(): T | undefined {
    return this.count === 0 ? undefined : this.items[this.head];
  }

  shift(): T | undefined {
    if (this.count === 0) return undefined;
    const item = this.items[this.head];
    this.items[this.head] = undefined;
    this.head = (this.head + 1) & (this.items.length - 1);
    this.count--;
    return item;
  }

  /** Removes and returns every item, oldest first. */
  drain(): T[] {
    const out: T[] = [];
    for (let item = this.shift(); item !== undefined; item = this.shift()) out.push(item);
    return out;
  }

  private grow(): void {
    const old = this.items;
    const next = new Array<T | undefined>(old.length * 2);
    for (let i = 0; i < this.count; i++) next[i] = old[(this.head + i) & (old.length - 1)];
    this.items = next;
    this.head = 0;
  }
}

/**
 * A FIFO of numbers in a Float64Array ring: unlike Fifo<number>, whose generic array boxes a
 * non-integer (a timestamp) into a heap object on every push, it allocates only when it grows.
 */
export class NumberFifo {
  private items: Float64Array;
  private head = 0;
  private count = 0;

  constructor(initialCapacity = 16) {
    let capacity = 16;
    while (capacity < initialCapacity) capacity <<= 1;
    this.items = new Float64Array(capacity);
  }

  get length(): number {
    return this.count;
  }

  push(value: number): void {
    if (this.count === this.items.length) {
      const old = this.items;
      const next = new Float64Array(old.length * 2);
      for (let i = 0; i < this.count; i++) next[i] = old[(this.head + i) & (old.length - 1)]!;
      this.items = next;
      this.head = 0;
    }
    this.items[(this.head + this.count) & (this.items.length - 1)] = value;
    this.count++;
  }

  /** The oldest value; NaN when empty. */
  peek(): number {
    return this.count === 0 ? NaN : this.items[this.head]!;
  }

  shift(): void {
    if (this.count === 0) return;
    this.head = (this.head + 1) & (this.items.length - 1);
    this.count--;
  }

  clear(): void {
    this.head = 0;
    this.count = 0;
  }
}
