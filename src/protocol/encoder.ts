/**
 * RESP2 encoding. The per-command builders (`encodeCommand`, `encodeBulk`,
 * `encodeArrayOfFrames`) make one allocation: sizes are computed first, then bytes and length
 * digits are written in place (no string per argument). Nulls come back as the shared constants
 * from constants.ts, so treat every returned Buffer as read-only.
 */
import { NULL_ARRAY, NULL_BULK } from './constants.js';
import { RespError, type RespValue } from './reply-parser.js';

const CR = 0x0d;
const LF = 0x0a;
const ZERO_CHAR = 0x30;
const ASTERISK = 0x2a;
const DOLLAR = 0x24;

/** Number of decimal digits of a non-negative safe integer. */
function decimalLength(n: number): number {
  let length = 1;
  while (n >= 10) {
    n = Math.floor(n / 10);
    length++;
  }
  return length;
}

/** Writes a non-negative safe integer at `offset`; returns the offset after it. */
function writeDecimal(target: Buffer, offset: number, n: number): number {
  const end = offset + decimalLength(n);
  let p = end;
  do {
    target[--p] = ZERO_CHAR + (n % 10);
    n = Math.floor(n / 10);
  } while (n > 0);
  return end;
}

/** `<prefix><n>\r\n` */
function writeHeader(target: Buffer, offset: number, prefix: number, n: number): number {
  target[offset++] = prefix;
  offset = writeDecimal(target, offset, n);
  target[offset++] = CR;
  target[offset++] = LF;
  return offset;
}

function headerLength(n: number): number {
  return 1 + decimalLength(n) + 2;
}

function byteLengthOf(arg: Buffer | string): number {
  return typeof arg === 'string' ? Buffer.byteLength(arg) : arg.length;
}

/** Below this many bytes a plain loop copies faster than Buffer#copy, whose fixed cost dominates (keys are short). */
const SMALL_COPY = 64;

function writeArg(target: Buffer, offset: number, arg: Buffer | string): number {
  if (typeof arg === 'string') return offset + target.write(arg, offset);
  const length = arg.length;
  if (length < SMALL_COPY) {
    for (let i = 0; i < length; i++) target[offset + i] = arg[i]!;
  } else arg.copy(target, offset);
  return offset + length;
}

function commandLength(args: ReadonlyArray<Buffer | string>): number {
  let total = headerLength(args.length);
  for (const arg of args) {
    const length = byteLengthOf(arg);
    total += headerLength(length) + length + 2;
  }
  return total;
}

function writeCommand(out: Buffer, offset: number, args: ReadonlyArray<Buffer | string>): number {
  offset = writeHeader(out, offset, ASTERISK, args.length);
  for (const arg of args) {
    offset = writeHeader(out, offset, DOLLAR, byteLengthOf(arg));
    offset = writeArg(out, offset, arg);
    out[offset++] = CR;
    out[offset++] = LF;
  }
  return offset;
}

/** A command as a multibulk of bulk strings (strings are sent as UTF-8). */
export function encodeCommand(args: ReadonlyArray<Buffer | string>): Buffer {
  const out = Buffer.allocUnsafe(commandLength(args));
  writeCommand(out, 0, args);
  return out;
}

/** Several commands back to back in ONE buffer (a pipeline), e.g. the parts of a split MGET for one node. */
export function encodeCommands(commands: ReadonlyArray<ReadonlyArray<Buffer | string>>): Buffer {
  let total = 0;
  for (const args of commands) total += commandLength(args);
  const out = Buffer.allocUnsafe(total);
  let offset = 0;
  for (const args of commands) offset = writeCommand(out, offset, args);
  return out;
}

/** Redis replaces CR and LF in status and error lines by spaces so they cannot break framing. */
function singleLine(text: string): string {
  return text.includes('\r') || text.includes('\n') ? text.replace(/[\r\n]/g, ' ') : text;
}

function line(prefix: string, text: string): Buffer {
  return Buffer.from(`${prefix}${singleLine(text)}\r\n`);
}

/** `+<s>\r\n` */
export function encodeSimple(s: string): Buffer {
  return line('+', s);
}

/**
 * `-<message>\r\n`; the message carries its own code, e.g. `ERR foo` or `MOVED 3999 …`.
 * A message that quotes client input is given as bytes, so what the client sent comes back
 * byte for byte (a string would turn bytes that are not UTF-8 into U+FFFD); CR and LF in it
 * become spaces, as Redis does (addReplyErrorFormat).
 */
export function encodeError(message: string | Buffer): Buffer {
  if (typeof message === 'string') return line('-', message);
  const out = Buffer.allocUnsafe(message.length + 3);
  out[0] = 0x2d; // '-'
  for (let i = 0; i < message.length; i++) {
    const c = message[i]!;
    out[i + 1] = c === CR || c === LF ? 0x20 : c;
  }
  out[message.length + 1] = CR;
  out[message.length + 2] = LF;
  return out;
}

/** `:<n>\r\n`; n must be an integer. */
export function encodeInteger(n: number | bigint): Buffer {
  if (typeof n === 'number' && !Number.isInteger(n)) {
    throw new RangeError(`RESP integers must be integers, got ${n}`);
  }
  return Buffer.from(`:${n}\r\n`, 'latin1');
}

/** `$<len>\r\n<bytes>\r\n`, or the null bulk for null. */
export function encodeBulk(b: Buffer | string | null): Buffer {
  if (b === null) return NULL_BULK;
  const length = byteLengthOf(b);
  const out = Buffer.allocUnsafe(headerLength(length) + length + 2);
  let offset = writeHeader(out, 0, DOLLAR, length);
  offset = writeArg(out, offset, b);
  out[offset++] = CR;
  out[offset] = LF;
  return out;
}

/** An array whose elements are already-encoded frames (e.g. replies gathered from shards). */
export function encodeArrayOfFrames(frames: Buffer[]): Buffer {
  let total = headerLength(frames.length);
  for (const frame of frames) total += frame.length;
  const out = Buffer.allocUnsafe(total);
  let offset = writeHeader(out, 0, ASTERISK, frames.length);
  for (const frame of frames) {
    frame.copy(out, offset);
    offset += frame.length;
  }
  return out;
}

/** `*-1\r\n` (shared constant). */
export function encodeNullArray(): Buffer {
  return NULL_ARRAY;
}

function collectValue(v: RespValue, parts: Buffer[]): void {
  if (v === null) parts.push(NULL_BULK);
  else if (typeof v === 'string') parts.push(encodeSimple(v));
  else if (typeof v === 'number') parts.push(encodeInteger(v));
  else if (Buffer.isBuffer(v)) parts.push(encodeBulk(v));
  else if (v instanceof RespError) parts.push(encodeError(v.message));
  else {
    parts.push(Buffer.from(`*${v.length}\r\n`, 'latin1'));
    for (const element of v) collectValue(element, parts);
  }
}

/**
 * The inverse of parseReply. `null` encodes as the null bulk (`$-1`): parseReply maps both RESP2
 * nulls to null, and the null bulk is what Redis sends for a missing value.
 */
export function encodeValue(v: RespValue): Buffer {
  const parts: Buffer[] = [];
  collectValue(v, parts);
  return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
}
