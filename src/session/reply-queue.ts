/**
 * Replies owed to one client, in request order (README: *What clients see*: pipelined commands may go to
 * different nodes and come back out of order; the client must see them in order).
 *
 * Each request takes a slot at the tail when it is decoded; the slot is filled when its
 * answer arrives (from the proxy itself or any backend); `takeReady()` hands out the
 * filled slots from the head and stops at the first empty one. A linked list, not an
 * array: both ends are O(1) whatever the pipeline depth.
 */
import type { RequestMark } from '../observability/command-stats.js';

export class ReplySlot implements RequestMark {
  /** The reply is frame[frameStart, frameEnd) (ReplyQueue.fill): null until it is in. */
  frame: Buffer | null = null;
  frameStart = 0;
  frameEnd = 0;
  /** Set by Metrics.requestDecoded (the start time and hot-key sample of the request), read by commandDone. */
  startedAt = 0;
  sampledArgs: readonly Buffer[] | null = null;
  next: ReplySlot | null = null;
  /** Set when this reply should be followed by closing the connection (QUIT, protocol error). */
  closeAfter = false;
  /** CLIENT REPLY OFF/SKIP: the reply keeps its place in the order but is not written. */
  silent = false;
  /**
   * Nothing but the queue holds this slot any more: once its reply is written, its owner may use it
   * again for a later request (ReplyWriterEvents.recycled; session/call.ts says when a call is).
   */
  recyclable = false;

  /** Back to a fresh slot's state, for its next request. */
  protected resetSlot(): void {
    this.frame = null;
    this.frameStart = this.frameEnd = 0;
    this.startedAt = 0;
    this.sampledArgs = null;
    this.next = null;
    this.closeAfter = false;
    this.silent = false;
    this.recyclable = false;
  }
}

export class ReplyQueue {
  private head: ReplySlot | null = null;
  private tail: ReplySlot | null = null;
  private size = 0;
  /** Slots still waiting for their reply. */
  private waiting = 0;

  get length(): number {
    return this.size;
  }

  reserve(): ReplySlot {
    return this.append(new ReplySlot());
  }

  /** Puts `slot` (a request's call, see call.ts) at the tail. */
  append<S extends ReplySlot>(slot: S): S {
    if (this.tail) this.tail.next = slot;
    else this.head = slot;
    this.tail = slot;
    this.size++;
    if (slot.frame === null) this.waiting++;
    return slot;
  }

  /**
   * Sets `slot`'s reply (a slot of this queue): bytes[start, end), of a buffer nobody writes into
   * again (a whole frame, or a backend read chunk: protocol/reply-framer.ts, FrameRangeHandler).
   */
  fill(slot: ReplySlot, bytes: Buffer, start = 0, end = bytes.length): void {
    if (slot.frame === null) this.waiting--;
    slot.frame = bytes;
    slot.frameStart = start;
    slot.frameEnd = end;
  }

  /** True when the head slot has its reply. */
  get headReady(): boolean {
    return this.head !== null && this.head.frame !== null;
  }

  /** True when every slot has its reply (and there is at least one). */
  get allReady(): boolean {
    return this.size > 0 && this.waiting === 0;
  }

  /** The oldest slot still waiting for its reply, or null when every reply is in. */
  firstUnanswered(): ReplySlot | null {
    let slot = this.head;
    while (slot !== null && slot.frame !== null) slot = slot.next;
    return slot;
  }

  /**
   * Removes the filled slots at the head and puts them, in order, in `into` from index 0 (an array
   * the caller reuses: a flush makes none); returns how many.
   */
  takeReady(into: (ReplySlot | undefined)[]): number {
    let count = 0;
    let slot = this.head;
    while (slot !== null && slot.frame !== null) {
      into[count++] = slot;
      slot = slot.next;
    }
    this.size -= count;
    this.head = slot;
    if (slot === null) this.tail = null;
    return count;
  }

  clear(): void {
    this.head = this.tail = null;
    this.size = 0;
    this.waiting = 0;
  }
}
