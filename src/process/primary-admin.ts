/**
 * The `--workers` primary's admin server: the same route table as any slotgate's
 * (admin/admin-routes.ts), over the primary's sources:
 *  - `GET /metrics` adds up every worker's metrics (prom-client's AggregatorRegistry) and the
 *    primary's own;
 *  - `GET /v1/stats/*` adds up every worker's command stats, latency and hot keys;
 *  - `POST /v1/reload` reloads every worker;
 *  - `/readyz` and `/healthz` answer "draining" while the primary stops, even once the lead
 *    worker is gone;
 *  - every other request goes to the lead worker's private admin server (loopback, a port of its
 *    own), since any worker's view of the cluster will do.
 */
import http from 'node:http';
import type { Logger } from 'pino';
import client from 'prom-client';
import { warnIfAdminExposed } from '../admin/admin-auth.js';
import { adminRequestHandler, sendJson, type AdminHandler } from '../admin/admin-routes.js';
import type { SlotgateConfig } from '../config/config.js';
import type { ReloadOutcome } from '../config/reload.js';
import type { StatsSnapshot } from '../observability/command-stats.js';
import type { PrimaryMetrics } from '../observability/primary-metrics.js';

export interface PrimarySources {
  readonly primaryMetrics: PrimaryMetrics;
  gatherStats(): Promise<StatsSnapshot | null>;
  reloadAll(): Promise<ReloadOutcome>;
  stopping(): boolean;
  /** The lead worker's admin port; 0 until it has one. */
  leadAdminPort(): number;
}

/** Listens on admin-port (none when it is 0); the caller closes the server it returns. */
export async function startPrimaryAdmin(config: SlotgateConfig, logger: Logger, sources: PrimarySources): Promise<http.Server | null> {
  if (config.adminPort === 0) return null;
  const { primaryMetrics } = sources;
  // Asks every worker for its metrics at each scrape (prepareWorkerMetrics, in the workers, answers).
  const aggregator = new client.AggregatorRegistry();
  const admin = http.createServer(
    adminRequestHandler(
      {
        lifecycle: () => (sources.stopping() ? 'draining' : undefined),
        metrics: async () => {
          const [workers, own] = await Promise.all([aggregator.clusterMetrics(), primaryMetrics.registry.metrics()]);
          return { contentType: aggregator.contentType, text: `${workers}\n${own}` };
        },
        stats: () => sources.gatherStats(),
        reload: () => sources.reloadAll(),
        otherwise: passToLead(sources.leadAdminPort),
      },
      config.adminToken,
    ),
  );
  await new Promise<void>((resolve, reject) => {
    admin.once('error', reject);
    admin.listen(config.adminPort, config.adminBind, () => resolve());
  });
  warnIfAdminExposed(logger, config.adminBind, config.adminToken);
  return admin;
}

function passToLead(leadAdminPort: () => number): AdminHandler {
  return ({ req, res }) => {
    const port = leadAdminPort();
    if (!port) return sendJson(res, 503, { error_code: 'Unavailable', error_msg: 'no worker is ready yet' });
    const upstream = http.request({ host: '127.0.0.1', port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', (err) => sendJson(res, 502, { error_code: 'BadGateway', error_msg: err.message }));
    req.pipe(upstream);
  };
}
