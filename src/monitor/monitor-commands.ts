/**
 * MONITOR and IMONITOR (SPEC §4). Both switch the session into streaming mode: after the +OK,
 * the client only receives feed lines until it disconnects.
 *  - MONITOR: what this proxy executes, for all its clients (the session path publishes to the
 *    MonitorHub), secrets redacted and admin commands left out, as Redis 7 does.
 *  - IMONITOR <node>: the MONITOR feed of one backend node, over a connection of the session's
 *    own; the node's lines are passed through untouched.
 */
import type { BackendFailure } from '../backend/node-connection.js';
import type { CommandSpec } from '../commands/command-table.js';
import * as errors from '../errors/catalogue.js';
import { OK } from '../protocol/constants.js';
import { encodeCommand } from '../protocol/encoder.js';
import type { Request } from '../protocol/request-decoder.js';
import { parseNodeSelector } from '../routing/node-suffix.js';
import { resolveNode } from '../session/node-target.js';
import type { ReplySlot } from '../session/reply-queue.js';
import type { Session } from '../session/session.js';

const MONITOR = encodeCommand(['MONITOR']);
/** A monitor feed may be silent for as long as the node is idle: never time it out. */
const NO_TIMEOUT_MS = 2 ** 31 - 1;

export function runMonitor(session: Session, slot: ReplySlot, spec: CommandSpec): void {
  session.reply(slot, OK, spec.name);
  session.startStreaming(session.ctx.monitors.attach((frame) => session.streamFrame(frame)));
}

export function runImonitor(session: Session, slot: ReplySlot, spec: CommandSpec, req: Request): void {
  const selector = parseNodeSelector(req.args[1]!);
  const node = selector && resolveNode(session.ctx.topology.current, selector);
  if (!node) return session.failRequest(slot, errors.noSuchNode(req.args[1]!), spec.name);
  const conn = session.ctx.pool.dedicated(node.address, { commandTimeoutMs: NO_TIMEOUT_MS });
  let streaming = false;
  let finished = false;
  conn.send({
    payload: MONITOR,
    // The feed never ends: the request stays at the head of the connection and gets every frame.
    replyCount: Infinity,
    onReply(frame, isError, index) {
      if (finished) return;
      if (index > 0) return session.streamFrame(frame);
      if (isError) {
        finished = true;
        conn.close();
        return session.reply(slot, frame, spec.name, 'error');
      }
      streaming = true;
      session.reply(slot, frame, spec.name);
      session.startStreaming(() => conn.close());
    },
    onFailure(failure: BackendFailure) {
      if (finished) return;
      finished = true;
      if (!streaming) return session.failRequest(slot, errors.backendFailure(failure), spec.name);
      // The feed is gone: say so and hang up, as Redis does when a monitored server goes away.
      session.ctx.metrics.countProxyError('backend');
      session.streamFrame(errors.IMONITOR_LOST.frame, true);
    },
  });
}
