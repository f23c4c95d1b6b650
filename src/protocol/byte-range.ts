/**
 * Requests and replies on the hot path travel as a range of the buffer they were read into
 * (bytes[start, end)), not as a view of it: a view costs a typed-array object each, and the hot
 * path only reads a few bytes of a request and copies each reply into its client's write (issue
 * #22). A view is made when something keeps the bytes on their own (frameOf).
 */

/** bytes[start, end) as a Buffer: `bytes` itself when that is all of it, else a view. */
export function frameOf(bytes: Buffer, start: number, end: number): Buffer {
  return start === 0 && end === bytes.length ? bytes : bytes.subarray(start, end);
}
