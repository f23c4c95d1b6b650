/**
 * Requests and replies on the hot path travel as a range of the buffer they were read into
 * (bytes[start, end)), not as a view of it: a view costs a typed-array object each, and the hot
 * path only reads a few bytes of a request and copies each reply into its client's write (issue
 * #22). A view is made when something keeps the bytes on their own (frameOf).
 */

/** Ranges up to this many bytes are copied byte by byte (see copyRange). */
const SMALL_COPY = 16;

/**
 * Copies bytes[start, end) into target at `at`; returns the count. Buffer.copy of part of a buffer
 * makes a Uint8Array view of that part first (Node 20's _copyActual), which is what ranges avoid;
 * a short range (a status, an integer, a small bulk reply) costs less copied in a loop (measured:
 * 14 ns for 11 bytes against 46 ns; the loop costs more past about 32 bytes).
 */
export function copyRange(bytes: Buffer, start: number, end: number, target: Buffer, at: number): number {
  if (end - start > SMALL_COPY) return bytes.copy(target, at, start, end);
  for (let i = start; i < end; i++) target[at++] = bytes[i]!;
  return end - start;
}

/** bytes[start, end) as a Buffer: `bytes` itself when that is all of it, else a view. */
export function frameOf(bytes: Buffer, start: number, end: number): Buffer {
  return start === 0 && end === bytes.length ? bytes : bytes.subarray(start, end);
}
