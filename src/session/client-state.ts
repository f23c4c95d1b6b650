/**
 * What a client has told slotgate about itself, and what it chose (name, database, protocol,
 * library, flags), as plain data; and its CLIENT LIST line, made from that data and from figures
 * the session's parts report (`LiveFigures`). No socket, no queue, no timer lives here.
 */
import type { ClientTracking } from '../upstream/tracking-client.js';
import type net from 'node:net';
import type { Account } from '../auth/accounts.js';
import type { OpenTransaction } from '../handlers/command-call.js';
import type { ClientRecord } from '../peers/client-record.js';
import type { RespVersion } from '../protocol/resp3-encoder.js';

/** Why a connection ended (the `reason` label of slotgate_client_connections_closed_total). */
export type CloseReason =
  | 'client_closed'
  | 'protocol_error'
  | 'quit'
  | 'killed'
  | 'output_buffer_limit'
  | 'query_buffer_limit'
  | 'idle_timeout'
  | 'drained'
  | 'shutdown';

/** open → (draining) → closing → closed: see session.ts. */
export type SessionPhase = 'open' | 'draining' | 'closing' | 'closed';

export class ClientState {
  readonly createdAt = Date.now();
  /**
   * When the client last sent something, on the monotonic clock (performance.now()): the session
   * stamps every read with callbackNow(), which costs nothing, where Date.now() per read did (issue #22).
   */
  lastInteractionAt = performance.now();
  name: string | null = null;
  /** The selected database (ConnectionState.db). */
  db = 0;
  /** The last command run, as CLIENT LIST `cmd=` shows it (Redis shows an unknown command as NULL). */
  lastCommand = 'NULL';
  transaction: OpenTransaction | null = null;
  libName = '';
  libVer = '';
  noEvict = false;
  noTouch = false;
  /** RESP2 until HELLO 3; picks the backend connections (their protocol) for this client's commands. */
  protocol: RespVersion = 2;
  /** Kept for the session's life, whatever later reloads do to the account. Null: not signed in. */
  account: Account | null = null;
  /** CLIENT TRACKING state; null until the client first turns it on (handlers/tracking-commands.ts). */
  tracking: ClientTracking | null = null;

  constructor(readonly id: number) {}
}

/** The states a session can be in that CLIENT LIST shows as flags. */
export interface FlagFacts {
  readonly monitor: boolean;
  readonly subscribed: boolean;
  readonly transaction: boolean;
  readonly blocked: boolean;
  /** CLIENT TRACKING's letters (t, R, B), '' when off. */
  readonly tracking: string;
  readonly closing: boolean;
  readonly noEvict: boolean;
  readonly noTouch: boolean;
}

/** CLIENT LIST flags: Redis's letters, in Redis's order, for the states a slotgate session can be in. */
export function clientFlags(f: FlagFacts): string {
  let flags = '';
  if (f.monitor) flags += 'O';
  // Redis's CLIENT_PUBSUB: subscribed to anything, in RESP2 or RESP3.
  if (f.subscribed) flags += 'P';
  if (f.transaction) flags += 'x';
  if (f.blocked) flags += 'b';
  flags += f.tracking;
  if (f.closing) flags += 'c';
  if (f.noEvict) flags += 'e';
  if (f.noTouch) flags += 'T';
  return flags || 'N';
}

/** Figures of the session's socket and parts at the moment of the listing. */
export interface LiveFigures {
  readonly addr: string;
  readonly laddr: string;
  readonly fd: number;
  readonly flags: string;
  readonly sub: number;
  readonly psub: number;
  readonly ssub: number;
  /** Bytes received and not yet run, replies owed, bytes written and not yet taken. */
  readonly qbuf: number;
  readonly oll: number;
  readonly omem: number;
  readonly reading: boolean;
  /** The command being run now, if any (a client's own CLIENT LIST shows itself). */
  readonly runningCommand: string | null;
  readonly network: 'tcp' | 'tls';
  readonly proxy: string;
}

/** The socket's part of a CLIENT LIST line. */
export function socketFigures(socket: net.Socket): Pick<LiveFigures, 'addr' | 'laddr' | 'fd' | 'network'> {
  // The descriptor when Node exposes it (-1 otherwise, e.g. TLS).
  const fd = (socket as unknown as { _handle?: { fd?: unknown } })._handle?.fd;
  return {
    addr: `${socket.remoteAddress}:${socket.remotePort}`,
    laddr: `${socket.localAddress}:${socket.localPort}`,
    fd: typeof fd === 'number' ? fd : -1,
    network: 'encrypted' in socket ? 'tls' : 'tcp',
  };
}

export function clientRecordOf(state: ClientState, live: LiveFigures, now = Date.now(), monotonicNow = performance.now()): ClientRecord {
  return {
    id: state.id,
    addr: live.addr,
    laddr: live.laddr,
    fd: live.fd,
    name: state.name ?? '',
    age: Math.floor((now - state.createdAt) / 1000),
    idle: Math.floor((monotonicNow - state.lastInteractionAt) / 1000),
    flags: live.flags,
    db: state.db,
    sub: live.sub,
    psub: live.psub,
    ssub: live.ssub,
    multi: state.transaction ? state.transaction.queued : -1,
    qbuf: live.qbuf,
    qbufFree: 0,
    obl: 0,
    oll: live.oll,
    omem: live.omem,
    totMem: live.qbuf + live.omem,
    events: (live.reading ? 'r' : '') + (live.omem > 0 ? 'w' : ''),
    cmd: live.runningCommand ?? state.lastCommand,
    user: state.account?.name ?? 'default',
    resp: state.protocol,
    redir: state.tracking?.on ? state.tracking.redirectId : -1,
    libName: state.libName,
    libVer: state.libVer,
    network: live.network,
    proxy: live.proxy,
  };
}
