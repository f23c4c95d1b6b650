/**
 * Looking inside reply frames just enough to merge them, without building values: the element
 * frames of an aggregate reply as views (MGET parts are re-assembled by copying these views into
 * one new array, never by parsing and re-encoding every value), and integer replies as numbers.
 * Frames come from ReplyFramer, so they are complete and well-formed; anything else is a bug or a
 * hostile backend, and throws. RESP2 and RESP3 frames alike (a RESP3 session's parts are RESP3).
 */
const CR = 0x0d;
const ASTERISK = 0x2a;
const DOLLAR = 0x24;
const COLON = 0x3a;
const MINUS_SIGN = 0x2d;
const UNDERSCORE = 0x5f;
const BANG = 0x21;
const EQUALS = 0x3d;
const PERCENT = 0x25;
const TILDE = 0x7e;
const GREATER = 0x3e;
const PIPE = 0x7c;

/** Parses the decimal between `start` and the next CR; returns [value, index of that CR]. */
function headerNumber(frame: Buffer, start: number): [number, number] {
  const cr = frame.indexOf(CR, start);
  if (cr === -1) throw new Error('malformed reply frame: header without CR');
  let i = start;
  const negative = frame[i] === MINUS_SIGN;
  if (negative) i++;
  let n = 0;
  for (; i < cr; i++) n = n * 10 + (frame[i]! - 0x30);
  return [negative ? -n : n, cr];
}

/** How many values follow the header of an aggregate of `count` (maps: pairs; attributes: pairs and the value). */
function elementCount(type: number | undefined, count: number): number {
  if (type === PERCENT) return 2 * count;
  if (type === PIPE) return 2 * count + 1;
  return count;
}

/** True for the types that carry a length and a body: bulk string, bulk error, verbatim string. */
function isBulkType(type: number | undefined): boolean {
  return type === DOLLAR || type === BANG || type === EQUALS;
}

/** True for the aggregate types: array, set, push, map, attribute. */
export function isAggregateType(type: number | undefined): boolean {
  return type === ASTERISK || type === TILDE || type === GREATER || type === PERCENT || type === PIPE;
}

/** Index just past the value (any type) that starts at `pos` of `frame`. */
export function valueEnd(frame: Buffer, pos: number): number {
  const type = frame[pos];
  if (isBulkType(type)) {
    const [length, cr] = headerNumber(frame, pos + 1);
    return length < 0 ? cr + 2 : cr + 2 + length + 2;
  }
  if (isAggregateType(type)) {
    const [count, cr] = headerNumber(frame, pos + 1);
    let next = cr + 2;
    const elements = count < 0 ? 0 : elementCount(type, count);
    for (let i = 0; i < elements; i++) next = valueEnd(frame, next);
    return next;
  }
  const cr = frame.indexOf(CR, pos);
  if (cr === -1) throw new Error('malformed reply frame: line without CR');
  return cr + 2;
}

/**
 * The frames of the elements of an aggregate reply (array, set, push; a map's keys and values in
 * turn), as views into `frame`; null for the null array. Throws for any other frame.
 */
export function arrayElementFrames(frame: Buffer): Buffer[] | null {
  const type = frame[0];
  if (!isAggregateType(type) || type === PIPE) throw new Error(`expected an array reply, got '${String.fromCharCode(type ?? 0x3f)}'`);
  const [count, cr] = headerNumber(frame, 1);
  if (count < 0) return null;
  const n = elementCount(type, count);
  const elements = new Array<Buffer>(n);
  let pos = cr + 2;
  for (let i = 0; i < n; i++) {
    const end = valueEnd(frame, pos);
    elements[i] = frame.subarray(pos, end);
    pos = end;
  }
  return elements;
}

/**
 * Where the first element of an array reply of `count` elements starts (its elements run from
 * there to the end of the frame); -1 when `frame` is not an array of exactly `count` elements.
 */
export function arrayBodyStart(frame: Buffer, count: number): number {
  if (frame[0] !== ASTERISK) return -1;
  const [n, cr] = headerNumber(frame, 1);
  return n === count ? cr + 2 : -1;
}

/** The value of an integer reply `:<n>\r\n`; throws for any other frame. */
export function integerOf(frame: Buffer): number {
  if (frame[0] !== COLON) throw new Error(`expected an integer reply, got '${String.fromCharCode(frame[0] ?? 0x3f)}'`);
  return headerNumber(frame, 1)[0];
}

/**
 * The bytes of a string reply (a view), or null for a null; throws for any other frame. A RESP3
 * verbatim string (`=`, how Redis sends INFO to a RESP3 client) gives its text without the
 * `txt:` format prefix.
 */
export function bulkOf(frame: Buffer): Buffer | null {
  const type = frame[0];
  if (type === UNDERSCORE) return null;
  if (type !== DOLLAR && type !== EQUALS) throw new Error(`expected a bulk reply, got '${String.fromCharCode(type ?? 0x3f)}'`);
  const [length, cr] = headerNumber(frame, 1);
  if (length < 0) return null;
  const start = type === EQUALS ? cr + 2 + 4 : cr + 2;
  return frame.subarray(start, cr + 2 + length);
}

/** True for a null reply of either protocol: `$-1`, `*-1` (RESP2) or `_` (RESP3). */
export function isNullReply(frame: Buffer): boolean {
  if (frame[0] === UNDERSCORE) return true;
  return (frame[0] === DOLLAR || frame[0] === ASTERISK) && frame[1] === MINUS_SIGN;
}
