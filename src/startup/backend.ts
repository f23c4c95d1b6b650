/**
 * Start-up steps for the backend: the pool of node connections (and what slotgate does when one
 * breaks), the topology it follows, and the facts about the backend the proxy answers with.
 */
import type { Logger } from 'pino';
import { BackendSecurityState } from '../backend/backend-security.js';
import { NodePool } from '../backend/node-pool.js';
import { TopologyManager } from '../cluster/topology-manager.js';
import type { TopologySnapshot } from '../cluster/topology-snapshot.js';
import type { SlotgateConfig } from '../config/config.js';
import { topologySourceFor } from '../config/topology-source-for.js';
import type { LogLimiter } from '../observability/log-limiter.js';
import type { Metrics } from '../observability/metrics.js';
import { RespError } from '../protocol/reply-parser.js';

export interface Observability {
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly logLimiter: LogLimiter;
}

export interface Backend {
  readonly pool: NodePool;
  readonly topology: TopologyManager;
  /** Credentials and TLS of every backend socket; a reload replaces them (new connections). */
  readonly security: BackendSecurityState;
  /** The node's words when it refused slotgate's credentials last (start-up errors name it). */
  readonly lastAuthFailure: () => string | null;
}

/** The pool and the topology manager, not started yet. `onUnchangedRefresh`: a refresh found nothing new. */
export function createBackend(config: SlotgateConfig, { logger, metrics, logLimiter }: Observability, onUnchangedRefresh: () => void): Backend {
  const security = new BackendSecurityState(config);
  let lastAuthFailure: string | null = null;
  let topology: TopologyManager | null = null;
  const pool = new NodePool({
    connectionsPerNode: config.backendConnections,
    connectTimeoutMs: config.connectTimeoutMs,
    commandTimeoutMs: config.commandTimeoutMs,
    security,
    onBroken: (address, failure) => {
      metrics.backend.connectionFailures.labels(failure.kind).inc();
      if (failure.kind === 'auth') {
        // A topology refresh cannot help: the operator has to fix the credentials (and reload).
        lastAuthFailure = failure.message;
        metrics.backend.authFailures.inc();
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
      // The last line of defence: handlers guard their own callbacks (Call.guard).
      metrics.internalErrors.labels('other').inc();
      metrics.countProxyError('internal');
      logLimiter.log('internal_error', 'error', { err, node: address }, 'internal error while handling a backend reply; that command failed');
    },
  });
  topology = new TopologyManager(pool, topologySourceFor(config, pool, logger, (failure) => metrics.backend.connectionFailures.labels(failure.kind).inc()), {
    refreshIntervalMs: config.topologyRefreshIntervalMs,
    minRefreshGapMs: 100,
    logger,
    maxHoldMs: config.commandTimeoutMs,
    logFailure: (fields, message) => logLimiter.log('topology_refresh', 'warn', fields, message),
    onHoldEnded: (how, parked) => {
      metrics.backend.failoverHolds.labels(how).inc();
      metrics.backend.failoverHeldCommands.inc(parked);
    },
    onRefresh: (outcome) => {
      metrics.backend.topologyRefreshes.labels(outcome).inc();
      if (outcome === 'unchanged') onUnchangedRefresh();
    },
  });
  topology.on('change', (snapshot) => publishNodeHealth(metrics, snapshot));
  return { pool, topology, security, lastAuthFailure: () => lastAuthFailure };
}

/** The first discovery; a failure in words the operator can act on. */
export async function discoverTopology(backend: Backend, config: SlotgateConfig, metrics: Metrics): Promise<void> {
  try {
    await backend.topology.start();
  } catch (err) {
    throw startFailure(err as Error, backend.lastAuthFailure(), config.backendAuth !== null);
  }
  publishNodeHealth(metrics, backend.topology.current);
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
  metrics.backend.nodeUp.reset();
  for (const node of snapshot.allNodes()) {
    metrics.backend.nodeUp.labels(node.id || node.address, node.address, node.role).set(node.health === 'online' ? 1 : 0);
  }
}

const DEFAULT_DATABASES = 16;

/**
 * How many databases a standalone master has (`databases`), so SELECT can be checked as Redis
 * checks it. CONFIG may be renamed or refused to slotgate's user: then Redis's default, 16.
 */
export async function backendDatabases(pool: NodePool, snapshot: TopologySnapshot): Promise<number> {
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

/** HELLO reports the backend's version, so clients that adapt to the server's version see the real one. */
export async function backendRedisVersion(pool: NodePool, snapshot: TopologySnapshot): Promise<string> {
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
