/**
 * Every Prometheus metric slotgate exports, declared in one place (README: *Metrics*).
 * Conventions: `slotgate_` prefix, counters end in `_total`, durations are `_seconds`
 * histograms, labels only from bounded sets (command names from the command table,
 * otherwise `other`). Hot-path children are bound once and cached, so counting a
 * command is a Map lookup and an increment, not a label resolution.
 * Node's process metrics keep their standard names (process_*, nodejs_*).
 */
import { sharedBufferReads } from '../io/socket-reader.js';
import { directWrites } from '../io/socket-writer.js';
import { CommandCatalog } from '../commands/command-table.js';
import client from 'prom-client';
import { CommandStats, type CommandOutcome, type LatencyClass, type RequestMark } from './command-stats.js';
import { InstantaneousRate } from './ops-rate.js';
import { FastHistogram, type HistogramChild } from './fast-histogram.js';
import { FoldedCounter } from './folded-counter.js';
import { HotKeyTracker } from './hot-keys.js';
import { SlowCommandLog } from './slow-command-log.js';
import { TrackingMetrics } from './tracking-metrics.js';
import { BackendMetrics } from './backend-metrics.js';
import { SLOTGATE_VERSION } from '../util/version.js';

export type { CommandOutcome, LatencyClass, RequestMark } from './command-stats.js';

/**
 * Why slotgate itself refused or failed a command (`slotgate_proxy_errors_total{kind}`), one kind
 * per error reply of src/errors/catalogue.ts: a bounded set.
 */
export const PROXY_ERROR_KINDS = [
  'unknown_command', // no such command or sub-command
  'wrong_arity', // wrong number of arguments
  'syntax', // ERR syntax error, HELLO option syntax
  'invalid_argument', // an argument slotgate checks: not an integer, bad client name, cursor, node selector, numkeys
  'protocol_version', // HELLO with a version other than 2 (NOPROTO), or not a number
  'transaction', // MULTI/EXEC/DISCARD/WATCH misuse, EXECABORT, commands not allowed inside MULTI
  'not_supported', // commands slotgate does not offer (SELECT n, some CLUSTER and CLIENT sub-commands)
  'disabled', // disable-command-list, config-set: deny, protected CONFIG SET parameters, slotgate's reserved names
  'crossslot',
  'auth', // WRONGPASS, NOAUTH
  'noperm', // read-only accounts writing
  'backend', // backend unreachable, timed out, slot not served, too many redirections
  'max_clients', // connection refused at maxclients
  'protocol', // malformed RESP: the connection is closed
  'internal', // a fault in slotgate's own code (a bug)
] as const;
export type ProxyErrorKind = (typeof PROXY_ERROR_KINDS)[number];

/**
 * The commands with a latency histogram of their own (`slotgate_command_duration_by_command_seconds`):
 * the common data commands; everything else is `other`. Fixed, so the label set stays bounded.
 */
export const LATENCY_COMMANDS = [
  'get', 'set', 'mget', 'mset', 'del', 'exists', 'expire', 'ttl', 'incr', 'incrby',
  'hget', 'hset', 'hmget', 'hgetall', 'hdel', 'hincrby',
  'lpush', 'rpush', 'lpop', 'rpop', 'lrange',
  'sadd', 'srem', 'smembers', 'sismember',
  'zadd', 'zrange', 'zrangebyscore', 'zscore', 'zincrby',
  'eval', 'evalsha', 'ping',
] as const;

/** Hot-key sampling when the option is not given: about one request in this many. */
export const DEFAULT_HOT_KEY_SAMPLING = 64;

export interface MetricsOptions {
  /** Hot-key tracker: sample about one request in N (1: all, 0: off). */
  hotKeySampling?: number;
  /** The instance's command table (command classes, hot keys); a fallback-only one when absent. */
  commands?: CommandCatalog;
  /** slotgate's own slow log: `slowlog-log-slower-than` (µs, negative: off) and `slowlog-max-len`. */
  slowlog?: { readonly slowerThanMicros: number; readonly maxLen: number };
}

/** Buckets for latencies clients see (seconds): 100 µs … 5 s. */
const LATENCY_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
/** Fewer buckets per command: 34 label values × buckets is the series count. */
const PER_COMMAND_BUCKETS = [0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05, 0.25, 1, 5];

export class Metrics {
  readonly registry = new client.Registry();

  private readonly commands: client.Counter<'command' | 'outcome'> = new client.Counter({
    collect: () => this.foldCommandStats(),
    name: 'slotgate_commands_total',
    help: 'Commands processed, by command and outcome',
    labelNames: ['command', 'outcome'] as const,
    registers: [this.registry],
  });
  private readonly commandSeconds: client.Counter<'command'> = new client.Counter({
    collect: () => this.foldCommandStats(),
    name: 'slotgate_command_seconds_total',
    help: 'Time clients waited for their commands (request decoded to reply ready), summed, by command: topk() of it is the top commands by time',
    labelNames: ['command'] as const,
    registers: [this.registry],
  });
  private readonly clientLatency = new FastHistogram<LatencyClass>(
    'slotgate_command_duration_seconds',
    'Client-observed command latency inside slotgate (request decoded to reply ready), by read/write/other',
    'class',
    ['read', 'write', 'other'],
    LATENCY_BUCKETS,
    this.registry,
  );
  private readonly clientLatencyByCommand = new FastHistogram<string>(
    'slotgate_command_duration_by_command_seconds',
    `Client-observed command latency inside slotgate, by command (${LATENCY_COMMANDS.length} common commands, the rest as other)`,
    'command',
    [...LATENCY_COMMANDS, 'other'],
    PER_COMMAND_BUCKETS,
    this.registry,
  );
  readonly bigValues = new client.Counter({
    name: 'slotgate_big_values_total',
    help: `Requests (direction=request) and replies (direction=reply) larger than 32 KB ("big value")`,
    labelNames: ['direction'] as const,
    registers: [this.registry],
    collect: () => {
      const stats = this.stats;
      this.bigValues.labels('request').inc(stats.bigRequests - this.bigValuesFolded.requests);
      this.bigValues.labels('reply').inc(stats.bigReplies - this.bigValuesFolded.replies);
      this.bigValuesFolded = { requests: stats.bigRequests, replies: stats.bigReplies };
    },
  });
  private bigValuesFolded = { requests: 0, replies: 0 };
  readonly hotKeySamples = new client.Counter({
    name: 'slotgate_hot_key_sampled_requests_total',
    help: 'Requests sampled by the hot-key tracker (GET /v1/stats/hot-keys lists the keys; keys are never labels)',
    registers: [this.registry],
    collect: () => {
      this.hotKeySamples.inc(this.stats.hotKeys.sampledRequests - this.hotKeySamplesFolded);
      this.hotKeySamplesFolded = this.stats.hotKeys.sampledRequests;
    },
  });
  private hotKeySamplesFolded = 0;
  readonly tracking = new TrackingMetrics(this.registry); // client-side caching's metrics
  readonly hotKeyTopShare: client.Gauge = new client.Gauge({
    name: 'slotgate_hot_key_top_share',
    help: 'Share (0-1) of the sampled key accesses that went to the single hottest key since start or CONFIG RESETSTAT',
    registers: [this.registry],
    collect: () => {
      this.hotKeyTopShare.set(this.stats.hotKeys.topShare());
    },
  });
  readonly buildInfo = new client.Gauge({
    name: 'slotgate_build_info',
    help: 'Always 1; the labels say which slotgate and which Node.js run',
    labelNames: ['version', 'node_version'] as const,
    // With --workers the primary adds up the workers' metrics: every worker says 1, and so must the sum.
    aggregator: 'max',
    registers: [this.registry],
  });
  /** Which of slotgate's own I/O paths this Node allows (io/): 0 means the slower fallback runs. */
  readonly ioFastPath = new client.Gauge({
    name: 'slotgate_io_fast_path',
    help: "1 when slotgate's own I/O path is active on this Node.js: path=shared_buffer_reads (client reads into one shared buffer), path=direct_writes (writes straight to libuv); 0 when it fell back to Node's streams",
    labelNames: ['path'] as const,
    aggregator: 'min',
    registers: [this.registry],
  });
  readonly proxyErrors = new client.Counter({
    name: 'slotgate_proxy_errors_total',
    help: 'Errors produced by slotgate itself, by kind',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });
  readonly connectionsCurrent = new client.Gauge({
    name: 'slotgate_client_connections',
    help: 'Client connections open now',
    registers: [this.registry],
  });
  readonly connectionsAccepted = new client.Counter({
    name: 'slotgate_client_connections_accepted_total',
    help: 'Client connections accepted',
    registers: [this.registry],
  });
  readonly connectionsRejected = new client.Counter({
    name: 'slotgate_client_connections_rejected_total',
    help: 'Client connections refused because maxclients was reached',
    registers: [this.registry],
  });
  /** Why client connections ended (session/session.ts CloseReason: a bounded set). */
  readonly connectionsClosed = new client.Counter({
    name: 'slotgate_client_connections_closed_total',
    help: 'Client connections closed, by reason (client_closed, protocol_error, quit, killed, output_buffer_limit, query_buffer_limit, idle_timeout, drained, shutdown)',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  /** INFO stats' total_connections_received and rejected_connections (zeroed by CONFIG RESETSTAT, like Redis's). */
  connectionsReceived = 0;
  connectionsRefused = 0;
  /** INFO stats' instantaneous_ops_per_sec, sampled by the server every 100 ms. */
  readonly opsRate = new InstantaneousRate();
  readonly authFailures = new client.Counter({
    name: 'slotgate_auth_failures_total',
    help: 'AUTH and HELLO AUTH attempts refused (wrong password or unknown user)',
    registers: [this.registry],
  });
  readonly descriptorExhaustion = new client.Counter({
    name: 'slotgate_file_descriptor_exhaustion_total',
    help: 'Times slotgate found itself out of file descriptors (EMFILE/ENFILE), by where: accept (checked once a second: new clients are being dropped) or backend (a backend connection could not be opened)',
    labelNames: ['where'] as const,
    registers: [this.registry],
  });
  readonly logLinesSuppressed = new client.Counter({
    name: 'slotgate_log_lines_suppressed_total',
    help: 'Log lines not written because their kind passed its rate limit, by kind',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });
  // Pub/sub (upstream/subscriber-hub.ts).
  readonly pubsubUpstreamSubscriptions = new client.Gauge({
    name: 'slotgate_pubsub_upstream_subscriptions',
    help: 'Channels, patterns and shard channels slotgate holds upstream (one per name, however many clients subscribed), by kind',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });
  readonly pubsubSubscriberConnections = new client.Gauge({
    name: 'slotgate_pubsub_subscriber_connections',
    help: 'Backend connections in subscribed mode (one for classic channels and patterns, one per master with shard channels)',
    registers: [this.registry],
  });
  readonly pubsubMessagesDelivered = new client.Counter({
    name: 'slotgate_pubsub_messages_delivered_total',
    help: 'Messages written to subscribed clients (one per client a message reached)',
    registers: [this.registry],
  });
  readonly pubsubResubscriptions = new client.Counter({
    name: 'slotgate_pubsub_resubscriptions_total',
    help: 'Subscriptions slotgate made again on another connection, by reason: connection_lost, slot_moved (shard channel), refused (by the node; retried)',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  readonly peerBusMessagesDropped = new client.Counter({
    name: 'slotgate_peer_bus_messages_dropped_total',
    help: 'Peer-bus messages dropped as not from a slotgate peer, by reason: malformed, unsigned, bad_signature, stale, replayed (the last four with peer-secret)',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  readonly pubsubSlowSubscribersDisconnected = new client.Counter({
    name: 'slotgate_pubsub_slow_subscribers_disconnected_total',
    help: 'Subscribed clients disconnected at client-output-buffer-limit-pubsub (they did not read their messages)',
    registers: [this.registry],
  });
  readonly connectionsUsageRatio = new client.Gauge({
    name: 'slotgate_client_connections_usage_ratio',
    help: 'Open client connections divided by maxclients',
    registers: [this.registry],
  });
  /** Bytes from and to clients: every read and every flush adds to it (see FoldedCounter). */
  readonly bytesIn = new FoldedCounter(this.registry, 'slotgate_client_bytes_received_total', 'Bytes received from clients');
  readonly bytesOut = new FoldedCounter(this.registry, 'slotgate_client_bytes_sent_total', 'Bytes sent to clients');
  private readonly backendLatency = new FastHistogram<LatencyClass>(
    'slotgate_backend_command_duration_seconds',
    'Round trip of commands to backend nodes, by read/write/other',
    'class',
    ['read', 'write', 'other'],
    [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    this.registry,
  );
  readonly redirections = new client.Counter({
    name: 'slotgate_backend_redirections_total',
    help: 'MOVED/ASK/TRYAGAIN replies followed inside slotgate',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });
  /** The backend's connections, topology and failovers. */
  readonly backend = new BackendMetrics(this.registry);
  readonly tlsHandshakeFailures = new client.Counter({
    name: 'slotgate_client_tls_handshake_failures_total',
    help: 'Client connections to tls-port whose TLS handshake failed (no or untrusted client certificate, not TLS, …)',
    registers: [this.registry],
  });
  readonly configReloads = new client.Counter({
    name: 'slotgate_config_reloads_total',
    help: 'Configuration reloads (SIGHUP, POST /v1/reload), by outcome: applied or rejected',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  /**
   * Faults in slotgate's own code that failed one command (`-ERR slotgate internal error`),
   * by command (from the command table); anything here is a bug worth a report.
   */
  readonly internalErrors = new client.Counter({
    name: 'slotgate_internal_errors_total',
    help: 'Commands failed by a fault inside slotgate (a bug), by command',
    labelNames: ['command'] as const,
    registers: [this.registry],
  });

  readonly mget = new client.Counter({
    name: 'slotgate_mget_total',
    help: 'MGET commands, single-slot and split across slots alike',
    registers: [this.registry],
  });
  /** Keys named by routed commands (see FoldedCounter). */
  readonly keysAccessed = new FoldedCounter(this.registry, 'slotgate_keys_accessed_total', 'Keys named by the commands slotgate routed (a 100-key MGET counts 100)');

  private readonly readLatency: HistogramChild;
  private readonly writeLatency: HistogramChild;
  private readonly otherLatency: HistogramChild;
  /** Per-command counts and times, client latency, big values and hot keys (the admin API's /v1/stats/*). */
  readonly stats: CommandStats;
  readonly slowCommands: SlowCommandLog; // slotgate's own slow log (GET /v1/slowlog): session/call.ts compares each time with it
  /** Node's default metrics (process_*, nodejs_*): describe the process, not the proxy's work, so RESETSTAT keeps them. */
  private readonly processMetricNames = new Set<string>();

  constructor(collectDefaults = true, options: MetricsOptions = {}) {
    if (collectDefaults) {
      const before = new Set(this.registry.getMetricsAsArray().map((m) => metricName(m)));
      client.collectDefaultMetrics({ register: this.registry });
      for (const metric of this.registry.getMetricsAsArray()) {
        const name = metricName(metric);
        if (before.has(name)) continue;
        // prom-client's nodejs_active_{handles,requests,resources}_total are gauges, which
        // `promtool check metrics` refuses (only counters end in _total); the same figures by type,
        // without the suffix (nodejs_active_handles{type}), stay.
        if (name.endsWith('_total') && !(metric instanceof client.Counter)) this.registry.removeSingleMetric(name);
        else this.processMetricNames.add(name);
      }
    }
    this.buildInfo.labels(SLOTGATE_VERSION, process.version).set(1);
    this.ioFastPath.labels('shared_buffer_reads').set(sharedBufferReads ? 1 : 0);
    this.ioFastPath.labels('direct_writes').set(directWrites ? 1 : 0);
    this.readLatency = this.backendLatency.child('read');
    this.writeLatency = this.backendLatency.child('write');
    this.otherLatency = this.backendLatency.child('other');
    this.stats = new CommandStats(
      { clientByClass: this.clientLatency, clientByCommand: this.clientLatencyByCommand, backendByClass: this.backendLatency },
      new HotKeyTracker(options.hotKeySampling ?? DEFAULT_HOT_KEY_SAMPLING),
      options.commands ?? new CommandCatalog(),
    );
    this.slowCommands = SlowCommandLog.counted(this.registry, options.slowlog);
  }

  /** The backend round-trip histogram of `latencyClass`, chosen by comparison (not a table indexed by class: a load by a key that varies is a megamorphic keyed load, per request). */
  backendLatencyOf(latencyClass: LatencyClass): HistogramChild {
    return latencyClass === 'read' ? this.readLatency : latencyClass === 'write' ? this.writeLatency : this.otherLatency;
  }

  /** Commands answered since start (or CONFIG RESETSTAT), for INFO's Proxy section. */
  get commandsProcessed(): number {
    return this.stats.commandsProcessed;
  }

  /**
   * Hook: a request was decoded (before it is looked up or run). `mark` is its reply slot, which
   * carries the start time and the hot-key sample to commandDone().
   */
  requestDecoded(mark: RequestMark, request: { readonly size: number; args(): readonly Buffer[] }): void {
    this.stats.requestDecoded(mark, request);
  }

  /**
   * Hook: a command got its reply (from a backend or from slotgate). Counts it by command and
   * outcome, times it from requestDecoded(mark), counts a reply over 32 KB, samples its keys.
   * `command` must come from the command table (bounded). Returns its client-seen seconds (-1: not timed).
   */
  commandDone(command: string, outcome: CommandOutcome, mark: RequestMark | null, replyBytes: number): number {
    if (command === 'mget') this.mget.inc();
    return this.stats.commandDone(command, outcome, mark, replyBytes);
  }

  /** Counts a command that has no reply slot to time (see commandDone). */
  countCommand(command: string, outcome: CommandOutcome): void {
    this.commandDone(command, outcome, null, 0);
  }

  /**
   * CONFIG RESETSTAT: zeroes slotgate's own counters and histograms, like Redis resets its
   * stats. Gauges (connections open, node up) describe the present and are kept, and so are the
   * Node process metrics, which are not statistics of the proxy's work.
   */
  resetStats(): void {
    this.keysAccessed.pending = this.bytesIn.pending = this.bytesOut.pending = 0;
    this.connectionsReceived = this.connectionsRefused = 0;
    this.stats.reset();
    this.bigValuesFolded = { requests: 0, replies: 0 };
    this.hotKeySamplesFolded = 0;
    this.backendLatency.reset();
    for (const metric of this.registry.getMetricsAsArray()) {
      if (this.processMetricNames.has(metricName(metric))) continue;
      if (metric instanceof client.Counter || metric instanceof client.Histogram || metric instanceof client.Summary) metric.reset();
    }
  }

  /** Both per-command counters are folded together (either's collect may run first). */
  private foldCommandStats(): void {
    this.stats.fold((command, ok, errors, seconds) => {
      if (ok > 0) this.commands.labels(command, 'ok').inc(ok);
      if (errors > 0) this.commands.labels(command, 'error').inc(errors);
      if (seconds > 0) this.commandSeconds.labels(command).inc(seconds);
    });
  }

  /** `command`: a name from the command table, or `unknown` when the fault came before the lookup. */
  countInternalError(command: string): void {
    this.internalErrors.labels(command).inc();
    this.countCommand(command, 'error');
  }

  countProxyError(kind: ProxyErrorKind): void {
    this.proxyErrors.labels(kind).inc();
  }
}

function metricName(metric: unknown): string {
  return (metric as { name?: string }).name ?? '';
}
