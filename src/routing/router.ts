/**
 * The routing decision, in one place and free of I/O: (request, command spec, slot
 * map) → RoutePlan. The session executes plans; tests check plans without sockets.
 *
 * Rules (SPEC §2-4):
 *  - a node suffix (`DBSIZE @0`, see node-suffix.ts) → that node, whatever else holds;
 *  - keys all in one slot → that slot's master (the request's raw bytes pass through,
 *    keeping multi-key atomicity);
 *  - keys in several slots → split per slot for MGET, MSET, DEL, UNLINK, EXISTS, TOUCH
 *    (fanout over slots), CROSSSLOT as Redis Cluster says it for everything else;
 *  - no keys → the proxy policy (refused / any master / every master or node with a
 *    reducer / answered by slotgate itself).
 * Commands the session answers itself (PING, MULTI, …) never get here.
 */
import type { CommandSpec } from '../commands/command-table.js';
import { getKeyIndexes } from '../commands/key-extraction.js';
import { wrongArityError } from '../commands/lookup-errors.js';
import { keyHashSlot } from '../cluster/hash-slot.js';
import { patternSlot } from '../cluster/pattern-slot.js';
import * as errors from '../errors/catalogue.js';
import type { ErrorReply } from '../errors/catalogue.js';
import type { FanoutPolicy } from '../fanout/reducers.js';
import { splitBySlot, type SlotPart } from '../fanout/splitter.js';
import type { NodeTargeted, NodeSelector } from './node-suffix.js';
import { keylessPolicy, type ProxyHandler } from './proxy-policy.js';

export type Access = 'read' | 'write' | 'other';

export type RoutePlan =
  | { readonly kind: 'error'; readonly error: ErrorReply }
  | { readonly kind: 'slot'; readonly slot: number; readonly access: Access; readonly blocking: boolean; readonly keys: number }
  | { readonly kind: 'any-master'; readonly access: Access; readonly blocking: boolean }
  | FanoutPlan
  | NodePlan
  | { readonly kind: 'proxy'; readonly handler: ProxyHandler; readonly access: Access };

/** A command sent to several backends whose replies one reducer combines (SPEC §3). */
export type FanoutPlan =
  | {
      readonly kind: 'fanout';
      /** Keys split per slot; part i answers the keys at request positions `parts[i].positions`. */
      readonly targets: 'slots';
      readonly parts: readonly SlotPart[];
      readonly keys: number;
      readonly reduce: FanoutPolicy;
      readonly access: Access;
    }
  | {
      readonly kind: 'fanout';
      /** The request as it is, to every master or to every node (masters and replicas). */
      readonly targets: 'masters' | 'nodes';
      readonly reduce: FanoutPolicy;
      readonly access: Access;
      /** On connections opened for this command alone, not the shared ones (SCRIPT KILL). */
      readonly outOfBand?: boolean;
    };

/** A command for one named backend node (SPEC §4); the request no longer has the suffix. */
export interface NodePlan {
  readonly kind: 'node';
  readonly selector: NodeSelector;
  /** The suffix as the client wrote it, for `-ERR no such node`. */
  readonly selectorText: string;
  readonly access: Access;
}

/** Multi-key commands that slotgate splits when their keys are in several slots. */
const KEY_SPLITS: ReadonlyMap<string, { readonly reduce: FanoutPolicy; readonly valuesPerKey: number }> = new Map([
  ['mget', { reduce: 'mget', valuesPerKey: 0 }],
  // Not atomic across slots (SPEC §3); MSETNX is, so it stays CROSSSLOT.
  ['mset', { reduce: 'same-reply', valuesPerKey: 1 }],
  ['del', { reduce: 'sum', valuesPerKey: 0 }],
  ['unlink', { reduce: 'sum', valuesPerKey: 0 }],
  ['exists', { reduce: 'sum', valuesPerKey: 0 }],
  ['touch', { reduce: 'sum', valuesPerKey: 0 }],
]);

export function accessOf(spec: CommandSpec): Access {
  return spec.isWrite ? 'write' : spec.isReadonly ? 'read' : 'other';
}

/**
 * @param nodeTarget the node suffix split off the request before lookup (see node-suffix.ts);
 *                   `args` are then the request without it.
 */
export function routeCommand(spec: CommandSpec, args: readonly Buffer[], nodeTarget?: NodeTargeted | null): RoutePlan {
  const access = accessOf(spec);
  if (nodeTarget) return { kind: 'node', selector: nodeTarget.selector, selectorText: nodeTarget.text, access };
  const keyIndexes = getKeyIndexes(spec, args);
  if (!Array.isArray(keyIndexes)) return { kind: 'error', error: errors.fromLookup(keyIndexes.error) };
  if (keyIndexes.length === 0) return routeKeyless(spec, args, access);
  const split = KEY_SPLITS.get(spec.name);
  // Validate before splitting: `MSET a 1 b` must fail whole, as in Redis, not write `a` and then
  // fail the part with `b`. Redis's MSET checks for pairs itself, so its own text applies.
  if (split && (args.length - 1) % (split.valuesPerKey + 1) !== 0) return { kind: 'error', error: errors.fromLookup(wrongArityError(spec.name)) };
  const slot = slotOfKeys(args, keyIndexes);
  if (slot >= 0) return { kind: 'slot', slot, access, blocking: spec.isBlocking, keys: keyIndexes.length };
  if (!split) return { kind: 'error', error: errors.CROSSSLOT };
  const parts = splitBySlot(args, keyIndexes, split.valuesPerKey);
  return { kind: 'fanout', targets: 'slots', parts, keys: keyIndexes.length, reduce: split.reduce, access };
}

function routeKeyless(spec: CommandSpec, args: readonly Buffer[], access: Access): RoutePlan {
  const policy = keylessPolicy(spec);
  switch (policy.kind) {
    case 'unsupported':
      return { kind: 'error', error: errors.notSupported((spec.parent ?? spec).name) };
    case 'any-master':
      return { kind: 'any-master', access, blocking: spec.isBlocking };
    case 'needs-node':
      return { kind: 'error', error: errors.SLOWLOG_NEEDS_NODE };
    case 'proxy':
      return { kind: 'proxy', handler: policy.handler, access };
    case 'fanout': {
      // `KEYS {user1}*` can only match keys of one slot: ask that slot's master alone.
      const pattern = policy.patternArg === undefined ? undefined : args[policy.patternArg];
      const slot = pattern === undefined ? null : patternSlot(pattern);
      if (slot !== null) return { kind: 'slot', slot, access, blocking: false, keys: 0 };
      return { kind: 'fanout', targets: policy.targets, reduce: policy.reduce, access, outOfBand: policy.outOfBand === true };
    }
  }
}

/** The common slot of the keys at `indexes`, or -1 when they differ. */
export function slotOfKeys(args: readonly Buffer[], indexes: readonly number[]): number {
  const slot = keyHashSlot(args[indexes[0]!]!);
  for (let i = 1; i < indexes.length; i++) {
    if (keyHashSlot(args[indexes[i]!]!) !== slot) return -1;
  }
  return slot;
}
