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
import * as connection from './connection-commands.js';
import { toEveryNode, type NodeFanout } from './fanout.js';
import { monitorCommands } from './monitor-commands.js';
import type { HandlerServices } from './handler-services.js';
import { proxyCommands, runRole } from './proxy-commands.js';
import { pubsubCommands } from './pubsub-commands.js';
import { keyRouter } from './route.js';
import { scanCommand } from './scan.js';
import { slowlogCommands } from './slowlog-commands.js';
import { waitCommand } from './wait.js';
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

type Entries = (readonly [string, CommandEntry])[];

const local = (run: CommandHandler, inTransaction: CommandEntry['inTransaction'] = 'refuse'): CommandEntry => ({ run, inTransaction });
const refused = (refusal: ErrorReply): CommandEntry => ({ run: (call) => call.fail(refusal), inTransaction: 'refuse', refusal });
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
const STATIC_ENTRIES: Entries = [
  // The client connection itself.
  ['ping', whileSubscribed(local(connection.ping, 'queue'))],
  ['echo', local(connection.echo, 'queue')],
  ['quit', whileSubscribed(local(connection.quit, 'control'))],
  ['readonly', local(connection.replyOk)],
  ['readwrite', local(connection.replyOk)],
  ['asking', local(connection.replyOk)],
  // Client-side caching: invalidations from every master, through slotgate's tracking table.
  ['client|caching', local(tracking.runCaching)],
  ['client|trackinginfo', local(tracking.runTrackingInfo)],
  ['client|getredir', local(tracking.runGetRedir)],
  // Transactions: the MULTI being run is the connection's (MULTI and WATCH are built below).
  ['exec', local(transaction.exec, 'control')],
  ['discard', local(transaction.discard, 'control')],
  ['unwatch', local(transaction.unwatch)],
  ['role', local(runRole, 'defer')],
  // Refused: node administration that must not go through a proxy.
  ...UNSUPPORTED.map((name) => [name, refused(errors.notSupported(name.split('|')[0]!))] as const),
];

/**
 * Entries whose handlers are given what they use of the running proxy here, once per instance,
 * rather than reaching for it through every call (each group declares what it uses, next to it).
 */
function builtEntries(services: HandlerServices): Entries {
  const conn = connection.connectionCommands(services);
  const multi = transaction.transactionCommands(services);
  const own = proxyCommands(services);
  const monitor = monitorCommands(services);
  return [
    ['select', local(conn.select)],
    // Refused in front of a cluster; passed to the master of a standalone backend.
    ['swapdb', { run: conn.swapdb, inTransaction: 'refuse', refusal: errors.notSupported('swapdb') }],
    ['hello', local(conn.hello)],
    ['auth', local(conn.auth)],
    ['reset', whileSubscribed(local(conn.reset, 'control'))],
    ['multi', local(multi.multi, 'control')],
    ['watch', local(multi.watch, 'control')],
    // Answered by slotgate with what it knows of itself and the cluster.
    ['cluster', local(own.cluster)],
    ['info', local(own.info, 'defer')],
    ['scan', local(scanCommand(services))],
    ['wait', local(waitCommand(services))],
    ['config|get', local(own.configGet, 'defer')],
    ['config|set', local(own.configSet, 'defer')],
    ['config|resetstat', local(own.configResetstat, 'defer')],
    // CLIENT: the connection's own settings, and every slotgate's sessions (README: *Sessions: CLIENT commands and the session list*).
    ['client', local(clientCommand(services))],
    ['client|tracking', local(tracking.trackingCommand(services))],
    ['monitor', local(monitor.monitor)],
    ['imonitor', local(monitor.imonitor)],
    ...fanoutEntries(services),
    ...pubsubEntries(services),
  ];
}

/** Commands sent to every master (or node), their replies reduced to one. */
function fanoutEntries(services: HandlerServices): Entries {
  const fanout = (spec: NodeFanout): CommandEntry => ({ run: toEveryNode(spec, services), inTransaction: 'defer' });
  const masters = (reduce: NodeFanout['reduce'], patternArg?: number): CommandEntry =>
    fanout(patternArg === undefined ? { targets: 'masters', reduce } : { targets: 'masters', reduce, patternArg });
  /**
   * SCRIPT KILL / FUNCTION KILL exist to reach a node that is busy running a script. On a shared
   * connection they would queue behind that very script (Redis answers a connection in order), wait
   * until the connection times out and never kill it. So they go to every master on a connection
   * opened for them, with nothing queued ahead, and closed after the reply.
   */
  const outOfBand = fanout({ targets: 'masters', reduce: 'any-ok', outOfBand: true });
  const slowlog = slowlogCommands(services);
  return [
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
    ['script|kill', outOfBand],
    ['function|load', masters('same-reply')],
    ['function|delete', masters('same-reply')],
    ['function|flush', masters('same-reply')],
    ['function|restore', masters('same-reply')],
    ['function|kill', outOfBand],
    ['function|list', masters('same-elements')],
    ['function|dump', masters('same-function-dump')],
    // Read-only: the modules every master has loaded (in any order); masters that differ get an error.
    // The rest of MODULE (LOAD, UNLOAD) stays refused: node administration.
    ['module|list', masters('same-elements')],
    ['module|help', masters('same-reply')],
    // One slow log for the cluster (every master's merged); one node's with a node suffix (README: *Cross-slot commands, node targeting and the cluster view*).
    ['slowlog|get', local(slowlog.get)],
    ['slowlog|len', local(slowlog.len)],
    ['slowlog|reset', local(slowlog.reset)],
  ];
}

/** Pub/sub: subscriptions are slotgate's, shared upstream (upstream/subscriber-hub.ts). */
function pubsubEntries(services: HandlerServices): Entries {
  // PUBSUB: subscribers may be connected to any node, replicas included (PUBLISH reaches every node).
  const everyNode = (reduce: NodeFanout['reduce']): CommandEntry => ({ run: toEveryNode({ targets: 'nodes', reduce }, services), inTransaction: 'defer' });
  const pubsub = pubsubCommands(services);
  return [
    ['pubsub|channels', everyNode('union')],
    ['pubsub|shardchannels', everyNode('union')],
    ['pubsub|numpat', local(pubsub.numpat, 'defer')],
    // Not inside MULTI: a transaction runs on one node's connection. The counts are this slotgate's clients.
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
  ];
}

/** One slotgate instance's commands → handlers (ProxyContext.handlers). */
export class CommandRegistry {
  private readonly entries: ReadonlyMap<string, CommandEntry>;
  /** Every command without an entry of its own: routed by its keys, over this instance's services (handlers/route.ts). */
  private readonly routed: CommandEntry;
  /** Resolved once per command spec: the request path pays one lookup. Weak: a new command table (live-command-table.ts) brings new specs, and the old ones must be free to go. */
  private readonly resolved = new WeakMap<CommandSpec, CommandEntry>();

  constructor(services: HandlerServices) {
    this.entries = new Map([...STATIC_ENTRIES, ...builtEntries(services)]);
    this.routed = { run: keyRouter(services), inTransaction: 'queue' };
  }

  /** The entry for `spec`: by full name, then by container name, else routed by keys. */
  entry(spec: CommandSpec): CommandEntry {
    let entry = this.resolved.get(spec);
    if (entry === undefined) {
      entry = this.entries.get(spec.name) ?? (spec.parent ? this.entries.get(spec.parent.name) : undefined) ?? this.routed;
      this.resolved.set(spec, entry);
    }
    return entry;
  }

  /** The command has no entry of its own: it is routed by its keys (the slow log names its slot's master). */
  routesByKeys(spec: CommandSpec): boolean {
    return this.entry(spec) === this.routed;
  }
}

/**
 * The proxy's services with the registry built over them: the same object (so what a reload
 * replaces, like `runtime`, is read live by the handlers), complete before any session sees it.
 */
export function withCommandRegistry<S extends HandlerServices>(services: S): S & { readonly handlers: CommandRegistry } {
  return Object.assign(services, { handlers: new CommandRegistry(services) });
}
