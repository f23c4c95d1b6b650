/**
 * Looking inside reply frames just enough to merge them, without building values: the element
 * frames of an array reply as views (MGET parts are re-assembled by copying these views into one
 * new array, never by parsing and re-encoding every value), and integer replies as numbers.
 * Frames come from ReplyFramer, so they are complete and well-formed; anything else is a bug or a
 * hostile backend, and throws.
 */
const CR = 0x0d;
const ASTERISK = 0x2a;
const DOLLAR = 0x24;
const COLON = 0x3a;
const MINUS_SIGN = 0x2d;

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

/** Index just past the value (any type) that starts at `pos` of `frame`. */
export function valueEnd(frame: Buffer, pos: number): number {
  const type = frame[pos];
  if (type === DOLLAR) {
    const [length, cr] = headerNumber(frame, pos + 1);
    return length < 0 ? cr + 2 : cr + 2 + length + 2;
  }
  if (type === ASTERISK) {
    const [count, cr] = headerNumber(frame, pos + 1);
    let next = cr + 2;
    for (let i = 0; i < count; i++) next = valueEnd(frame, next);
    return next;
  }
  const cr = frame.indexOf(CR, pos);
  if (cr === -1) throw new Error('malformed reply frame: line without CR');
  return cr + 2;
}

/**
 * The frames of the elements of an array reply, as views into `frame`; null for the null array.
 * Throws when `frame` is not an array.
 */
export function arrayElementFrames(frame: Buffer): Buffer[] | null {
  if (frame[0] !== ASTERISK) throw new Error(`expected an array reply, got '${String.fromCharCode(frame[0] ?? 0x3f)}'`);
  const [count, cr] = headerNumber(frame, 1);
  if (count < 0) return null;
  const elements = new Array<Buffer>(count);
  let pos = cr + 2;
  for (let i = 0; i < count; i++) {
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

/** The bytes of a bulk string reply (a view), or null for the null bulk; throws for any other frame. */
export function bulkOf(frame: Buffer): Buffer | null {
  if (frame[0] !== DOLLAR) throw new Error(`expected a bulk reply, got '${String.fromCharCode(frame[0] ?? 0x3f)}'`);
  const [length, cr] = headerNumber(frame, 1);
  return length < 0 ? null : frame.subarray(cr + 2, cr + 2 + length);
}
