// The shape of Redis 7 command metadata as slotgate stores it: the data types of the generated
// command table (command-table.generated.ts) and of the key specs the key extractor interprets.
// Field meanings follow Redis's COMMAND reply (https://redis.io/docs/reference/key-specs/).

/** Where the search for a key spec's first key starts. */
export type BeginSearch =
  /** The first key is at this argument index (args[0] is the command name). */
  | { readonly type: 'index'; readonly index: number }
  /**
   * The first key follows `keyword`. Search starts at `startFrom`; a negative value counts from
   * the end and searches backwards (MIGRATE … KEYS starts at -2).
   */
  | { readonly type: 'keyword'; readonly keyword: string; readonly startFrom: number }
  /** Redis cannot describe it (SORT's STORE): only a hand-written override can find these keys. */
  | { readonly type: 'unknown' };

/** How keys are found once the search has begun. */
export type FindKeys =
  /**
   * Keys from the first key to `lastKey` (relative to the first key; negative counts from the end
   * of the args), every `keyStep`; when `limit` > 1 and lastKey is -1, only 1/limit of the rest.
   */
  | { readonly type: 'range'; readonly lastKey: number; readonly keyStep: number; readonly limit: number }
  /** The argument at first+keyNumIdx says how many keys follow, starting at first+firstKey. */
  | { readonly type: 'keynum'; readonly keyNumIdx: number; readonly firstKey: number; readonly keyStep: number }
  | { readonly type: 'unknown' };

export interface KeySpec {
  /** Upper case, like Redis's CMD_KEY_* names: RO RW OW RM ACCESS UPDATE INSERT DELETE NOT_KEY INCOMPLETE VARIABLE_FLAGS. */
  readonly flags: readonly string[];
  readonly beginSearch: BeginSearch;
  readonly findKeys: FindKeys;
  readonly notes?: string;
}

/** One entry of the generated table, exactly what the server said (sorted for stable diffs). */
export interface GeneratedCommand {
  /** Lower case; sub-commands are named `container|sub`, e.g. `object|encoding`. */
  readonly name: string;
  /** Positive: exact argument count (name included); negative: at least -arity. */
  readonly arity: number;
  readonly flags: readonly string[];
  readonly firstKey: number;
  readonly lastKey: number;
  readonly keyStep: number;
  readonly aclCategories: readonly string[];
  /** e.g. `request_policy:all_shards`, `response_policy:agg_sum`, `nondeterministic_output`. */
  readonly tips: readonly string[];
  readonly keySpecs: readonly KeySpec[];
  readonly subcommands?: readonly GeneratedCommand[];
}
