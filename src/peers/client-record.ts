/**
 * One client session as CLIENT LIST, CLIENT INFO and GET /v1/clients show it, and the filters of
 * CLIENT LIST / CLIENT KILL. Records travel between slotgate instances (peer-bus.ts) as JSON, so
 * they are plain data; the session that owns one builds it on demand (session/local-sessions.ts),
 * nothing is kept per session beyond what the session has anyway.
 */

export interface ClientRecord {
  /** A 64-bit client id, unique across every slotgate in front of the cluster (client-ids.ts). */
  readonly id: number;
  readonly addr: string;
  readonly laddr: string;
  readonly fd: number;
  readonly name: string;
  /** Seconds since the connection was accepted, and since its last command. */
  readonly age: number;
  readonly idle: number;
  readonly flags: string;
  readonly db: number;
  readonly sub: number;
  readonly psub: number;
  readonly ssub: number;
  /** Commands queued in MULTI; -1 outside a transaction. */
  readonly multi: number;
  /** Bytes received and not yet made into a command (the decoder's buffer). */
  readonly qbuf: number;
  readonly qbufFree: number;
  /** Replies owed to the client, and bytes written to its socket that it has not taken yet. */
  readonly obl: number;
  readonly oll: number;
  readonly omem: number;
  readonly totMem: number;
  readonly events: string;
  readonly cmd: string;
  readonly user: string;
  readonly resp: number;
  /** CLIENT TRACKING's redirect: the client id, 0 for none, -1 when tracking is off (absent from older peers: -1). */
  readonly redir?: number;
  readonly libName: string;
  readonly libVer: string;
  /** `tcp` or `tls`: how the client reached slotgate. */
  readonly network: string;
  /** The slotgate instance holding the session (peer-bus.ts: `<announce host:port>/<instance>`). */
  readonly proxy: string;
}

/** Redis's `CLIENT LIST` line (7.2 fields and order), plus `proxy=`; without the trailing newline. */
export function formatClientLine(r: ClientRecord): string {
  return (
    `id=${r.id} addr=${r.addr} laddr=${r.laddr} fd=${r.fd} name=${r.name} age=${r.age} idle=${r.idle} flags=${r.flags} db=${r.db}` +
    ` sub=${r.sub} psub=${r.psub} ssub=${r.ssub} multi=${r.multi} qbuf=${r.qbuf} qbuf-free=${r.qbufFree} argv-mem=0 multi-mem=0` +
    ` rbs=0 rbp=0 obl=${r.obl} oll=${r.oll} omem=${r.omem} tot-mem=${r.totMem} events=${r.events} cmd=${r.cmd} user=${r.user}` +
    ` redir=${r.redir ?? -1} resp=${r.resp} lib-name=${r.libName} lib-ver=${r.libVer} proxy=${r.proxy}`
  );
}

/** Lines as Redis returns them: each ends with "\n". */
export function formatClientList(records: readonly ClientRecord[]): string {
  let out = '';
  for (const r of records) out += `${formatClientLine(r)}\n`;
  return out;
}

/** Client types of CLIENT LIST/KILL TYPE. slotgate has no master or replica clients. */
export type ClientType = 'normal' | 'pubsub' | 'master' | 'replica';

export function isPubsub(r: ClientRecord): boolean {
  return r.flags.includes('P');
}

/**
 * Which sessions a CLIENT LIST, CLIENT KILL or admin request is about. Every field narrows; an
 * empty filter matches every session. Plain data, so a peer applies exactly the same filter.
 */
export interface ClientFilter {
  readonly ids?: readonly number[];
  readonly type?: ClientType;
  readonly addr?: string;
  readonly laddr?: string;
  readonly user?: string;
  /** A session with this id is never matched (CLIENT KILL SKIPME yes: the caller). */
  readonly skipId?: number;
  /** Only sessions older than this many seconds (CLIENT KILL MAXAGE, Redis 7.4). */
  readonly maxAge?: number;
}

/** True when the session `r` is one `f` is about. */
export function matchesFilter(r: ClientRecord, f: ClientFilter): boolean {
  if (f.ids !== undefined && !f.ids.includes(r.id)) return false;
  if (f.skipId !== undefined && r.id === f.skipId) return false;
  if (f.type !== undefined) {
    if (f.type === 'master' || f.type === 'replica') return false;
    // Redis: a client in pub/sub mode is of type pubsub, every other one normal.
    if ((f.type === 'pubsub') !== isPubsub(r)) return false;
  }
  if (f.addr !== undefined && r.addr !== f.addr) return false;
  if (f.laddr !== undefined && r.laddr !== f.laddr) return false;
  if (f.user !== undefined && r.user !== f.user) return false;
  if (f.maxAge !== undefined && r.age <= f.maxAge) return false;
  return true;
}
