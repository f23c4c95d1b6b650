/**
 * Requests and replies on the hot path travel as a range of the buffer they were read into
 * (bytes[start, end)), not as a view of it: a view costs a typed-array object each, and the hot
 * path only reads a few bytes of a request and copies each reply into its client's write (issue
 * #22). A view is made when something keeps the bytes on their own (frameOf).
 */

/** Ranges up to this many bytes are copied in a loop (see copyRange). */
const SMALL_COPY = 48;

/**
 * Copies bytes[start, end) into target at `at`; returns the count. Buffer.copy of part of a buffer
 * makes a Uint8Array view of that part first (Node 20's _copyActual): about 40 ns whatever the
 * length, and some 100 bytes of garbage, per request joined into a node's write. A range up to
 * SMALL_COPY bytes (a GET or a small SET, a status, an integer, a small bulk reply) is copied in a
 * loop four bytes a step instead, measured alone: 31 ns for 37 bytes, 36 for 45, 14 for 11; past
 * about 48 bytes Buffer.copy's flat cost wins (issue #22).
 */
export function copyRange(bytes: Buffer, start: number, end: number, target: Buffer, at: number): number {
  if (end - start > SMALL_COPY) return bytes.copy(target, at, start, end);
  let i = start;
  for (; i + 4 <= end; i += 4, at += 4) {
    target[at] = bytes[i]!;
    target[at + 1] = bytes[i + 1]!;
    target[at + 2] = bytes[i + 2]!;
    target[at + 3] = bytes[i + 3]!;
  }
  while (i < end) target[at++] = bytes[i++]!;
  return end - start;
}

/** True when bytes[start, end) is all of `bytes`. */
export function isWhole(bytes: Buffer, start: number, end: number): boolean {
  return start === 0 && end === bytes.length;
}

/** bytes[start, end) as a Buffer: `bytes` itself when that is all of it, else a view. */
export function frameOf(bytes: Buffer, start: number, end: number): Buffer {
  return isWhole(bytes, start, end) ? bytes : bytes.subarray(start, end);
}
