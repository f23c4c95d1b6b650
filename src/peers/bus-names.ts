/**
 * The names slotgate uses on the cluster for its peer bus (peer-bus.ts), and the reserved
 * namespace that protects them: every name that starts with RESERVED_PREFIX belongs to slotgate,
 * and no client command through slotgate may name one (handlers/reserved-names.ts refuses it).
 *
 * The bus holds no keys at all: presence is the subscription to an instance's own reply channel,
 * which Redis drops with its connection (PUBSUB SHARDCHANNELS lists the live ones). All its
 * channels are shard channels in one slot (the `{slotgate}` hash tag), so one master carries them.
 *
 * Pure: no sockets, no clock.
 */
import { stringKeyHashSlot } from '../cluster/hash-slot.js';

export const HASH_TAG = '{slotgate}';
/** Keys and channels starting with this are slotgate's own. */
export const RESERVED_PREFIX = `${HASH_TAG}:`;
export const REQUEST_CHANNEL = `${HASH_TAG}:bus:requests`;
export const REPLY_CHANNEL_PREFIX = `${HASH_TAG}:bus:replies:`;
/** Every channel of the bus is in this slot: one master holds them all. */
export const BUS_SLOT = stringKeyHashSlot(HASH_TAG);

const RESERVED = Buffer.from(RESERVED_PREFIX, 'latin1');

/** An instance's reply channel; subscribed for as long as it lives, so also its presence. */
export function replyChannel(proxyId: string): string {
  return REPLY_CHANNEL_PREFIX + proxyId;
}

/** The proxy ids of the reply channels in a PUBSUB SHARDCHANNELS answer (other names are skipped). */
export function proxiesOfChannels(channels: readonly string[]): string[] {
  return channels.filter((c) => c.startsWith(REPLY_CHANNEL_PREFIX)).map((c) => c.slice(REPLY_CHANNEL_PREFIX.length));
}

/** The instance number at the end of a proxy id (`host:port/<number>`), NaN when there is none. */
export function instanceOfProxy(proxyId: string): number {
  const slash = proxyId.lastIndexOf('/');
  return slash === -1 ? NaN : Number(proxyId.slice(slash + 1));
}

/** True when `name` (a key or channel, as the client sent it) is in the reserved namespace. */
export function isReservedName(name: Buffer): boolean {
  return isReservedNameIn(name, 0, name.length);
}

/**
 * isReservedName for the name in bytes[start, start + length) (a request's argument read by offset),
 * with the cheap first test ahead: the first byte is `{`.
 */
export function isReservedNameIn(bytes: Uint8Array, start: number, length: number): boolean {
  return length >= RESERVED.length && bytes[start] === 0x7b && RESERVED.compare(bytes, start, start + RESERVED.length) === 0;
}

/** The cheap test of every argument: is it a reserved name? (first byte `{`, then the prefix) */
export function mayBeReserved(arg: Buffer): boolean {
  return isReservedNameIn(arg, 0, arg.length);
}

/**
 * True when the glob pattern (PSUBSCRIBE, Redis's stringmatch syntax) is aimed at the reserved
 * namespace: it matches some name starting with RESERVED_PREFIX and does not start with a
 * wildcard. A pattern that starts with one (`*`, `?x`, `[a-z]*`) is a broad subscription, not an
 * attempt on slotgate's names, and could not hear the bus anyway: patterns match classic channels
 * only, and the bus speaks on shard channels.
 */
export function isPatternAimedAtReserved(pattern: Buffer): boolean {
  if (pattern.length === 0 || pattern[0] === 0x2a || pattern[0] === 0x3f || pattern[0] === 0x5b) return false;
  return mayMatchPrefix(pattern, RESERVED);
}

/**
 * Can the pattern match some string that begins with `prefix`? Runs the pattern as a set of
 * positions over the prefix's bytes; any position left at the end can still be completed.
 */
function mayMatchPrefix(pattern: Buffer, prefix: Buffer): boolean {
  let positions = new Set<number>([0]);
  for (const byte of prefix) {
    const next = new Set<number>();
    for (const at of positions) for (const after of step(pattern, at, byte)) next.add(after);
    if (next.size === 0) return false;
    positions = next;
  }
  return true;
}

/** Pattern positions after `byte` is matched at position `at` (none: no match). */
function step(pattern: Buffer, at: number, byte: number): number[] {
  if (at >= pattern.length) return [];
  const c = pattern[at]!;
  if (c === 0x2a) return [at, ...step(pattern, at + 1, byte)]; // `*`: stay, or match nothing here
  if (c === 0x3f) return [at + 1];
  if (c === 0x5c && at + 1 < pattern.length) return pattern[at + 1] === byte ? [at + 2] : [];
  if (c === 0x5b) return classStep(pattern, at, byte);
  return c === byte ? [at + 1] : [];
}

/** `[...]`, `[^...]`, ranges and escapes, as Redis's stringmatchlen reads them. */
function classStep(pattern: Buffer, at: number, byte: number): number[] {
  let i = at + 1;
  const negate = pattern[i] === 0x5e;
  if (negate) i++;
  let matched = false;
  while (i < pattern.length && pattern[i] !== 0x5d) {
    if (pattern[i] === 0x5c && i + 1 < pattern.length) {
      if (pattern[i + 1] === byte) matched = true;
      i += 2;
    } else if (i + 2 < pattern.length && pattern[i + 1] === 0x2d && pattern[i + 2] !== 0x5d) {
      const [low, high] = [Math.min(pattern[i]!, pattern[i + 2]!), Math.max(pattern[i]!, pattern[i + 2]!)];
      if (byte >= low && byte <= high) matched = true;
      i += 3;
    } else {
      if (pattern[i] === byte) matched = true;
      i++;
    }
  }
  return matched !== negate ? [Math.min(i + 1, pattern.length)] : [];
}
