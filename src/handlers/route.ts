/**
 * The default handler: a command routed by its keys (routing/router.ts) and forwarded, or split
 * across slots. Keyless commands without a handler of their own go to any master. This is the
 * hot path: a single-slot command costs a route, one Target object and a forward.
 */
import { hasWholeKeyspace } from '../cluster/topology-source.js';
import { routeCommand } from '../routing/router.js';
import type { CommandCall } from './command-call.js';
import { describeBlocking } from './blocking-keys.js';
import { runSplit } from './fanout.js';
import { forwardOptions } from './forward-options.js';

const ANY_MASTER = { slot: null } as const;

export function routeByKeys(call: CommandCall): void {
  const plan = routeCommand(call.spec, call.args, hasWholeKeyspace(call.proxy.topology.kind));
  switch (plan.kind) {
    case 'error':
      return call.fail(plan.error);
    case 'slot':
      call.proxy.metrics.keysAccessedPending += plan.keys;
      if (plan.blocking) call.proxy.blockingCommands.set(call.connection, describeBlocking(call.spec, call.args));
      return call.forward({ slot: plan.slot }, forwardOptions(plan.access, plan.blocking));
    case 'keyless':
      return call.forward(ANY_MASTER, forwardOptions(plan.access, plan.blocking));
    case 'split':
      return runSplit(call, plan);
  }
}
