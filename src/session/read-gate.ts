/**
 * When a client's requests are decoded, and when its socket is read: the in-flight window, the
 * blocking barrier, and back-pressure from its unsent output.
 *
 * Two levels of "not now":
 *  - **hold**: the decoder stops at a request boundary and keeps what follows. The socket is still
 *    read, so a client that goes away is seen at once (its EOF or reset is a read), whatever
 *    state it is in. Redis does the same: a blocked client's connection is still read, and its
 *    close frees it.
 *  - **pause**: the socket is not read at all (TCP pushes back on the client). Taken only when the
 *    input held passes HELD_INPUT_LIMIT while nothing can keep it from draining: replies in
 *    flight come back within command-timeout, and a client that stops reading its replies is seen
 *    going away by the failing write. A blocked client is never paused (its command may wait
 *    forever): it is read up to `client-query-buffer-limit`, and closed past it, as Redis does.
 */
import type { ReplySlot } from './reply-queue.js';

/** Unsent output above which the client's requests are held until it drains. */
export const OUTPUT_HIGH_WATER = 4 * 1024 * 1024;
/** Input held back, above which the socket is no longer read (unless blocked, see the header). */
export const HELD_INPUT_LIMIT = 1024 * 1024;
/**
 * Bytes of replies one client may have in flight, by estimate (see inflightWindow): bounds what
 * one client's pipeline of big values can queue on a shared backend connection ahead of others.
 */
const INFLIGHT_REPLY_BYTES = OUTPUT_HIGH_WATER;
/** A new client's first guess of its reply size: a window of 64 requests until replies say more. */
const INITIAL_REPLY_ESTIMATE = INFLIGHT_REPLY_BYTES / 64;

/**
 * How many replies a client may owe: `client-max-inflight`, or fewer when its replies are big,
 * so that about INFLIGHT_REPLY_BYTES are in flight at most (always at least one request).
 * 2,500 pipelined GETs of 1 MB values then run a few at a time instead of queueing 2.5 GB on
 * the master and stalling every client that shares its connection.
 */
export function inflightWindow(replyBytesEstimate: number, maxInflight: number): number {
  return Math.max(1, Math.min(maxInflight, Math.floor(INFLIGHT_REPLY_BYTES / Math.max(1, replyBytesEstimate))));
}

/** What the gate controls and reads: the socket, the decoder, the reply queue (a Session is its own). */
export interface GatedClient {
  /** Stops / restarts reading the socket. */
  pauseSocket(): void;
  resumeSocket(): void;
  /** Halts the decoder at the next request boundary. */
  holdRequests(): void;
  /** Decodes what was held (may run requests, which may hold again). */
  decodeHeld(): void;
  /** Bytes the decoder holds. */
  readonly heldInputBytes: number;
  /** Replies owed, and the oldest not yet answered. */
  readonly owed: number;
  firstUnanswered(): ReplySlot | null;
  readonly unsentBytes: number;
}

export type InputVerdict = 'ok' | 'over-query-buffer-limit';

export class ReadGate {
  /** Average size of this client's replies, and the window of replies it may owe. */
  private replyBytesEstimate = INITIAL_REPLY_ESTIMATE;
  private inflightLimit: number;
  /** Requests held in the decoder (see the header). */
  private holding = false;
  private socketPaused = false;
  /** The request this client waits on: a blocking command, or a barrier (afterEarlierReplies). */
  private blockedOn: ReplySlot | null = null;
  /** Its send, while earlier replies are still owed. */
  private heldBlocking: (() => void) | null = null;
  /** Set once the connection is closing: nothing resumes any more. */
  private stopped = false;

  constructor(
    private readonly client: GatedClient,
    private readonly maxInflight: number,
    private readonly queryBufferLimit: number,
  ) {
    this.inflightLimit = inflightWindow(this.replyBytesEstimate, maxInflight);
  }

  /** Waiting on a request (sent or not) that holds everything after it. */
  get isWaiting(): boolean {
    return this.blockedOn !== null;
  }

  /** The blocking command has been sent and not answered yet. */
  get blockingSent(): boolean {
    return this.blockedOn !== null && this.heldBlocking === null;
  }

  /** Socket reads are on (CLIENT LIST `events=r`). */
  get reading(): boolean {
    return !this.socketPaused && !this.holding;
  }

  isBlockedOn(slot: ReplySlot): boolean {
    return this.blockedOn === slot;
  }

  /** After each request is dispatched: checked per request, so a client never owes more than its window. */
  requestDispatched(): void {
    if (this.client.owed >= this.inflightLimit) this.hold();
  }

  /**
   * A command that holds the client's others: it is sent once every earlier reply is in, and
   * nothing after it is decoded until it is answered (see Session.runBlocking).
   */
  runBlocking(slot: ReplySlot, send: () => void): void {
    this.blockedOn = slot;
    this.hold();
    if (this.client.firstUnanswered() === slot) send();
    else this.heldBlocking = send;
  }

  /** A reply was recorded: sends a held blocking command once it is next; adjusts the window. */
  replied(slot: ReplySlot, bytes: number): void {
    if (this.blockedOn !== null) {
      if (slot === this.blockedOn) {
        this.blockedOn = null;
        this.heldBlocking = null;
      } else if (this.heldBlocking && this.client.firstUnanswered() === this.blockedOn) {
        const send = this.heldBlocking;
        this.heldBlocking = null;
        send();
      }
    }
    // The window follows the replies' size (an average that forgets old replies in about 8):
    // small replies allow `client-max-inflight`, 1 MB ones a handful.
    this.replyBytesEstimate += (bytes - this.replyBytesEstimate) / 8;
    this.inflightLimit = inflightWindow(this.replyBytesEstimate, this.maxInflight);
  }

  /** After replies were flushed, with `unsent` bytes waiting in the output. */
  flushed(unsent: number): void {
    if (unsent > OUTPUT_HIGH_WATER) this.hold();
    else this.maybeResume();
  }

  /** After a chunk of input was taken: stops reading when too much is held (see the header). */
  inputTaken(): InputVerdict {
    if (!this.holding) return 'ok';
    const held = this.client.heldInputBytes;
    if (held > this.queryBufferLimit) return 'over-query-buffer-limit';
    if (held > HELD_INPUT_LIMIT && this.blockedOn === null && !this.socketPaused) {
      this.socketPaused = true;
      this.client.pauseSocket();
    }
    return 'ok';
  }

  /** Resumes decoding (and reading) when nothing holds the client any more. */
  maybeResume(): void {
    if (!this.holding || this.stopped || this.blockedOn !== null) return;
    if (this.client.owed > this.inflightLimit / 2) return;
    if (this.client.unsentBytes > OUTPUT_HIGH_WATER) return;
    this.holding = false;
    // Requests held back in the decoder first: they may fill the window again.
    this.client.decodeHeld();
    if (this.socketPaused && !this.holding && !this.stopped) {
      this.socketPaused = false;
      this.client.resumeSocket();
    }
  }

  /** The connection is closing: nothing is decoded any more (input is still read, to see the client go). */
  stop(): void {
    this.stopped = true;
    this.blockedOn = null;
    this.heldBlocking = null;
    if (this.socketPaused) {
      this.socketPaused = false;
      this.client.resumeSocket();
    }
  }

  private hold(): void {
    if (this.holding) return;
    this.holding = true;
    this.client.holdRequests();
  }
}
