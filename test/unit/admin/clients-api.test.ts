// GET/DELETE /v1/clients over a real admin HTTP server, with fake sessions behind the directory.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type http from 'node:http';
import { adminPort, startAdminServer, type AdminServerDeps } from '../../../src/admin/admin-server.js';
import { parseClientAlias } from '../../../src/util/client-aliases.js';
import { ClientDirectory } from '../../../src/peers/client-directory.js';
import { clientRecord, FakeSessions } from '../../fakes/fake-call.js';

describe('/v1/clients', () => {
  const sessions = new FakeSessions();
  let server: http.Server;
  const api = async (path: string, method = 'GET') => {
    const response = await fetch(`http://127.0.0.1:${adminPort(server)}${path}`, { method });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };

  beforeAll(async () => {
    server = await startAdminServer('127.0.0.1', 0, {
      clients: new ClientDirectory(sessions),
      clientAliases: [parseClientAlias('10.0.0.0/8=office')],
    } as unknown as AdminServerDeps);
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const reset = () => {
    sessions.records = [
      clientRecord({ id: 3, addr: '10.0.0.1:100', name: 'c', idle: 5, proxy: 'p1' }),
      clientRecord({ id: 1, addr: '10.0.0.1:101', name: 'a', idle: 50, proxy: 'p2' }),
      clientRecord({ id: 20, addr: '192.168.0.2:102', name: 'b', idle: 7, proxy: 'p1' }),
    ];
  };

  it('lists with seed 000\'s fields, node_id and desc; count before paging; source_stats per IP', async () => {
    reset();
    const { status, body } = await api('/v1/clients');
    expect(status).toBe(200);
    expect(body.count).toBe(3);
    const clients = body.clients as Record<string, unknown>[];
    expect(clients.map((c) => c.id)).toEqual(['1', '3', '20']); // by id, numerically
    expect(clients[0]).toMatchObject({ addr: '10.0.0.1:101', peer: '10.0.0.1:101', fd: '9', db: '0', qbuf_free: 0, node_id: 'p2', desc: 'office', network: 'tcp' });
    expect(clients[2]).not.toHaveProperty('desc');
    expect(body.source_stats).toEqual([
      { key: '10.0.0.1', count: 2, ids: ['3', '1'] },
      { key: '192.168.0.2', count: 1, ids: ['20'] },
    ]);
  });

  it('sorts by any field either way, pages, and filters by addr prefix and node_id', async () => {
    reset();
    const names = async (query: string) => ((await api(`/v1/clients?${query}`)).body.clients as { name: string }[]).map((c) => c.name);
    expect(await names('sort=name')).toEqual(['a', 'b', 'c']);
    expect(await names('sort=idle&order=desc')).toEqual(['a', 'b', 'c']);
    expect(await names('sort=idle&order=asc')).toEqual(['c', 'b', 'a']);
    expect(await names('sort=name&offset=1&limit=1')).toEqual(['b']);
    expect(await names('sort=name&offset=5')).toEqual([]);
    expect(await names('addr=10.0.0.1:&sort=name')).toEqual(['a', 'c']);
    expect(await names('node_id=p1&sort=name')).toEqual(['b', 'c']);
    const paged = await api('/v1/clients?limit=1&node_id=p1');
    expect(paged.body.count).toBe(2);
  });

  it.each(['offset=-1', 'offset=1e3', 'limit=0', 'limit=1001', 'limit=', 'sort=bogus', 'order=sideways', 'node_id=', 'addr='])('400 for %s', async (query) => {
    const { status, body } = await api(`/v1/clients?${query}`);
    expect(status).toBe(400);
    expect(body).toEqual({ error_code: 'InvalidParameter', error_msg: expect.any(String) });
  });

  it('DELETE one (404 when gone, 400 for a bad id) and DELETE all', async () => {
    reset();
    expect(await api('/v1/clients/20', 'DELETE')).toEqual({ status: 200, body: { killed: 1 } });
    expect((await api('/v1/clients/20', 'DELETE')).status).toBe(404);
    expect((await api('/v1/clients/0', 'DELETE')).status).toBe(400);
    expect((await api('/v1/clients/x', 'DELETE')).status).toBe(400);
    expect(await api('/v1/clients', 'DELETE')).toEqual({ status: 200, body: { killed: 2 } });
    expect(sessions.records).toEqual([]);
    expect((await api('/v1/clients', 'PUT')).status).toBe(405);
  });
});
