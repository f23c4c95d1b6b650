/**
 * Commands slotgate answers with its own logic rather than by forwarding (the `proxy` route
 * plans; see routing/proxy-policy.ts): the one-node cluster view (SPEC §5), INFO (§3), SCAN (§3),
 * MONITOR/IMONITOR (§4), CONFIG SET and CONFIG RESETSTAT (§11).
 */
import { keyHashSlot, SLOT_COUNT } from '../cluster/hash-slot.js';
import type { CommandSpec } from '../commands/command-table.js';
import { parseRedisInteger } from '../commands/argument-bytes.js';
import { firstProtectedConfigParameter } from '../commands/config-parameters.js';
import { wrongArityError } from '../commands/lookup-errors.js';
import * as errors from '../errors/catalogue.js';
import { gather } from '../fanout/executor.js';
import { failureOf } from '../fanout/reducers.js';
import { bulkOf } from '../fanout/resp-elements.js';
import { answer, commandLabel, runFanout } from '../fanout/run-fanout.js';
import { runScan } from '../fanout/scan.js';
import { runImonitor, runMonitor } from '../monitor/monitor-commands.js';
import { OK } from '../protocol/constants.js';
import { encodeBulk, encodeCommand, encodeInteger } from '../protocol/encoder.js';
import type { Request } from '../protocol/request-decoder.js';
import { clusterInfoReply, clusterNodesReply, clusterShardsReply, clusterSlotsReply } from '../proxy-view/cluster-view.js';
import { mergedInfo, type ProxyFigures } from '../proxy-view/info.js';
import type { ProxyHandler } from '../routing/proxy-policy.js';
import type { ProxyContext } from './context.js';
import type { ReplySlot } from './reply-queue.js';
import type { Session } from './session.js';

type Handler = (session: Session, slot: ReplySlot, spec: CommandSpec, req: Request) => void;

const CLUSTER_INFO = encodeCommand(['CLUSTER', 'INFO']);

const HANDLERS = {
  cluster: runCluster,
  info: runInfo,
  scan: runScan,
  monitor: runMonitor,
  imonitor: runImonitor,
  'config-set': runConfigSet,
  'config-resetstat': runConfigResetstat,
} as const satisfies Record<ProxyHandler, Handler>;

export function runProxyCommand(session: Session, slot: ReplySlot, spec: CommandSpec, req: Request, handler: ProxyHandler): void {
  HANDLERS[handler](session, slot, spec, req);
}

function runCluster(session: Session, slot: ReplySlot, spec: CommandSpec, req: Request): void {
  const self = session.ctx.identity;
  switch (spec.name) {
    case 'cluster|slots':
      return session.reply(slot, clusterSlotsReply(self), spec.name);
    case 'cluster|shards':
      return session.reply(slot, clusterShardsReply(self), spec.name);
    case 'cluster|nodes':
      return session.reply(slot, clusterNodesReply(self), spec.name);
    case 'cluster|myid':
      return session.reply(slot, encodeBulk(self.nodeId), spec.name);
    case 'cluster|keyslot':
      return session.reply(slot, encodeInteger(keyHashSlot(req.args[2]!)), spec.name);
    case 'cluster|countkeysinslot':
    case 'cluster|getkeysinslot': {
      // The slot's master owns its keys. An invalid slot goes to any master, whose error text is Redis's own.
      const n = parseRedisInteger(req.args[2]!);
      const target = n !== null && n >= 0 && n < SLOT_COUNT ? { slot: n } : { slot: null };
      return session.forward(slot, spec, [req.raw], false, target, false, 'read');
    }
    case 'cluster|info':
      return runClusterInfo(session, slot, spec);
    default:
      return session.failRequest(slot, errors.notSupported(commandLabel(spec).toLowerCase()), spec.name);
  }
}

/** CLUSTER INFO: the backend's state, as one master sees it, in the one-node view. */
function runClusterInfo(session: Session, slot: ReplySlot, spec: CommandSpec): void {
  const masters = session.ctx.topology.current.masters();
  const healthy = masters.filter((m) => !session.ctx.pool.recentlyFailed(m.address));
  const choices = healthy.length > 0 ? healthy : masters;
  const master = choices[Math.floor(Math.random() * choices.length)];
  if (!master) return session.failRequest(slot, errors.SLOT_NOT_SERVED, spec.name);
  gather(session.sharedForward, [{ node: master, command: CLUSTER_INFO, slot: null }], null, session.guard(slot, spec.name, (replies) => {
    const failure = failureOf({ command: 'CLUSTER INFO', replies });
    if (failure) return answer(session, slot, spec, replies, failure);
    session.reply(slot, clusterInfoReply(bulkOf(replies[0]!.frame)?.toString('utf8') ?? ''), spec.name);
  }));
}

/** INFO without a node: every master asked, one master's sections shown, keyspace summed, plus the Proxy section. */
function runInfo(session: Session, slot: ReplySlot, spec: CommandSpec, req: Request): void {
  const masters = session.ctx.topology.current.masters();
  if (masters.length === 0) return session.failRequest(slot, errors.SLOT_NOT_SERVED, spec.name);
  const targets = masters.map((node) => ({ node, command: req.raw, slot: null }));
  gather(session.sharedForward, targets, null, session.guard(slot, spec.name, (replies) => {
    const failure = failureOf({ command: 'INFO', replies });
    if (failure) return answer(session, slot, spec, replies, failure);
    const texts = replies.map((r) => bulkOf(r.frame)?.toString('utf8') ?? '');
    const requested = req.args.slice(1).map((a) => a.toString('latin1').toLowerCase());
    const chosen = Math.floor(Math.random() * texts.length);
    session.reply(slot, encodeBulk(mergedInfo(texts, chosen, requested, proxyFigures(session.ctx))), spec.name);
  }));
}

export function proxyFigures(ctx: ProxyContext): ProxyFigures {
  const topology = ctx.topology.current;
  const nodes = topology.allNodes();
  const up = nodes.filter((n) => n.health === 'online').length;
  return {
    version: ctx.identity.version,
    nodeId: ctx.identity.nodeId,
    announce: `${ctx.identity.host}:${ctx.identity.port}`,
    uptimeSeconds: Math.floor((Date.now() - ctx.identity.startedAt) / 1000),
    connectedClients: ctx.clientCount(),
    monitorClients: ctx.monitors.monitorCount,
    commandsProcessed: ctx.metrics.commandsProcessed,
    shards: topology.shards.length,
    nodesUp: up,
    nodesDown: nodes.length - up,
    topologyEpoch: topology.epoch,
  };
}

/**
 * CONFIG SET: to every node, masters and replicas, unless the operator said otherwise (config-set).
 * A protected parameter anywhere in it refuses the whole command first, in every mode: nothing is
 * sent, and no "+OK" pretends it was (commands/config-parameters.ts).
 */
function runConfigSet(session: Session, slot: ReplySlot, spec: CommandSpec, req: Request): void {
  // configSetCommand's own check (the table's arity, -4, lets `CONFIG SET a b c` through): pairs only.
  if (req.args.length % 2 !== 0) return session.failRequest(slot, errors.fromLookup(wrongArityError(spec.name)), spec.name);
  const protectedName = firstProtectedConfigParameter(req.args);
  if (protectedName !== null) return session.failRequest(slot, errors.configSetProtected(protectedName), spec.name);
  switch (session.ctx.config.configSet) {
    case 'ignore':
      // A managed service's answer (Tencent's): accepted, no effect.
      return session.reply(slot, OK, spec.name);
    case 'deny':
      return session.failRequest(slot, errors.CONFIG_SET_DENIED, spec.name);
    case 'forward':
      return runFanout(session, slot, spec, req, { kind: 'fanout', targets: 'nodes', reduce: 'same-reply', access: 'other' });
  }
}

/** CONFIG RESETSTAT: every node's statistics, and slotgate's own counters. */
function runConfigResetstat(session: Session, slot: ReplySlot, spec: CommandSpec, req: Request): void {
  session.ctx.metrics.resetStats();
  runFanout(session, slot, spec, req, { kind: 'fanout', targets: 'nodes', reduce: 'same-reply', access: 'other' });
}
