// Turns a server's COMMAND (or COMMAND INFO) reply into GeneratedCommand entries: the one reader
// of that reply, shared by the table generator (scripts/generate-command-table.ts, which gets
// strings from ioredis) and the live table (live-command-table.ts, which gets Buffers from the
// backend pool). Field meanings: https://redis.io/docs/reference/key-specs/.
//
// Redis 6.x replies have no key specs (elements 8-10 are missing): their legacy first/last/step
// triple is turned into the equivalent range spec, as Redis 7 itself does for module commands.

import type { BeginSearch, FindKeys, GeneratedCommand, KeySpec } from './key-spec.js';

/** One element of the reply as either client hands it over: strings or Buffers, integers, arrays. */
export type CommandReplyValue = string | Buffer | number | null | CommandReplyValue[] | { readonly message: string };
type Mutable<T> = { -readonly [K in keyof T]: T[K] };

const text = (value: CommandReplyValue | undefined): string =>
  typeof value === 'string' ? value : Buffer.isBuffer(value) ? value.toString('latin1') : typeof value === 'number' ? String(value) : '';

const strings = (value: CommandReplyValue | undefined): string[] => (Array.isArray(value) ? value.map(text) : []);

/** Redis replies with flat [name, value, name, value…] maps (RESP2); turn one into an object. */
function pairsToObject(pairs: CommandReplyValue | undefined): Record<string, CommandReplyValue> {
  const result: Record<string, CommandReplyValue> = {};
  if (!Array.isArray(pairs)) return result;
  for (let i = 0; i + 1 < pairs.length; i += 2) result[text(pairs[i])] = pairs[i + 1]!;
  return result;
}

function convertBeginSearch(raw: CommandReplyValue | undefined): BeginSearch {
  const { type, spec } = pairsToObject(raw);
  const fields = pairsToObject(spec);
  switch (text(type)) {
    case 'index':
      return { type: 'index', index: Number(text(fields.index)) };
    case 'keyword':
      return { type: 'keyword', keyword: text(fields.keyword), startFrom: Number(text(fields.startfrom)) };
    default:
      return { type: 'unknown' };
  }
}

function convertFindKeys(raw: CommandReplyValue | undefined): FindKeys {
  const { type, spec } = pairsToObject(raw);
  const fields = pairsToObject(spec);
  switch (text(type)) {
    case 'range':
      return { type: 'range', lastKey: Number(text(fields.lastkey)), keyStep: Number(text(fields.keystep)), limit: Number(text(fields.limit)) };
    case 'keynum':
      return { type: 'keynum', keyNumIdx: Number(text(fields.keynumidx)), firstKey: Number(text(fields.firstkey)), keyStep: Number(text(fields.keystep)) };
    default:
      return { type: 'unknown' };
  }
}

function convertKeySpec(raw: CommandReplyValue): KeySpec {
  const fields = pairsToObject(raw);
  const keySpec: Mutable<KeySpec> = {
    // Upper case, like Redis's own CMD_KEY_* names: RO RW OW RM ACCESS UPDATE INSERT DELETE NOT_KEY INCOMPLETE VARIABLE_FLAGS
    flags: strings(fields.flags).map((flag) => flag.toUpperCase()),
    beginSearch: convertBeginSearch(fields.begin_search),
    findKeys: convertFindKeys(fields.find_keys),
  };
  if (fields.notes) keySpec.notes = text(fields.notes);
  return keySpec;
}

/**
 * The key spec Redis 7 derives from a legacy (first, last, step) triple (populateCommandLegacyRangeSpec):
 * last is absolute there (negative counts from the end), relative to the first key here.
 */
export function legacyRangeKeySpec(firstKey: number, lastKey: number, keyStep: number): KeySpec {
  return {
    flags: [],
    beginSearch: { type: 'index', index: firstKey },
    findKeys: { type: 'range', lastKey: lastKey < 0 ? lastKey : lastKey - firstKey, keyStep, limit: 0 },
  };
}

function compareNames(a: GeneratedCommand, b: GeneratedCommand): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

/** One command entry; `undefined` for anything that is not one (a server's error, garbage). */
export function convertCommand(raw: CommandReplyValue): GeneratedCommand | undefined {
  if (!Array.isArray(raw) || raw.length < 6) return undefined;
  const [name, arity, flags, firstKey, lastKey, keyStep, aclCategories, tips, keySpecs, subcommands] = raw;
  const legacy = { first: Number(text(firstKey)), last: Number(text(lastKey)), step: Number(text(keyStep)) };
  if (!text(name) || !Number.isInteger(Number(text(arity))) || !Number.isInteger(legacy.first)) return undefined;
  const command: Mutable<GeneratedCommand> = {
    name: text(name).toLowerCase(),
    arity: Number(text(arity)),
    flags: strings(flags).sort(),
    firstKey: legacy.first,
    lastKey: legacy.last,
    keyStep: legacy.step,
    aclCategories: strings(aclCategories).sort(),
    tips: strings(tips).sort(),
    keySpecs: Array.isArray(keySpecs)
      ? keySpecs.map(convertKeySpec)
      : raw.length <= 8 && legacy.first > 0
        ? [legacyRangeKeySpec(legacy.first, legacy.last, legacy.step)]
        : [],
  };
  if (Array.isArray(subcommands) && subcommands.length > 0) {
    command.subcommands = subcommands.map(convertCommand).filter((sub): sub is GeneratedCommand => sub !== undefined).sort(compareNames);
  }
  return command;
}

/** Every command of a COMMAND reply, sorted by name (nulls — COMMAND INFO of an unknown name — dropped). */
export function convertCommandReply(reply: CommandReplyValue): GeneratedCommand[] {
  if (!Array.isArray(reply)) return [];
  return reply.map(convertCommand).filter((command): command is GeneratedCommand => command !== undefined).sort(compareNames);
}
