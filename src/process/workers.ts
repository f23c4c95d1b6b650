/**
 * `--workers N`: one slotgate per core, sharing the client port (README: *Running it against your cluster*).
 *
 * The primary process runs no proxy. It forks N workers (node:cluster), which all listen
 * on the client port (the primary hands each new connection to one of them) and share
 * nothing else: each has its own backend connections and topology, exactly like
 * separate slotgate hosts behind a load balancer. The primary owns the public admin port:
 *  - `GET /metrics` adds up every worker's metrics (prom-client's AggregatorRegistry);
 *  - `POST /v1/reload` (and SIGHUP) reloads every worker;
 *  - `GET /v1/stats/*` adds up every worker's command stats, latency and hot keys;
 *  - with `admin-token`, the token is checked here as on any admin server;
 *  - every other endpoint is passed to the lead worker's private admin server
 *    (loopback, a port of its own), since any worker's view of the cluster will do.
 * A worker that dies is replaced.
 */
import cluster, { type Worker } from 'node:cluster';
import http from 'node:http';
import type { Logger } from 'pino';
import client from 'prom-client';
import { AdminToken, warnIfAdminExposed } from '../admin/admin-auth.js';
import { answerStats, isStatsPath } from '../admin/stats-endpoints.js';
import type { SlotgateConfig } from '../config/config.js';
import type { StatsSnapshot } from '../observability/command-stats.js';
import { PrimaryMetrics } from '../observability/primary-metrics.js';
import { mergeSnapshots } from '../observability/stats-merge.js';
import type { ReloadOutcome } from '../config/reload.js';
import type { SlotgateHandle } from '../server.js';
import { choosePorts, kernelBalancesWorkers, workerPortsEnv } from './reuse-port.js';

type WorkerMessage =
  | { type: 'slotgate:admin-port'; port: number }
  | { type: 'slotgate:listening' }
  | { type: 'slotgate:reload-result'; id: number; outcome: ReloadOutcome }
  | { type: 'slotgate:stats-result'; id: number; snapshot: StatsSnapshot };
type PrimaryMessage = { type: 'slotgate:reload'; id: number } | { type: 'slotgate:stats'; id: number };

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
  const aggregator = new client.AggregatorRegistry();
  const primaryMetrics = new PrimaryMetrics();
  let leadAdminPort = 0;
  let stopping = false;
  let reloadIds = 0;
  const pendingReloads = new Map<number, { waiting: Set<number>; outcomes: ReloadOutcome[]; done: (o: ReloadOutcome) => void }>();

  cluster.setupPrimary({ args: argv });
  // Where Node has reusePort, every worker binds the client port and the kernel balances; port 0
  // must then be one concrete port for all of them (process/reuse-port.ts).
  const portsEnv = kernelBalancesWorkers ? workerPortsEnv(await choosePorts(config.tls && config.port === 0 ? -1 : config.port, config.tls?.port ?? -1, config.bind)) : {};
  const fork = (index: number): Worker => {
    const worker = cluster.fork({ [WORKER_INDEX_ENV]: String(index), ...portsEnv });
    worker.on('message', (message: WorkerMessage) => {
      if (message.type === 'slotgate:admin-port') leadAdminPort = message.port;
      if (message.type === 'slotgate:listening') workerListening(worker);
      if (message.type === 'slotgate:reload-result') settleReload(message.id, worker.id, message.outcome);
      if (message.type === 'slotgate:stats-result') pendingStats.get(message.id)?.(worker.id, message.snapshot);
    });
    worker.on('exit', (code, signal) => {
      for (const id of [...pendingReloads.keys()]) settleReload(id, worker.id, { ok: false, error: 'a worker exited during the reload' });
      if (stopping) return;
      primaryMetrics.workerRestarts.inc();
      logger.error({ worker: index, code, signal }, 'worker exited; starting a new one');
      // Not unref'd: with no worker alive and no admin port, this timer is what keeps the primary up.
      setTimeout(() => fork(index), RESTART_DELAY_MS);
    });
    return worker;
  };
  for (let i = 0; i < config.workers; i++) fork(i);
  // Connections reach only workers that listen: say when all of them do (each says so itself once
  // its proxy runs, whichever way connections are balanced).
  const listening = new Set<number>();
  function workerListening(worker: Worker): void {
    listening.add(worker.id);
    const alive = Object.values(cluster.workers ?? {}).filter((w): w is Worker => !!w);
    const balancing = kernelBalancesWorkers ? 'kernel (SO_REUSEPORT)' : 'primary (round-robin)';
    if (alive.every((w) => listening.has(w.id))) logger.info({ workers: alive.length, balancing }, 'all workers listening');
  }
  cluster.on('exit', (worker) => listening.delete(worker.id));

  function settleReload(id: number, workerId: number, outcome: ReloadOutcome): void {
    const pending = pendingReloads.get(id);
    if (!pending || !pending.waiting.delete(workerId)) return;
    pending.outcomes.push(outcome);
    if (pending.waiting.size > 0) return;
    pendingReloads.delete(id);
    pending.done(pending.outcomes.find((o) => !o.ok) ?? pending.outcomes[0] ?? { ok: false, error: 'no worker is running' });
  }

  const reloadAll = (): Promise<ReloadOutcome> =>
    new Promise((resolve) => {
      const id = ++reloadIds;
      const workers = Object.values(cluster.workers ?? {}).filter((w): w is Worker => !!w && w.isConnected());
      if (workers.length === 0) return resolve({ ok: false, error: 'no worker is running' });
      pendingReloads.set(id, { waiting: new Set(workers.map((w) => w.id)), outcomes: [], done: resolve });
      for (const worker of workers) worker.send({ type: 'slotgate:reload', id } satisfies PrimaryMessage);
    });

  let statsIds = 0;
  const pendingStats = new Map<number, (workerId: number, snapshot: StatsSnapshot) => void>();
  /** Every live worker's stats snapshot, added up (workers that do not answer in time are left out). */
  const gatherStats = (): Promise<StatsSnapshot | null> =>
    new Promise((resolve) => {
      const id = ++statsIds;
      const workers = Object.values(cluster.workers ?? {}).filter((w): w is Worker => !!w && w.isConnected());
      const waiting = new Set(workers.map((w) => w.id));
      const parts: StatsSnapshot[] = [];
      const finish = (): void => {
        clearTimeout(timer);
        pendingStats.delete(id);
        resolve(mergeSnapshots(parts));
      };
      const timer = setTimeout(finish, STATS_TIMEOUT_MS);
      pendingStats.set(id, (workerId, snapshot) => {
        if (!waiting.delete(workerId)) return;
        parts.push(snapshot);
        if (waiting.size === 0) finish();
      });
      if (workers.length === 0) return finish();
      for (const worker of workers) worker.send({ type: 'slotgate:stats', id } satisfies PrimaryMessage);
    });

  let admin: http.Server | null = null;
  const token = new AdminToken(config.adminToken);
  if (config.adminPort !== 0) {
    admin = http.createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://admin');
      const path = url.pathname;
      if (!token.admit(req, res, path)) return;
      if (path === '/livez' && req.method === 'GET') {
        sendJson(res, 200, { status: 'alive' });
      } else if ((path === '/readyz' || path === '/healthz') && req.method === 'GET' && stopping) {
        // The workers drain; the primary answers for them, even once the lead worker is gone.
        sendJson(res, 503, { status: 'draining' });
      } else if (isStatsPath(path) && req.method === 'GET') {
        void gatherStats().then((snapshot) => {
          if (!snapshot) return sendJson(res, 503, { error_code: 'Unavailable', error_msg: 'no worker is ready yet' });
          const answer = answerStats(url, snapshot);
          sendJson(res, answer.status, answer.body);
        });
      } else if (path === '/metrics' && req.method === 'GET') {
        Promise.all([aggregator.clusterMetrics(), primaryMetrics.registry.metrics()]).then(
          ([workers, own]) => {
            res.writeHead(200, { 'content-type': aggregator.contentType });
            res.end(`${workers}\n${own}`);
          },
          (err: Error) => sendJson(res, 500, { error_code: 'InternalError', error_msg: err.message }),
        );
      } else if (path === '/v1/reload' && req.method === 'POST') {
        void reloadAll().then((outcome) =>
          outcome.ok
            ? sendJson(res, 200, { status: 'reloaded', restart_needed_for: outcome.restartNeededFor })
            : sendJson(res, 400, { error_code: 'InvalidConfig', error_msg: outcome.error }),
        );
      } else {
        passToLead(req, res, leadAdminPort);
      }
    });
    await new Promise<void>((resolve, reject) => {
      admin!.once('error', reject);
      admin!.listen(config.adminPort, config.adminBind, () => resolve());
    });
    warnIfAdminExposed(logger, config.adminBind, config.adminToken);
  }
  logger.info({ workers: config.workers, port: config.port, adminPort: config.adminPort }, 'slotgate primary started');

  process.on('SIGHUP', () => {
    void reloadAll().then((outcome) => logger.info({ ok: outcome.ok, error: outcome.ok ? undefined : outcome.error }, 'reload of all workers'));
  });
  // Each worker drains its own clients (up to shutdown-timeout) and exits; the primary keeps its
  // admin port answering "draining" until the last one has, then exits. A worker that has not
  // exited well after the deadline is killed, so a stuck one cannot hold the shutdown forever.
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal, shutdownTimeoutMs: config.shutdownTimeoutMs }, 'shutting down workers: each drains its clients');
    const workers = Object.values(cluster.workers ?? {}).filter((w): w is Worker => !!w);
    let left = workers.length;
    const exit = (): void => {
      admin?.closeAllConnections();
      admin?.close();
      logger.flush(() => process.exit(0));
    };
    if (left === 0) return exit();
    for (const worker of workers) {
      worker.once('exit', () => {
        if (--left === 0) exit();
      });
      worker.process.kill('SIGTERM');
    }
    setTimeout(() => {
      for (const worker of workers) if (!worker.isDead()) worker.process.kill('SIGKILL');
    }, config.shutdownTimeoutMs + WORKER_EXIT_GRACE_MS).unref();
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

function passToLead(req: http.IncomingMessage, res: http.ServerResponse, port: number): void {
  if (!port) return sendJson(res, 503, { error_code: 'Unavailable', error_msg: 'no worker is ready yet' });
  const upstream = http.request({ host: '127.0.0.1', port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
    res.writeHead(answer.statusCode ?? 502, answer.headers);
    answer.pipe(res);
  });
  upstream.on('error', (err) => sendJson(res, 502, { error_code: 'BadGateway', error_msg: err.message }));
  req.pipe(upstream);
}

function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}
