/**
 * GET /v1/clients and DELETE /v1/clients[/{id}] (README: *Admin HTTP API*): the sessions of every slotgate in
 * front of the cluster, shaped after Huawei DCS's session list (seed 000: `time`, `count`,
 * `clients` of ClientInfo with its field names) plus Alibaba's per-source statistics (seed 001:
 * `source_stats`, per client IP) and `node_id`, the slotgate instance holding each session.
 *
 * GET parameters: node_id (one instance), offset (≥ 0, default 0), limit (1..1000, default 10),
 * addr (client address prefix), sort (any ClientInfo field), order (asc|desc, default asc).
 * `count` and `source_stats` cover every matching session, before paging.
 * Invalid parameters: 400 {"error_code", "error_msg"}.
 */
import type http from 'node:http';
import { clientIp, describeClient, type ClientAlias } from '../util/client-aliases.js';
import type { ClientDirectory } from '../peers/client-directory.js';
import type { ClientRecord } from '../peers/client-record.js';

export interface ClientsApiDeps {
  readonly clients: ClientDirectory;
  readonly clientAliases: readonly ClientAlias[];
}

/** One session as the API shows it (seed 000's ClientInfo, snake_case, ids as strings like the seed). */
export interface ClientInfo {
  id: string;
  addr: string;
  laddr: string;
  fd: string;
  name: string;
  cmd: string;
  age: number;
  idle: number;
  db: string;
  flags: string;
  sub: number;
  psub: number;
  ssub: number;
  multi: number;
  qbuf: number;
  qbuf_free: number;
  obl: number;
  oll: number;
  omem: number;
  tot_mem: number;
  events: string;
  network: string;
  peer: string;
  user: string;
  resp: number;
  lib_name: string;
  lib_ver: string;
  node_id: string;
  desc?: string;
}

const SORTABLE: ReadonlySet<string> = new Set([
  'id', 'addr', 'laddr', 'fd', 'name', 'cmd', 'age', 'idle', 'db', 'flags', 'sub', 'psub', 'ssub', 'multi', 'qbuf', 'qbuf_free',
  'obl', 'oll', 'omem', 'tot_mem', 'events', 'network', 'peer', 'user', 'resp', 'lib_name', 'lib_ver', 'node_id', 'desc',
]);
/** Shown as strings (seed 000) but ordered as the numbers they are. */
const NUMERIC_STRINGS: ReadonlySet<string> = new Set(['id', 'fd', 'db']);
const MAX_LIMIT = 1000;

type Send = (res: http.ServerResponse, status: number, body: unknown) => void;

export function isClientsPath(pathname: string): boolean {
  return pathname === '/v1/clients' || pathname.startsWith('/v1/clients/');
}

export async function handleClients(req: http.IncomingMessage, res: http.ServerResponse, url: URL, deps: ClientsApiDeps, send: Send): Promise<void> {
  const rest = url.pathname.slice('/v1/clients'.length);
  if (req.method === 'GET' && rest === '') return listClients(res, url.searchParams, deps, send);
  if (req.method === 'DELETE' && rest === '') {
    const { killed } = await deps.clients.kill({});
    return send(res, 200, { killed });
  }
  if (req.method === 'DELETE' && /^\/[^/]+$/.test(rest)) {
    const idText = decodeURIComponent(rest.slice(1));
    const id = /^[1-9]\d{0,15}$/.test(idText) ? Number(idText) : NaN;
    if (!Number.isSafeInteger(id)) return send(res, 400, invalid(`client id '${idText}' is not a positive integer`));
    const { killed } = await deps.clients.kill({ ids: [id] });
    if (killed === 0) return send(res, 404, { error_code: 'ClientNotFound', error_msg: `no client with id ${id}` });
    return send(res, 200, { killed });
  }
  if (rest === '' || /^\/[^/]+$/.test(rest)) {
    return send(res, 405, { error_code: 'MethodNotAllowed', error_msg: `${req.method} is not allowed here (GET or DELETE /v1/clients, DELETE /v1/clients/{id})` });
  }
  return send(res, 404, { error_code: 'NotFound', error_msg: `no such endpoint ${url.pathname}` });
}

function invalid(message: string): { error_code: string; error_msg: string } {
  return { error_code: 'InvalidParameter', error_msg: message };
}

async function listClients(res: http.ServerResponse, params: URLSearchParams, deps: ClientsApiDeps, send: Send): Promise<void> {
  const offset = integerParam(params, 'offset', 0);
  if (offset === null || offset < 0) return send(res, 400, invalid(`offset must be an integer >= 0, not '${params.get('offset')}'`));
  const limit = integerParam(params, 'limit', 10);
  if (limit === null || limit < 1 || limit > MAX_LIMIT) return send(res, 400, invalid(`limit must be an integer from 1 to ${MAX_LIMIT}, not '${params.get('limit')}'`));
  const sort = params.get('sort');
  if (sort !== null && !SORTABLE.has(sort)) return send(res, 400, invalid(`sort must be a ClientInfo field (${[...SORTABLE].join(', ')}), not '${sort}'`));
  const order = params.get('order') ?? 'asc';
  if (order !== 'asc' && order !== 'desc') return send(res, 400, invalid(`order must be asc or desc, not '${order}'`));
  const addr = params.get('addr');
  const nodeId = params.get('node_id');
  if (nodeId === '') return send(res, 400, invalid('node_id must not be empty'));
  if (addr === '') return send(res, 400, invalid('addr must not be empty'));

  const records = await deps.clients.list({});
  const matching = records.filter((r) => (addr === null || r.addr.startsWith(addr)) && (nodeId === null || r.proxy === nodeId));
  const infos = matching.map((r) => clientInfo(r, deps.clientAliases));
  const sortBy = sort ?? 'id';
  const direction = order === 'desc' ? -1 : 1;
  infos.sort((a, b) => direction * compareField(a, b, sortBy) || Number(a.id) - Number(b.id));
  send(res, 200, {
    time: new Date().toISOString(),
    count: infos.length,
    clients: infos.slice(offset, offset + limit),
    source_stats: sourceStats(matching),
  });
}

/** An optional integer parameter; null when present but not an integer. */
function integerParam(params: URLSearchParams, name: string, fallback: number): number | null {
  const text = params.get(name);
  if (text === null) return fallback;
  return /^-?\d{1,9}$/.test(text) ? Number(text) : null;
}

function compareField(a: ClientInfo, b: ClientInfo, field: string): number {
  const x = (a as unknown as Record<string, unknown>)[field];
  const y = (b as unknown as Record<string, unknown>)[field];
  if (NUMERIC_STRINGS.has(field)) return Number(x) - Number(y);
  if (typeof x === 'number' && typeof y === 'number') return x - y;
  const sx = x === undefined ? '' : String(x);
  const sy = y === undefined ? '' : String(y);
  return sx < sy ? -1 : sx > sy ? 1 : 0;
}

export function clientInfo(r: ClientRecord, aliases: readonly ClientAlias[]): ClientInfo {
  const info: ClientInfo = {
    id: String(r.id),
    addr: r.addr,
    laddr: r.laddr,
    fd: String(r.fd),
    name: r.name,
    cmd: r.cmd,
    age: r.age,
    idle: r.idle,
    db: String(r.db),
    flags: r.flags,
    sub: r.sub,
    psub: r.psub,
    ssub: r.ssub,
    multi: r.multi,
    qbuf: r.qbuf,
    qbuf_free: r.qbufFree,
    obl: r.obl,
    oll: r.oll,
    omem: r.omem,
    tot_mem: r.totMem,
    events: r.events,
    network: r.network,
    peer: r.addr,
    user: r.user,
    resp: r.resp,
    lib_name: r.libName,
    lib_ver: r.libVer,
    node_id: r.proxy,
  };
  const desc = describeClient(aliases, r.addr);
  if (desc !== undefined) info.desc = desc;
  return info;
}

/** Alibaba's per-source statistics: sessions per client IP, most first. */
function sourceStats(records: readonly ClientRecord[]): { key: string; count: number; ids: string[] }[] {
  const byIp = new Map<string, string[]>();
  for (const r of records) {
    const ip = clientIp(r.addr);
    const ids = byIp.get(ip);
    if (ids) ids.push(String(r.id));
    else byIp.set(ip, [String(r.id)]);
  }
  return [...byIp]
    .map(([key, ids]) => ({ key, count: ids.length, ids }))
    .sort((a, b) => b.count - a.count || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}
