/**
 * The admin HTTP API (README: *Admin HTTP API*), on its own port, loopback by default:
 * `GET /healthz`, `/readyz`, `/livez`, `GET /metrics` (Prometheus), `GET /v1/topology`, `POST /v1/reload`,
 * `GET|DELETE /v1/clients` and `DELETE /v1/clients/{id}` (clients-api.ts),
 * `GET /v1/stats/{top-commands,latency,hot-keys}`, `GET /v1/slowlog` (slowlog-api.ts). With `admin-token`, all but the three probes need it.
 *
 * The three probes answer different questions:
 *  - /livez: the process runs (200 always; a liveness probe that restarts on failure).
 *  - /readyz: send clients here: 503 while starting (connecting to the cluster) and draining.
 *  - /healthz: the cluster behind is whole (every slot covered) and answers topology refreshes;
 *    503 "draining" during a drain. Its body says what is down: nodes whose connections failed in
 *    the last 5 s (by shard, role and id), and a failing topology refresh (for how long).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TopologyManager } from '../cluster/topology-manager.js';
import type { ReloadOutcome } from '../config/reload.js';
import type { Metrics } from '../observability/metrics.js';
import { AdminToken } from './admin-auth.js';
import { handleClients, isClientsPath, type ClientsApiDeps } from './clients-api.js';
import { answerSlowlog, type SlowlogApiDeps } from './slowlog-api.js';
import { answerStats, isStatsPath } from './stats-endpoints.js';

/** Where the instance is in its life: admin probes answer from it. */
export type Lifecycle = 'starting' | 'ready' | 'draining';

export interface AdminServerDeps {
  metrics: Metrics;
  topology: TopologyManager;
  /** Absent: always 'ready' (the instance was started before the admin server). */
  lifecycle?: () => Lifecycle;
  /** Re-reads the config file and applies its reloadable part (README: *Accounts, read/write splitting, disabled commands, reload*). */
  reload?: () => ReloadOutcome;
  /** The session directory (GET/DELETE /v1/clients); absent: those endpoints answer 404. */
  clients?: ClientsApiDeps['clients'];
  clientAliases?: ClientsApiDeps['clientAliases'];
  /** The cluster's and slotgate's slow logs (GET /v1/slowlog); absent: that endpoint answers 404. */
  slowlog?: Omit<SlowlogApiDeps, 'topology'>;
  /** admin-token: '' or absent means none is required. */
  adminToken?: string;
}

export async function startAdminServer(host: string, port: number, deps: AdminServerDeps): Promise<http.Server> {
  const token = new AdminToken(deps.adminToken ?? '');
  const server = http.createServer((req, res) => {
    handle(req, res, deps, token).catch((err: Error) => sendJson(res, 500, { error_code: 'InternalError', error_msg: err.message }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    // exclusive: in a worker process, port 0 must mean a port of this worker's own, not one shared via the primary.
    server.listen({ port, host, exclusive: true }, () => resolve());
  });
  return server;
}

export function adminPort(server: http.Server): number {
  return (server.address() as AddressInfo).port;
}

async function handle(req: http.IncomingMessage, res: http.ServerResponse, deps: AdminServerDeps, token: AdminToken): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://admin');
  if (!token.admit(req, res, url.pathname)) return;
  if (url.pathname === '/v1/reload') return handleReload(req, res, deps);
  if (isClientsPath(url.pathname) && deps.clients) {
    return handleClients(req, res, url, { clients: deps.clients, clientAliases: deps.clientAliases ?? [] }, sendJson);
  }
  if (req.method !== 'GET') return sendJson(res, 405, { error_code: 'MethodNotAllowed', error_msg: `${req.method} is not allowed here` });
  switch (url.pathname) {
    case '/livez':
      return sendJson(res, 200, { status: 'alive' });
    case '/readyz': {
      const state = deps.lifecycle?.() ?? 'ready';
      return sendJson(res, state === 'ready' ? 200 : 503, { status: state });
    }
    case '/healthz': {
      const state = deps.lifecycle?.() ?? 'ready';
      if (state !== 'ready') return sendJson(res, 503, { status: state });
      const body = healthBody(deps.topology);
      return sendJson(res, body.status === 'ok' ? 200 : 503, body);
    }
    case '/metrics': {
      const body = await deps.metrics.registry.metrics();
      res.writeHead(200, { 'content-type': deps.metrics.registry.contentType });
      res.end(body);
      return;
    }
    case '/v1/topology': {
      const snapshot = deps.topology.current;
      return sendJson(res, 200, {
        epoch: snapshot.epoch,
        backend: deps.topology.kind,
        shards: snapshot.shards.map((s) => ({
          index: s.index,
          slots: s.ranges.map(([a, b]) => [a, b]),
          // lag_bytes: replicas whose master reported their offset at the last refresh.
          nodes: [s.master, ...s.replicas].map((n) => ({ id: n.id, address: n.address, role: n.role, health: n.health, ...(n.lagBytes === undefined ? {} : { lag_bytes: n.lagBytes }) })),
        })),
      });
    }
    case '/v1/slowlog': {
      if (!deps.slowlog) break;
      const answer = await answerSlowlog(url, { ...deps.slowlog, topology: deps.topology });
      return sendJson(res, answer.status, answer.body);
    }
    default:
      if (isStatsPath(url.pathname)) {
        const answer = answerStats(url, deps.metrics.stats.snapshot());
        return sendJson(res, answer.status, answer.body);
      }
  }
  return sendJson(res, 404, { error_code: 'NotFound', error_msg: `no such endpoint ${url.pathname}` });
}

/** /healthz's answer while ready: degraded when slots are uncovered or the topology cannot be read. */
function healthBody(topology: TopologyManager): Record<string, unknown> {
  const snapshot = topology.current;
  const covered = snapshot.coveredSlotCount();
  const refresh = topology.health();
  const healthy = covered === 16384 && !refresh.refreshFailing;
  // Open to anyone who reaches the admin port (no token): nodes by shard, role and id, never by address.
  const down = topology.downNodes().map((n) => ({ shard: n.shardIndex, role: n.role, id: n.id }));
  const body: Record<string, unknown> = { status: healthy ? 'ok' : 'degraded', covered_slots: covered, shards: snapshot.shards.length };
  if (down.length > 0) body.down = down;
  if (refresh.refreshFailing) {
    // Not the error text, which names nodes by address: the log has it.
    body.topology_refresh = { failing: true, failures_in_a_row: refresh.failuresInARow, failing_for_ms: Date.now() - (refresh.failingSinceMs ?? Date.now()) };
  }
  return body;
}

function handleReload(req: http.IncomingMessage, res: http.ServerResponse, deps: AdminServerDeps): void {
  if (req.method !== 'POST') return sendJson(res, 405, { error_code: 'MethodNotAllowed', error_msg: 'use POST /v1/reload' });
  if (!deps.reload) return sendJson(res, 404, { error_code: 'NotFound', error_msg: 'reload is not available' });
  const outcome = deps.reload();
  if (!outcome.ok) return sendJson(res, 400, { error_code: 'InvalidConfig', error_msg: outcome.error });
  return sendJson(res, 200, { status: 'reloaded', restart_needed_for: outcome.restartNeededFor });
}

function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}
