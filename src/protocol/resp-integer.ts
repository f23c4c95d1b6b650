/**
 * Integer parsing straight from bytes, with the exact acceptance rules of Redis's `string2ll`
 * (util.c), so slotgate refuses exactly the length lines Redis refuses:
 * optional `-`, no `+`, no leading zeros (`0` alone is fine, `-0` is not), at most 20 characters,
 * and the value must fit a signed 64-bit integer.
 *
 * Values beyond 2^53 come back rounded; every caller compares them against limits far below that,
 * and only the *validity* of such values has to be exact (checked on the digits, not the double).
 */

const ZERO_CHAR = 0x30;
const NINE_CHAR = 0x39;
const MINUS = 0x2d;
/** Redis's LONG_STR_SIZE: a string this long or longer is never a valid long long. */
const MAX_INTEGER_STRING = 21;
const INT64_DIGITS = 19;
const INT64_MAX_DIGITS = Buffer.from('9223372036854775807', 'latin1');
const INT64_MIN_ABS_DIGITS = Buffer.from('9223372036854775808', 'latin1');

/** Parses `buf[start, end)` like Redis's string2ll. Returns NaN where Redis would reject it. */
export function parseRedisInteger(buf: Uint8Array, start: number, end: number): number {
  const length = end - start;
  if (length <= 0 || length >= MAX_INTEGER_STRING) return NaN;
  if (length === 1 && buf[start] === ZERO_CHAR) return 0;

  let p = start;
  const negative = buf[p] === MINUS;
  if (negative) {
    p++;
    if (p === end) return NaN;
  }
  const first = buf[p]!;
  if (first <= ZERO_CHAR || first > NINE_CHAR) return NaN; // leading zero or not a digit

  let value = 0;
  for (let i = p; i < end; i++) {
    const c = buf[i]!;
    if (c < ZERO_CHAR || c > NINE_CHAR) return NaN;
    value = value * 10 + (c - ZERO_CHAR);
  }

  const digits = end - p;
  if (digits > INT64_DIGITS) return NaN;
  if (digits === INT64_DIGITS) {
    // Same digit count: byte order is numeric order, so compare against the int64 bound exactly.
    const bound = negative ? INT64_MIN_ABS_DIGITS : INT64_MAX_DIGITS;
    if (Buffer.compare(buf.subarray(p, end), bound) > 0) return NaN;
  }
  return negative ? -value : value;
}
