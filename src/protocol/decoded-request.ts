/**
 * One client request as the decoder hands it over (request-decoder.ts): its exact bytes (`raw`, what
 * the backend receives) and where each argument lies in them, without a Buffer per argument.
 *
 * Why (issue #22): an argument view costs a typed-array object; a GET made three (name, key, the
 * array holding them) that the hot path only reads a few bytes of. The dispatcher's direct path
 * (handlers/dispatch.ts) reads the command name and the key by offset; `args()` makes the views for
 * every other path, once per request.
 *
 * Lifetime: the decoder reuses one DecodedRequest for all its requests, so it is valid only during
 * the callback. What outlives it is `bytes` (never written into by the decoder), `raw` and arrays
 * from `args()`; `argsOfFrame(raw)` makes the views again from `raw` alone.
 */
import { frameOf } from './byte-range.js';
import { parseRedisInteger } from './resp-integer.js';

const CR = 0x0d;
const EMPTY = Buffer.alloc(0);
/** Offsets kept for up to this many arguments at rest; a bigger request's array is dropped after it. */
const KEPT_CAPACITY = 64;

export class DecodedRequest {
  /**
   * The request's bytes are bytes[base, end): one RESP multibulk frame (an inline request is
   * re-encoded as one), in the buffer it was read into (protocol/byte-range.ts: no view is made
   * unless something asks for `raw`).
   */
  bytes: Buffer = EMPTY;
  base = 0;
  end = 0;
  /** Number of arguments, the command name included. */
  count = 0;
  /** Start (from `base`) and length of argument i, at [2i] and [2i + 1] (small integers: no boxing). */
  private offsets: number[] = [];
  private views: Buffer[] | null = null;
  private rawView: Buffer | null = null;

  /** The request's bytes as a Buffer of their own (a view, made on first use). */
  get raw(): Buffer {
    return (this.rawView ??= frameOf(this.bytes, this.base, this.end));
  }

  /** The request's length in bytes. */
  get size(): number {
    return this.end - this.base;
  }

  /**
   * After the callback: lets go of the request's bytes and views, so an idle client's decoder keeps
   * none of its last request (its read buffer, or views of it, would stay alive as long as the client).
   */
  release(): void {
    this.bytes = EMPTY;
    this.rawView = null;
    this.views = null;
  }

  /** A request made of `args`, encoded as `raw` (tests, and inline requests). */
  static of(args: Buffer[], raw: Buffer): DecodedRequest {
    const request = new DecodedRequest();
    request.fromArgs(args, raw);
    return request;
  }

  /** Starts the next multibulk request (its arguments are then `add`ed in order; `raw` and views were released after the last). */
  begin(): void {
    if (this.offsets.length > 2 * KEPT_CAPACITY) this.offsets = [];
    this.count = 0;
  }

  /** The next argument: `length` bytes at `start` of the frame. */
  add(start: number, length: number): void {
    const at = 2 * this.count++;
    this.offsets[at] = start;
    this.offsets[at + 1] = length;
  }

  /** The frame is complete: bytes[base, end) holds every argument added since begin(). */
  complete(bytes: Buffer, base: number, end: number): void {
    this.bytes = bytes;
    this.base = base;
    this.end = end;
  }

  /** A request whose argument Buffers exist already (an inline request and its encoding). */
  fromArgs(args: Buffer[], raw: Buffer): void {
    this.begin();
    this.complete(raw, 0, raw.length);
    forEachArgument(raw, (start, length) => this.add(start, length));
    this.views = args;
  }

  /** Where argument `index` starts in `bytes`. */
  start(index: number): number {
    return this.base + this.offsets[2 * index]!;
  }

  length(index: number): number {
    return this.offsets[2 * index + 1]!;
  }

  /** The first byte of argument `index` (-1 when it is empty). */
  firstByte(index: number): number {
    return this.offsets[2 * index + 1]! > 0 ? this.bytes[this.start(index)]! : -1;
  }

  /** The arguments as views of `bytes` (made on the first call for this request). */
  args(): Buffer[] {
    if (this.views !== null) return this.views;
    const views = new Array<Buffer>(this.count);
    for (let i = 0; i < this.count; i++) views[i] = this.bytes.subarray(this.start(i), this.start(i) + this.offsets[2 * i + 1]!);
    return (this.views = views);
  }
}

/**
 * Calls `each(start, length)` for every argument of a complete multibulk frame, with the decoder's
 * reading of it: the byte after a header's CR and the two bytes after a bulk body are skipped
 * unchecked (the frame was accepted by the decoder, so every header is there).
 */
function forEachArgument(frame: Buffer, each: (start: number, length: number) => void): void {
  let cr = frame.indexOf(CR, 1);
  const count = parseRedisInteger(frame, 1, cr);
  let pos = cr + 2;
  for (let i = 0; i < count; i++) {
    cr = frame.indexOf(CR, pos + 1);
    const length = parseRedisInteger(frame, pos + 1, cr);
    each(cr + 2, length);
    pos = cr + 2 + length + 2;
  }
}

/** The argument views of a request's `raw` bytes (a call that needs them after the decoder moved on). */
export function argsOfFrame(raw: Buffer): Buffer[] {
  const args: Buffer[] = [];
  forEachArgument(raw, (start, length) => args.push(raw.subarray(start, start + length)));
  return args;
}
