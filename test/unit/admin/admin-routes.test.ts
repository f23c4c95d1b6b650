// The admin route table over a real HTTP server, with the sources a slotgate or the --workers primary gives it.
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { adminRequestHandler, sendJson, type AdminSources, type Lifecycle } from '../../../src/admin/admin-routes.js';
import { Metrics } from '../../../src/observability/metrics.js';

const servers: http.Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

async function serve(sources: AdminSources, token = ''): Promise<(path: string, init?: RequestInit) => Promise<{ status: number; body: Record<string, unknown> }>> {
  const server = http.createServer(adminRequestHandler(sources, token));
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as AddressInfo).port;
  return async (path, init) => {
    const response = await fetch(`http://127.0.0.1:${port}${path}`, init);
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
}

/** What the primary gives: no lifecycle of its own until it stops, the lead worker for the rest. */
function primaryLike(state: { stopping: boolean }): AdminSources {
  return {
    lifecycle: () => (state.stopping ? 'draining' : undefined),
    stats: () => null,
    reload: async () => ({ ok: false, error: 'bad config' }),
    otherwise: ({ req, res, url }) => sendJson(res, 200, { passed: `${req.method} ${url.pathname}` }),
  };
}

describe('admin route table', () => {
  it('a slotgate: probes from its lifecycle, /healthz from its health once ready', async () => {
    let lifecycle: Lifecycle = 'starting';
    const api = await serve({ lifecycle: () => lifecycle, health: () => ({ status: 503, body: { status: 'degraded' } }) });
    expect(await api('/livez')).toEqual({ status: 200, body: { status: 'alive' } });
    expect(await api('/readyz')).toEqual({ status: 503, body: { status: 'starting' } });
    expect(await api('/healthz')).toEqual({ status: 503, body: { status: 'starting' } });
    lifecycle = 'ready';
    expect(await api('/readyz')).toEqual({ status: 200, body: { status: 'ready' } });
    expect(await api('/healthz')).toEqual({ status: 503, body: { status: 'degraded' } });
  });

  it('the primary: probes go to otherwise until it stops, then answer "draining" themselves', async () => {
    const state = { stopping: false };
    const api = await serve(primaryLike(state));
    expect(await api('/readyz')).toEqual({ status: 200, body: { passed: 'GET /readyz' } });
    expect(await api('/healthz')).toEqual({ status: 200, body: { passed: 'GET /healthz' } });
    state.stopping = true;
    expect(await api('/readyz')).toEqual({ status: 503, body: { status: 'draining' } });
    expect(await api('/healthz')).toEqual({ status: 503, body: { status: 'draining' } });
  });

  it('the primary: its own routes answer, every other method and path goes to otherwise', async () => {
    const api = await serve(primaryLike({ stopping: false }));
    expect(await api('/v1/stats/latency')).toMatchObject({ status: 503, body: { error_code: 'Unavailable' } });
    expect(await api('/v1/reload', { method: 'POST' })).toEqual({ status: 400, body: { error_code: 'InvalidConfig', error_msg: 'bad config' } });
    expect(await api('/v1/reload')).toEqual({ status: 200, body: { passed: 'GET /v1/reload' } });
    expect(await api('/v1/topology')).toEqual({ status: 200, body: { passed: 'GET /v1/topology' } });
    expect(await api('/v1/clients/7', { method: 'DELETE' })).toEqual({ status: 200, body: { passed: 'DELETE /v1/clients/7' } });
  });

  it('without otherwise: 405 for a known path under another method or any non-GET, 404 for an unknown GET', async () => {
    const api = await serve({ reload: () => ({ ok: true, restartNeededFor: [] }), stats: () => new Metrics(false).stats.snapshot() });
    expect(await api('/v1/reload', { method: 'POST' })).toEqual({ status: 200, body: { status: 'reloaded', restart_needed_for: [] } });
    expect(await api('/v1/reload')).toMatchObject({ status: 405, body: { error_code: 'MethodNotAllowed', error_msg: 'GET is not allowed here (use POST /v1/reload)' } });
    expect(await api('/nowhere', { method: 'PUT' })).toMatchObject({ status: 405, body: { error_code: 'MethodNotAllowed' } });
    expect(await api('/nowhere')).toMatchObject({ status: 404, body: { error_code: 'NotFound' } });
    // Routes whose source is absent are not in the table.
    expect(await api('/v1/topology')).toMatchObject({ status: 404 });
    // {name} is one path segment: deeper paths are no stats endpoint.
    expect(await api('/v1/stats/latency')).toMatchObject({ status: 200 });
    expect(await api('/v1/stats/latency/x')).toMatchObject({ status: 404 });
  });

  it('checks the admin token before any route, otherwise included; the probes stay open', async () => {
    const api = await serve(primaryLike({ stopping: false }), 's3cret');
    expect((await api('/livez')).status).toBe(200);
    expect((await api('/readyz')).status).toBe(200);
    expect(await api('/v1/topology')).toMatchObject({ status: 401, body: { error_code: 'Unauthorized' } });
    expect(await api('/v1/reload', { method: 'POST' })).toMatchObject({ status: 401 });
    expect(await api('/v1/topology', { headers: { authorization: 'Bearer s3cret' } })).toEqual({ status: 200, body: { passed: 'GET /v1/topology' } });
  });

  it('answers a request target that is no URL with 400 BadRequest', async () => {
    const server = http.createServer(adminRequestHandler({}, ''));
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const answer = await new Promise<string>((resolve) => {
      let text = '';
      const socket = net.connect((server.address() as AddressInfo).port, '127.0.0.1', () => socket.write('GET http://[ HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n'));
      socket.on('data', (chunk) => (text += chunk.toString('latin1')));
      socket.on('close', () => resolve(text));
    });
    expect(answer).toMatch(/^HTTP\/1\.1 400 /);
    expect(answer).toContain('"error_code":"BadRequest"');
  });

  it('a source that fails answers 500 InternalError, and the server keeps serving', async () => {
    const api = await serve({ metrics: () => Promise.reject(new Error('registry broke')) });
    expect(await api('/metrics')).toEqual({ status: 500, body: { error_code: 'InternalError', error_msg: 'registry broke' } });
    expect((await api('/livez')).status).toBe(200);
  });
});
