/**
 * Records one command in slotgate's own slow log (observability/slow-command-log.ts). Runs only
 * for a command that passed the threshold, so the work here (redaction, finding the node) costs
 * nothing to the others.
 *
 * The node: the one a node suffix named, else the master of the command's slot now (where a
 * replica read went, its shard's master); null for a command slotgate answered itself or sent
 * to several nodes.
 */
import { redactSecrets } from '../auth/redact.js';
import type { BackendNode } from '../cluster/topology-snapshot.js';
import { hasWholeKeyspace } from '../cluster/topology-source.js';
import { resolveNode } from '../routing/node-suffix.js';
import { routeCommand } from '../routing/router.js';
import type { CommandCall } from './command-call.js';
import type { HandlerServices } from './handler-services.js';
import type { CommandRegistry } from './registry.js';

/** What recording a slow command uses besides the call: the log, the nodes, and whether the command is routed by its keys. */
export interface SlowCommandServices extends Pick<HandlerServices, 'metrics' | 'topology'> {
  readonly handlers: Pick<CommandRegistry, 'routesByKeys'>;
}

export function recordSlowCommand(call: CommandCall, seconds: number, deps: SlowCommandServices): void {
  const node = nodeOf(call, deps);
  deps.metrics.slowCommands.record({
    durationMicros: Math.round(seconds * 1e6),
    args: redactSecrets(call.args),
    clientAddress: call.connection.address,
    clientName: call.connection.name ?? '',
    node: node ? { id: node.id, address: node.address } : null,
  });
}

function nodeOf(call: CommandCall, deps: SlowCommandServices): BackendNode | null {
  const topology = deps.topology.current;
  if (call.nodeTarget) return resolveNode(topology, call.nodeTarget.selector) ?? null;
  if (!deps.handlers.routesByKeys(call.spec)) return null;
  const plan = routeCommand(call.spec, call.args, hasWholeKeyspace(deps.topology.kind));
  return plan.kind === 'slot' ? topology.masterForSlot(plan.slot) ?? null : null;
}
