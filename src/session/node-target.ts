/**
 * Commands aimed at one backend node by a node suffix (SPEC §4): `DBSIZE @0`, `INFO server <id>`.
 * The request (already without its suffix) goes to that node as it is, and its reply comes back
 * as it is, except INFO, which is masked like every INFO slotgate gives out.
 */
import type { BackendNode, TopologySnapshot } from '../cluster/topology-snapshot.js';
import type { CommandSpec } from '../commands/command-table.js';
import * as errors from '../errors/catalogue.js';
import { gather } from '../fanout/executor.js';
import { bulkOf } from '../fanout/resp-elements.js';
import { answer } from '../fanout/run-fanout.js';
import { encodeBulk } from '../protocol/encoder.js';
import type { Request } from '../protocol/request-decoder.js';
import { maskInfo } from '../proxy-view/info.js';
import type { NodeSelector } from '../routing/node-suffix.js';
import type { NodePlan } from '../routing/router.js';
import type { ReplySlot } from './reply-queue.js';
import type { Session } from './session.js';

/** `@N` → the master of the N-th shard; a node ID → that node, master or replica. */
export function resolveNode(topology: TopologySnapshot, selector: NodeSelector): BackendNode | undefined {
  return selector.kind === 'shard' ? topology.shards[selector.index]?.master : topology.nodeById(selector.id);
}

export function runOnNode(session: Session, slot: ReplySlot, spec: CommandSpec, req: Request, plan: NodePlan): void {
  const node = resolveNode(session.ctx.topology.current, plan.selector);
  if (!node) return session.failRequest(slot, errors.noSuchNode(plan.selectorText), spec.name);
  const latency = session.ctx.metrics.latencyByClass[plan.access];
  const target = { node, command: req.raw, slot: null };
  gather(session.sharedForward, [target], (seconds) => latency.observe(seconds), session.guard(slot, spec.name, (replies) => {
    const reply = replies[0]!;
    const text = !reply.isError && spec.name === 'info' ? bulkOf(reply.frame) : null;
    answer(session, slot, spec, replies, text === null ? reply.frame : encodeBulk(maskInfo(text.toString('utf8'))));
  }));
}
