// Byte-level helpers for reading command arguments without turning them into JS strings
// (hot path: no allocation). Redis compares names and keywords with strcasecmp, i.e. ASCII-only
// case folding, and parses integers with string2ll; these helpers follow the same rules.

const UPPER_A = 0x41;
const UPPER_Z = 0x5a;

/** ASCII lower-casing of one byte, as C's tolower() in the "C" locale. */
export function foldAsciiByte(byte: number): number {
  return byte >= UPPER_A && byte <= UPPER_Z ? byte | 0x20 : byte;
}

/** Case-insensitive comparison of an argument with an ASCII word (e.g. 'STORE'), like strcasecmp. */
export function asciiEqualsIgnoreCase(arg: Buffer, word: string): boolean {
  if (arg.length !== word.length) return false;
  for (let i = 0; i < arg.length; i++) {
    if (foldAsciiByte(arg[i]!) !== foldAsciiByte(word.charCodeAt(i))) return false;
  }
  return true;
}

const DIGIT_0 = 0x30;
const DIGIT_9 = 0x39;
const MINUS = 0x2d;
const LONG_LONG_MAX_DIGITS = '9223372036854775807';
const LONG_LONG_MIN_DIGITS = '9223372036854775808';

/**
 * Parses a signed 64-bit decimal integer with Redis's string2ll rules: no sign other than a
 * leading '-', no leading zeros ("0" itself is fine, "-0" and "01" are not), no spaces, within
 * [-2^63, 2^63-1]. Returns null when Redis would say "value is not an integer or out of range".
 * Values beyond 2^53 lose precision, which is harmless here: they are only compared with
 * argument counts.
 */
export function parseRedisInteger(arg: Buffer): number | null {
  const length = arg.length;
  if (length === 0 || length > 20) return null;
  if (length === 1 && arg[0] === DIGIT_0) return 0;
  const negative = arg[0] === MINUS;
  const start = negative ? 1 : 0;
  const digitCount = length - start;
  if (digitCount === 0 || arg[start] === DIGIT_0) return null;
  let value = 0;
  for (let i = start; i < length; i++) {
    const byte = arg[i]!;
    if (byte < DIGIT_0 || byte > DIGIT_9) return null;
    value = value * 10 + (byte - DIGIT_0);
  }
  if (digitCount > 19) return null;
  if (digitCount === 19) {
    const limit = negative ? LONG_LONG_MIN_DIGITS : LONG_LONG_MAX_DIGITS;
    if (arg.toString('latin1', start) > limit) return null; // rare: only 19-digit numbers get here
  }
  return negative ? -value : value;
}
