/**
 * Composition root of one slotgate instance: config → logger → metrics → backend pool
 * → topology → client listener and admin HTTP server. `startSlotgate` is what main.ts,
 * the local demo and the integration tests all call.
 */
import type http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { warnIfAdminExposed } from './admin/admin-auth.js';
import { adminPort, startAdminServer } from './admin/admin-server.js';
import { NodePool } from './backend/node-pool.js';
import { TopologyManager } from './cluster/topology-manager.js';
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
import type { ProxyContext } from './session/context.js';
import { Session } from './session/session.js';

export interface SlotgateHandle {
  readonly host: string;
  readonly port: number;
  /** 0 when the admin server is off. */
  readonly adminPort: number;
  readonly context: ProxyContext;
  readonly sessions: ReadonlySet<Session>;
  /** Re-reads the configuration and applies its reloadable part (what SIGHUP and POST /v1/reload do). */
  reload(): ReloadOutcome;
  close(): Promise<void>;
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
  const metrics = new Metrics(options.processMetrics ?? true, { hotKeySampling: config.hotKeySampling });
  const logLimiter = new LogLimiter(logger, { ...DEFAULT_LOG_LIMITS, onSuppressed: (kind) => metrics.logLinesSuppressed.labels(kind).inc() });
  let topology: TopologyManager | undefined;
  const pool = new NodePool({
    connectionsPerNode: config.backendConnections,
    connectTimeoutMs: config.connectTimeoutMs,
    commandTimeoutMs: config.commandTimeoutMs,
    onBroken: (address, failure) => {
      metrics.backendFailures.labels(failure.kind).inc();
      if (failure.kind === 'descriptors') {
        // The node is fine; a topology refresh would not help and could not connect either.
        metrics.descriptorExhaustion.labels('backend').inc();
        logLimiter.log('backend_descriptors', 'error', { node: address, reason: failure.message }, 'out of file descriptors: cannot open a backend connection (raise the open files limit, ulimit -n)');
        return;
      }
      // Clients can cause these (commands that time out), so they are rate-limited too.
      logLimiter.log('backend_failure', 'warn', { node: address, reason: failure.message }, 'backend connection failed');
      topology?.requestRefresh('backend connection failure');
    },
    onRequestFault: (address, err) => {
      // The last line of defence: handlers guard their own callbacks (Session.guard).
      metrics.internalErrors.labels('other').inc();
      metrics.countProxyError('internal');
      logLimiter.log('internal_error', 'error', { err, node: address }, 'internal error while handling a backend reply; that command failed');
    },
  });
  topology = new TopologyManager(pool, {
    seeds: config.cluster,
    refreshIntervalMs: config.topologyRefreshIntervalMs,
    minRefreshGapMs: 100,
    logger,
    onRefresh: (outcome) => metrics.topologyRefreshes.labels(outcome).inc(),
  });
  topology.on('change', (snapshot) => publishNodeHealth(metrics, snapshot));
  try {
    await topology.start();
  } catch (err) {
    topology.stop();
    pool.close();
    throw err;
  }
  publishNodeHealth(metrics, topology.current);

  let clientIds = 0;
  const context: ProxyContext = {
    config,
    topology,
    pool,
    metrics,
    logger,
    logLimiter,
    redisVersion: await backendRedisVersion(pool, topology.current),
    nextClientId: () => ++clientIds,
    identity: proxyIdentity(config, config.port),
    monitors: new MonitorHub(),
    clientCount: () => sessions.size,
    runtime: buildRuntime(config.reloadable),
  };
  const loadConfig = options.loadConfig;
  const reload = (): ReloadOutcome =>
    loadConfig ? reloadConfiguration(context, loadConfig) : { ok: false, error: 'this slotgate was started without a configuration source to reload' };

  const sessions = new Set<Session>();
  const server = net.createServer((socket) => {
    if (sessions.size >= config.maxClients) {
      metrics.connectionsRejected.inc();
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
    metrics.connectionsCurrent.set(sessions.size);
    metrics.connectionsUsageRatio.set(sessions.size / config.maxClients);
    session.onClose = () => {
      sessions.delete(session);
      metrics.connectionsCurrent.set(sessions.size);
      metrics.connectionsUsageRatio.set(sessions.size / config.maxClients);
    };
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.bind, () => {
      server.off('error', reject);
      resolve();
    });
  });
  // Out of descriptors, accept() fails and libuv closes the waiting connections, mostly without a
  // word to Node: the watch notices, and an 'error' the server does get (a failed accept; it
  // keeps listening) is logged rather than left to crash the process.
  const acceptDropping = (code: string | undefined): void => {
    metrics.descriptorExhaustion.labels('accept').inc();
    logLimiter.log('accept_descriptors', 'error', { code, clients: sessions.size }, 'out of file descriptors: new client connections are being dropped (raise the open files limit, ulimit -n)');
  };
  const stopDescriptorWatch = watchDescriptors(acceptDropping);
  server.on('error', (err: NodeJS.ErrnoException) => {
    if (isDescriptorExhaustion(err)) acceptDropping(err.code);
    else logLimiter.log('accept_error', 'error', { code: err.code, err: err.message }, 'accepting a client connection failed');
  });
  const port = (server.address() as AddressInfo).port;
  // With --port 0 the port is known only now; the start time stays the first one.
  context.identity = proxyIdentity(config, port, context.identity.startedAt);

  let admin: http.Server | null = null;
  const adminListen = options.adminListen !== undefined ? options.adminListen : config.adminPort !== 0 ? { host: config.adminBind, port: config.adminPort } : null;
  if (adminListen) admin = await startAdminServer(adminListen.host, adminListen.port, { metrics, topology, reload, adminToken: config.adminToken });
  if (adminListen) warnIfAdminExposed(logger, adminListen.host, config.adminToken);
  logger.info(
    { port, bind: config.bind, adminPort: admin ? adminPort(admin) : 0, shards: topology.current.shards.length },
    'slotgate listening',
  );

  let closed = false;
  return {
    host: config.bind,
    port,
    adminPort: admin ? adminPort(admin) : 0,
    context,
    sessions,
    reload,
    async close() {
      if (closed) return;
      closed = true;
      stopDescriptorWatch();
      const serverClosed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const session of [...sessions]) session.destroy();
      topology!.stop();
      pool.close();
      if (admin) {
        admin.closeAllConnections();
        await new Promise<void>((resolve) => admin!.close(() => resolve()));
      }
      await serverClosed;
      logLimiter.close();
      logger.info('slotgate stopped');
    },
  };
}

function publishNodeHealth(metrics: Metrics, snapshot: TopologySnapshot): void {
  metrics.backendNodeUp.reset();
  for (const node of snapshot.allNodes()) {
    metrics.backendNodeUp.labels(node.id || node.address, node.address, node.role).set(node.health === 'online' ? 1 : 0);
  }
}

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
