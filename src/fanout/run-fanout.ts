/**
 * Runs a fan-out plan for a session: turns the plan into part targets on the current topology,
 * gathers the replies (executor.ts), reduces them (reducers.ts) and answers the client.
 */
import type { NodeConnection } from '../backend/node-connection.js';
import type { CommandSpec } from '../commands/command-table.js';
import * as errors from '../errors/catalogue.js';
import type { Request } from '../protocol/request-decoder.js';
import type { FanoutPlan } from '../routing/router.js';
import type { ReplySlot } from '../session/reply-queue.js';
import type { ForwardContext } from '../session/forwarder.js';
import type { Session } from '../session/session.js';
import { gather, type PartTarget } from './executor.js';
import { reduce, type PartReply } from './reducers.js';

/** `SCRIPT LOAD`, `MGET`: the command as a client would write it. */
export function commandLabel(spec: CommandSpec): string {
  return spec.name.replace('|', ' ').toUpperCase();
}

export function runFanout(session: Session, slot: ReplySlot, spec: CommandSpec, req: Request, plan: FanoutPlan): void {
  const topology = session.ctx.topology.current;
  let targets: PartTarget[];
  if (plan.targets === 'slots') {
    session.ctx.metrics.keysAccessedPending += plan.keys;
    targets = plan.parts.map((part) => ({ node: topology.masterForSlot(part.slot) ?? null, command: part.args, slot: part.slot }));
  } else {
    const nodes = plan.targets === 'masters' ? topology.masters() : topology.allNodes();
    if (nodes.length === 0) return session.failRequest(slot, errors.SLOT_NOT_SERVED, spec.name);
    // Every node gets the request exactly as the client sent it.
    targets = nodes.map((node) => ({ node, command: req.raw, slot: null }));
  }
  const latency = session.ctx.metrics.latencyByClass[plan.access];
  const replicaRead =
    plan.targets === 'slots' &&
    session.ctx.runtime.replicaReads.mayUseReplica(session.account, { access: plan.access, blocking: false, transactional: session.watch !== null });
  // Out-of-band parts travel on connections of their own, closed once every part answered.
  const opened: NodeConnection[] = [];
  const forward: ForwardContext =
    plan.targets !== 'slots' && plan.outOfBand
      ? { ...session.sharedForward, maxRedirects: 0, connectionFor: (address) => opened[opened.push(session.ctx.pool.dedicated(address)) - 1]! }
      : session.sharedForward;
  const onReplies = session.guard(slot, spec.name, (replies: PartReply[]) => {
    for (const conn of opened) conn.close();
    const positions = plan.targets === 'slots' ? plan.parts.map((p) => p.positions) : undefined;
    const keyCount = plan.targets === 'slots' ? plan.keys : undefined;
    answer(session, slot, spec, replies, reduce(plan.reduce, { command: commandLabel(spec), replies, positions, keyCount }));
  });
  gather(forward, targets, (seconds) => latency.observe(seconds), onReplies, replicaRead);
}

/**
 * Fills `slot` with a reduced reply. An error the reducer made (a part failed, parts disagree)
 * counts as a proxy error; an error that is every part's own answer passes through as the
 * backend's.
 */
export function answer(session: Session, slot: ReplySlot, spec: CommandSpec, replies: readonly PartReply[], frame: Buffer): void {
  const isError = frame[0] === 0x2d;
  if (isError && !replies.some((r) => r.frame === frame)) session.ctx.metrics.countProxyError('backend');
  session.reply(slot, frame, spec.name, isError ? 'error' : 'ok');
}
