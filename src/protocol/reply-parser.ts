/**
 * Full parsing of ONE reply frame, for the few places that must look inside a reply (merging
 * fan-out replies, reading CLUSTER SHARDS). Replies that only pass through are framed by
 * ReplyFramer instead and never reach this module.
 *
 * Mapping: simple string → string (UTF-8), bulk string → Buffer (a view into the frame),
 * integer → number (exact up to 2^53), both RESP2 nulls → null, error → RespError, array → array.
 * RESP3 frames map to the value Redis would have sent in RESP2: `_` → null, `#t`/`#f` → 1/0,
 * double `,` and big number `(` → Buffer of their text, verbatim `=` → Buffer of the text
 * without its format prefix, bulk error `!` → RespError, map `%` → flat array of keys and
 * values, set `~` and push `>` → array; an attribute `|` is skipped (the value after it counts).
 */
import { ProtocolError } from './protocol-error.js';
import { parseRedisInteger } from './resp-integer.js';

/** An error reply as a value; `message` is the line without the leading `-`, e.g. `ERR foo`. */
export class RespError {
  constructor(readonly message: string) {}
}

export type RespValue = string | Buffer | number | null | RespError | RespValue[];

const CR = 0x0d;
const LF = 0x0a;

function malformed(detail: string): ProtocolError {
  return new ProtocolError(`Protocol error: ${detail}`);
}

class FrameReader {
  pos = 0;
  constructor(private readonly frame: Buffer) {}

  /** The current line's content (up to CR LF) as [start, end); moves past the CR LF. */
  private line(): [number, number] {
    const start = this.pos;
    const cr = this.frame.indexOf(CR, start);
    if (cr === -1 || cr + 1 >= this.frame.length) throw malformed('incomplete reply');
    if (this.frame[cr + 1] !== LF) throw malformed('reply line not terminated by CRLF');
    this.pos = cr + 2;
    return [start, cr];
  }

  private integerLine(what: string): number {
    const [start, end] = this.line();
    const n = parseRedisInteger(this.frame, start, end);
    if (Number.isNaN(n)) throw malformed(`invalid ${what} in reply`);
    return n;
  }

  /** A length line and that many bytes followed by CR LF (`!`, `=`); the bytes as a view. */
  private bulkBody(): Buffer {
    const length = this.integerLine('bulk length');
    if (length < 0) throw malformed('invalid bulk length in reply');
    const start = this.pos;
    const end = start + length;
    if (end + 2 > this.frame.length) throw malformed('incomplete reply');
    if (this.frame[end] !== CR || this.frame[end + 1] !== LF) throw malformed('bulk reply not terminated by CRLF');
    this.pos = end + 2;
    return this.frame.subarray(start, end);
  }

  value(): RespValue {
    if (this.pos >= this.frame.length) throw malformed('incomplete reply');
    const type = this.frame[this.pos++];
    switch (type) {
      case 0x2b: { // '+'
        const [start, end] = this.line();
        return this.frame.toString('utf8', start, end);
      }
      case 0x2d: { // '-'
        const [start, end] = this.line();
        return new RespError(this.frame.toString('utf8', start, end));
      }
      case 0x3a: // ':'
        return this.integerLine('integer');
      case 0x24: { // '$'
        const length = this.integerLine('bulk length');
        if (length === -1) return null;
        if (length < 0) throw malformed('invalid bulk length in reply');
        const start = this.pos;
        const end = start + length;
        if (end + 2 > this.frame.length) throw malformed('incomplete reply');
        if (this.frame[end] !== CR || this.frame[end + 1] !== LF) {
          throw malformed('bulk reply not terminated by CRLF');
        }
        this.pos = end + 2;
        return this.frame.subarray(start, end);
      }
      case 0x2a: { // '*'
        const count = this.integerLine('multibulk length');
        if (count === -1) return null;
        if (count < 0) throw malformed('invalid multibulk length in reply');
        const elements: RespValue[] = [];
        for (let i = 0; i < count; i++) elements.push(this.value());
        return elements;
      }
      // RESP3 (see the mapping above).
      case 0x5f: // '_'
        this.line();
        return null;
      case 0x23: { // '#'
        const [start, end] = this.line();
        if (end !== start + 1 || (this.frame[start] !== 0x74 && this.frame[start] !== 0x66)) throw malformed('invalid boolean in reply');
        return this.frame[start] === 0x74 ? 1 : 0;
      }
      case 0x2c: // ','
      case 0x28: { // '('
        const [start, end] = this.line();
        return this.frame.subarray(start, end);
      }
      case 0x21: // '!'
        return new RespError(this.bulkBody().toString('utf8'));
      case 0x3d: { // '='
        const body = this.bulkBody();
        if (body.length < 4 || body[3] !== 0x3a) throw malformed('invalid verbatim string in reply');
        return body.subarray(4);
      }
      case 0x25: // '%'
      case 0x7e: // '~'
      case 0x3e: { // '>'
        const count = this.integerLine('aggregate length');
        if (count < 0) throw malformed('invalid aggregate length in reply');
        const elements: RespValue[] = [];
        const values = type === 0x25 ? 2 * count : count;
        for (let i = 0; i < values; i++) elements.push(this.value());
        return elements;
      }
      case 0x7c: { // '|'
        const count = this.integerLine('attribute length');
        if (count < 0) throw malformed('invalid attribute length in reply');
        for (let i = 0; i < 2 * count; i++) this.value();
        return this.value();
      }
      default:
        throw malformed(`unexpected reply type byte 0x${type!.toString(16).padStart(2, '0')}`);
    }
  }
}

/** Parses exactly one complete frame; throws ProtocolError for anything else. */
export function parseReply(frame: Buffer): RespValue {
  const reader = new FrameReader(frame);
  const value = reader.value();
  if (reader.pos !== frame.length) throw malformed('trailing bytes after reply');
  return value;
}
