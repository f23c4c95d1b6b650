/**
 * MONITOR and IMONITOR (README: *Cross-slot commands, node targeting and the cluster view*). Both switch the session into streaming mode: after the +OK,
 * the client only receives feed lines until it disconnects.
 *  - MONITOR: what this proxy executes, for all its clients (the session path publishes to the
 *    MonitorHub), secrets redacted and admin commands left out, as Redis 7 does.
 *  - IMONITOR <node>: the MONITOR feed of one backend node, over a connection of the session's
 *    own; the node's lines are passed through untouched.
 */
import type { NodeAccess } from '../backend/node-access.js';
import { wholePayload, type BackendFailure } from '../backend/backend-request.js';
import type { TopologyManager } from '../cluster/topology-manager.js';
import type { MonitorHub } from '../monitor/monitor-hub.js';
import type { Metrics } from '../observability/metrics.js';
import * as errors from '../errors/catalogue.js';
import { OK } from '../protocol/constants.js';
import { encodeCommand } from '../protocol/encoder.js';
import { parseNodeSelector, resolveNode } from '../routing/node-suffix.js';
import type { CommandCall, CommandHandler } from './command-call.js';

const MONITOR = encodeCommand(['MONITOR']);

/** What MONITOR and IMONITOR use, given when the registry is built. */
export interface MonitorDependencies {
  readonly monitors: MonitorHub;
  readonly topology: Pick<TopologyManager, 'current'>;
  readonly nodes: Pick<NodeAccess, 'openFeed'>;
  readonly metrics: Pick<Metrics, 'countProxyError'>;
}

export function monitorCommands(deps: MonitorDependencies): { monitor: CommandHandler; imonitor: CommandHandler } {
  return {
    monitor: (call) => {
      call.reply(OK);
      call.startStreaming(deps.monitors.attach((frame) => call.streamFrame(frame)));
    },
    imonitor: (call) => runImonitor(call, deps),
  };
}

function runImonitor(call: CommandCall, deps: MonitorDependencies): void {
  const selector = parseNodeSelector(call.args[1]!);
  const node = selector && resolveNode(deps.topology.current, selector);
  if (!node) return call.fail(errors.noSuchNode(call.args[1]!));
  const conn = deps.nodes.openFeed(node.address);
  let streaming = false;
  let finished = false;
  conn.send({
    ...wholePayload(MONITOR),
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
      deps.metrics.countProxyError('backend');
      call.streamFrame(errors.IMONITOR_LOST.frame, true);
    },
  });
}
