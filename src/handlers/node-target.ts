/**
 * Commands aimed at one backend node by a node suffix (README: *Cross-slot commands, node targeting and the cluster view*): `DBSIZE @0`, `INFO server <id>`.
 * The request (already without its suffix) goes to that node as it is, and its reply comes back
 * as it is, except INFO, which is masked like every INFO slotgate gives out.
 */
import * as errors from '../errors/catalogue.js';
import { textReply } from '../protocol/resp3-encoder.js';
import { maskInfo } from '../proxy-view/info.js';
import { resolveNode } from '../routing/node-suffix.js';
import { accessOf } from '../routing/router.js';
import { bulkOf } from '../upstream/resp-elements.js';
import type { CommandCall } from './command-call.js';
import { answer } from './fanout.js';
import type { HandlerServices } from './handler-services.js';

/** `deps`: where the nodes are (the dispatcher passes its instance's services). */
export function runOnNode(call: CommandCall, deps: Pick<HandlerServices, 'topology'>): void {
  const nodeTarget = call.nodeTarget!;
  const node = resolveNode(deps.topology.current, nodeTarget.selector);
  if (!node) return call.fail(errors.noSuchNode(nodeTarget.text));
  const isInfo = call.spec.name === 'info';
  call.gather(
    [{ node, command: call.raw, slot: null }],
    (replies) => {
      const reply = replies[0]!;
      const text = !reply.isError && isInfo ? bulkOf(reply.frame) : null;
      answer(call, replies, text === null ? reply.frame : textReply(call.connection.protocol, maskInfo(text.toString('utf8'))));
    },
    { latency: accessOf(call.spec) },
  );
}
