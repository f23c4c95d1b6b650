/**
 * The names of the ways a fanned-out command's part replies are combined (README: *Cross-slot commands, node targeting and the cluster view*). A routing
 * decision names one; upstream/reducers.ts implements each, in a table typed
 * `satisfies Record<FanoutPolicy, Reducer>` so a name without a reducer is a compile error.
 */
export type FanoutPolicy =
  /** MGET: values back in request order. */
  | 'mget'
  /** Every part must give the same reply, which is the answer (MSET, FLUSHALL, CONFIG SET → +OK; SCRIPT LOAD → the sha). */
  | 'same-reply'
  /** Integer replies added up (DEL, EXISTS, DBSIZE, PUBSUB NUMPAT). */
  | 'sum'
  /** Array replies concatenated (KEYS). */
  | 'concat'
  /** Array replies concatenated without duplicates (PUBSUB CHANNELS: one channel may have subscribers on several nodes) or slotgate's own channels. */
  | 'union'
  /** `[name, n, name, n, …]` replies with the counts added per name (PUBSUB NUMSUB). */
  | 'sum-pairs'
  /** Arrays of 0/1 combined element-wise with AND (SCRIPT EXISTS: loaded only if loaded everywhere). */
  | 'and-per-index'
  /** A random non-null reply, or null when all are null (RANDOMKEY: a random master that has keys). */
  | 'random-non-null'
  /** +OK when some part could do it and the others had nothing to do (SCRIPT KILL: NOTBUSY elsewhere). */
  | 'any-ok'
  /** Every part must list the same elements in any order (FUNCTION LIST: libraries in hash-table order). */
  | 'same-elements'
  /** Every part must dump the same libraries in any order (FUNCTION DUMP). */
  | 'same-function-dump';
