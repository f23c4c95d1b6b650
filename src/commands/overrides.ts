// Hand-written key extraction for commands whose Redis key specs are incomplete ("unknown" or
// INCOMPLETE) or not exact enough for a proxy, and the numkeys error texts of the commands whose
// key count is an argument. The proxy must find exactly the keys the command will touch: a key
// missed means a command sent to the wrong node, an extra key a needless CROSSSLOT.
//
// scripts/generate-command-table.mjs reads OVERRIDDEN_COMMANDS (keep it a plain array of string
// literals) and fails when a command needs an override that is not listed here; the `satisfies`
// below makes a listed command without an extractor a compile error.

import { asciiEqualsIgnoreCase } from './argument-bytes.js';
import type { CommandSpec } from './command-table.js';

/** Indexes into args (args[0] is the command name) of the keys, or the error reply Redis gives. */
export type KeyIndexes = number[] | { error: string };
export type KeyExtractor = (args: readonly Buffer[], spec: CommandSpec) => KeyIndexes;

export const OVERRIDDEN_COMMANDS = ['georadius', 'georadiusbymember', 'migrate', 'sort', 'sort_ro', 'xread', 'xreadgroup'] as const;
export type OverriddenCommand = (typeof OVERRIDDEN_COMMANDS)[number];

const SYNTAX_ERROR = 'ERR syntax error';
const NOT_AN_INTEGER = 'ERR value is not an integer or out of range';
const TOO_MANY_KEYS = "ERR Number of keys can't be greater than number of args";
const NEGATIVE_KEYS = "ERR Number of keys can't be negative";
const NUMKEYS_NOT_POSITIVE = 'ERR numkeys should be greater than 0';
const NOSCRIPT = 'NOSCRIPT No matching script. Please use EVAL.';
const UNBALANCED_STREAMS = "ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified.";

/**
 * SORT key [BY pattern] [LIMIT offset count] [GET pattern …] [ASC|DESC] [ALPHA] [STORE dest]
 * parsed like sortCommand: LIMIT takes two arguments, BY/GET/STORE one, the rest none; the last
 * STORE wins. Redis's own sortGetKeys skips differently (it re-reads the STORE key as an option,
 * so `SORT k STORE limit STORE d` would route by "limit" although SORT writes to "d").
 * BY/GET patterns are not keys a proxy can route by (Redis Cluster refuses them across slots).
 * Option syntax errors are left to the backend.
 */
function sortKeys(args: readonly Buffer[]): KeyIndexes {
  let storeIndex = -1;
  for (let i = 2; i < args.length; i++) {
    const remaining = args.length - 1 - i;
    const option = args[i]!;
    if (asciiEqualsIgnoreCase(option, 'limit') && remaining >= 2) i += 2;
    else if ((asciiEqualsIgnoreCase(option, 'by') || asciiEqualsIgnoreCase(option, 'get')) && remaining >= 1) i += 1;
    else if (asciiEqualsIgnoreCase(option, 'store') && remaining >= 1) storeIndex = ++i;
  }
  return storeIndex === -1 ? [1] : [1, storeIndex];
}

/**
 * MIGRATE host port key|"" db timeout [COPY] [REPLACE] [AUTH pw | AUTH2 user pw] [KEYS key …],
 * parsed like migrateCommand, so a password that happens to be "keys" is not taken for the KEYS
 * option (Redis's migrateGetKeys would). With KEYS, every later argument is a key and the key
 * argument must be empty; when it is not, Redis refuses, so the key argument is the one to route by.
 */
function migrateKeys(args: readonly Buffer[]): KeyIndexes {
  for (let i = 6; i < args.length; i++) {
    const remaining = args.length - 1 - i;
    const option = args[i]!;
    if (asciiEqualsIgnoreCase(option, 'copy') || asciiEqualsIgnoreCase(option, 'replace')) continue;
    if (asciiEqualsIgnoreCase(option, 'auth') && remaining >= 1) i += 1;
    else if (asciiEqualsIgnoreCase(option, 'auth2') && remaining >= 2) i += 2;
    else if (asciiEqualsIgnoreCase(option, 'keys') && args[3]!.length === 0) {
      const keys: number[] = [];
      for (let k = i + 1; k < args.length; k++) keys.push(k);
      return keys;
    } else break; // syntax error or a non-empty key with KEYS: Redis refuses, routed by the key argument
  }
  return [3];
}

/**
 * GEORADIUS key lon lat radius unit [options…] / GEORADIUSBYMEMBER key member radius unit […]:
 * options parsed in order, STORE and STOREDIST each take the next argument as a key. Redis's key
 * specs search each keyword from the first option on, which mis-reads `STOREDIST store STORE d`
 * (it takes the second "STORE" for a key and misses "d"). Both destinations are reported, STORE's
 * before STOREDIST's, as Redis reports them; the command itself writes only the last one.
 */
function geoRadiusKeys(firstOption: number): KeyExtractor {
  return (args) => {
    let store = -1;
    let storeDist = -1;
    for (let i = firstOption; i < args.length - 1; i++) {
      if (asciiEqualsIgnoreCase(args[i]!, 'store')) store = ++i;
      else if (asciiEqualsIgnoreCase(args[i]!, 'storedist')) storeDist = ++i;
    }
    const keys = [1];
    if (store !== -1) keys.push(store);
    if (storeDist !== -1) keys.push(storeDist);
    return keys;
  };
}

/**
 * XREAD … STREAMS key … id … / XREADGROUP GROUP g c … STREAMS key … id …: the first STREAMS
 * (searched from the first option, never as the last argument, like Redis's keyword search) is
 * followed by N keys and N ids. An odd count gets Redis's "Unbalanced" error; the key specs alone
 * would quietly take half of it.
 */
function streamKeys(firstOption: number): KeyExtractor {
  return (args) => {
    for (let i = firstOption; i < args.length - 1; i++) {
      if (!asciiEqualsIgnoreCase(args[i]!, 'streams')) continue;
      const streamArgs = args.length - (i + 1);
      if (streamArgs % 2 !== 0) return { error: UNBALANCED_STREAMS };
      const keys: number[] = [];
      for (let k = i + 1; k < i + 1 + streamArgs / 2; k++) keys.push(k);
      return keys;
    }
    return []; // no STREAMS: Redis replies a syntax error, from whichever node gets it
  };
}

export const KEY_EXTRACTION_OVERRIDES = {
  sort: sortKeys,
  // SORT_RO has no STORE; its BY/GET patterns are not routable keys.
  sort_ro: () => [1],
  migrate: migrateKeys,
  georadius: geoRadiusKeys(6),
  georadiusbymember: geoRadiusKeys(5),
  xread: streamKeys(1),
  xreadgroup: streamKeys(4),
} as const satisfies Record<OverriddenCommand, KeyExtractor>;

/**
 * Checks a numkeys argument the way the command itself does, returning Redis's error text when it
 * would refuse. `numkeys` is null when the argument is not an integer (string2ll rules);
 * `available` is how many arguments follow the numkeys argument.
 */
export type NumkeysCheck = (numkeys: number | null, available: number, args: readonly Buffer[], spec: CommandSpec) => string | undefined;

// EVAL script numkeys …: evalGenericCommand checks numkeys before compiling anything.
const scriptNumkeys: NumkeysCheck = (numkeys, available) => {
  if (numkeys === null) return NOT_AN_INTEGER;
  if (numkeys > available) return TOO_MANY_KEYS;
  if (numkeys < 0) return NEGATIVE_KEYS;
  return undefined;
};

// EVALSHA answers NOSCRIPT for a digest that is not 40 characters before it looks at numkeys.
const scriptShaNumkeys: NumkeysCheck = (numkeys, available, args, spec) => {
  const error = scriptNumkeys(numkeys, available, args, spec);
  return error !== undefined && args[1]!.length !== 40 ? NOSCRIPT : error;
};

// FCALL looks the function up first (unknowable here: an unknown function gets "Function not
// found" from Redis), then checks numkeys with texts of its own.
const functionNumkeys: NumkeysCheck = (numkeys, available) => {
  if (numkeys === null) return 'ERR Bad number of keys provided';
  if (numkeys > available) return TOO_MANY_KEYS;
  if (numkeys < 0) return NEGATIVE_KEYS;
  return undefined;
};

// ZUNIONSTORE/ZINTER/ZDIFF…/ZINTERCARD: zunionInterDiffGenericCommand.
const sortedSetNumkeys: NumkeysCheck = (numkeys, available, _args, spec) => {
  if (numkeys === null) return NOT_AN_INTEGER;
  if (numkeys < 1) return `ERR at least 1 input key is needed for '${spec.name}' command`;
  if (numkeys > available) return SYNTAX_ERROR;
  return undefined;
};

// SINTERCARD: getRangeLongFromObjectOrReply(1, LONG_MAX, "numkeys should be greater than 0").
const setIntercardNumkeys: NumkeysCheck = (numkeys, available) => {
  if (numkeys === null || numkeys < 1) return NUMKEYS_NOT_POSITIVE;
  if (numkeys > available) return TOO_MANY_KEYS;
  return undefined;
};

// LMPOP/ZMPOP and their blocking forms: after the keys there must be LEFT|RIGHT or MIN|MAX.
// (BLMPOP/BZMPOP parse their timeout first; a bad timeout is reported before numkeys by Redis.)
const multiPopNumkeys: NumkeysCheck = (numkeys, available) => {
  if (numkeys === null || numkeys < 1) return NUMKEYS_NOT_POSITIVE;
  if (numkeys >= available) return SYNTAX_ERROR;
  return undefined;
};

export const NUMKEYS_CHECKS: ReadonlyMap<string, NumkeysCheck> = new Map([
  ['eval', scriptNumkeys],
  ['eval_ro', scriptNumkeys],
  ['evalsha', scriptShaNumkeys],
  ['evalsha_ro', scriptShaNumkeys],
  ['fcall', functionNumkeys],
  ['fcall_ro', functionNumkeys],
  ['zunionstore', sortedSetNumkeys],
  ['zinterstore', sortedSetNumkeys],
  ['zdiffstore', sortedSetNumkeys],
  ['zunion', sortedSetNumkeys],
  ['zinter', sortedSetNumkeys],
  ['zdiff', sortedSetNumkeys],
  ['zintercard', sortedSetNumkeys],
  ['sintercard', setIntercardNumkeys],
  ['lmpop', multiPopNumkeys],
  ['blmpop', multiPopNumkeys],
  ['zmpop', multiPopNumkeys],
  ['bzmpop', multiPopNumkeys],
]);
