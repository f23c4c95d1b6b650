/**
 * Full parsing of ONE reply frame, for the few places that must look inside a reply (merging
 * fan-out replies, reading CLUSTER SHARDS). Replies that only pass through are framed by
 * ReplyFramer instead and never reach this module.
 *
 * Mapping: simple string → string (UTF-8), bulk string → Buffer (a view into the frame),
 * integer → number (exact up to 2^53), both RESP2 nulls → null, error → RespError, array → array.
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
