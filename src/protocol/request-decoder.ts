/**
 * Client → proxy request decoding, with Redis 7's rules and error texts (networking.c,
 * processInlineBuffer / processMultibulkBuffer).
 *
 * Technique (the hot path):
 * - Zero copy: a request is the range of the buffer it lies in, when it lies inside one buffer (the
 *   common case), and its arguments are offsets into it (decoded-request.ts): views of the frame
 *   (`raw`) or of an argument are made only when something asks for them.
 * - Buffers are never written to. Leftover bytes are combined with the next chunk into a NEW
 *   buffer (Buffer.concat), so views handed out earlier stay valid forever.
 * - Resumable: the parse state of a multibulk (arguments left, current bulk length, the offsets of
 *   the arguments so far) lives in fields, so a frame arriving in pieces is never re-parsed from its start.
 * - No quadratic copying: while a frame is incomplete we know what would let it progress, either
 *   "N more bytes" (a bulk body or the byte after a CR) or "a chunk containing byte B" (a header
 *   or inline line still missing its CR / LF). Chunks are collected in a list until that holds
 *   and then concatenated once; a 10 MB argument in 64 KB chunks is copied once (plus once more
 *   to assemble `raw`), not 160 times.
 * - Integers are parsed from bytes (resp-integer.ts), never via toString().
 * Redis quirks kept on purpose, so the backend (which receives `raw`) agrees with us on every
 * frame boundary: the byte after a header's CR and the two bytes after a bulk body are skipped
 * unchecked, and a NUL before a line end hides that line end (Redis searches with strchr).
 */
import { DecodedRequest } from './decoded-request.js';
import { encodeCommand } from './encoder.js';
import { splitInlineArgs } from './inline-args.js';
import { ProtocolError } from './protocol-error.js';
import { parseRedisInteger } from './resp-integer.js';

/** A request as plain values: its arguments and its exact bytes (what DecodedRequest stands for). */
export interface Request {
  args: Buffer[];
  raw: Buffer;
}

export interface DecoderLimits {
  /** Largest accepted bulk argument (Redis's proto-max-bulk-len). */
  maxBulkLength: number;
  /** Largest accepted argument count of one multibulk request. */
  maxMultibulkLength: number;
  /** Longest inline line, or `*`/`$` header, that may sit in the buffer without its line end. */
  maxInlineLength: number;
}

/**
 * Who receives the decoded requests: a session passes itself (one method on its prototype, no
 * closure per connection); a plain function is wrapped once.
 */
export interface RequestSink {
  /** Each request; the object is the decoder's own, valid during the call only (decoded-request.ts). */
  onRequest(request: DecodedRequest): void;
}

export const DEFAULT_DECODER_LIMITS: DecoderLimits = Object.freeze({
  maxBulkLength: 512 * 1024 * 1024,
  maxMultibulkLength: 1024 * 1024,
  maxInlineLength: 64 * 1024,
});

/** Redis's limits for clients that have not signed in yet (networking.c, authRequired()). */
const UNAUTHENTICATED_MAX_MULTIBULK = 10;
const UNAUTHENTICATED_MAX_BULK = 16 * 1024;

const NUL = 0x00;
const LF = 0x0a;
const CR = 0x0d;
const ASTERISK = 0x2a;
const DOLLAR = 0x24;
const NO_BYTE = -1;
const EMPTY = Buffer.alloc(0);

// What the decoder is in the middle of.
const IDLE = 0; // between requests
const INLINE = 1; // an inline line waiting for its LF
const MULTIBULK_COUNT = 2; // a `*N` line waiting for its CR
const MULTIBULK_ARGS = 3; // reading the arguments of a multibulk

/** What Redis says when a line's end has not arrived within the inline limit, per state. */
function lineTooLong(mode: number): ProtocolError {
  switch (mode) {
    case INLINE:
      return new ProtocolError('Protocol error: too big inline request');
    case MULTIBULK_COUNT:
      return new ProtocolError('Protocol error: too big mbulk count string');
    default:
      return new ProtocolError('Protocol error: too big bulk count string');
  }
}

function invalid(message: string): ProtocolError {
  return new ProtocolError(`Protocol error: ${message}`);
}

/** Redis prints the offending byte with %c and then turns CR/LF into spaces. */
function expectedDollar(got: number): ProtocolError {
  const shown = got === CR || got === LF ? ' ' : String.fromCharCode(got);
  return new ProtocolError(`Protocol error: expected '$', got '${shown}'`);
}

/** findCR's answer when a NUL comes first: Redis can never see that line's end. */
const HIDDEN_BY_NUL = -2;

/**
 * Where the CR ending a header line (`*3`, `$5`) is, -1 when it has not arrived, or HIDDEN_BY_NUL.
 * Redis looks for it with strchr, which stops at a NUL byte, so a NUL before the CR means Redis
 * waits until the line exceeds the inline limit; we do the same.
 * (A plain loop: the CR is usually a few bytes away, where a native indexOf call costs more.)
 */
function findCR(buf: Buffer, from: number): number {
  for (let i = from, end = buf.length; i < end; i++) {
    const c = buf[i];
    if (c === CR) return i;
    if (c === NUL) return HIDDEN_BY_NUL;
  }
  return -1;
}

/** Whether buf[from, to) holds a NUL byte. */
function hasNul(buf: Buffer, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (buf[i] === NUL) return true;
  return false;
}

function isComplete(limits: Partial<DecoderLimits> | undefined): limits is DecoderLimits {
  return limits !== undefined && limits.maxBulkLength !== undefined && limits.maxMultibulkLength !== undefined && limits.maxInlineLength !== undefined;
}

export class RequestDecoder {
  private readonly limits: DecoderLimits;

  private mode = IDLE;
  /** Arguments still to read, and the length of the current bulk (-1 before its `$` line). */
  private argsLeft = 0;
  private bulkLength = -1;
  /**
   * The request being read, handed to onRequest when complete: one object reused for every request
   * (valid during the callback only, see decoded-request.ts). Its offsets grow as arguments arrive:
   * the `*N` header is the client's word, and a `*1000000` header alone must not reserve 8 MB.
   */
  private readonly request = new DecodedRequest();
  /** Earlier pieces of an incomplete multibulk frame, for assembling `raw`. */
  private frameParts: Buffer[] = [];
  private framePartsBytes = 0;

  /** Unparsed bytes (starting where parsing must resume) and chunks received since. */
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** Resume once `pendingBytes >= waitBytes`, or once a chunk contains `waitByte`. */
  private waitBytes = 0;
  private waitByte = NO_BYTE;
  private waiting = false;
  /**
   * Set by `stop()` (from onRequest, when the session owes too many replies): parsing halts
   * after the current request, at a frame boundary, and everything after it stays in `pending`
   * until `resume()`. This is what makes `client-max-inflight` exact: a 130 kB chunk of 2,500
   * pipelined GETs is not forwarded as one burst but request by request up to the limit.
   */
  private stopped = false;

  /**
   * After write() threw (a protocol error, or an exception from onRequest) the stream cannot be
   * resynchronised: every later write() rethrows the same error.
   */
  private failed = false;
  private failure: unknown;

  /**
   * True while the client has not signed in: then, like Redis, a request may have at most 10
   * arguments of at most 16 KB each, so an unauthenticated client cannot make the proxy buffer
   * much. Read at every header, so clearing it from onRequest (a pipelined AUTH) applies to the
   * very next request, as in Redis, which runs each command before parsing the next.
   */
  authRequired = false;

  private readonly sink: RequestSink;

  /**
   * @param sink    receives each request (see RequestSink)
   * @param limits  a complete DecoderLimits is kept as it is (shared, read-only), so connections
   *                of one configuration share one object; a partial one is completed with the defaults
   */
  constructor(sink: RequestSink | ((request: DecodedRequest) => void), limits?: Partial<DecoderLimits>) {
    this.sink = typeof sink === 'function' ? { onRequest: sink } : sink;
    this.limits = isComplete(limits) ? limits : { ...DEFAULT_DECODER_LIMITS, ...limits };
  }

  /** Bytes held for an incomplete request. */
  get bufferedBytes(): number {
    return this.pendingBytes + this.framePartsBytes;
  }

  /** True while decoding is halted by `stop()`. */
  get isStopped(): boolean {
    return this.stopped;
  }

  /** Decodes what it can; may call onRequest several times. Throws ProtocolError on bad input. */
  write(chunk: Buffer): void {
    this.decodeGuarded(chunk, true);
  }

  /**
   * Halts decoding after the request being delivered now (call it from onRequest); bytes already
   * received, and chunks written meanwhile, wait until `resume()`.
   */
  stop(): void {
    this.stopped = true;
  }

  /** Decodes what was held back by `stop()`. May call onRequest, and throw, like write(). */
  resume(): void {
    if (!this.stopped) return;
    this.stopped = false;
    if (this.pendingBytes === 0 || this.waiting) return;
    const buf = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending, this.pendingBytes);
    this.pending = [];
    this.pendingBytes = 0;
    this.decodeGuarded(buf, false);
  }

  /**
   * Feeds a new chunk (`fresh`) or parses held-back bytes, unless an earlier write failed (then it
   * throws that failure again). Takes the bytes, not a closure: write() runs once per read (issue #22).
   */
  private decodeGuarded(bytes: Buffer, fresh: boolean): void {
    if (this.failed) throw this.failure;
    try {
      if (fresh) this.feed(bytes);
      else this.parse(bytes);
    } catch (err) {
      // The stream cannot be resynchronised: this write and every later one throw it.
      this.failed = true;
      this.failure = err;
      throw err;
    }
  }

  private feed(chunk: Buffer): void {
    if (chunk.length === 0) return;
    if (this.stopped && !this.waiting) {
      // Halted between frames: keep the bytes for resume(), parse nothing.
      this.pending.push(chunk);
      this.pendingBytes += chunk.length;
      return;
    }
    let buf = chunk;
    if (this.waiting) {
      this.pending.push(chunk);
      this.pendingBytes += chunk.length;
      if (this.waitByte !== NO_BYTE) {
        if (chunk.indexOf(this.waitByte) === -1) {
          // Same check as Redis: the unterminated line is longer than the limit.
          if (this.pendingBytes > this.limits.maxInlineLength) throw lineTooLong(this.mode);
          return;
        }
      } else if (this.pendingBytes < this.waitBytes) {
        return;
      }
      buf = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending, this.pendingBytes);
      this.pending = [];
      this.pendingBytes = 0;
      this.waiting = false;
    }
    this.parse(buf);
  }

  /** Parses `buf` from 0; an incomplete frame continues at the start of `buf`. */
  private parse(buf: Buffer): void {
    const { maxInlineLength, maxMultibulkLength, maxBulkLength } = this.limits;
    const end = buf.length;
    let pos = 0;
    let frameStart = 0;

    while (pos < end) {
      if (this.mode === IDLE) {
        frameStart = pos;
        this.mode = buf[pos] === ASTERISK ? MULTIBULK_COUNT : INLINE;
      }

      if (this.mode === INLINE) {
        const lf = buf.indexOf(LF, pos);
        // Redis finds the LF with strchr, which stops at a NUL: a NUL before the LF hides it.
        const hidden = hasNul(buf, pos, lf === -1 ? end : lf);
        if (lf === -1 || hidden) {
          if (end - pos > maxInlineLength) throw lineTooLong(INLINE);
          return hidden
            ? this.suspendForBytes(buf, frameStart, pos, maxInlineLength + 1)
            : this.suspendUntilByte(buf, frameStart, pos, LF);
        }
        const lineEnd = lf > pos && buf[lf - 1] === CR ? lf - 1 : lf;
        const args = splitInlineArgs(buf, pos, lineEnd);
        if (args === null) throw invalid('unbalanced quotes in request');
        pos = lf + 1;
        this.mode = IDLE;
        // Empty lines are skipped, like Redis.
        if (args.length > 0) this.deliverInline(args);
        if (this.stopped) return this.holdRest(buf, pos);
        continue;
      }

      if (this.mode === MULTIBULK_COUNT) {
        const cr = findCR(buf, pos);
        if (cr < 0) {
          if (end - pos > maxInlineLength) throw lineTooLong(MULTIBULK_COUNT);
          return this.suspendForLineEnd(buf, frameStart, pos, cr);
        }
        // Redis needs one byte after the CR and skips it without checking that it is LF.
        if (cr + 1 >= end) return this.suspendForBytes(buf, frameStart, pos, cr + 2 - pos);
        const count = parseRedisInteger(buf, pos + 1, cr);
        if (Number.isNaN(count) || count > maxMultibulkLength) {
          throw invalid('invalid multibulk length');
        }
        if (count > UNAUTHENTICATED_MAX_MULTIBULK && this.authRequired) throw invalid('unauthenticated multibulk length');
        pos = cr + 2;
        if (count <= 0) {
          this.mode = IDLE; // *0, *-1 (any negative, in fact) are skipped, like Redis
          continue;
        }
        this.startArgs(count);
      }

      // MULTIBULK_ARGS
      while (this.argsLeft > 0) {
        if (this.bulkLength < 0) {
          const cr = findCR(buf, pos);
          if (cr < 0) {
            // Checked before the '$': Redis looks at the prefix only once the line is complete.
            if (end - pos > maxInlineLength) throw lineTooLong(MULTIBULK_ARGS);
            return this.suspendForLineEnd(buf, frameStart, pos, cr);
          }
          if (cr + 1 >= end) return this.suspendForBytes(buf, frameStart, pos, cr + 2 - pos);
          if (buf[pos] !== DOLLAR) throw expectedDollar(buf[pos]!);
          const length = parseRedisInteger(buf, pos + 1, cr);
          if (Number.isNaN(length) || length < 0 || length > maxBulkLength) {
            throw invalid('invalid bulk length');
          }
          if (length > UNAUTHENTICATED_MAX_BULK && this.authRequired) throw invalid('unauthenticated bulk length');
          pos = cr + 2;
          this.bulkLength = length;
        }
        // Redis takes the two bytes after the body as the CRLF without checking them.
        if (end - pos < this.bulkLength + 2) {
          return this.suspendForBytes(buf, frameStart, pos, this.bulkLength + 2);
        }
        // Where the argument is in the whole frame: after the earlier pieces kept for `raw`.
        this.request.add(this.framePartsBytes + pos - frameStart, this.bulkLength);
        pos += this.bulkLength + 2;
        this.bulkLength = -1;
        this.argsLeft--;
      }

      this.mode = IDLE;
      if (this.frameParts.length > 0) {
        this.frameParts.push(buf.subarray(frameStart, pos));
        const joined = Buffer.concat(this.frameParts, this.framePartsBytes + pos - frameStart);
        this.frameParts = [];
        this.framePartsBytes = 0;
        this.request.complete(joined, 0, joined.length);
      } else {
        this.request.complete(buf, frameStart, pos);
      }
      this.sink.onRequest(this.request);
      this.request.release();
      if (this.stopped) return this.holdRest(buf, pos);
    }
  }

  /** An inline request: the backend only speaks RESP, so its raw bytes are its arguments re-encoded. */
  private deliverInline(args: Buffer[]): void {
    this.request.fromArgs(args, encodeCommand(args));
    this.sink.onRequest(this.request);
    this.request.release();
  }

  /** A `*count` header was read: its arguments come next. */
  private startArgs(count: number): void {
    this.mode = MULTIBULK_ARGS;
    this.argsLeft = count;
    this.bulkLength = -1;
    this.request.begin();
  }

  /** Keeps `buf[pos..]` (starting at a frame boundary) unparsed until resume(). */
  private holdRest(buf: Buffer, pos: number): void {
    this.pending = pos < buf.length ? [buf.subarray(pos)] : [];
    this.pendingBytes = buf.length - pos;
    this.waiting = false;
  }

  /**
   * Keeps `buf[resumeAt..]` for later. Bytes of the current frame before `resumeAt` were already
   * parsed (its arguments' offsets count them); they are kept aside to assemble `raw`.
   */
  private keepRest(buf: Buffer, frameStart: number, resumeAt: number): void {
    if (resumeAt > frameStart) {
      this.frameParts.push(buf.subarray(frameStart, resumeAt));
      this.framePartsBytes += resumeAt - frameStart;
    }
    const rest = resumeAt < buf.length ? buf.subarray(resumeAt) : EMPTY;
    this.pending = rest.length > 0 ? [rest] : [];
    this.pendingBytes = rest.length;
    this.waiting = true;
  }

  private suspendUntilByte(buf: Buffer, frameStart: number, resumeAt: number, byte: number): void {
    this.keepRest(buf, frameStart, resumeAt);
    this.waitByte = byte;
    this.waitBytes = 0;
  }

  /** For a header line whose CR is missing (-1) or hidden by a NUL (HIDDEN_BY_NUL). */
  private suspendForLineEnd(buf: Buffer, frameStart: number, resumeAt: number, cr: number): void {
    if (cr === HIDDEN_BY_NUL) {
      // No later byte can complete this line: wait until it is over the limit, then fail.
      this.suspendForBytes(buf, frameStart, resumeAt, this.limits.maxInlineLength + 1);
    } else {
      this.suspendUntilByte(buf, frameStart, resumeAt, CR);
    }
  }

  private suspendForBytes(buf: Buffer, frameStart: number, resumeAt: number, bytes: number): void {
    this.keepRest(buf, frameStart, resumeAt);
    this.waitByte = NO_BYTE;
    this.waitBytes = bytes;
  }
}
