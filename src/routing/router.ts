/**
 * The routing decision, in one place and free of I/O: (request, command spec, slot
 * map) → RoutePlan. The session executes plans; tests check plans without sockets.
 *
 * Rules (SPEC §2):
 *  - keys all in one slot → that slot's master (the request's raw bytes pass through,
 *    keeping multi-key atomicity);
 *  - keys in several slots → CROSSSLOT, as Redis Cluster says it;
 *  - no keys → the proxy policy (refused / any master).
 * Commands the session answers itself (PING, MULTI, …) never get here.
 */
import type { CommandSpec } from '../commands/command-table.js';
import { getKeyIndexes } from '../commands/key-extraction.js';
import { keyHashSlot } from '../cluster/hash-slot.js';
import * as errors from '../errors/catalogue.js';
import type { ErrorReply } from '../errors/catalogue.js';
import { keylessPolicy } from './proxy-policy.js';

export type Access = 'read' | 'write' | 'other';

export type RoutePlan =
  | { readonly kind: 'error'; readonly error: ErrorReply }
  | { readonly kind: 'slot'; readonly slot: number; readonly access: Access; readonly blocking: boolean }
  | { readonly kind: 'any-master'; readonly access: Access; readonly blocking: boolean };

export function accessOf(spec: CommandSpec): Access {
  return spec.isWrite ? 'write' : spec.isReadonly ? 'read' : 'other';
}

export function routeCommand(spec: CommandSpec, args: readonly Buffer[]): RoutePlan {
  const top = spec.parent ?? spec;
  const keyIndexes = getKeyIndexes(spec, args);
  if (!Array.isArray(keyIndexes)) return { kind: 'error', error: errors.fromLookup(keyIndexes.error) };
  const access = accessOf(spec);
  if (keyIndexes.length === 0) {
    switch (keylessPolicy(top.name)) {
      case 'unsupported':
        return { kind: 'error', error: errors.notSupported(top.name) };
      case 'any-master':
        return { kind: 'any-master', access, blocking: spec.isBlocking };
    }
  }
  const slot = slotOfKeys(args, keyIndexes);
  if (slot < 0) return { kind: 'error', error: errors.CROSSSLOT };
  return { kind: 'slot', slot, access, blocking: spec.isBlocking };
}

/** The common slot of the keys at `indexes`, or -1 when they differ. */
export function slotOfKeys(args: readonly Buffer[], indexes: readonly number[]): number {
  const slot = keyHashSlot(args[indexes[0]!]!);
  for (let i = 1; i < indexes.length; i++) {
    if (keyHashSlot(args[indexes[i]!]!) !== slot) return -1;
  }
  return slot;
}
