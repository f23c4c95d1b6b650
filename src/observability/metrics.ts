/**
 * Every Prometheus metric slotgate exports, declared in one place (SPEC §10).
 * Conventions: `slotgate_` prefix, counters end in `_total`, durations are `_seconds`
 * histograms, labels only from bounded sets (command names from the command table,
 * otherwise `other`). Hot-path children are bound once and cached, so counting a
 * command is a Map lookup and an increment, not a label resolution.
 */
import client from 'prom-client';
import { FastHistogram, type HistogramChild } from './fast-histogram.js';

export type CommandOutcome = 'ok' | 'error';
export type ProxyErrorKind = 'unknown_command' | 'wrong_arity' | 'disabled' | 'crossslot' | 'auth' | 'backend' | 'protocol' | 'noperm' | 'internal';
export type LatencyClass = 'read' | 'write' | 'other';

export class Metrics {
  readonly registry = new client.Registry();

  /** Per command: [ok, error] counts, added to on the hot path as plain numbers, folded in at scrape time. */
  private readonly commandCounts = new Map<string, [number, number]>();
  private readonly commands: client.Counter<'command' | 'outcome'> = new client.Counter({
    collect: () => this.foldCommandCounts(),
    name: 'slotgate_commands_total',
    help: 'Commands processed, by command and outcome',
    labelNames: ['command', 'outcome'] as const,
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
  readonly bytesIn = new client.Counter({
    name: 'slotgate_client_bytes_received_total',
    help: 'Bytes received from clients',
    registers: [this.registry],
  });
  readonly bytesOut = new client.Counter({
    name: 'slotgate_client_bytes_sent_total',
    help: 'Bytes sent to clients',
    registers: [this.registry],
  });
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
  readonly topologyRefreshes = new client.Counter({
    name: 'slotgate_topology_refreshes_total',
    help: 'Topology refreshes, by outcome',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  readonly backendFailures = new client.Counter({
    name: 'slotgate_backend_connection_failures_total',
    help: 'Backend connections that broke or could not be made',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });
  readonly backendNodeUp = new client.Gauge({
    name: 'slotgate_backend_node_up',
    help: '1 when the topology lists the backend node as online, else 0',
    labelNames: ['node', 'role'] as const,
    registers: [this.registry],
  });

  readonly backendAuthFailures = new client.Counter({
    name: 'slotgate_backend_auth_failures_total',
    help: 'Backend connections whose AUTH the node refused (backend-user/backend-password wrong, or rotated on the nodes)',
    registers: [this.registry],
  });
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
  /** Keys named by routed commands; the hot path adds to a plain number, folded in at scrape time. */
  keysAccessedPending = 0;
  readonly keysAccessed = new client.Counter({
    name: 'slotgate_keys_accessed_total',
    help: 'Keys named by the commands slotgate routed (a 100-key MGET counts 100)',
    registers: [this.registry],
    collect: () => {
      this.keysAccessed.inc(this.keysAccessedPending);
      this.keysAccessedPending = 0;
    },
  });
  /** Commands answered since start (or CONFIG RESETSTAT), for INFO's Proxy section. */
  commandsProcessed = 0;

  readonly latencyByClass: Record<LatencyClass, HistogramChild>;

  constructor(collectDefaults = true) {
    if (collectDefaults) client.collectDefaultMetrics({ register: this.registry, prefix: 'slotgate_' });
    this.latencyByClass = {
      read: this.backendLatency.child('read'),
      write: this.backendLatency.child('write'),
      other: this.backendLatency.child('other'),
    };
  }

  /** `command` must come from the command table (bounded); anything else is counted as `other`. */
  countCommand(command: string, outcome: CommandOutcome): void {
    let counts = this.commandCounts.get(command);
    if (!counts) {
      counts = [0, 0];
      this.commandCounts.set(command, counts);
    }
    counts[outcome === 'ok' ? 0 : 1]++;
    this.commandsProcessed++;
    if (command === 'mget') this.mget.inc();
  }

  /**
   * CONFIG RESETSTAT: zeroes slotgate's own counters and histograms, like Redis resets its
   * stats. Gauges (connections open, node up) describe the present and are kept, and so are the
   * Node process metrics, which are not statistics of the proxy's work.
   */
  resetStats(): void {
    this.commandsProcessed = 0;
    this.keysAccessedPending = 0;
    for (const counts of this.commandCounts.values()) counts[0] = counts[1] = 0;
    this.backendLatency.reset();
    for (const metric of this.registry.getMetricsAsArray()) {
      const name = (metric as { name?: string }).name ?? '';
      if (name.startsWith('slotgate_process_') || name.startsWith('slotgate_nodejs_')) continue;
      if (metric instanceof client.Counter || metric instanceof client.Histogram || metric instanceof client.Summary) metric.reset();
    }
  }

  private foldCommandCounts(): void {
    for (const [command, counts] of this.commandCounts) {
      if (counts[0] > 0) this.commands.labels(command, 'ok').inc(counts[0]);
      if (counts[1] > 0) this.commands.labels(command, 'error').inc(counts[1]);
      counts[0] = counts[1] = 0;
    }
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

/**
 * The supervising primary's own metrics (`--workers`), served beside the workers' sum: how often
 * a worker died and was replaced. A worker that dies is a crash (slotgate's commands fail one at a
 * time, never the process), so anything above zero is a bug worth a report.
 */
export class PrimaryMetrics {
  readonly registry = new client.Registry();
  readonly workerRestarts = new client.Counter({
    name: 'slotgate_worker_restarts_total',
    help: 'Worker processes that exited unexpectedly and were replaced',
    registers: [this.registry],
  });
}
