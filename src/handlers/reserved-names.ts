/**
 * Refuses every command that names a key or channel in slotgate's reserved namespace
 * (peers/bus-names.ts), whatever the account: the peer bus lives there, and a client that could
 * publish or subscribe on it could kill or list every session of every instance.
 *
 * Hot path: one byte compared per argument; key positions are worked out only when an argument
 * starts with the reserved prefix. Values are never refused: `SET k {slotgate}:x` stores a string.
 */
import type { CommandSpec } from '../commands/command-table.js';
import { getKeyIndexes } from '../commands/key-extraction.js';
import * as errors from '../errors/catalogue.js';
import type { ErrorReply } from '../errors/catalogue.js';
import { isPatternAimedAtReserved, isReservedName, isReservedNameIn, mayBeReserved, RESERVED_PREFIX } from '../peers/bus-names.js';
import type { DecodedRequest } from '../protocol/decoded-request.js';

/** Commands whose arguments are patterns, checked with isPatternAimedAtReserved. */
const PATTERN_COMMANDS: ReadonlySet<string> = new Set(['psubscribe', 'punsubscribe']);

/** Commands whose arguments from this index on are all channel names (classic or shard). */
const CHANNEL_ARGUMENTS: ReadonlyMap<string, number> = new Map([
  ['publish', 1],
  ['spublish', 1],
  ['subscribe', 1],
  ['ssubscribe', 1],
  ['unsubscribe', 1],
  ['sunsubscribe', 1],
  ['pubsub|numsub', 2],
  ['pubsub|shardnumsub', 2],
]);

/**
 * False when reservedNameRefusal() is sure to find nothing: no argument after the name is a reserved
 * name (mayBeReserved's test, by offset: the dispatcher's direct path), and the command takes no
 * patterns. True sends the request through the full check.
 */
export function mayUseReservedName(spec: CommandSpec, request: DecodedRequest): boolean {
  if (spec.isPubsub && PATTERN_COMMANDS.has(spec.name)) return true;
  for (let i = 1; i < request.count; i++) if (isReservedNameIn(request.bytes, request.start(i), request.length(i))) return true;
  return false;
}

/** The error for the first reserved name the request uses, or null. */
export function reservedNameRefusal(spec: CommandSpec, args: readonly Buffer[]): ErrorReply | null {
  if (spec.isPubsub && PATTERN_COMMANDS.has(spec.name)) {
    for (let i = 1; i < args.length; i++) if (isPatternAimedAtReserved(args[i]!)) return errors.reservedName(args[i]!, RESERVED_PREFIX);
    return null;
  }
  let suspect = false;
  for (let i = 1; i < args.length && !suspect; i++) suspect = mayBeReserved(args[i]!);
  if (!suspect) return null;
  const channelsFrom = CHANNEL_ARGUMENTS.get(spec.name);
  if (channelsFrom !== undefined) {
    // PUBLISH's message and SPUBLISH's are values; every other listed argument is a channel.
    const last = spec.name === 'publish' || spec.name === 'spublish' ? 2 : args.length;
    for (let i = channelsFrom; i < last; i++) if (isReservedName(args[i]!)) return errors.reservedName(args[i]!, RESERVED_PREFIX);
    return null;
  }
  const keys = getKeyIndexes(spec, args, { includeNotKeys: true });
  if (!Array.isArray(keys)) return null; // a numkeys error: the command's own checks answer it
  for (const i of keys) if (isReservedName(args[i]!)) return errors.reservedName(args[i]!, RESERVED_PREFIX);
  return null;
}
