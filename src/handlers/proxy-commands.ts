/**
 * Commands slotgate answers with its own logic rather than by forwarding: the one-node cluster
 * view, INFO, CONFIG SET and CONFIG RESETSTAT (README: *Cross-slot commands, node targeting and the cluster view*).
 */
import { keyHashSlot, SLOT_COUNT } from '../cluster/hash-slot.js';
import { hasWholeKeyspace } from '../cluster/topology-source.js';
import { parseRedisInteger } from '../commands/argument-bytes.js';
import { firstProtectedConfigParameter } from '../commands/config-parameters.js';
import { wrongArityError } from '../commands/lookup-errors.js';
import * as errors from '../errors/catalogue.js';
import { failureOf } from '../upstream/reducers.js';
import { bulkOf } from '../upstream/resp-elements.js';
import { answer, commandLabel, runOnEveryNode } from './fanout.js';
import { OK } from '../protocol/constants.js';
import { encodeBulk, encodeCommand, encodeInteger } from '../protocol/encoder.js';
import { textReply } from '../protocol/resp3-encoder.js';
import { forwardOptions } from './forward-options.js';
import { clusterInfoReply, clusterNodesReply, clusterShardsReply, clusterSlotsReply } from '../proxy-view/cluster-view.js';
import { mergedInfo, type OwnFigures, type ProxyFigures } from '../proxy-view/info.js';
import { configGetReply, roleReply } from '../proxy-view/config-view.js';
import { parseReply } from '../protocol/reply-parser.js';
import type { HandlerServices } from './handler-services.js';
import type { CommandCall, CommandHandler } from './command-call.js';

const CLUSTER_INFO = encodeCommand(['CLUSTER', 'INFO']);

/** What CLUSTER uses besides its call: who slotgate says it is (final once listening, so read per use), the masters and their recent health. */
export type ClusterServices = Pick<HandlerServices, 'identity' | 'topology' | 'nodes'>;
/** What INFO's own sections count (ownFigures, proxyFigures). */
export type FigureServices = Pick<
  HandlerServices,
  'identity' | 'topology' | 'config' | 'metrics' | 'monitors' | 'tracking' | 'clientCount' | 'blockedClientCount' | 'clientStates'
>;
/** What CLUSTER, INFO and CONFIG use besides their call (the config's `configSet`, slotgate's own counters). */
export type ProxyCommandServices = ClusterServices & FigureServices;

export interface ProxyCommands {
  readonly cluster: CommandHandler;
  readonly info: CommandHandler;
  readonly configGet: CommandHandler;
  readonly configSet: CommandHandler;
  readonly configResetstat: CommandHandler;
}

export function proxyCommands(deps: ProxyCommandServices): ProxyCommands {
  return {
    cluster: (call) => runCluster(call, deps),
    info: (call) => runInfo(call, deps),
    configGet: (call) => runConfigGet(call, deps),
    configSet: (call) => runConfigSet(call, deps),
    // CONFIG RESETSTAT: every node's statistics, and slotgate's own counters.
    configResetstat: (call) => {
      deps.metrics.resetStats();
      runOnEveryNode(call, EVERY_NODE_SAME_REPLY, deps);
    },
  };
}

function runCluster(call: CommandCall, deps: ClusterServices): void {
  const self = deps.identity;
  switch (call.spec.name) {
    case 'cluster|slots':
      return call.reply(clusterSlotsReply(self, call.connection.protocol));
    case 'cluster|shards':
      return call.reply(clusterShardsReply(self, call.connection.protocol));
    case 'cluster|nodes':
      return call.reply(clusterNodesReply(self, call.connection.protocol));
    case 'cluster|myid':
      return call.reply(encodeBulk(self.nodeId));
    case 'cluster|keyslot':
      return call.reply(encodeInteger(keyHashSlot(call.args[2]!)));
    case 'cluster|countkeysinslot':
    case 'cluster|getkeysinslot': {
      // The slot's master owns its keys. An invalid slot goes to any master, whose error text is Redis's own.
      const n = parseRedisInteger(call.args[2]!);
      const target = n !== null && n >= 0 && n < SLOT_COUNT ? { slot: n } : { slot: null };
      return call.forward(target, forwardOptions('read', false));
    }
    case 'cluster|info':
      return runClusterInfo(call, deps);
    default:
      return call.fail(errors.notSupported(commandLabel(call.spec).toLowerCase()));
  }
}

/** CLUSTER INFO: the backend's state, as one master sees it, in the one-node view. */
function runClusterInfo(call: CommandCall, deps: ClusterServices): void {
  const nodes = deps.nodes;
  const masters = deps.topology.current.masters();
  if (hasWholeKeyspace(deps.topology.kind)) {
    // A standalone/Sentinel master knows no CLUSTER INFO: its one shard is ok while it is reachable.
    const up = masters.length > 0 && !nodes.recentlyFailed(masters[0]!.address);
    return call.reply(clusterInfoReply(up ? `cluster_state:ok\r\ncluster_slots_ok:${SLOT_COUNT}\r\n` : 'cluster_state:fail\r\n'));
  }
  const healthy = masters.filter((m) => !nodes.recentlyFailed(m.address));
  const choices = healthy.length > 0 ? healthy : masters;
  const master = choices[Math.floor(Math.random() * choices.length)];
  if (!master) return call.fail(errors.SLOT_NOT_SERVED);
  call.gather([{ node: master, command: CLUSTER_INFO, slot: null }], (replies) => {
    const failure = failureOf({ command: 'CLUSTER INFO', replies });
    if (failure) return answer(call, replies, failure);
    call.reply(clusterInfoReply(bulkOf(replies[0]!.frame)?.toString('utf8') ?? '', call.connection.protocol));
  });
}

/** INFO without a node: every master asked, one master's sections shown, keyspace summed, plus the Proxy section. */
function runInfo(call: CommandCall, deps: FigureServices): void {
  const masters = deps.topology.current.masters();
  if (masters.length === 0) return call.fail(errors.SLOT_NOT_SERVED);
  const targets = masters.map((node) => ({ node, command: call.raw, slot: null }));
  call.gather(targets, (replies) => {
    const failure = failureOf({ command: 'INFO', replies });
    if (failure) return answer(call, replies, failure);
    const texts = replies.map((r) => bulkOf(r.frame)?.toString('utf8') ?? '');
    const requested = call.args.slice(1).map((a) => a.toString('latin1').toLowerCase());
    const chosen = Math.floor(Math.random() * texts.length);
    call.reply(textReply(call.connection.protocol, mergedInfo(texts, chosen, requested, proxyFigures(deps), ownFigures(deps))));
  });
}

/** INFO clients/stats/commandstats: slotgate's own clients and commands. */
export function ownFigures(ctx: FigureServices): OwnFigures {
  const metrics = ctx.metrics;
  return {
    connectedClients: ctx.clientCount(),
    blockedClients: ctx.blockedClientCount(),
    ...ctx.clientStates(),
    maxClients: ctx.config.maxClients,
    connectionsReceived: metrics.connectionsReceived,
    rejectedConnections: metrics.connectionsRefused,
    trackingClients: ctx.tracking.table.clientCount,
    trackingKeys: ctx.tracking.table.keyCount,
    trackingItems: ctx.tracking.table.itemCount,
    commandsProcessed: metrics.commandsProcessed,
    opsPerSec: metrics.opsRate.perSecond(),
    commands: metrics.stats.snapshot().commands.map((c) => ({ name: c.command, calls: c.count, failedCalls: c.errors, usec: Math.round(c.seconds * 1e6) })),
  };
}

export function proxyFigures(ctx: FigureServices): ProxyFigures {
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
function runConfigSet(call: CommandCall, deps: Pick<HandlerServices, 'config' | 'topology'>): void {
  // configSetCommand's own check (the table's arity, -4, lets `CONFIG SET a b c` through): pairs only.
  if (call.args.length % 2 !== 0) return call.fail(errors.fromLookup(wrongArityError(call.spec.name)));
  const protectedName = firstProtectedConfigParameter(call.args);
  if (protectedName !== null) return call.fail(errors.configSetProtected(protectedName));
  switch (deps.config.configSet) {
    case 'ignore':
      // A managed service's answer (Tencent's): accepted, no effect.
      return call.reply(OK);
    case 'deny':
      return call.fail(errors.CONFIG_SET_DENIED);
    case 'forward':
      return runOnEveryNode(call, EVERY_NODE_SAME_REPLY, deps);
  }
}

const EVERY_NODE_SAME_REPLY = { targets: 'nodes', reduce: 'same-reply' } as const;

/** ROLE without a node: slotgate's own (one master, no replicas); `ROLE @0` is the node's. */
export function runRole(call: CommandCall): void {
  call.reply(roleReply());
}

/**
 * CONFIG GET without a node: one master's answer, with slotgate's own listening parameters and
 * no backend address, port or path in it (proxy-view/config-view.ts).
 */
function runConfigGet(call: CommandCall, deps: Pick<HandlerServices, 'config' | 'identity' | 'topology'>): void {
  const masters = deps.topology.current.masters();
  const master = masters[Math.floor(Math.random() * masters.length)];
  if (!master) return call.fail(errors.SLOT_NOT_SERVED);
  call.gather([{ node: master, command: call.raw, slot: null }], (replies) => {
    const reply = replies[0]!;
    const pairs = reply.isError ? null : parseReply(reply.frame);
    if (!Array.isArray(pairs)) return answer(call, replies, reply.frame);
    const { config, identity } = deps;
    call.reply(configGetReply(pairs.filter((p): p is Buffer => Buffer.isBuffer(p)), { port: identity.port, tlsPort: config.tls?.port ?? 0, bind: config.bind }, call.connection.protocol));
  });
}
