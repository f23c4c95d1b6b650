/**
 * Composition root of one slotgate instance: config → logger → metrics → backend pool
 * → topology → client listener and admin HTTP server. `startSlotgate` is what main.ts,
 * the local demo and the integration tests all call.
 */
import { sharedBufferReads } from './io/socket-reader.js';
import { directWrites } from './io/socket-writer.js';
import type http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import tls from 'node:tls';
import type { Logger } from 'pino';
import { warnIfAdminExposed } from './admin/admin-auth.js';
import { adminPort, startAdminServer, type Lifecycle } from './admin/admin-server.js';
import { BackendSecurityState } from './backend/backend-security.js';
import { NodePool } from './backend/node-pool.js';
import { CommandTableRefresh } from './cluster/command-table-refresh.js';
import { TopologyManager } from './cluster/topology-manager.js';
import { topologySourceFor } from './config/topology-source-for.js';
import type { TopologySnapshot } from './cluster/topology-snapshot.js';
import type { SlotgateConfig } from './config/config.js';
import { reloadConfiguration, type ReloadOutcome } from './config/reload.js';
import { buildRuntime } from './config/runtime.js';
import * as errors from './errors/catalogue.js';
import { MonitorHub } from './monitor/monitor-hub.js';
import { isDescriptorExhaustion, watchDescriptors } from './observability/descriptor-watch.js';
import { DEFAULT_LOG_LIMITS, LogLimiter } from './observability/log-limiter.js';
import { createLogger } from './observability/logger.js';
import { Metrics } from './observability/metrics.js';
import { proxyIdentity } from './proxy-view/identity.js';
import { RespError } from './protocol/reply-parser.js';
import type { ProxyContext } from './handlers/proxy-context.js';
import { clientStateCounters } from './handlers/blocking-keys.js';
import { ClientDirectory } from './peers/client-directory.js';
import { ClientIdAllocator, MAX_INSTANCE_NUMBER } from './peers/client-ids.js';
import { pickInstanceNumber, PeerBus } from './peers/peer-bus.js';
import { SessionSet } from './session/local-sessions.js';
import { Session } from './session/session.js';
import { createUpstreamHubs } from './upstream/hubs.js';
import { clientListenerCredentials, clientListenerOptions } from './tls/tls-contexts.js';

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

export interface DrainOutcome {
  /** Sessions that closed before the deadline: every command they sent was answered. */
  readonly drained: number;
  /** Sessions still open at the deadline (blocked, MONITOR, inside MULTI, busy), closed then. */
  readonly cut: number;
}

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
  const logger = options.logger ?? createLogger(config.logLevel);
  const metrics = new Metrics(options.processMetrics ?? true, { hotKeySampling: config.hotKeySampling, slowlog: config.reloadable.slowlog });
  const logLimiter = new LogLimiter(logger, { ...DEFAULT_LOG_LIMITS, onSuppressed: (kind) => metrics.logLinesSuppressed.labels(kind).inc() });
  let topology: TopologyManager | undefined;
  // Credentials and TLS of every backend socket; reload replaces them (new connections).
  const backendSecurity = new BackendSecurityState(config);
  let lastAuthFailure: string | null = null;
  const pool = new NodePool({
    connectionsPerNode: config.backendConnections,
    connectTimeoutMs: config.connectTimeoutMs,
    commandTimeoutMs: config.commandTimeoutMs,
    security: backendSecurity,
    onBroken: (address, failure) => {
      metrics.backendFailures.labels(failure.kind).inc();
      if (failure.kind === 'auth') {
        // A topology refresh cannot help: the operator has to fix the credentials (and reload).
        lastAuthFailure = failure.message;
        metrics.backendAuthFailures.inc();
        logLimiter.log('backend_auth', 'error', { node: address, reason: failure.message }, 'a backend node refused slotgate\'s credentials: check backend-user/backend-password (then reload)');
        return;
      }
      if (failure.kind === 'descriptors') {
        // The node is fine; a topology refresh would not help and could not connect either.
        metrics.descriptorExhaustion.labels('backend').inc();
        logLimiter.log('backend_descriptors', 'error', { node: address, reason: failure.message }, 'out of file descriptors: cannot open a backend connection (raise the open files limit, ulimit -n)');
        return;
      }
      // Clients can cause these (commands that time out), so they are rate-limited too.
      logLimiter.log(`backend_${failure.kind}`, 'warn', { node: address, reason: failure.message }, 'backend connection failed');
      topology?.connectionBroken(address);
    },
    onRequestFault: (address, err) => {
      // The last line of defence: handlers guard their own callbacks (Session.guard).
      metrics.internalErrors.labels('other').inc();
      metrics.countProxyError('internal');
      logLimiter.log('internal_error', 'error', { err, node: address }, 'internal error while handling a backend reply; that command failed');
    },
  });
  topology = new TopologyManager(pool, topologySourceFor(config, pool, logger, (failure) => metrics.backendFailures.labels(failure.kind).inc()), {
    refreshIntervalMs: config.topologyRefreshIntervalMs,
    minRefreshGapMs: 100,
    logger,
    maxHoldMs: config.commandTimeoutMs, logFailure: (fields, message) => logLimiter.log('topology_refresh', 'warn', fields, message),
    onRefresh: (outcome) => {
      metrics.topologyRefreshes.labels(outcome).inc();
      if (outcome === 'unchanged') void commandTable?.check();
    },
  });
  topology.on('change', (snapshot) => publishNodeHealth(metrics, snapshot));
  // The backend's own COMMAND table (process-wide: one slotgate process fronts one backend).
  let commandTable: CommandTableRefresh | undefined;

  // The admin server comes up first, so that an orchestrator sees "starting" (/readyz 503) while
  // slotgate connects to the cluster, rather than a refused connection it cannot tell from a crash.
  let lifecycle: Lifecycle = 'starting';
  let reload: (() => ReloadOutcome) | null = null;
  let admin: http.Server | null = null;
  const sessions = new Set<Session>();
  // Every slotgate's sessions (CLIENT LIST/KILL, /v1/clients); other instances once the bus runs.
  const clients = new ClientDirectory(new SessionSet(sessions));
  const adminListen = options.adminListen !== undefined ? options.adminListen : config.adminPort !== 0 ? { host: config.adminBind, port: config.adminPort } : null;
  try {
    if (adminListen) {
      admin = await startAdminServer(adminListen.host, adminListen.port, {
        metrics,
        topology,
        lifecycle: () => lifecycle,
        reload: () => reload?.() ?? { ok: false, error: 'slotgate is still starting' },
        clients,
        clientAliases: config.clientAliases,
        slowlog: { pool, slowCommands: metrics.slowCommands },
        adminToken: config.adminToken,
      });
      warnIfAdminExposed(logger, adminListen.host, config.adminToken);
    }
    await topology.start();
  } catch (err) {
    topology.stop();
    pool.close();
    await closeAdmin(admin);
    throw startFailure(err as Error, lastAuthFailure, config.backendAuth !== null);
  }
  publishNodeHealth(metrics, topology.current);
  commandTable = new CommandTableRefresh(pool, topology, logger);
  await commandTable.refresh();
  topology.on('change', () => void commandTable!.refresh());

  const { instance, checked } = await pickInstanceNumber(pool, topology, MAX_INSTANCE_NUMBER);
  if (!checked) logger.warn('could not list the live slotgate instances (PUBSUB SHARDCHANNELS on the peer bus); this one took a random instance number unchecked');
  const clientIds = new ClientIdAllocator(instance);
  const context: ProxyContext = {
    config,
    topology,
    pool,
    metrics,
    logger,
    logLimiter,
    redisVersion: await backendRedisVersion(pool, topology.current),
    backendDatabases: topology.kind === 'cluster' ? 1 : await backendDatabases(pool, topology.current),
    nextClientId: () => clientIds.next(),
    identity: proxyIdentity(config, config.port),
    monitors: new MonitorHub(),
    clientCount: () => sessions.size,
    ...clientStateCounters(sessions),
    ...createUpstreamHubs(pool, topology, metrics, logLimiter, config.trackingTableMaxKeys),
    findClient: (id) => [...sessions].find((session) => session.connection.id === id)?.connection,
    runtime: buildRuntime(config.reloadable),
    clients,
    proxyId: `${config.bind}:${config.port}/${instance}`,
  };
  const loadConfig = options.loadConfig;
  /** Set while a drain waits for the last session. */
  let allSessionsClosed: (() => void) | null = null;
  const acceptClient = (socket: net.Socket): void => {
    if (sessions.size >= config.maxClients) {
      metrics.connectionsRejected.inc();
      metrics.connectionsRefused++;
      metrics.countProxyError('max_clients');
      logLimiter.log('max_clients', 'warn', { addr: `${socket.remoteAddress}:${socket.remotePort}`, maxClients: config.maxClients }, 'max number of clients reached; connection refused');
      socket.on('error', () => socket.destroy());
      // Like Redis: the error, then close. end() alone would wait for the client's FIN and hold
      // the descriptor for as long as the client keeps its side open.
      socket.end(errors.MAX_CLIENTS.frame, () => socket.destroy());
      return;
    }
    const session = new Session(socket, context);
    sessions.add(session);
    metrics.connectionsAccepted.inc();
    metrics.connectionsReceived++;
    metrics.connectionsCurrent.set(sessions.size);
    metrics.connectionsUsageRatio.set(sessions.size / config.maxClients);
    session.onClose = () => {
      sessions.delete(session);
      metrics.connectionsCurrent.set(sessions.size);
      metrics.connectionsUsageRatio.set(sessions.size / config.maxClients);
      if (sessions.size === 0) allSessionsClosed?.();
    };
  };
  // With a TLS listener, port 0 turns the plain one off (as in Redis); without one, port 0 is
  // "any free port" (tests, run-local). The plain listener is the same code either way.
  // pauseOnConnect: nothing is read before the session says how (io/socket-reader.ts).
  const plainServer = config.tls && config.port === 0 ? null : net.createServer({ pauseOnConnect: true }, acceptClient);
  const tlsHandshakeFailed = (socket: net.Socket, reason: string | undefined): void => {
    metrics.tlsHandshakeFailures.inc();
    logLimiter.log('tls_handshake', 'warn', { addr: `${socket.remoteAddress}:${socket.remotePort}`, reason }, 'client TLS handshake failed');
  };
  const acceptTlsClient = (socket: tls.TLSSocket): void => {
    // tls-auth-clients optional, as in Redis: no certificate is fine, but one that is sent must be
    // valid (Node would let an untrusted one through with rejectUnauthorized off).
    if (!socket.authorized && Object.keys(socket.getPeerCertificate()).length > 0) {
      tlsHandshakeFailed(socket, String(socket.authorizationError));
      socket.destroy();
      return;
    }
    acceptClient(socket);
  };
  const tlsServer = config.tls ? tls.createServer(clientListenerOptions(config.tls, clientListenerCredentials(config.tls)), acceptTlsClient) : null;
  tlsServer?.on('tlsClientError', (err: NodeJS.ErrnoException, socket) => tlsHandshakeFailed(socket, err.code ?? err.message));
  const servers = [plainServer, tlsServer].filter((s): s is net.Server => s !== null);
  try {
    const reuse = options.reusePorts ?? null;
    if (plainServer) await listen(plainServer, reuse ? reuse.port : config.port, config.bind, reuse !== null);
    if (tlsServer) await listen(tlsServer, reuse ? reuse.tlsPort : config.tls!.port, config.bind, reuse !== null);
  } catch (err) {
    for (const s of servers) s.close();
    topology.stop();
    pool.close();
    await closeAdmin(admin);
    throw err;
  }

  // Certificate files and the backend secret are read before anything is applied, so a reload
  // that cannot read a file is rejected whole. Turning TLS on or off needs a restart (reload.ts).
  const prepareConnections = (next: SlotgateConfig): (() => void) => {
    const applyBackend = backendSecurity.prepareUpdate({
      backendAuth: next.backendAuth,
      // Backend TLS stays on or off as started (the topology's port choice depends on it).
      backendTls: config.backendTls ? (next.backendTls ?? config.backendTls) : null,
    });
    const listenerCredentials = tlsServer && next.tls ? clientListenerCredentials(next.tls) : null;
    return () => {
      applyBackend();
      if (listenerCredentials) tlsServer!.setSecureContext(clientListenerOptions(config.tls!, listenerCredentials));
    };
  };
  const reloadNow = (): ReloadOutcome =>
    loadConfig ? reloadConfiguration(context, loadConfig, prepareConnections) : { ok: false, error: 'this slotgate was started without a configuration source to reload' };
  reload = reloadNow;
  // Out of descriptors, accept() fails and libuv closes the waiting connections, mostly without a
  // word to Node: the watch notices, and an 'error' the server does get (a failed accept; it
  // keeps listening) is logged rather than left to crash the process.
  const acceptDropping = (code: string | undefined): void => {
    metrics.descriptorExhaustion.labels('accept').inc();
    logLimiter.log('accept_descriptors', 'error', { code, clients: sessions.size }, 'out of file descriptors: new client connections are being dropped (raise the open files limit, ulimit -n)');
  };
  const stopDescriptorWatch = watchDescriptors(acceptDropping);
  // INFO's instantaneous_ops_per_sec, sampled as Redis's serverCron does (observability/ops-rate.ts).
  const opsSampler = setInterval(() => metrics.opsRate.sample(metrics.commandsProcessed, Date.now()), 100);
  opsSampler.unref();
  for (const server of servers) {
    server.on('error', (err: NodeJS.ErrnoException) => {
      if (isDescriptorExhaustion(err)) acceptDropping(err.code);
      else logLimiter.log('accept_error', 'error', { code: err.code, err: err.message }, 'accepting a client connection failed');
    });
  }
  const port = plainServer ? (plainServer.address() as AddressInfo).port : 0;
  const tlsPort = tlsServer ? (tlsServer.address() as AddressInfo).port : 0;
  // With --port 0 the port is known only now; the start time stays the first one. Cluster-aware
  // clients are told the plain port, or the TLS port when that is the only one.
  context.identity = proxyIdentity(config, port || tlsPort, context.identity.startedAt);
  context.proxyId = `${context.identity.host}:${context.identity.port}/${instance}`;
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
  clients.attach(bus);

  lifecycle = 'ready';
  logger.info(
    { port, tlsPort, bind: config.bind, adminPort: admin ? adminPort(admin) : 0, shards: topology.current.shards.length, io: { sharedBufferReads, directWrites } },
    'slotgate listening',
  );

  let closed = false;
  let drained: Promise<DrainOutcome> | null = null;
  const drain = async (timeoutMs: number): Promise<DrainOutcome> => {
    lifecycle = 'draining';
    for (const server of servers) server.close(); // no new clients; the open connections stay
    const total = sessions.size;
    logger.info({ sessions: total, shutdownTimeoutMs: timeoutMs }, 'draining: no new connections; open ones close once their commands are answered');
    if (total > 0) {
      const allClosed = new Promise<void>((resolve) => (allSessionsClosed = resolve));
      for (const session of [...sessions]) session.drain();
      let deadline: NodeJS.Timeout | undefined;
      await Promise.race([allClosed, new Promise<void>((resolve) => (deadline = setTimeout(resolve, timeoutMs)))]);
      clearTimeout(deadline);
    }
    const cut = sessions.size;
    for (const session of [...sessions]) session.close('shutdown');
    const outcome = { drained: total - cut, cut };
    bus.stop();
    logger.info(outcome, cut > 0 ? 'drain finished: sessions still busy at shutdown-timeout were cut' : 'drain finished: every session closed cleanly');
    return outcome;
  };
  return {
    host: config.bind,
    port,
    tlsPort,
    adminPort: admin ? adminPort(admin) : 0,
    context,
    sessions,
    reload: reloadNow,
    drain(timeoutMs) {
      drained ??= drain(timeoutMs);
      return drained;
    },
    async close() {
      if (closed) return;
      closed = true;
      stopDescriptorWatch();
      bus.stop();
      clearInterval(opsSampler);
      const serverClosed = Promise.all(servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
      for (const session of [...sessions]) session.close('shutdown');
      context.pubsub.close();
      context.tracking.close();
      topology!.stop();
      pool.close();
      await closeAdmin(admin);
      await serverClosed;
      logLimiter.close();
      logger.info('slotgate stopped');
    },
  };
}

async function closeAdmin(admin: http.Server | null): Promise<void> {
  if (!admin) return;
  admin.closeAllConnections();
  await new Promise<void>((resolve) => admin.close(() => resolve()));
}

function listen(server: net.Server, port: number, host: string, reusePort: boolean): Promise<void> {
  // `reusePort` is in Node 22.12+/23.1+ only (and not in @types/node 20); `exclusive` keeps
  // node:cluster from routing the listen through the primary.
  const options = reusePort ? ({ port, host, exclusive: true, reusePort: true } as net.ListenOptions) : { port, host };
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/**
 * A start-up failure in words the operator can act on. Refused credentials and a missing password
 * are named as such (the node's own message, which never contains the password, is kept).
 */
function startFailure(err: Error, authFailure: string | null, haveCredentials: boolean): Error {
  if (authFailure) return new Error(`${authFailure}: check backend-user and backend-password`);
  if (!haveCredentials && /NOAUTH/.test(err.message)) {
    return new Error(`the backend nodes require a password (NOAUTH): set backend-password (config file or SLOTGATE_BACKEND_PASSWORD), and backend-user for an ACL user`);
  }
  return err;
}

function publishNodeHealth(metrics: Metrics, snapshot: TopologySnapshot): void {
  metrics.backendNodeUp.reset();
  for (const node of snapshot.allNodes()) {
    metrics.backendNodeUp.labels(node.id || node.address, node.address, node.role).set(node.health === 'online' ? 1 : 0);
  }
}

/**
 * How many databases a standalone master has (`databases`), so SELECT can be checked as Redis
 * checks it. CONFIG may be renamed or refused to slotgate's user: then Redis's default, 16.
 */
async function backendDatabases(pool: NodePool, snapshot: TopologySnapshot): Promise<number> {
  const master = snapshot.shards[0]?.master;
  if (!master) return DEFAULT_DATABASES;
  try {
    const reply = await pool.execute(master.address, ['CONFIG', 'GET', 'databases']);
    const count = Array.isArray(reply) && reply.length === 2 ? Number(String(reply[1])) : NaN;
    return Number.isInteger(count) && count > 0 ? count : DEFAULT_DATABASES;
  } catch {
    return DEFAULT_DATABASES;
  }
}

const DEFAULT_DATABASES = 16;

/** HELLO reports the backend's version, so clients that adapt to the server's version see the real one. */
async function backendRedisVersion(pool: NodePool, snapshot: TopologySnapshot): Promise<string> {
  const master = snapshot.shards[0]?.master;
  if (!master) return '7.0.0';
  try {
    const reply = await pool.execute(master.address, ['INFO', 'server']);
    if (reply instanceof RespError || !Buffer.isBuffer(reply)) return '7.0.0';
    return /redis_version:([^\r\n]+)/.exec(reply.toString('utf8'))?.[1] ?? '7.0.0';
  } catch {
    return '7.0.0';
  }
}
