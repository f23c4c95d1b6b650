/**
 * The default handler: a command routed by its keys (routing/router.ts) and forwarded, or split
 * across slots. Keyless commands without a handler of their own go to any master. This is the
 * hot path: a single-key command costs a slot and a forward to it (CommandCall.forwardToSlot). Its
 * services are given once, when the registry is built (`keyRouter`), and read from there.
 */
import { hasWholeKeyspace } from '../cluster/topology-source.js';
import { accessOf, routeCommand, singleKeySlot, type Access } from '../routing/router.js';
import type { CommandCall, CommandHandler } from './command-call.js';
import { describeBlocking } from './blocking-keys.js';
import { runSplit, type SplitServices } from './fanout.js';
import { forwardOptions } from './forward-options.js';
import type { HandlerServices } from './handler-services.js';

/** What routing by keys uses besides its call: the topology, key counts, blocking keys, and a split's read policy. */
export type KeyRouteServices = SplitServices & Pick<HandlerServices, 'blockingCommands'>;

const ANY_MASTER = { slot: null } as const;

/** The handler of every command routed by its keys, over one instance's services. */
export function keyRouter(deps: KeyRouteServices): CommandHandler {
  return (call) => routeByKeys(call, deps);
}

function routeByKeys(call: CommandCall, deps: KeyRouteServices): void {
  const wholeKeyspace = hasWholeKeyspace(deps.topology.kind);
  // GET, SET…: one key at a fixed place, routed without a plan object (issue #22).
  const slot = call.keySlot >= 0 ? call.keySlot : singleKeySlot(call.spec, call.args, wholeKeyspace);
  if (slot >= 0) return forwardToSlot(call, deps, slot, accessOf(call.spec), call.spec.isBlocking, 1);
  const plan = routeCommand(call.spec, call.args, wholeKeyspace);
  switch (plan.kind) {
    case 'error':
      return call.fail(plan.error);
    case 'slot':
      return forwardToSlot(call, deps, plan.slot, plan.access, plan.blocking, plan.keys);
    case 'keyless':
      return call.forward(ANY_MASTER, forwardOptions(plan.access, plan.blocking));
    case 'split':
      return runSplit(call, plan, deps);
  }
}

function forwardToSlot(call: CommandCall, deps: KeyRouteServices, slot: number, access: Access, blocking: boolean, keys: number): void {
  deps.metrics.keysAccessed.pending += keys;
  if (blocking) deps.blockingCommands.set(call.connection, describeBlocking(call.spec, call.args));
  call.forwardToSlot(slot, forwardOptions(access, blocking));
}
