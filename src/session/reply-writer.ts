/**
 * A client's replies on their way out: the ordered queue (reply-queue.ts), when a flush happens,
 * how replies are joined into writes, CLIENT REPLY's silenced replies, and the reply after which
 * the connection closes (QUIT, a protocol error).
 *
 * Flush policy (issue #12), decided in `release`:
 *  - while a chunk of the client's is being decoded: at the end of that chunk (one write for a
 *    pipeline answered by slotgate itself);
 *  - a reply to a request that leaves the client owing nothing else: at once — nothing could
 *    join it, and waiting only adds latency;
 *  - otherwise after the poll phase (setImmediate, util/turn-end.ts): replies of one pipeline arriving from several
 *    nodes in the same loop iteration leave in one write;
 *  - and when replies are still owed then, the ready ones wait one turn more (one more poll, which
 *    does not block while a flush is due), so that a pipeline whose nodes answer in consecutive
 *    turns leaves in one write: a write to a client is the dearest thing slotgate does per batch
 *    (issue #22: at pipeline 16, 44% of the proxy's CPU was in write(), each waking the client).
 *    One turn, never more: a reply owed by a slow node or a blocking command holds nothing longer.
 *
 * It knows nothing of sockets beyond `ReplyOutput` (io/socket-writer.ts in production, a fake in
 * unit tests); what a flush means for reading and limits is the owner's, through `flushed`.
 */
import { joinBuffer, joinBufferWritten } from '../io/batch-scratch.js';
import { copyRange, frameOf, isWhole } from '../protocol/byte-range.js';
import { clearSlots } from '../util/clear-slots.js';
import { deferToTurnEnd, type TurnEndTask } from '../util/turn-end.js';
import { ReplyQueue, type ReplySlot } from './reply-queue.js';

/** Replies up to this many bytes in one flush are copied into one buffer for a single write(). */
const COPY_REPLIES_LIMIT = 256 * 1024;

export interface ReplyOutput {
  /** True when `data` was taken at once and is not kept (io/socket-writer.ts). */
  write(data: Buffer): boolean;
  /** Nothing is queued: the next write will most likely be taken at once. */
  readonly idle: boolean;
  /** Bytes written but not yet taken by the kernel: the client's output buffer. */
  readonly unsentBytes: number;
}

export interface ReplyWriterEvents {
  /** After a flush that wrote replies (and did not end with a closing one): `unsent` bytes wait. */
  flushed(unsent: number): void;
  /** The reply marked `closeAfter` (and everything before it) was written. */
  closingReplyWritten(): void;
  /** Bytes handed to the output (the bytes-out counter). */
  wrote(bytes: number): void;
  /** A `recyclable` slot whose reply was written: the queue no longer holds it. */
  recycled?(slot: ReplySlot): void;
}

function concatFrames(slots: readonly ReplySlot[], count: number, bytes: number, outputIdle: boolean): Buffer {
  const out = joinBuffer(bytes, outputIdle);
  let offset = 0;
  for (let i = 0; i < count; i++) {
    const slot = slots[i]!;
    offset += copyRange(slot.frame!, slot.frameStart, slot.frameEnd, out, offset);
  }
  return out;
}

/** A slot's reply as a Buffer of its own (a view when it is part of a read chunk). */
function replyOf(slot: ReplySlot): Buffer {
  return frameOf(slot.frame!, slot.frameStart, slot.frameEnd);
}

/**
 * The slots a flush takes, reused by every flush of the process (a flush runs to its end before
 * another starts, and empties it first: see flush).
 */
const readySlots: (ReplySlot | undefined)[] = [];

export class ReplyWriter implements TurnEndTask {
  private readonly queue = new ReplyQueue();
  private flushScheduled = false;
  /** The deferred flush already waited one turn for the replies still owed (see the header). */
  private heldATurn = false;
  private decoding = false;
  private flushAfterDecode = false;
  /** After close(): nothing more is written. */
  private closed = false;

  constructor(
    private readonly output: ReplyOutput,
    private readonly events: ReplyWriterEvents,
  ) {}

  /** Replies owed (requests in flight, feed frames not yet written). */
  get length(): number {
    return this.queue.length;
  }

  get unsentBytes(): number {
    return this.output.unsentBytes;
  }

  /** A new slot at the tail, for a reply made later (a feed frame, an error). */
  reserve(): ReplySlot {
    return this.queue.reserve();
  }

  /** Puts a request's own slot at the tail. */
  append<S extends ReplySlot>(slot: S): S {
    return this.queue.append(slot);
  }

  /** The oldest slot still waiting for its reply. */
  firstUnanswered(): ReplySlot | null {
    return this.queue.firstUnanswered();
  }

  /** Sets `slot`'s reply, bytes[start, end) (see ReplyQueue.fill); call `release` after (the owner may act on the new state in between). */
  record(slot: ReplySlot, bytes: Buffer, start = 0, end = bytes.length): void {
    this.queue.fill(slot, bytes, start, end);
  }

  /** Decides when what is ready leaves (see the header); `replyToCall`: the answer to a request. */
  release(replyToCall: boolean): void {
    if (this.closed || !this.queue.headReady) return;
    if (this.decoding) this.flushAfterDecode = true;
    else if (replyToCall && this.queue.allReady) this.flush();
    else if (!this.flushScheduled) {
      this.flushScheduled = true;
      deferToTurnEnd(this);
    }
  }

  /** TurnEndTask: the replies that came in during this turn leave, or wait one more turn (see the header). */
  atTurnEnd(): void {
    if (!this.flushScheduled) return; // flushed directly since it was deferred (release)
    if (!this.heldATurn && !this.queue.allReady) {
      this.heldATurn = true;
      deferToTurnEnd(this);
      return;
    }
    this.flush();
  }

  /** Brackets the decoding of one chunk: replies made meanwhile leave together at its end. */
  decodeStarted(): void {
    this.decoding = true;
  }

  decodeEnded(): void {
    this.decoding = false;
    if (this.flushAfterDecode) {
      this.flushAfterDecode = false;
      this.flush();
    }
  }

  flush(): void {
    // Also called directly (see release); a deferred flush still due then finds nothing to send.
    this.flushScheduled = false;
    this.heldATurn = false;
    if (this.closed) return;
    const ready = readySlots;
    const taken = this.queue.takeReady(ready);
    if (taken === 0) return;
    let bytes = 0;
    let count = 0;
    let closeAfter = false;
    let silent = false;
    for (let i = 0; i < taken; i++) {
      const slot = ready[i]!;
      if (slot.silent) silent = true;
      else bytes += slot.frameEnd - slot.frameStart;
      count++;
      if (slot.closeAfter) {
        closeAfter = true;
        break;
      }
    }
    // CLIENT REPLY OFF/SKIP: those replies were awaited in order like the others, and are dropped here.
    const frames = silent ? (ready.slice(0, count) as ReplySlot[]).filter((slot) => !slot.silent) : (ready as readonly ReplySlot[]);
    if (silent) count = frames.length;
    this.writeFrames(frames, count, bytes);
    this.events.wrote(bytes);
    this.recycle(ready, taken);
    // Emptied before the events below, which may run a flush of another writer (or this one) that refills it.
    clearSlots(ready, taken);
    if (closeAfter) {
      this.closed = true;
      this.events.closingReplyWritten();
      return;
    }
    this.events.flushed(this.output.unsentBytes);
  }

  /** Hands back the slots of a flush that their owner may use again (written or silenced, all the same). */
  private recycle(slots: readonly (ReplySlot | undefined)[], count: number): void {
    const events = this.events;
    if (events.recycled === undefined) return;
    for (let i = 0; i < count; i++) if (slots[i]!.recyclable) events.recycled(slots[i]!);
  }

  /** One write per flush: small replies are copied together (a memcpy is cheaper than a writev). */
  private writeFrames(frames: readonly ReplySlot[], count: number, bytes: number): void {
    const output = this.output;
    if (count === 0) return; // every reply of this flush was silenced
    // A lone reply that is a buffer of its own goes as it is; one that is part of a node's read is
    // copied like a batch (a copy of a few bytes costs less than a view of them).
    const first = frames[0]!;
    if (count === 1 && isWhole(first.frame!, first.frameStart, first.frameEnd)) output.write(first.frame!);
    else if (bytes <= COPY_REPLIES_LIMIT) {
      const joined = concatFrames(frames, count, bytes, output.idle);
      joinBufferWritten(joined, output.write(joined));
    }
    else {
      // Big replies are not copied: each is its own write (their size, not the call count, is the cost).
      for (let i = 0; i < count; i++) output.write(replyOf(frames[i]!));
    }
  }

  /** The connection is gone: replies still owed are dropped, nothing more is written. */
  close(): void {
    this.closed = true;
    this.queue.clear();
  }
}
