// Finds the key arguments of a request: a generic interpreter of Redis 7 key specs (the same
// algorithm as Redis's getKeysUsingKeySpecs), plus hand-written overrides (overrides.ts) for the
// commands whose specs cannot say where their keys are.
//
// Hot path: no string is created; the only allocation is the returned index array. Keywords are
// compared byte-wise (ASCII case-insensitive, like strcasecmp) and numkeys parsed from bytes.
//
// When key positions cannot be determined because numkeys is invalid, the result is the error
// Redis itself replies (NUMKEYS_CHECKS); other argument errors are left to the backend.

import { parseRedisInteger, asciiEqualsIgnoreCase } from './argument-bytes.js';
import type { CommandSpec } from './command-table.js';
import type { KeySpec } from './key-spec.js';
import { KEY_EXTRACTION_OVERRIDES, NUMKEYS_CHECKS, type KeyExtractor, type KeyIndexes } from './overrides.js';

export type { KeyIndexes } from './overrides.js';

export interface KeyExtractionOptions {
  /**
   * Also report arguments of NOT_KEY specs — the shard channels of SPUBLISH/SSUBSCRIBE/SUNSUBSCRIBE,
   * which Redis does not call keys but which route by hash slot all the same.
   */
  readonly includeNotKeys?: boolean;
}

const overridesByName: ReadonlyMap<string, KeyExtractor> = new Map(Object.entries(KEY_EXTRACTION_OVERRIDES));

/** True when the generic interpreter can find every key of this command from its key specs alone. */
export function isGenericallyInterpretable(spec: CommandSpec): boolean {
  return spec.keySpecs.every(
    (keySpec) => keySpec.beginSearch.type !== 'unknown' && keySpec.findKeys.type !== 'unknown' && !keySpec.flags.includes('INCOMPLETE'),
  );
}

export function hasKeyExtractionOverride(spec: CommandSpec): boolean {
  return overridesByName.has(spec.name);
}

/** Indexes into args (args[0] is the command name) of every key argument, in key-spec order. */
export function getKeyIndexes(spec: CommandSpec, args: readonly Buffer[], options?: KeyExtractionOptions): KeyIndexes {
  const override = overridesByName.get(spec.name);
  if (override !== undefined) return override(args, spec);
  return interpretKeySpecs(spec, args, options?.includeNotKeys === true);
}

/** A command that can never have a key argument (PING, INFO, CLUSTER INFO, PUBLISH …). */
export function isKeylessCommand(spec: CommandSpec): boolean {
  if (overridesByName.has(spec.name)) return false;
  return spec.keySpecs.every((keySpec) => keySpec.flags.includes('NOT_KEY'));
}

/**
 * Where the spec's first key is, or 0 when its keyword is absent. Keyword search as Redis does it:
 * a positive startFrom searches forwards from there up to (not including) the last argument, a
 * negative one searches backwards from argc+startFrom down to index 1.
 */
function beginSearch(keySpec: KeySpec, args: readonly Buffer[]): number {
  const search = keySpec.beginSearch;
  if (search.type === 'index') return search.index;
  if (search.type !== 'keyword') return 0;
  const argc = args.length;
  if (search.startFrom > 0) {
    for (let i = search.startFrom; i < argc - 1; i++) {
      if (asciiEqualsIgnoreCase(args[i]!, search.keyword)) return i + 1;
    }
  } else {
    for (let i = argc + search.startFrom; i >= 1; i--) {
      if (asciiEqualsIgnoreCase(args[i]!, search.keyword)) return i + 1;
    }
  }
  return 0;
}

function interpretKeySpecs(spec: CommandSpec, args: readonly Buffer[], includeNotKeys: boolean): KeyIndexes {
  const argc = args.length;
  const keys: number[] = [];
  for (const keySpec of includeNotKeys ? spec.keySpecs : spec.keyArgumentSpecs) {
    let first = beginSearch(keySpec, args);
    if (first === 0) continue;

    const find = keySpec.findKeys;
    let last: number;
    let step: number;
    if (find.type === 'range') {
      step = find.keyStep;
      if (find.lastKey >= 0) last = first + find.lastKey;
      else if (find.limit <= 1) last = argc + find.lastKey;
      // Only 1/limit of the remaining arguments are keys (lastKey is -1 by Redis's contract).
      else last = first + Math.floor((argc - first) / find.limit) + find.lastKey;
    } else if (find.type === 'keynum') {
      step = find.keyStep;
      const numkeysIndex = first + find.keyNumIdx;
      if (numkeysIndex >= argc) continue;
      const numkeys = parseRedisInteger(args[numkeysIndex]!);
      const check = NUMKEYS_CHECKS.get(spec.name);
      const error = check?.(numkeys, argc - numkeysIndex - 1, args, spec);
      if (error !== undefined) return { error };
      if (numkeys === null || numkeys < 0) continue; // unknown command family: let the backend judge
      first += find.firstKey;
      last = first + numkeys - 1;
    } else {
      continue; // 'unknown' specs only exist on overridden commands (the generator enforces it)
    }

    // Out of bounds means the arguments are malformed; like Redis, such a spec yields no keys and
    // the backend reports the syntax error.
    if (first >= argc || last >= argc || last < first) continue;
    for (let i = first; i <= last; i += step) keys.push(i);
  }
  return keys;
}
