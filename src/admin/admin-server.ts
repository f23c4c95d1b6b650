/**
 * A slotgate's admin HTTP server: the route table of admin-routes.ts over this instance's own
 * metrics, topology, reload, sessions and slow log. The endpoints (README: *Admin HTTP API*), on
 * their own port, loopback by default:
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
import { adminRequestHandler, type AdminSources, type Lifecycle } from './admin-routes.js';
import type { ClientsApiDeps } from './clients-api.js';
import { answerSlowlog, type SlowlogApiDeps } from './slowlog-api.js';
import type { StatsAnswer } from './stats-endpoints.js';

export type { Lifecycle } from './admin-routes.js';

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
  const server = http.createServer(adminRequestHandler(instanceSources(deps), deps.adminToken ?? ''));
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

/** One slotgate's answers to the route table: all read when asked, from this instance alone. */
function instanceSources(deps: AdminServerDeps): AdminSources {
  const { slowlog, clients } = deps;
  return {
    lifecycle: () => deps.lifecycle?.() ?? 'ready',
    health: () => healthAnswer(deps.topology),
    metrics: async () => ({ contentType: deps.metrics.registry.contentType, text: await deps.metrics.registry.metrics() }),
    stats: () => deps.metrics.stats.snapshot(),
    topology: () => topologyBody(deps.topology),
    reload: deps.reload,
    clients: clients && { clients, clientAliases: deps.clientAliases ?? [] },
    slowlog: slowlog && ((url) => answerSlowlog(url, { ...slowlog, topology: deps.topology })),
  };
}

function topologyBody(topology: TopologyManager): unknown {
  const snapshot = topology.current;
  return {
    epoch: snapshot.epoch,
    backend: topology.kind,
    shards: snapshot.shards.map((s) => ({
      index: s.index,
      slots: s.ranges.map(([a, b]) => [a, b]),
      // lag_bytes: replicas whose master reported their offset at the last refresh.
      nodes: [s.master, ...s.replicas].map((n) => ({ id: n.id, address: n.address, role: n.role, health: n.health, ...(n.lagBytes === undefined ? {} : { lag_bytes: n.lagBytes }) })),
    })),
  };
}

/** /healthz's answer while ready: degraded when slots are uncovered or the topology cannot be read. */
function healthAnswer(topology: TopologyManager): StatsAnswer {
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
  return { status: healthy ? 200 : 503, body };
}
