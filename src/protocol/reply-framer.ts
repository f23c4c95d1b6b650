/**
 * Backend → proxy reply framing: finds where each top-level reply ends and hands over its bytes
 * without building values (replies that only pass through are never parsed).
 *
 * Technique: an incremental scanner whose whole state lives in fields (phase, the remaining
 * element count of every open array, bytes left of the current bulk), so each byte is looked at
 * once however the stream is chunked:
 * - a top-level status, error, integer or bulk reply complete in its chunk is found by a plain scan
 *   (completeSimpleFrame), without the phases below;
 * - status/error/integer lines are skipped with indexOf(CR);
 * - bulk bodies are skipped by arithmetic, never scanned (a 10 MB bulk costs no scanning);
 * - only `$`/`*` length digits are read one byte at a time.
 * Invariants: a frame that lies inside one chunk is emitted as a view of that chunk; a frame that
 * spans chunks is kept as a list of views and concatenated exactly once, when it completes.
 * Chunks handed to write() are never modified.
 *
 * RESP3 (a backend connection that said HELLO 3): the line types `_ , # (` are skipped like `+`,
 * the bulk types `! =` like `$`, the aggregates `~ >` like `*` and `% |` as 2n elements (an
 * attribute `|n` as 2n + 1: its pairs and the value it annotates, which is counted once by its
 * parent). `!` frames are errors; top-level `>` frames (pushes) go to `onPush`, never to
 * `onReply`, because they answer no request. The RESP2 types are tested first, so a RESP2 stream
 * costs what it did. Streamed strings and aggregates (`$?`, `*?`) are not accepted: Redis never
 * sends them.
 */
import { frameOf } from './byte-range.js';
import { ProtocolError } from './protocol-error.js';

const CR = 0x0d;
const LF = 0x0a;
const PLUS = 0x2b;
const MINUS = 0x2d;
const COLON = 0x3a;
const DOLLAR = 0x24;
const ASTERISK = 0x2a;
// RESP3 type bytes.
const UNDERSCORE = 0x5f; // null
const COMMA = 0x2c; // double
const HASH = 0x23; // boolean
const OPEN_PAREN = 0x28; // big number
const BANG = 0x21; // bulk error
const EQUALS = 0x3d; // verbatim string
const PERCENT = 0x25; // map
const TILDE = 0x7e; // set
const GREATER = 0x3e; // push
const PIPE = 0x7c; // attribute
const ZERO_CHAR = 0x30;
const NINE_CHAR = 0x39;
/** More digits than any length Redis can send (int64 has 19). */
const MAX_LENGTH_DIGITS = 19;

// Scanner phases.
const TYPE = 0; // expecting the type byte of a value
const LINE = 1; // inside a +/-/: line, looking for its CR
const LINE_LF = 2; // expecting the LF after such a line's CR
const LENGTH = 3; // reading the digits of a $ or * header
const LENGTH_LF = 4; // expecting the LF after a header's CR
const BODY = 5; // skipping bulk bytes
const BODY_CR = 6; // expecting the CR after a bulk body
const BODY_LF = 7; // expecting the LF after a bulk body

/**
 * A reply as the bytes[start, end) of a buffer that is never written again (a read chunk, or the
 * frame joined from several): the consumer copies those bytes, or makes a view (frameOf) if it
 * keeps them. See protocol/byte-range.ts.
 */
export type FrameRangeHandler = (bytes: Buffer, start: number, end: number, isError: boolean) => void;

function garbage(detail: string): ProtocolError {
  return new ProtocolError(`Protocol error: ${detail}`);
}

function describeByte(b: number): string {
  return `0x${b.toString(16).padStart(2, '0')}`;
}

/** Digits a fast-path bulk length may have: any more, and the state machine reads it (and its limit). */
const FAST_LENGTH_DIGITS = 9;

/**
 * The end of the reply starting at chunk[pos] when it is a status, error or integer line, or a bulk
 * string (null included), and lies complete inside the chunk with well-formed CRLFs; else -1, and
 * the state machine takes it (incomplete, another type, or malformed: it then says why).
 * Why (issue #22): at pipeline 16 nearly every reply is one of these, and the state machine spent
 * a field write per phase and a native indexOf per line on a five-byte `+OK`.
 */
function completeSimpleFrame(chunk: Buffer, pos: number, end: number): number {
  const type = chunk[pos]!;
  let i = pos + 1;
  if (type === PLUS || type === MINUS || type === COLON) {
    while (i < end && chunk[i] !== CR) i++;
    return i + 1 < end && chunk[i + 1] === LF ? i + 2 : -1;
  }
  if (type !== DOLLAR) return -1;
  if (chunk[i] === MINUS) {
    // Only $-1 (null); anything else negative is the state machine's error to raise.
    return i + 3 < end && chunk[i + 1] === 0x31 && chunk[i + 2] === CR && chunk[i + 3] === LF ? i + 4 : -1;
  }
  let length = 0;
  const digitsStart = i;
  for (; i < end; i++) {
    const c = chunk[i]!;
    if (c < ZERO_CHAR || c > NINE_CHAR) break;
    length = length * 10 + (c - ZERO_CHAR);
  }
  const digits = i - digitsStart;
  if (digits === 0 || digits > FAST_LENGTH_DIGITS || i + 1 >= end || chunk[i] !== CR || chunk[i + 1] !== LF) return -1;
  const bodyEnd = i + 2 + length;
  return bodyEnd + 1 < end && chunk[bodyEnd] === CR && chunk[bodyEnd + 1] === LF ? bodyEnd + 2 : -1;
}

export class ReplyFramer {
  private phase = TYPE;
  /** Remaining elements of each open array, innermost last; `depth` entries are live. */
  private readonly remaining: number[] = [];
  private depth = 0;
  /** Header being read: its type byte, sign, value and digit count. */
  private headerType = 0;
  private headerNegative = false;
  private headerValue = 0;
  private headerDigits = 0;
  /** Bytes of bulk body still to skip. */
  private bodyLeft = 0;
  /** Views of the current frame's bytes from earlier chunks. */
  private parts: Buffer[] = [];
  private partsBytes = 0;
  private inFrame = false;
  private frameIsError = false;
  private frameIsPush = false;
  /** Bumped by reset(), so write() notices a reset done from inside onReply. */
  private generation = 0;

  private readonly onRange: FrameRangeHandler;

  constructor(
    onReply: ((frame: Buffer, isError: boolean) => void) | null,
    /** Top-level RESP3 push frames (`>`); dropped when absent. */
    private readonly onPush: ((frame: Buffer) => void) | null = null,
    /** Instead of `onReply`: each reply as where it lies, so no view is made for it (see FrameRangeHandler). */
    onRange: FrameRangeHandler | null = null,
  ) {
    this.onRange = onRange ?? ((bytes, start, end, isError) => onReply!(frameOf(bytes, start, end), isError));
  }

  /** Drops any partial reply (after a reconnect). */
  reset(): void {
    this.phase = TYPE;
    this.depth = 0;
    this.parts = [];
    this.partsBytes = 0;
    this.inFrame = false;
    this.frameIsError = false;
    this.frameIsPush = false;
    this.generation++;
  }

  write(chunk: Buffer): void {
    const generation = this.generation;
    const end = chunk.length;
    let pos = 0;
    let frameStart = 0; // a frame carried over from earlier chunks continues at 0

    while (pos < end) {
      if (this.phase === TYPE && !this.inFrame) {
        // A top-level reply that is complete in this chunk: handed over without the state machine.
        const frameEnd = completeSimpleFrame(chunk, pos, end);
        if (frameEnd > 0) {
          this.onRange(chunk, pos, frameEnd, chunk[pos] === MINUS);
          if (this.generation !== generation) return;
          pos = frameEnd;
          continue;
        }
      }
      switch (this.phase) {
        case TYPE: {
          const type = chunk[pos]!;
          const starting = !this.inFrame;
          if (starting) {
            this.inFrame = true;
            this.frameIsError = type === MINUS;
            frameStart = pos;
          }
          pos++;
          if (type === PLUS || type === MINUS || type === COLON) {
            this.phase = LINE;
          } else if (type === DOLLAR || type === ASTERISK) {
            this.startHeader(type);
          } else {
            this.resp3Type(type, starting);
          }
          break;
        }
        case LINE: {
          const cr = chunk.indexOf(CR, pos);
          if (cr === -1) {
            pos = end;
          } else {
            pos = cr + 1;
            this.phase = LINE_LF;
          }
          break;
        }
        case LINE_LF:
        case BODY_LF:
          if (chunk[pos] !== LF) throw garbage('reply line not terminated by CRLF');
          pos++;
          if (this.valueDone()) {
            this.emit(chunk, frameStart, pos);
            if (this.generation !== generation) return;
          }
          break;
        case LENGTH:
          pos = this.readLengthDigits(chunk, pos);
          break;
        case LENGTH_LF:
          if (chunk[pos] !== LF) throw garbage('reply line not terminated by CRLF');
          pos++;
          if (this.headerComplete()) {
            this.emit(chunk, frameStart, pos);
            if (this.generation !== generation) return;
          }
          break;
        case BODY: {
          const take = Math.min(this.bodyLeft, end - pos);
          pos += take;
          this.bodyLeft -= take;
          if (this.bodyLeft === 0) this.phase = BODY_CR;
          break;
        }
        case BODY_CR:
          if (chunk[pos] !== CR) throw garbage('bulk reply not terminated by CRLF');
          pos++;
          this.phase = BODY_LF;
          break;
      }
    }

    if (this.inFrame && frameStart < end) {
      this.parts.push(chunk.subarray(frameStart, end));
      this.partsBytes += end - frameStart;
    }
  }

  private startHeader(headerType: number): void {
    this.headerType = headerType;
    this.headerNegative = false;
    this.headerValue = 0;
    this.headerDigits = 0;
    this.phase = LENGTH;
  }

  /** The RESP3 types, mapped onto the RESP2 phases (`headerType` keeps `%`/`|` for the pair count). */
  private resp3Type(type: number, starting: boolean): void {
    switch (type) {
      case UNDERSCORE:
      case COMMA:
      case HASH:
      case OPEN_PAREN:
        this.phase = LINE;
        return;
      case BANG:
        if (starting) this.frameIsError = true;
        this.startHeader(DOLLAR);
        return;
      case EQUALS:
        this.startHeader(DOLLAR);
        return;
      case GREATER:
        if (starting) this.frameIsPush = true;
        this.startHeader(ASTERISK);
        return;
      case TILDE:
        this.startHeader(ASTERISK);
        return;
      case PERCENT:
      case PIPE:
        this.startHeader(type);
        return;
      default:
        throw garbage(`unexpected reply type byte ${describeByte(type)}`);
    }
  }

  /** Consumes header digits up to and including the CR; returns the new position. */
  private readLengthDigits(chunk: Buffer, pos: number): number {
    const end = chunk.length;
    while (pos < end) {
      const c = chunk[pos++]!;
      if (c >= ZERO_CHAR && c <= NINE_CHAR) {
        if (++this.headerDigits > MAX_LENGTH_DIGITS) throw garbage('invalid length in reply');
        this.headerValue = this.headerValue * 10 + (c - ZERO_CHAR);
      } else if (c === MINUS && this.headerDigits === 0 && !this.headerNegative) {
        this.headerNegative = true;
      } else if (c === CR && this.headerDigits > 0) {
        this.phase = LENGTH_LF;
        return pos;
      } else {
        throw garbage('invalid length in reply');
      }
    }
    return pos;
  }

  /** Acts on a complete `$n` / `*n` header; returns true when that completed a top-level frame. */
  private headerComplete(): boolean {
    const n = this.headerNegative ? -this.headerValue : this.headerValue;
    if (n === -1) return this.valueDone(); // $-1 / *-1: null
    if (n < 0) throw garbage(`invalid ${this.headerType === DOLLAR ? 'bulk' : 'multibulk'} length in reply`);
    if (this.headerType === DOLLAR) {
      this.bodyLeft = n;
      this.phase = n === 0 ? BODY_CR : BODY;
      return false;
    }
    if (n === 0 && this.headerType !== PIPE) return this.valueDone(); // *0, %0, ~0
    // `%n` holds n pairs; `|n` n pairs and then the value they annotate.
    this.remaining[this.depth++] = this.headerType === ASTERISK ? n : this.headerType === PERCENT ? 2 * n : 2 * n + 1;
    this.phase = TYPE;
    return false;
  }

  /** A value ended: closes every array it completes. Returns true when the top-level frame ended. */
  private valueDone(): boolean {
    this.phase = TYPE;
    while (this.depth > 0) {
      if (--this.remaining[this.depth - 1]! > 0) return false;
      this.depth--;
    }
    return true;
  }

  private emit(chunk: Buffer, frameStart: number, frameEnd: number): void {
    let bytes = chunk;
    let start = frameStart;
    let end = frameEnd;
    if (this.parts.length > 0) {
      this.parts.push(chunk.subarray(0, frameEnd));
      bytes = Buffer.concat(this.parts, this.partsBytes + frameEnd);
      start = 0;
      end = bytes.length;
      this.parts = [];
      this.partsBytes = 0;
    }
    const isError = this.frameIsError;
    this.inFrame = false;
    if (this.frameIsPush) {
      this.frameIsPush = false;
      this.onPush?.(frameOf(bytes, start, end));
      return;
    }
    this.onRange(bytes, start, end, isError);
  }
}
