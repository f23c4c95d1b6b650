/**
 * Composition root of one slotgate instance: config → logger → metrics → backend pool
 * → topology → client listener and admin HTTP server. `startSlotgate` is what main.ts,
 * the local demo and the integration tests all call.
 */
import type http from 'node:http';
import type { Logger } from 'pino';
import { warnIfAdminExposed } from './admin/admin-auth.js';
import { adminPort, startAdminServer, type Lifecycle } from './admin/admin-server.js';
import { CommandTableRefresh } from './cluster/command-table-refresh.js';
import type { TopologyManager } from './cluster/topology-manager.js';
import type { SlotgateConfig } from './config/config.js';
import { checkDisabledCommands, reloadConfiguration, type ReloadOutcome } from './config/reload.js';
import { CommandCatalog } from './commands/command-table.js';
import { buildRuntime } from './config/runtime.js';
import { clientStateCounters } from './handlers/blocking-keys.js';
import type { ProxyContext } from './handlers/proxy-context.js';
import { withCommandRegistry } from './handlers/registry.js';
import { sharedBufferReads } from './io/socket-reader.js';
import { directWrites } from './io/socket-writer.js';
import { MonitorHub } from './monitor/monitor-hub.js';
import { DEFAULT_LOG_LIMITS, LogLimiter } from './observability/log-limiter.js';
import { createLogger } from './observability/logger.js';
import { Metrics } from './observability/metrics.js';
import { ClientDirectory } from './peers/client-directory.js';
import { ClientIdAllocator, MAX_INSTANCE_NUMBER } from './peers/client-ids.js';
import { pickInstanceNumber, PeerBus } from './peers/peer-bus.js';
import { proxyIdentity, type ProxyIdentity } from './proxy-view/identity.js';
import { SessionSet } from './session/local-sessions.js';
import type { Session } from './session/session.js';
import { backendDatabases, backendRedisVersion, createBackend, discoverTopology, type Backend, type Observability } from './startup/backend.js';
import { ClientAcceptor, type DrainOutcome } from './startup/client-acceptor.js';
import { Closers } from './startup/closers.js';
import { openListeners, type Listeners } from './startup/listeners.js';
import { createUpstreamHubs } from './upstream/hubs.js';
import type { NodePool } from './backend/node-pool.js';
import { nodeAccess } from './backend/node-access.js';

export interface SlotgateHandle {
  readonly host: string;
  /** The plain client port; 0 when it is off (tls-port set and port 0). */
  readonly port: number;
  /** The TLS client port; 0 when there is no TLS listener. */
  readonly tlsPort: number;
  /** 0 when the admin server is off. */
  readonly adminPort: number;
  readonly context: ProxyContext;
  readonly sessions: ReadonlySet<Session>;
  /** Re-reads the configuration and applies its reloadable part (what SIGHUP and POST /v1/reload do). */
  reload(): ReloadOutcome;
  /**
   * Graceful shutdown, first half (SIGTERM/SIGINT): /healthz and /readyz turn 503 "draining", the
   * client listener stops accepting, each session closes once its client owes nothing
   * (Session.drain), and whatever is still open after `timeoutMs` is cut. Call close() after it.
   */
  drain(timeoutMs: number): Promise<DrainOutcome>;
  close(): Promise<void>;
}

export type { DrainOutcome } from './startup/client-acceptor.js';

export interface StartOptions {
  logger?: Logger;
  /** Collect Node process metrics (off in tests that start many instances). */
  processMetrics?: boolean;
  /**
   * How to resolve the configuration again on reload: main.ts re-runs resolveConfig with the
   * flags and env it started with, so the file is re-read. Without it, reload is refused.
   */
  loadConfig?: () => SlotgateConfig;
  /**
   * Where the admin HTTP server listens instead of admin-bind/admin-port; null = no admin
   * server. Worker processes use it: the primary owns the public admin port (src/process/workers.ts).
   */
  adminListen?: { host: string; port: number } | null;
  /**
   * A worker of a primary that lets the kernel balance connections (process/reuse-port.ts): bind
   * these ports with SO_REUSEPORT, each worker a socket of its own.
   */
  reusePorts?: { port: number; tlsPort: number } | null;
}

/**
 * Node carves small Buffers out of a shared pool and gives anything from poolSize/2 bytes up an
 * allocation of its own. Merged fan-out replies (a 100-key MGET of 64-byte values is ~7 KB) and
 * per-node part batches are above the default 4 KB threshold; a 64 KB pool keeps them pooled,
 * which measurably cuts allocation and GC work on the MGET path (bench/mget.bench.mjs).
 */
const BUFFER_POOL_SIZE = 64 * 1024;

export async function startSlotgate(config: SlotgateConfig, options: StartOptions = {}): Promise<SlotgateHandle> {
  if (Buffer.poolSize < BUFFER_POOL_SIZE) Buffer.poolSize = BUFFER_POOL_SIZE;
  const closers = new Closers();
  // The instance's own command table: the fallback until the backend's COMMAND reply is read.
  const commands = new CommandCatalog();
  const obs = observability(config, options, closers, commands);
  try {
    return await startSteps(config, options, { ...obs, commands }, closers);
  } catch (err) {
    // Only what was started is undone, newest first (each step registered its own undo).
    await closers.closeAll();
    throw err;
  }
}

/** Logger, metrics and the log rate limit: what every later step reports through. */
function observability(config: SlotgateConfig, options: StartOptions, closers: Closers, commands: CommandCatalog): Observability {
  const logger = options.logger ?? createLogger(config.logLevel);
  const metrics = new Metrics(options.processMetrics ?? true, { hotKeySampling: config.hotKeySampling, commands, slowlog: config.reloadable.slowlog });
  const logLimiter = new LogLimiter(logger, { ...DEFAULT_LOG_LIMITS, onSuppressed: (kind) => metrics.logLinesSuppressed.labels(kind).inc() });
  closers.add('log limiter', () => logLimiter.close());
  // INFO's instantaneous_ops_per_sec, sampled as Redis's serverCron does (observability/ops-rate.ts).
  const opsSampler = setInterval(() => metrics.opsRate.sample(metrics.commandsProcessed, Date.now()), 100);
  opsSampler.unref();
  closers.add('ops sampler', () => clearInterval(opsSampler));
  return { logger, metrics, logLimiter };
}

/**
 * Start-up, as named steps in order, each registering its undo: the admin server first (so an
 * orchestrator sees "starting" rather than a refused connection while slotgate connects), the
 * backend and its topology, the command table, the listeners, then the proxy's context — made
 * once, with the ports the listeners ended up on — and the peer bus that announces it.
 */
async function startSteps(config: SlotgateConfig, options: StartOptions, obs: Observability & { commands: CommandCatalog }, closers: Closers): Promise<SlotgateHandle> {
  const { logger, metrics, logLimiter, commands } = obs;
  let commandTable: CommandTableRefresh | null = null;
  const backend = createBackend(config, obs, () => void commandTable?.check());
  const { pool, topology } = backend;
  closers.add('backend pool', () => pool.close());
  closers.add('topology', () => topology.stop());
  const acceptor = new ClientAcceptor(config, metrics, logLimiter);
  // Every slotgate's sessions (CLIENT LIST/KILL, /v1/clients); other instances once the bus runs.
  const clients = new ClientDirectory(new SessionSet(acceptor.sessions));
  const state: { lifecycle: Lifecycle; reload: (() => ReloadOutcome) | null } = { lifecycle: 'starting', reload: null };
  const admin = await startAdmin(config, options, obs, { topology, pool, clients, state });
  closers.add('admin server', () => closeAdmin(admin));

  await discoverTopology(backend, config, metrics);
  commandTable = new CommandTableRefresh(pool, topology, logger, commands);
  await commandTable.refresh();
  // disable-command-list against the backend's own table, as every reload checks it.
  checkDisabledCommands(commands, config);
  topology.on('change', () => void commandTable!.refresh());
  const { instance, checked } = await pickInstanceNumber(pool, topology, MAX_INSTANCE_NUMBER);
  if (!checked) logger.warn('could not list the live slotgate instances (PUBSUB SHARDCHANNELS on the peer bus); this one took a random instance number unchecked');
  const redisVersion = await backendRedisVersion(pool, topology.current);
  const backendDatabaseCount = topology.kind === 'cluster' ? 1 : await backendDatabases(pool, topology.current);

  const listeners = await openListeners(config, acceptor.accept, metrics, logLimiter, () => acceptor.sessions.size, { reusePorts: options.reusePorts ?? null });
  closers.add('listeners', () => listeners.close());
  // Closed before the listeners' close is awaited: a server closes once its connections have.
  closers.add('sessions', () => acceptor.closeAll());
  // Cluster-aware clients are told the plain port, or the TLS port when that is the only one.
  const identity = proxyIdentity(config, listeners.port || listeners.tlsPort);
  const context = proxyContext(config, obs, backend, { commands, identity, instance, redisVersion, backendDatabaseCount, clients, sessions: acceptor.sessions });
  closers.add('pub/sub hub', () => context.pubsub.close());
  closers.add('tracking hub', () => context.tracking.close());
  acceptor.open(context);
  const reload = reloader(config, options, context, backend, listeners);
  state.reload = reload;
  // The other slotgate instances (and workers) in front of the cluster, through the cluster itself.
  const bus = new PeerBus({
    proxyId: context.proxyId,
    pool,
    topology,
    logger,
    logLimiter,
    secret: config.peerSecret,
    onDropped: (reason) => metrics.peerBusMessagesDropped.labels(reason).inc(),
    answer: (body) => clients.answer(body),
  });
  await bus.start();
  closers.add('peer bus', () => bus.stop());
  clients.attach(bus);

  state.lifecycle = 'ready';
  const { port, tlsPort } = listeners;
  logger.info(
    { port, tlsPort, bind: config.bind, adminPort: admin ? adminPort(admin) : 0, shards: topology.current.shards.length, io: { sharedBufferReads, directWrites } },
    'slotgate listening',
  );
  return handle(config, { context, acceptor, listeners, bus, closers, state, admin, reload, logger });
}

async function startAdmin(
  config: SlotgateConfig,
  options: StartOptions,
  { logger, metrics }: Observability,
  parts: { topology: TopologyManager; pool: NodePool; clients: ClientDirectory; state: { lifecycle: Lifecycle; reload: (() => ReloadOutcome) | null } },
): Promise<http.Server | null> {
  const listenAt = options.adminListen !== undefined ? options.adminListen : config.adminPort !== 0 ? { host: config.adminBind, port: config.adminPort } : null;
  if (!listenAt) return null;
  const admin = await startAdminServer(listenAt.host, listenAt.port, {
    metrics,
    topology: parts.topology,
    lifecycle: () => parts.state.lifecycle,
    reload: () => parts.state.reload?.() ?? { ok: false, error: 'slotgate is still starting' },
    clients: parts.clients,
    clientAliases: config.clientAliases,
    slowlog: { pool: parts.pool, slowCommands: metrics.slowCommands },
    adminToken: config.adminToken,
  });
  warnIfAdminExposed(logger, listenAt.host, config.adminToken);
  return admin;
}

function proxyContext(
  config: SlotgateConfig,
  { logger, metrics, logLimiter }: Observability,
  { pool, topology }: Backend,
  facts: { commands: CommandCatalog; identity: ProxyIdentity; instance: number; redisVersion: string; backendDatabaseCount: number; clients: ClientDirectory; sessions: ReadonlySet<Session> },
): ProxyContext {
  const clientIds = new ClientIdAllocator(facts.instance);
  const sessions = facts.sessions;
  return withCommandRegistry<Omit<ProxyContext, 'handlers'>>({
    config,
    topology,
    pool,
    nodes: nodeAccess(pool),
    commands: facts.commands,
    metrics,
    logger,
    logLimiter,
    redisVersion: facts.redisVersion,
    backendDatabases: facts.backendDatabaseCount,
    nextClientId: () => clientIds.next(),
    identity: facts.identity,
    monitors: new MonitorHub(facts.commands),
    clientCount: () => sessions.size,
    ...clientStateCounters(sessions),
    ...createUpstreamHubs(pool, topology, metrics, logLimiter, config.trackingTableMaxKeys),
    findClient: (id) => [...sessions].find((session) => session.connection.id === id)?.connection,
    runtime: buildRuntime(config.reloadable),
    clients: facts.clients,
    proxyId: `${facts.identity.host}:${facts.identity.port}/${facts.instance}`,
  });
}

/**
 * SIGHUP and POST /v1/reload. Certificate files and the backend secret are read before anything
 * is applied, so a reload that cannot read a file is rejected whole. Turning TLS on or off needs
 * a restart (config/reload.ts).
 */
function reloader(config: SlotgateConfig, options: StartOptions, context: ProxyContext, backend: Backend, listeners: Listeners): () => ReloadOutcome {
  const loadConfig = options.loadConfig;
  if (!loadConfig) return () => ({ ok: false, error: 'this slotgate was started without a configuration source to reload' });
  const prepareConnections = (next: SlotgateConfig): (() => void) => {
    const applyBackend = backend.security.prepareUpdate({
      backendAuth: next.backendAuth,
      // Backend TLS stays on or off as started (the topology's port choice depends on it).
      backendTls: config.backendTls ? (next.backendTls ?? config.backendTls) : null,
    });
    const applyListener = listeners.prepareCredentials(next);
    return () => {
      applyBackend();
      applyListener();
    };
  };
  return () => reloadConfiguration(context, loadConfig, prepareConnections);
}

/** The running instance as its owner sees it: drain, then close (every undo, newest first). */
function handle(
  config: SlotgateConfig,
  parts: {
    context: ProxyContext;
    acceptor: ClientAcceptor;
    listeners: Listeners;
    bus: PeerBus;
    closers: Closers;
    state: { lifecycle: Lifecycle };
    admin: http.Server | null;
    reload: () => ReloadOutcome;
    logger: Logger;
  },
): SlotgateHandle {
  const { acceptor, listeners, logger } = parts;
  let drained: Promise<DrainOutcome> | null = null;
  const drain = async (timeoutMs: number): Promise<DrainOutcome> => {
    parts.state.lifecycle = 'draining';
    listeners.stopAccepting(); // no new clients; the open connections stay
    logger.info({ sessions: acceptor.sessions.size, shutdownTimeoutMs: timeoutMs }, 'draining: no new connections; open ones close once their commands are answered');
    const outcome = await acceptor.drain(timeoutMs);
    parts.bus.stop();
    logger.info(outcome, outcome.cut > 0 ? 'drain finished: sessions still busy at shutdown-timeout were cut' : 'drain finished: every session closed cleanly');
    return outcome;
  };
  return {
    host: config.bind,
    port: listeners.port,
    tlsPort: listeners.tlsPort,
    adminPort: parts.admin ? adminPort(parts.admin) : 0,
    context: parts.context,
    sessions: acceptor.sessions,
    reload: parts.reload,
    drain(timeoutMs) {
      drained ??= drain(timeoutMs);
      return drained;
    },
    async close() {
      await parts.closers.closeAll((name, err) => logger.error({ err, step: name }, 'closing a part of slotgate failed'));
      logger.info('slotgate stopped');
    },
  };
}

async function closeAdmin(admin: http.Server | null): Promise<void> {
  if (!admin) return;
  admin.closeAllConnections();
  await new Promise<void>((resolve) => admin.close(() => resolve()));
}
