/**
 * The admin API's one route table (method + path → handler), served by a slotgate's own admin
 * server (admin-server.ts) and by the `--workers` primary's (process/primary-admin.ts) alike.
 * Each supplies its sources: a slotgate its metrics, topology, reload, sessions and slow log;
 * the primary the workers' metrics and stats added up, a reload of every worker, "draining" while
 * it stops, and the lead worker for the rest (`otherwise`). A route whose source is absent is not
 * in the table. The admin token is checked here, before any route, and nowhere else.
 */
import type http from 'node:http';
import type { ReloadOutcome } from '../config/reload.js';
import type { StatsSnapshot } from '../observability/command-stats.js';
import { AdminToken } from './admin-auth.js';
import { handleClients, type ClientsApiDeps } from './clients-api.js';
import { answerStats, type StatsAnswer } from './stats-endpoints.js';

/** Where the instance is in its life: admin probes answer from it. */
export type Lifecycle = 'starting' | 'ready' | 'draining';

export interface AdminRequest {
  readonly req: http.IncomingMessage;
  readonly res: http.ServerResponse;
  readonly url: URL;
}

export type AdminHandler = (request: AdminRequest) => void | Promise<void>;

export interface AdminSources {
  /** The state /readyz and /healthz answer; undefined: not known here (`otherwise` answers). */
  lifecycle?: () => Lifecycle | undefined;
  /** /healthz's answer while ready. */
  health?: () => StatsAnswer;
  /** /metrics in Prometheus's text format. */
  metrics?: () => Promise<{ contentType: string; text: string }>;
  /** /v1/stats/*: null while there is nothing to add up yet (503). */
  stats?: () => StatsSnapshot | null | Promise<StatsSnapshot | null>;
  topology?: () => unknown;
  reload?: () => ReloadOutcome | Promise<ReloadOutcome>;
  clients?: ClientsApiDeps;
  slowlog?: (url: URL) => Promise<StatsAnswer>;
  /** Every request no route takes; by default 405 for a known path or any non-GET, else 404. */
  otherwise?: AdminHandler;
}

interface AdminRoute {
  readonly methods: readonly string[];
  /** The path; `{name}` stands for one segment. */
  readonly path: string;
  readonly handle: AdminHandler;
}

/** The table, built from `sources`: only the routes whose sources are given. */
function routeTable(sources: AdminSources): AdminRoute[] {
  const routes: (AdminRoute | false)[] = [
    { methods: ['GET'], path: '/livez', handle: ({ res }) => sendJson(res, 200, { status: 'alive' }) },
    !!sources.lifecycle && { methods: ['GET'], path: '/readyz', handle: probe(sources, null) },
    !!sources.lifecycle && { methods: ['GET'], path: '/healthz', handle: probe(sources, sources.health) },
    !!sources.metrics && { methods: ['GET'], path: '/metrics', handle: metricsHandler(sources.metrics) },
    !!sources.topology && { methods: ['GET'], path: '/v1/topology', handle: answering(async () => ({ status: 200, body: sources.topology!() })) },
    !!sources.reload && { methods: ['POST'], path: '/v1/reload', handle: answering(() => reloadAnswer(sources.reload!)) },
    !!sources.clients && { methods: ['GET', 'DELETE'], path: '/v1/clients', handle: clientsHandler(sources.clients) },
    !!sources.clients && { methods: ['DELETE'], path: '/v1/clients/{id}', handle: clientsHandler(sources.clients) },
    !!sources.slowlog && { methods: ['GET'], path: '/v1/slowlog', handle: answering(({ url }) => sources.slowlog!(url)) },
    !!sources.stats && { methods: ['GET'], path: '/v1/stats/{name}', handle: answering(({ url }) => statsAnswer(sources.stats!, url)) },
  ];
  return routes.filter((r): r is AdminRoute => r !== false);
}

/** The request handler of an admin HTTP server: token, then the route, then `otherwise`. */
export function adminRequestHandler(sources: AdminSources, adminToken: string): http.RequestListener {
  const token = new AdminToken(adminToken);
  const routes = routeTable(sources).map((route) => ({ ...route, pattern: pathPattern(route.path) }));
  const otherwise = sources.otherwise ?? refuse(routes);
  return (req, res) => {
    const url = URL.canParse(req.url ?? '/', 'http://admin') ? new URL(req.url ?? '/', 'http://admin') : null;
    // A request target that is no URL (`GET http://[`, which Node's parser lets through) is the caller's error.
    if (!url) return sendJson(res, 400, { error_code: 'BadRequest', error_msg: 'the request target is not a valid URL' });
    if (!token.admit(req, res, url.pathname)) return;
    const route = routes.find((r) => r.methods.includes(req.method ?? '') && r.pattern.test(url.pathname));
    Promise.resolve()
      .then(() => (route ?? { handle: otherwise }).handle({ req, res, url }))
      .catch((err: Error) => sendJson(res, 500, { error_code: 'InternalError', error_msg: err.message }));
  };
}

type CompiledRoute = AdminRoute & { readonly pattern: RegExp };

function pathPattern(path: string): RegExp {
  const parts = path.split(/\{\w+\}/).map((part) => part.replace(/[.*+?^$()|[\]\\]/g, '\\$&'));
  return new RegExp(`^${parts.join('[^/]+')}$`);
}

/**
 * /readyz (`health` null) and /healthz: the lifecycle first, then, when ready, the health. What the
 * sources do not know here (no lifecycle state, or no health) is left to `otherwise`.
 */
function probe(sources: AdminSources, health: (() => StatsAnswer) | null | undefined): AdminHandler {
  return (request) => {
    const state = sources.lifecycle!();
    if (state !== undefined && (state !== 'ready' || health === null)) return sendJson(request.res, state === 'ready' ? 200 : 503, { status: state });
    if (state === undefined || health === undefined || health === null) return (sources.otherwise ?? notFound)(request);
    const answer = health();
    return sendJson(request.res, answer.status, answer.body);
  };
}

function metricsHandler(metrics: NonNullable<AdminSources['metrics']>): AdminHandler {
  return async ({ res }) => {
    const { contentType, text } = await metrics();
    res.writeHead(200, { 'content-type': contentType });
    res.end(text);
  };
}

function clientsHandler(clients: ClientsApiDeps): AdminHandler {
  return ({ req, res, url }) => handleClients(req, res, url, clients, sendJson);
}

function answering(answer: (request: AdminRequest) => Promise<StatsAnswer>): AdminHandler {
  return async (request) => {
    const { status, body } = await answer(request);
    sendJson(request.res, status, body);
  };
}

async function reloadAnswer(reload: NonNullable<AdminSources['reload']>): Promise<StatsAnswer> {
  const outcome = await reload();
  if (!outcome.ok) return { status: 400, body: { error_code: 'InvalidConfig', error_msg: outcome.error } };
  return { status: 200, body: { status: 'reloaded', restart_needed_for: outcome.restartNeededFor } };
}

async function statsAnswer(stats: NonNullable<AdminSources['stats']>, url: URL): Promise<StatsAnswer> {
  const snapshot = await stats();
  if (!snapshot) return { status: 503, body: { error_code: 'Unavailable', error_msg: 'no worker is ready yet' } };
  return answerStats(url, snapshot);
}

/** The default `otherwise`: 405 for a path the table has under another method, and for any non-GET; else 404. */
function refuse(routes: readonly CompiledRoute[]): AdminHandler {
  return (request) => {
    const { req, res, url } = request;
    const known = routes.filter((r) => r.pattern.test(url.pathname));
    if (known.length > 0) {
      const allowed = known.flatMap((r) => r.methods).join(' or ');
      return sendJson(res, 405, { error_code: 'MethodNotAllowed', error_msg: `${req.method} is not allowed here (use ${allowed} ${url.pathname})` });
    }
    if (req.method !== 'GET') return sendJson(res, 405, { error_code: 'MethodNotAllowed', error_msg: `${req.method} is not allowed here` });
    return notFound(request);
  };
}

function notFound({ res, url }: AdminRequest): void {
  sendJson(res, 404, { error_code: 'NotFound', error_msg: `no such endpoint ${url.pathname}` });
}

/** A JSON answer; once headers are out (a failure mid-answer), the connection is cut instead. */
export function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}
