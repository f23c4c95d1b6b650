/**
 * MONITOR and IMONITOR (README: *Cross-slot commands, node targeting and the cluster view*). Both switch the session into streaming mode: after the +OK,
 * the client only receives feed lines until it disconnects.
 *  - MONITOR: what this proxy executes, for all its clients (the session path publishes to the
 *    MonitorHub), secrets redacted and admin commands left out, as Redis 7 does.
 *  - IMONITOR <node>: the MONITOR feed of one backend node, over a connection of the session's
 *    own; the node's lines are passed through untouched.
 */
import type { BackendFailure } from '../backend/node-connection.js';
import * as errors from '../errors/catalogue.js';
import { OK } from '../protocol/constants.js';
import { encodeCommand } from '../protocol/encoder.js';
import { parseNodeSelector, resolveNode } from '../routing/node-suffix.js';
import type { CommandCall } from './command-call.js';

const MONITOR = encodeCommand(['MONITOR']);
/** A monitor feed may be silent for as long as the node is idle: never time it out. */
const NO_TIMEOUT_MS = 2 ** 31 - 1;

export function runMonitor(call: CommandCall): void {
  call.reply(OK);
  call.startStreaming(call.proxy.monitors.attach((frame) => call.streamFrame(frame)));
}

export function runImonitor(call: CommandCall): void {
  const selector = parseNodeSelector(call.args[1]!);
  const node = selector && resolveNode(call.proxy.topology.current, selector);
  if (!node) return call.fail(errors.noSuchNode(call.args[1]!));
  const conn = call.proxy.pool.dedicated(node.address, { commandTimeoutMs: NO_TIMEOUT_MS });
  let streaming = false;
  let finished = false;
  conn.send({
    payload: MONITOR,
    // The feed never ends: the request stays at the head of the connection and gets every frame.
    replyCount: Infinity,
    onReply(frame, isError, index) {
      if (finished) return;
      if (index > 0) return call.streamFrame(frame);
      if (isError) {
        finished = true;
        conn.close();
        return call.reply(frame, 'error');
      }
      streaming = true;
      call.reply(frame);
      call.startStreaming(() => conn.close());
    },
    onFailure(failure: BackendFailure) {
      if (finished) return;
      finished = true;
      if (!streaming) return call.fail(errors.backendFailure(failure));
      // The feed is gone: say so and hang up, as Redis does when a monitored server goes away.
      call.proxy.metrics.countProxyError('backend');
      call.streamFrame(errors.IMONITOR_LOST.frame, true);
    },
  });
}
