/**
 * What happens to every request before its handler runs, in Redis's order (processCommand):
 * node suffix off → lookup and arity → sign-in, disabled list and permission → slotgate's reserved
 * names (reserved-names.ts) → MONITOR feed →
 * queued if inside MULTI → the command's handler (handlers/registry.ts).
 */
import { commandRefusal } from '../auth/command-gate.js';
import type { CommandSpec } from '../commands/command-table.js';
import * as errors from '../errors/catalogue.js';
import { encodeCommand } from '../protocol/encoder.js';
import { hasWholeKeyspace } from '../cluster/topology-source.js';
import type { DecodedRequest } from '../protocol/decoded-request.js';
import { mayHaveNodeSuffix, splitNodeSuffix, type NodeTargeted } from '../routing/node-suffix.js';
import { singleKeySlotOf } from '../routing/router.js';
import type { CommandCall } from './command-call.js';
import { runOnNode } from './node-target.js';
import type { ProxyContext } from './proxy-context.js';
import { mayUseReservedName, reservedNameRefusal } from './reserved-names.js';
import { noteTrackedCommand } from './tracking-commands.js';

/** A call whose command is not known yet: the dispatcher binds it once the lookup succeeded. */
export interface IncomingCall extends CommandCall {
  bind(spec: CommandSpec, args: Buffer[], raw: Buffer, nodeTarget: NodeTargeted | null): void;
  /**
   * The direct path's bind: the request's bytes as a range (DecodedRequest bytes[base, end)), no
   * argument views (made if asked for); `keySlot` as in CommandCall.
   */
  bindRequest(spec: CommandSpec, request: Pick<DecodedRequest, 'bytes' | 'base' | 'end'>, keySlot: number): void;
}

/**
 * What the dispatcher uses of its instance: the command table, the disabled commands (`runtime`,
 * replaced by a reload, so read per request), the registry, the MONITOR feeds, the tracking
 * table, the nodes (a node suffix). The session passes its ProxyContext as it is.
 */
export type DispatchServices = Pick<ProxyContext, 'commands' | 'runtime' | 'handlers' | 'monitors' | 'tracking' | 'topology'>;

export function dispatch(call: IncomingCall, request: DecodedRequest, proxy: DispatchServices): void {
  if (!dispatchDirect(call, request, proxy)) dispatchArgs(call, request.args(), request.raw, proxy);
}

/**
 * The direct path (issue #22): a request in a plain state (no MULTI, MONITOR feed or tracking) whose
 * command has no sub-commands, the right arity, no possible node suffix or reserved name, and is
 * allowed, goes to its handler with its name and key read by offset: no argument views are made
 * (its call makes them if a handler asks). It takes only what passes every check below, so what
 * it runs is what dispatchArgs would run; anything else (and every error) goes the full way.
 */
function dispatchDirect(call: IncomingCall, request: DecodedRequest, proxy: DispatchServices): boolean {
  const connection = call.connection;
  if (connection.transaction !== null || connection.tracking !== null || proxy.monitors.active || mayHaveNodeSuffix(request)) return false;
  const spec = proxy.commands.lookupPlain(request.bytes, request.start(0), request.length(0), request.count);
  if (spec === undefined || mayUseReservedName(spec, request)) return false;
  // Bound before the checks, as dispatchArgs binds: a fault in them counts under the command's name.
  // A request that falls back is bound again there, the same key slot with it.
  call.bindRequest(spec, request, singleKeySlotOf(spec, request, hasWholeKeyspace(proxy.topology.kind)));
  if (commandRefusal(connection.account, proxy.runtime.disabledCommands, spec) !== null) return false;
  const entry = proxy.handlers.entry(spec);
  if (entry.whileSubscribed !== true && connection.subscriptions.restricted) return false;
  entry.run(call);
  return true;
}

function dispatchArgs(call: IncomingCall, requestArgs: Buffer[], raw: Buffer, proxy: DispatchServices): void {
  const connection = call.connection;
  const transaction = connection.transaction;
  // `DBSIZE @0` (README: *Cross-slot commands, node targeting and the cluster view*): the node suffix comes off first, so lookup, arity and permission
  // checks see the command itself. Not inside MULTI: a transaction runs on one slot's master.
  const nodeTarget = transaction ? null : splitNodeSuffix(requestArgs);
  const args = nodeTarget ? nodeTarget.args : requestArgs;
  const lookup = proxy.commands.lookup(args);
  if (!lookup.ok) {
    transaction?.abort();
    return call.fail(errors.fromLookup(lookup.error));
  }
  const spec = lookup.spec;
  call.bind(spec, args, nodeTarget ? encodeCommand(args) : raw, nodeTarget);
  const refusal = commandRefusal(connection.account, proxy.runtime.disabledCommands, spec);
  if (refusal) {
    transaction?.abort(); // like Redis: a command refused while queueing fails the EXEC
    return call.fail(refusal);
  }
  const reserved = reservedNameRefusal(spec, args);
  if (reserved) {
    transaction?.abort();
    return call.fail(reserved);
  }
  const entry = proxy.handlers.entry(spec);
  // Redis's order: after the permission check, before anything runs or is queued.
  if (entry.whileSubscribed !== true && connection.subscriptions.restricted) return call.fail(errors.notAllowedWhileSubscribed(spec.name));
  if (proxy.monitors.active) proxy.monitors.publish(connection.address, args);
  if (connection.tracking !== null) noteTrackedCommand(call, connection.tracking, spec, proxy.tracking.table);
  if (transaction && entry.inTransaction !== 'control') {
    if (entry.inTransaction === 'queue') return transaction.queue(call);
    if (entry.inTransaction === 'defer') return transaction.defer(call, entry.run);
    transaction.abort();
    return call.fail(entry.refusal ?? errors.notAllowedInTransaction((spec.parent ?? spec).name));
  }
  if (nodeTarget) return runOnNode(call, proxy);
  entry.run(call);
}
