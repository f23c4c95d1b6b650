/**
 * Commands answered by several backends at once (README: *Cross-slot commands, node targeting and the cluster view*): a multi-key command split per slot
 * (MGET, MSET, DEL, …), and keyless commands sent to every master or every node (DBSIZE, KEYS,
 * SCRIPT LOAD, PUBSUB NUMSUB, …). The parts are gathered (upstream/gather.ts) and their replies
 * reduced to one (upstream/reducers.ts).
 */
import type { CommandSpec } from '../commands/command-table.js';
import { patternSlot } from '../cluster/pattern-slot.js';
import * as errors from '../errors/catalogue.js';
import type { FanoutPolicy } from '../routing/fanout-policy.js';
import type { SplitPlan } from '../routing/router.js';
import type { PartTarget } from '../upstream/gather.js';
import { reduce, type PartReply } from '../upstream/reducers.js';
import type { CommandCall, CommandHandler } from './command-call.js';
import { forwardOptions } from './forward-options.js';
import type { HandlerServices } from './handler-services.js';

/**
 * What the fan-out handlers use besides their call: the nodes to ask. A split read also asks
 * the account's read policy (`runtime`, replaced by a reload, so read per use) and counts keys.
 */
export type FanoutServices = Pick<HandlerServices, 'topology'>;
export type SplitServices = Pick<HandlerServices, 'topology' | 'metrics' | 'runtime'>;

/** `SCRIPT LOAD`, `MGET`: the command as a client would write it. */
export function commandLabel(spec: CommandSpec): string {
  return spec.name.replace('|', ' ').toUpperCase();
}

/** A multi-key command whose keys are in several slots: one part per slot, replies put back in request order. */
export function runSplit(call: CommandCall, plan: SplitPlan, deps: SplitServices): void {
  const topology = deps.topology.current;
  deps.metrics.keysAccessed.pending += plan.keys;
  const targets: PartTarget[] = plan.parts.map((part) => ({ node: topology.masterForSlot(part.slot) ?? null, command: part.args, slot: part.slot }));
  const replicaRead = deps.runtime.replicaReads.mayUseReplica(call.connection.account, {
    access: plan.access,
    blocking: false,
    // A tracking client reads masters (see session/call.ts).
    transactional: call.connection.watch !== null || call.connection.tracking !== null,
  });
  call.gather(
    targets,
    (replies) => {
      const positions = plan.parts.map((p) => p.positions);
      answer(call, replies, reduce(plan.reduce, { command: commandLabel(call.spec), replies, positions, keyCount: plan.keys }));
    },
    { latency: plan.access, replicaRead },
  );
}

export interface NodeFanout {
  /** Every master, or every node (masters and replicas: PUBSUB, whose subscribers may be anywhere). */
  readonly targets: 'masters' | 'nodes';
  readonly reduce: FanoutPolicy;
  /** Index of a glob-pattern argument that, when it pins one slot (`KEYS {user1}*`), narrows the command to that slot's master. */
  readonly patternArg?: number;
  /** Sent on connections opened for it alone (SCRIPT KILL must not queue behind the script it kills). */
  readonly outOfBand?: boolean;
}

/** A handler sending the request, exactly as the client sent it, to every master (or node). */
export function toEveryNode(fanout: NodeFanout, deps: FanoutServices): CommandHandler {
  return (call) => runOnEveryNode(call, fanout, deps);
}

export function runOnEveryNode(call: CommandCall, fanout: NodeFanout, deps: FanoutServices): void {
  const access = call.spec.isWrite ? 'write' : call.spec.isReadonly ? 'read' : 'other';
  const pattern = fanout.patternArg === undefined ? undefined : call.args[fanout.patternArg];
  const pinned = pattern === undefined ? null : patternSlot(pattern);
  if (pinned !== null) return call.forward({ slot: pinned }, forwardOptions(access, false));
  const topology = deps.topology.current;
  const nodes = fanout.targets === 'masters' ? topology.masters() : topology.allNodes();
  if (nodes.length === 0) return call.fail(errors.SLOT_NOT_SERVED);
  const targets = nodes.map((node) => ({ node, command: call.raw, slot: null }));
  call.gather(targets, (replies) => answer(call, replies, reduce(fanout.reduce, { command: commandLabel(call.spec), replies })), {
    latency: access,
    outOfBand: fanout.outOfBand === true,
  });
}

/**
 * Answers with a reduced reply. An error the reducer made (a part failed, parts disagree) is
 * slotgate's, so it fails the call (counted as a proxy error of kind `backend`); an error that is
 * every part's own answer passes through as the backend's.
 */
export function answer(call: CommandCall, replies: readonly PartReply[], frame: Buffer): void {
  const isError = frame[0] === 0x2d;
  if (isError && !replies.some((r) => r.frame === frame)) return call.fail({ frame, kind: 'backend' });
  call.reply(frame, isError ? 'error' : 'ok');
}
