/**
 * Every command slotgate treats specially, in one table: name (full `script|load`, or the
 * container `cluster`) → the handler that runs it and how it behaves inside MULTI. A command
 * that is not here is routed by its keys (handlers/route.ts): to its slot's master, split across
 * slots for MGET and friends, to any master when it has no key.
 *
 * Kinds of entries:
 *  - answered by slotgate (PING, HELLO, CLUSTER SLOTS, INFO, SCAN, MONITOR, …);
 *  - sent to every master or every node, replies reduced to one (DBSIZE, KEYS, SCRIPT LOAD, …);
 *  - refused, with the reason, where a command would break the "one Redis" illusion or the
 *    cluster (SHUTDOWN, REPLICAOF, …).
 *
 * Inside MULTI (`inTransaction`): `control` commands run at once (MULTI, EXEC, DISCARD, WATCH,
 * QUIT, RESET); `queue` ones join the batch (PING, ECHO and every key-routed command); `defer`
 * ones are queued as Redis queues them and run by slotgate at EXEC, their replies put in EXEC's
 * array (CONFIG SET/GET, INFO, the cluster-wide DBSIZE, FLUSHALL, SCRIPT LOAD …: they cannot be
 * part of one node's batch); the rest are refused and abort the transaction (connection state
 * like SELECT and HELLO, subscriptions, MONITOR, and what slotgate refuses anyway).
 */
import type { CommandSpec } from '../commands/command-table.js';
import * as errors from '../errors/catalogue.js';
import type { ErrorReply } from '../errors/catalogue.js';
import type { CommandHandler } from './command-call.js';
import { clientCommand } from './client-commands.js';
import * as connectionCommands from './connection-commands.js';
import { toEveryNode, type NodeFanout } from './fanout.js';
import { monitorCommands } from './monitor-commands.js';
import type { HandlerServices } from './handler-services.js';
import { clusterCommand, runConfigGet, runConfigResetstat, runConfigSet, runInfo, runRole } from './proxy-commands.js';
import * as pubsub from './pubsub-commands.js';
import { routeByKeys } from './route.js';
import { runScan } from './scan.js';
import * as slowlog from './slowlog-commands.js';
import { runWait } from './wait.js';
import * as tracking from './tracking-commands.js';
import * as transaction from './transaction.js';

export interface CommandEntry {
  readonly run: CommandHandler;
  readonly inTransaction: 'control' | 'queue' | 'defer' | 'refuse';
  /** For a refused command: the error it gets, inside MULTI too (where it also aborts the transaction). */
  readonly refusal?: ErrorReply;
  /** May run while a RESP2 client is subscribed ((P|S)(UN)SUBSCRIBE, PING, QUIT, RESET, as in Redis). */
  readonly whileSubscribed?: boolean;
}

const ROUTED: CommandEntry = { run: routeByKeys, inTransaction: 'queue' };

const local = (run: CommandHandler, inTransaction: CommandEntry['inTransaction'] = 'refuse'): CommandEntry => ({ run, inTransaction });
const refused = (refusal: ErrorReply): CommandEntry => ({ run: (call) => call.fail(refusal), inTransaction: 'refuse', refusal });
const fanout = (spec: NodeFanout): CommandEntry => ({ run: toEveryNode(spec), inTransaction: 'defer' });
const masters = (reduce: NodeFanout['reduce'], patternArg?: number): CommandEntry =>
  fanout(patternArg === undefined ? { targets: 'masters', reduce } : { targets: 'masters', reduce, patternArg });
// PUBSUB: subscribers may be connected to any node, replicas included (PUBLISH reaches every node).
const everyNode = (reduce: NodeFanout['reduce']): CommandEntry => fanout({ targets: 'nodes', reduce });
/**
 * SCRIPT KILL / FUNCTION KILL exist to reach a node that is busy running a script. On a shared
 * connection they would queue behind that very script (Redis answers a connection in order), wait
 * until the connection times out and never kill it. So they go to every master on a connection
 * opened for them, with nothing queued ahead, and closed after the reply.
 */
const OUT_OF_BAND = fanout({ targets: 'masters', reduce: 'any-ok', outOfBand: true });
/** Runs in subscribed mode too (RESP2 clients may then run nothing else). */
const whileSubscribed = (entry: CommandEntry): CommandEntry => ({ ...entry, whileSubscribed: true });

const UNSUPPORTED = [
  'shutdown', 'replicaof', 'slaveof', 'sync', 'psync', 'debug', 'failover', 'module', 'acl',
  'bgrewriteaof', 'save', 'bgsave', 'latency', 'lolwut',
  // WAITAOF: a shared backend connection's AOF offset says nothing of this client's writes, and
  // no INFO field gives a replica's fsynced offset to wait for from outside (see wait.ts).
  'waitaof', 'pfselftest', 'pfdebug', 'replconf', 'restore-asking',
  // Sub-commands of otherwise supported containers: interactive, per-node state, or node files.
  'script|debug', 'function|stats', 'config|rewrite',
] as const;

/** Entries whose handlers need nothing but their call. */
const STATIC_ENTRIES: readonly (readonly [string, CommandEntry])[] = [
  // The client connection itself.
  ['ping', whileSubscribed(local(connectionCommands.ping, 'queue'))],
  ['echo', local(connectionCommands.echo, 'queue')],
  ['quit', whileSubscribed(local(connectionCommands.quit, 'control'))],
  ['reset', whileSubscribed(local(connectionCommands.reset, 'control'))],
  ['select', local(connectionCommands.select)],
  // Refused in front of a cluster; passed to the master of a standalone backend.
  ['swapdb', { run: connectionCommands.swapdb, inTransaction: 'refuse', refusal: errors.notSupported('swapdb') }],
  ['hello', local(connectionCommands.hello)],
  ['auth', local(connectionCommands.auth)],
  ['readonly', local(connectionCommands.replyOk)],
  ['readwrite', local(connectionCommands.replyOk)],
  ['asking', local(connectionCommands.replyOk)],
  // Client-side caching: invalidations from every master, through slotgate's tracking table.
  ['client|caching', local(tracking.runCaching)],
  ['client|trackinginfo', local(tracking.runTrackingInfo)],
  ['client|getredir', local(tracking.runGetRedir)],
  // Transactions.
  ['multi', local(transaction.multi, 'control')],
  ['exec', local(transaction.exec, 'control')],
  ['discard', local(transaction.discard, 'control')],
  ['watch', local(transaction.watch, 'control')],
  ['unwatch', local(transaction.unwatch)],
  // Answered by slotgate with what it knows of itself and the cluster.
  ['info', local(runInfo, 'defer')],
  ['scan', local(runScan)],
  ['wait', local(runWait)],
  ['config|get', local(runConfigGet, 'defer')],
  ['config|set', local(runConfigSet, 'defer')],
  ['role', local(runRole, 'defer')],
  ['config|resetstat', local(runConfigResetstat, 'defer')],
  // Cluster-wide answers (README: *Cross-slot commands, node targeting and the cluster view*).
  ['keys', masters('concat', 1)],
  ['dbsize', masters('sum')],
  ['flushdb', masters('same-reply')],
  ['flushall', masters('same-reply')],
  ['randomkey', masters('random-non-null')],
  // Scripts and functions live on every master, so EVALSHA/FCALL work whichever master a key is on.
  ['script|load', masters('same-reply')],
  ['script|exists', masters('and-per-index')],
  ['script|flush', masters('same-reply')],
  ['script|kill', OUT_OF_BAND],
  ['function|load', masters('same-reply')],
  ['function|delete', masters('same-reply')],
  ['function|flush', masters('same-reply')],
  ['function|restore', masters('same-reply')],
  ['function|kill', OUT_OF_BAND],
  ['function|list', masters('same-elements')],
  ['function|dump', masters('same-function-dump')],
  // Read-only: the modules every master has loaded (in any order); masters that differ get an error.
  // The rest of MODULE (LOAD, UNLOAD) stays refused: node administration.
  ['module|list', masters('same-elements')],
  ['module|help', masters('same-reply')],
  ['pubsub|channels', everyNode('union')],
  ['pubsub|shardchannels', everyNode('union')],
  // Pub/sub: subscriptions are slotgate's, shared upstream (upstream/subscriber-hub.ts). Not inside
  // MULTI: a transaction runs on one node's connection. The counts are this slotgate's clients.
  ['subscribe', whileSubscribed(local(pubsub.subscribe))],
  ['psubscribe', whileSubscribed(local(pubsub.subscribe))],
  ['ssubscribe', whileSubscribed(local(pubsub.subscribe))],
  ['unsubscribe', whileSubscribed(local(pubsub.unsubscribe))],
  ['punsubscribe', whileSubscribed(local(pubsub.unsubscribe))],
  ['sunsubscribe', whileSubscribed(local(pubsub.unsubscribe))],
  // The receivers as one Redis counts them (this slotgate's clients for its upstream link). Queued
  // inside MULTI as Redis does, where the count is the node's own (slotgate counting once).
  ['publish', local(pubsub.publish, 'queue')],
  ['spublish', local(pubsub.publish, 'queue')],
  ['pubsub|numsub', local(pubsub.numsub, 'defer')],
  ['pubsub|shardnumsub', local(pubsub.numsub, 'defer')],
  ['pubsub|numpat', local(pubsub.numpat, 'defer')],
  // One slow log for the cluster (every master's merged); one node's with a node suffix (README: *Cross-slot commands, node targeting and the cluster view*).
  ['slowlog|get', local(slowlog.runSlowlogGet)],
  ['slowlog|len', local(slowlog.runSlowlogLen)],
  ['slowlog|reset', local(slowlog.runSlowlogReset)],
  // Refused: node administration that must not go through a proxy.
  ...UNSUPPORTED.map((name) => [name, refused(errors.notSupported(name.split('|')[0]!))] as const),
];

/**
 * Entries whose handlers are given what they use of the running proxy here, once per instance,
 * rather than reaching for it through every call.
 */
function builtEntries(services: HandlerServices): [string, CommandEntry][] {
  const monitor = monitorCommands(services);
  return [
    // CLIENT: the connection's own settings, and every slotgate's sessions (README: *Sessions: CLIENT commands and the session list*).
    ['client', local(clientCommand(services))],
    ['client|tracking', local(tracking.trackingCommand(services))],
    ['cluster', local(clusterCommand(services))],
    ['monitor', local(monitor.monitor)],
    ['imonitor', local(monitor.imonitor)],
  ];
}

/** One slotgate instance's commands → handlers (ProxyContext.handlers). */
export class CommandRegistry {
  private readonly entries: ReadonlyMap<string, CommandEntry>;
  /** Resolved once per command spec: the request path pays one lookup. Weak: a new command table (live-command-table.ts) brings new specs, and the old ones must be free to go. */
  private readonly resolved = new WeakMap<CommandSpec, CommandEntry>();

  constructor(services: HandlerServices) {
    this.entries = new Map([...STATIC_ENTRIES, ...builtEntries(services)]);
  }

  /** The entry for `spec`: by full name, then by container name, else routed by keys. */
  entry(spec: CommandSpec): CommandEntry {
    let entry = this.resolved.get(spec);
    if (entry === undefined) {
      entry = this.entries.get(spec.name) ?? (spec.parent ? this.entries.get(spec.parent.name) : undefined) ?? ROUTED;
      this.resolved.set(spec, entry);
    }
    return entry;
  }
}

/**
 * The proxy's services with the registry built over them: the same object (so what a reload
 * replaces, like `runtime`, is read live by the handlers), complete before any session sees it.
 */
export function withCommandRegistry<S extends HandlerServices>(services: S): S & { readonly handlers: CommandRegistry } {
  return Object.assign(services, { handlers: new CommandRegistry(services) });
}
