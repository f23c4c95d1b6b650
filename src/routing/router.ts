/**
 * The routing decision for a command's keys, in one place and free of I/O: (command spec,
 * arguments) → RoutePlan. Handlers execute plans; tests check plans without sockets.
 *
 * Rules (README: *What clients see*, *Cross-slot commands, node targeting and the cluster view*):
 *  - keys all in one slot → that slot's master (the request's raw bytes pass through,
 *    keeping multi-key atomicity);
 *  - keys in several slots → split per slot for MGET, MSET, DEL, UNLINK, EXISTS, TOUCH,
 *    CROSSSLOT as Redis Cluster says it for everything else;
 *  - no keys → `keyless`: where it goes is the command's handler's business (handlers/registry.ts:
 *    any master by default, every master for DBSIZE, slotgate itself for INFO, …).
 *  - a non-cluster backend (`wholeKeyspace`: one node holds every key) has no slots: any keys go
 *    together, whole (MGET to the master as sent, no CROSSSLOT), as slot 0 of the one shard.
 * Node-targeted requests (`DBSIZE @0`) never get here: the suffix names their node.
 */
import type { CommandSpec } from '../commands/command-table.js';
import { getKeyIndexes, hasKeyExtractionOverride } from '../commands/key-extraction.js';
import { wrongArityError } from '../commands/lookup-errors.js';
import { keyHashSlot, keyHashSlotIn } from '../cluster/hash-slot.js';
import * as errors from '../errors/catalogue.js';
import type { ErrorReply } from '../errors/catalogue.js';
import type { DecodedRequest } from '../protocol/decoded-request.js';
import type { FanoutPolicy } from './fanout-policy.js';
import { splitBySlot, type SlotPart } from './splitter.js';

export type Access = 'read' | 'write' | 'other';

export type RoutePlan =
  | { readonly kind: 'error'; readonly error: ErrorReply }
  | { readonly kind: 'slot'; readonly slot: number; readonly access: Access; readonly blocking: boolean; readonly keys: number }
  | SplitPlan
  | { readonly kind: 'keyless'; readonly access: Access; readonly blocking: boolean };

/** A multi-key command split per slot; part i answers the keys at request positions `parts[i].positions` (README: *Cross-slot commands, node targeting and the cluster view*). */
export interface SplitPlan {
  readonly kind: 'split';
  readonly parts: readonly SlotPart[];
  readonly keys: number;
  readonly reduce: FanoutPolicy;
  readonly access: Access;
}

/** Multi-key commands that slotgate splits when their keys are in several slots. */
const KEY_SPLITS: ReadonlyMap<string, { readonly reduce: FanoutPolicy; readonly valuesPerKey: number }> = new Map([
  ['mget', { reduce: 'mget', valuesPerKey: 0 }],
  // Not atomic across slots (README: *Cross-slot commands, node targeting and the cluster view*); MSETNX is, so it stays CROSSSLOT.
  ['mset', { reduce: 'same-reply', valuesPerKey: 1 }],
  ['del', { reduce: 'sum', valuesPerKey: 0 }],
  ['unlink', { reduce: 'sum', valuesPerKey: 0 }],
  ['exists', { reduce: 'sum', valuesPerKey: 0 }],
  ['touch', { reduce: 'sum', valuesPerKey: 0 }],
]);

/** The slot every keyed command of a non-cluster backend is routed as: its one shard owns them all. */
export const WHOLE_KEYSPACE_SLOT = 0;

export function accessOf(spec: CommandSpec): Access {
  return spec.isWrite ? 'write' : spec.isReadonly ? 'read' : 'other';
}

/**
 * The argument index of the key of a command whose key specs name exactly one key at a fixed place
 * (GET, SET, INCR, HGET…: one spec, begin at an index, a range of one), or 0 for any other command.
 * What getKeyIndexes would find for it, without the index array (issue #22: the hot path allocates
 * nothing it does not keep). Found once per spec and kept in its memo.
 */
function fixedKeyIndex(spec: CommandSpec): number {
  const memo = spec.memo;
  if (memo.fixedKeyIndex < 0) memo.fixedKeyIndex = findFixedKeyIndex(spec);
  return memo.fixedKeyIndex;
}

function findFixedKeyIndex(spec: CommandSpec): number {
  const keySpecs = spec.keyArgumentSpecs;
  if (keySpecs.length !== 1) return 0;
  const { beginSearch, findKeys } = keySpecs[0]!;
  if (beginSearch.type !== 'index' || findKeys.type !== 'range' || findKeys.lastKey !== 0) return 0;
  return spec.keysUnknown || hasKeyExtractionOverride(spec) ? 0 : beginSearch.index;
}

/**
 * The slot of a single-key command (see fixedKeyIndex) whose key is present, or -1 when routeCommand
 * must decide (other commands, or the key missing: no keys is `keyless`). Same answer as routeCommand's
 * `slot` plan, with one key, and nothing allocated.
 */
export function singleKeySlot(spec: CommandSpec, args: readonly Buffer[], wholeKeyspace = false): number {
  const index = fixedKeyIndex(spec);
  if (index === 0 || index >= args.length) return -1;
  return wholeKeyspace ? WHOLE_KEYSPACE_SLOT : keyHashSlot(args[index]!);
}

/** singleKeySlot for a request read by offsets (the dispatcher's direct path: no argument views). */
export function singleKeySlotOf(spec: CommandSpec, request: DecodedRequest, wholeKeyspace: boolean): number {
  const index = fixedKeyIndex(spec);
  if (index === 0 || index >= request.count) return -1;
  if (wholeKeyspace) return WHOLE_KEYSPACE_SLOT;
  const start = request.start(index);
  return keyHashSlotIn(request.bytes, start, start + request.length(index));
}

export function routeCommand(spec: CommandSpec, args: readonly Buffer[], wholeKeyspace = false): RoutePlan {
  const access = accessOf(spec);
  const single = singleKeySlot(spec, args, wholeKeyspace);
  if (single >= 0) return { kind: 'slot', slot: single, access, blocking: spec.isBlocking, keys: 1 };
  if (spec.keysUnknown && !hasKeyExtractionOverride(spec)) return { kind: 'error', error: errors.keysNotRoutable(spec.name) };
  const keyIndexes = getKeyIndexes(spec, args);
  if (!Array.isArray(keyIndexes)) return { kind: 'error', error: errors.fromLookup(keyIndexes.error) };
  if (keyIndexes.length === 0) return { kind: 'keyless', access, blocking: spec.isBlocking };
  const split = KEY_SPLITS.get(spec.name);
  // Validate before splitting: `MSET a 1 b` must fail whole, as in Redis, not write `a` and then
  // fail the part with `b`. Redis's MSET checks for pairs itself, so its own text applies.
  if (split && (args.length - 1) % (split.valuesPerKey + 1) !== 0) return { kind: 'error', error: errors.fromLookup(wrongArityError(spec.name)) };
  if (wholeKeyspace) return { kind: 'slot', slot: WHOLE_KEYSPACE_SLOT, access, blocking: spec.isBlocking, keys: keyIndexes.length };
  const slot = slotOfKeys(args, keyIndexes);
  if (slot >= 0) return { kind: 'slot', slot, access, blocking: spec.isBlocking, keys: keyIndexes.length };
  if (!split) return { kind: 'error', error: errors.CROSSSLOT };
  const parts = splitBySlot(args, keyIndexes, split.valuesPerKey);
  return { kind: 'split', parts, keys: keyIndexes.length, reduce: split.reduce, access };
}

/** The common slot of the keys at `indexes`, or -1 when they differ. */
export function slotOfKeys(args: readonly Buffer[], indexes: readonly number[]): number {
  const slot = keyHashSlot(args[indexes[0]!]!);
  for (let i = 1; i < indexes.length; i++) {
    if (keyHashSlot(args[indexes[i]!]!) !== slot) return -1;
  }
  return slot;
}
