/**
 * The default handler: a command routed by its keys (routing/router.ts) and forwarded, or split
 * across slots. Keyless commands without a handler of their own go to any master. This is the
 * hot path: a single-key command costs a slot, a shared Target (slotTarget) and a forward.
 */
import { hasWholeKeyspace } from '../cluster/topology-source.js';
import { accessOf, routeCommand, singleKeySlot, type Access } from '../routing/router.js';
import { slotTarget } from '../upstream/forwarder.js';
import type { CommandCall } from './command-call.js';
import { describeBlocking } from './blocking-keys.js';
import { runSplit } from './fanout.js';
import { forwardOptions } from './forward-options.js';

const ANY_MASTER = { slot: null } as const;

export function routeByKeys(call: CommandCall): void {
  const wholeKeyspace = hasWholeKeyspace(call.proxy.topology.kind);
  // GET, SET…: one key at a fixed place, routed without a plan object (issue #22).
  const slot = singleKeySlot(call.spec, call.args, wholeKeyspace);
  if (slot >= 0) return forwardToSlot(call, slot, accessOf(call.spec), call.spec.isBlocking, 1);
  const plan = routeCommand(call.spec, call.args, wholeKeyspace);
  switch (plan.kind) {
    case 'error':
      return call.fail(plan.error);
    case 'slot':
      return forwardToSlot(call, plan.slot, plan.access, plan.blocking, plan.keys);
    case 'keyless':
      return call.forward(ANY_MASTER, forwardOptions(plan.access, plan.blocking));
    case 'split':
      return runSplit(call, plan);
  }
}

function forwardToSlot(call: CommandCall, slot: number, access: Access, blocking: boolean, keys: number): void {
  call.proxy.metrics.keysAccessedPending += keys;
  if (blocking) call.proxy.blockingCommands.set(call.connection, describeBlocking(call.spec, call.args));
  call.forward(slotTarget(slot), forwardOptions(access, blocking));
}
