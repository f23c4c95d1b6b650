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
import type { IncomingCall } from './dispatch.js';
import { routeByKeys } from './route.js';

export function recordSlowCommand(call: IncomingCall, seconds: number): void {
  const node = nodeOf(call);
  call.proxy.metrics.slowCommands.record({
    durationMicros: Math.round(seconds * 1e6),
    args: redactSecrets(call.args),
    clientAddress: call.connection.address,
    clientName: call.connection.name ?? '',
    node: node ? { id: node.id, address: node.address } : null,
  });
}

function nodeOf(call: IncomingCall): BackendNode | null {
  const topology = call.proxy.topology.current;
  if (call.nodeTarget) return resolveNode(topology, call.nodeTarget.selector) ?? null;
  if (call.proxy.handlers.entry(call.spec).run !== routeByKeys) return null;
  const plan = routeCommand(call.spec, call.args, hasWholeKeyspace(call.proxy.topology.kind));
  return plan.kind === 'slot' ? topology.masterForSlot(plan.slot) ?? null : null;
}
