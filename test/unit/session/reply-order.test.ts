import { describe, expect, it } from 'vitest';
import { ReplyQueue, ReplySlot } from '../../../src/session/reply-queue.js';
import { Fifo } from '../../../src/util/fifo.js';

/** takeReady's slots as an array; `into` starts with stale entries, which must not show. */
function taken(queue: ReplyQueue): ReplySlot[] {
  const into: (ReplySlot | undefined)[] = [new ReplySlot(), new ReplySlot(), new ReplySlot(), new ReplySlot()];
  const count = queue.takeReady(into);
  return into.slice(0, count) as ReplySlot[];
}

describe('reply queue', () => {
  it('releases replies in request order whatever order they arrive in', () => {
    const queue = new ReplyQueue();
    const slots = Array.from({ length: 5 }, () => queue.reserve());
    slots[3]!.frame = Buffer.from('d');
    slots[1]!.frame = Buffer.from('b');
    expect(taken(queue)).toEqual([]);
    slots[0]!.frame = Buffer.from('a');
    expect(taken(queue).map((s) => s.frame!.toString())).toEqual(['a', 'b']);
    slots[2]!.frame = Buffer.from('c');
    slots[4]!.frame = Buffer.from('e');
    expect(taken(queue).map((s) => s.frame!.toString())).toEqual(['c', 'd', 'e']);
    expect(queue.length).toBe(0);
    const next = queue.reserve();
    next.frame = Buffer.from('f');
    expect(taken(queue).map((s) => s.frame!.toString())).toEqual(['f']);
  });
});

describe('reply queue: allReady', () => {
  it('is true only when every slot has its reply, not merely the head and the tail', () => {
    const queue = new ReplyQueue();
    expect(queue.allReady).toBe(false); // nothing owed is not "ready to write"
    const slots = Array.from({ length: 3 }, () => queue.reserve());
    queue.fill(slots[2]!, Buffer.from('c'));
    queue.fill(slots[0]!, Buffer.from('a'));
    expect(queue.headReady).toBe(true);
    expect(queue.allReady).toBe(false); // the middle one is still out
    queue.fill(slots[1]!, Buffer.from('b'));
    expect(queue.allReady).toBe(true);
    expect(taken(queue).map((s) => s.frame!.toString())).toEqual(['a', 'b', 'c']);
    expect(queue.allReady).toBe(false);
    const next = queue.reserve();
    expect(queue.allReady).toBe(false);
    queue.fill(next, Buffer.from('d'));
    queue.fill(next, Buffer.from('d')); // a second fill of the same slot counts once
    expect(queue.allReady).toBe(true);
    queue.reserve();
    expect(queue.allReady).toBe(false);
  });
});

describe('fifo', () => {
  it('keeps order across growth and wrap-around', () => {
    const fifo = new Fifo<number>(2);
    const expected: number[] = [];
    let next = 0;
    for (let round = 0; round < 50; round++) {
      for (let i = 0; i < round % 7 + 1; i++) {
        fifo.push(next);
        expected.push(next++);
      }
      for (let i = 0; i < round % 5; i++) expect(fifo.shift()).toBe(expected.shift());
      expect(fifo.length).toBe(expected.length);
      expect(fifo.peek()).toBe(expected[0]);
    }
    expect(fifo.drain()).toEqual(expected);
    expect(fifo.shift()).toBeUndefined();
  });
});
