/**
 * The one hash slot every key matching a glob pattern must be in, when the pattern says so
 * (README: *Cross-slot commands, node targeting and the cluster view*: `KEYS {user1}*` and `SCAN … MATCH {user1}*` need only that slot's master). Same rule
 * as Redis 7.2's patternHashSlot: the pattern pins a slot when, before any wildcard, it has a
 * non-empty `{tag}` (keys matching it have that same first tag), or when it has no wildcard at all
 * (it matches one key). A wildcard or an escape before the tag is closed means keys in any slot:
 * `a*{x}` matches `ab{y}{x}`, whose tag is `y`.
 */
import { crc16, keyHashSlot, SLOT_COUNT } from './hash-slot.js';

const STAR = 0x2a;
const QUESTION = 0x3f;
const BRACKET = 0x5b;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;

/** The slot of every key `pattern` can match, or null when they may be in any slot. */
export function patternSlot(pattern: Uint8Array): number | null {
  let open = -1;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === STAR || c === QUESTION || c === BRACKET || c === BACKSLASH) return null;
    if (open === -1 && c === OPEN_BRACE) open = i;
    else if (open !== -1 && c === CLOSE_BRACE) {
      // `{}` is no tag: the key is hashed whole, and the rest of the pattern may still hold wildcards.
      if (i === open + 1) return wildcardFree(pattern, i + 1) ? keyHashSlot(pattern) : null;
      return crc16(pattern, open + 1, i) & (SLOT_COUNT - 1);
    }
  }
  // No wildcard at all: the pattern matches exactly one key, itself.
  return keyHashSlot(pattern);
}

function wildcardFree(pattern: Uint8Array, from: number): boolean {
  for (let i = from; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === STAR || c === QUESTION || c === BRACKET || c === BACKSLASH) return false;
  }
  return true;
}
