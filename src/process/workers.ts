/**
 * `--workers N`: one slotgate per core, sharing the client port (README: *Running it against your cluster*).
 *
 * The primary process runs no proxy. It forks N workers (node:cluster), which all listen
 * on the client port (the primary hands each new connection to one of them) and share
 * nothing else: each has its own backend connections and topology, exactly like
 * separate slotgate hosts behind a load balancer. The primary owns the public admin port
 * (primary-admin.ts: metrics and stats added up, reload of all, the rest from the lead worker),
 * reloads every worker on SIGHUP (worker-queries.ts), replaces a worker that dies, and on
 * SIGTERM/SIGINT lets every worker drain before it exits.
 */
import cluster, { type Worker } from 'node:cluster';
import type { Logger } from 'pino';
import client from 'prom-client';
import type { SlotgateConfig } from '../config/config.js';
import type { StatsSnapshot } from '../observability/command-stats.js';
import { PrimaryMetrics } from '../observability/primary-metrics.js';
import { mergeSnapshots } from '../observability/stats-merge.js';
import type { ReloadOutcome } from '../config/reload.js';
import type { SlotgateHandle } from '../server.js';
import { startPrimaryAdmin } from './primary-admin.js';
import { choosePorts, kernelBalancesWorkers, workerPortsEnv } from './reuse-port.js';
import { WorkerQueries, type PrimaryMessage } from './worker-queries.js';

type WorkerMessage =
  | { type: 'slotgate:admin-port'; port: number }
  | { type: 'slotgate:listening' }
  | { type: 'slotgate:reload-result'; id: number; outcome: ReloadOutcome }
  | { type: 'slotgate:stats-result'; id: number; snapshot: StatsSnapshot };

const WORKER_INDEX_ENV = 'SLOTGATE_WORKER_INDEX';
const RESTART_DELAY_MS = 1000;
/** How long after shutdown-timeout a worker may take to exit before the primary kills it. */
const WORKER_EXIT_GRACE_MS = 5000;
/** How long the primary waits for the workers' stats; a worker that has not answered by then is left out. */
const STATS_TIMEOUT_MS = 2000;

export function isWorkerProcess(): boolean {
  return cluster.isWorker;
}

/** In a worker: the lead (index 0) gets a private admin server on loopback. */
export function workerAdminListen(): { host: string; port: number } | null {
  return process.env[WORKER_INDEX_ENV] === '0' ? { host: '127.0.0.1', port: 0 } : null;
}

/**
 * In a worker, first thing: answer the primary's metric requests (with nothing until the proxy
 * runs), so that a worker still connecting to the cluster does not hold the primary's /metrics
 * until prom-client's 5 s timeout. A request sent before the worker has loaded at all still
 * waits that long: /metrics fails for one scrape right after a worker is replaced.
 */
export function prepareWorkerMetrics(): void {
  client.AggregatorRegistry.setRegistries([new client.Registry()]);
  // Constructing one is what makes prom-client answer the primary's metric requests in a worker.
  new client.AggregatorRegistry();
}

/** In a worker, once its proxy runs: expose metrics and reload to the primary. */
export function serveWorker(proxy: SlotgateHandle): void {
  client.AggregatorRegistry.setRegistries([proxy.context.metrics.registry]);
  if (proxy.adminPort) send({ type: 'slotgate:admin-port', port: proxy.adminPort });
  send({ type: 'slotgate:listening' });
  process.on('message', (message: PrimaryMessage) => {
    if (message?.type === 'slotgate:reload') send({ type: 'slotgate:reload-result', id: message.id, outcome: proxy.reload() });
    if (message?.type === 'slotgate:stats') send({ type: 'slotgate:stats-result', id: message.id, snapshot: proxy.context.metrics.stats.snapshot() });
  });
}

function send(message: WorkerMessage): void {
  process.send?.(message);
}

export async function runPrimary(config: SlotgateConfig, argv: string[], logger: Logger): Promise<void> {
  cluster.setupPrimary({ args: argv });
  // Where Node has reusePort, every worker binds the client port and the kernel balances; port 0
  // must then be one concrete port for all of them (process/reuse-port.ts).
  const portsEnv = kernelBalancesWorkers ? workerPortsEnv(await choosePorts(config.tls && config.port === 0 ? -1 : config.port, config.tls?.port ?? -1, config.bind)) : {};
  const primaryMetrics = new PrimaryMetrics();
  const queries = new WorkerQueries();
  const fleet = new WorkerFleet(portsEnv, queries, primaryMetrics, logger);
  for (let i = 0; i < config.workers; i++) fleet.fork(i);

  const reloadAll = (): Promise<ReloadOutcome> =>
    queries
      .ask<ReloadOutcome>('slotgate:reload', { exited: { ok: false, error: 'a worker exited during the reload' } })
      .then((outcomes) => outcomes.find((o) => !o.ok) ?? outcomes[0] ?? { ok: false, error: 'no worker is running' });
  const admin = await startPrimaryAdmin(config, logger, {
    primaryMetrics,
    // Every live worker's stats snapshot, added up (workers that do not answer in time are left out).
    gatherStats: () => queries.ask<StatsSnapshot>('slotgate:stats', { timeoutMs: STATS_TIMEOUT_MS }).then(mergeSnapshots),
    reloadAll,
    stopping: () => fleet.stopping,
    leadAdminPort: () => fleet.leadAdminPort,
  });
  logger.info({ workers: config.workers, port: config.port, adminPort: config.adminPort }, 'slotgate primary started');

  process.on('SIGHUP', () => {
    void reloadAll().then((outcome) => logger.info({ ok: outcome.ok, error: outcome.ok ? undefined : outcome.error }, 'reload of all workers'));
  });
  const stop = (signal: string): void => {
    if (fleet.stopping) return;
    logger.info({ signal, shutdownTimeoutMs: config.shutdownTimeoutMs }, 'shutting down workers: each drains its clients');
    fleet.stop(config.shutdownTimeoutMs + WORKER_EXIT_GRACE_MS, () => {
      admin?.closeAllConnections();
      admin?.close();
      logger.flush(() => process.exit(0));
    });
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

/**
 * The workers: forks them, replaces one that dies (unless stopping), says when all listen, and
 * stops them all. Their answers to the primary's questions go to `queries`.
 */
class WorkerFleet {
  /** Set once stop() is called: the primary answers "draining" and replaces no worker. */
  stopping = false;
  leadAdminPort = 0;
  private readonly listening = new Set<number>();

  constructor(
    private readonly portsEnv: Record<string, string>,
    private readonly queries: WorkerQueries,
    private readonly primaryMetrics: PrimaryMetrics,
    private readonly logger: Logger,
  ) {
    cluster.on('exit', (worker) => this.listening.delete(worker.id));
  }

  fork(index: number): Worker {
    const worker = cluster.fork({ [WORKER_INDEX_ENV]: String(index), ...this.portsEnv });
    worker.on('message', (message: WorkerMessage) => {
      if (message.type === 'slotgate:admin-port') this.leadAdminPort = message.port;
      if (message.type === 'slotgate:listening') this.workerListening(worker);
      if (message.type === 'slotgate:reload-result') this.queries.answered(message.id, worker.id, message.outcome);
      if (message.type === 'slotgate:stats-result') this.queries.answered(message.id, worker.id, message.snapshot);
    });
    worker.on('exit', (code, signal) => {
      this.queries.workerExited(worker.id);
      if (this.stopping) return;
      this.primaryMetrics.workerRestarts.inc();
      this.logger.error({ worker: index, code, signal }, 'worker exited; starting a new one');
      // Not unref'd: with no worker alive and no admin port, this timer is what keeps the primary up.
      setTimeout(() => this.fork(index), RESTART_DELAY_MS);
    });
    return worker;
  }

  /**
   * Each worker drains its own clients (up to shutdown-timeout) and exits; `done` runs once the
   * last one has. A worker that has not exited `killAfterMs` after this call is killed, so a stuck
   * one cannot hold the shutdown forever.
   */
  stop(killAfterMs: number, done: () => void): void {
    this.stopping = true;
    const workers = alive();
    let left = workers.length;
    if (left === 0) return done();
    for (const worker of workers) {
      worker.once('exit', () => {
        if (--left === 0) done();
      });
      worker.process.kill('SIGTERM');
    }
    setTimeout(() => {
      for (const worker of workers) if (!worker.isDead()) worker.process.kill('SIGKILL');
    }, killAfterMs).unref();
  }

  /** Connections reach only workers that listen: say when all of them do (each says so itself once its proxy runs, whichever way connections are balanced). */
  private workerListening(worker: Worker): void {
    this.listening.add(worker.id);
    const workers = alive();
    const balancing = kernelBalancesWorkers ? 'kernel (SO_REUSEPORT)' : 'primary (round-robin)';
    if (workers.every((w) => this.listening.has(w.id))) this.logger.info({ workers: workers.length, balancing }, 'all workers listening');
  }
}

function alive(): Worker[] {
  return Object.values(cluster.workers ?? {}).filter((w): w is Worker => !!w);
}
