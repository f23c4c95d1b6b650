/**
 * The sessions of every slotgate instance in front of the cluster, as one directory: this
 * instance's own (LocalSessions, answered at once) plus the other instances' through the peer
 * bus (answered within ASK_TIMEOUT_MS, or left out). CLIENT LIST/KILL and /v1/clients use it.
 */
import type { ClientFilter, ClientRecord } from './client-record.js';
import type { PeerBus } from './peer-bus.js';

export type UnblockReason = 'timeout' | 'error';

/** This process's sessions (session/local-sessions.ts). */
export interface LocalSessions {
  list(filter: ClientFilter): ClientRecord[];
  /**
   * Closes the matching sessions, except `spare` (the caller of CLIENT KILL, which is closed only
   * after its reply): `spared` says whether it matched.
   */
  kill(filter: ClientFilter, spare?: number): { killed: number; spared: boolean };
  /** CLIENT UNBLOCK: true when session `id` was blocked here and its node unblocked it. */
  unblock(id: number, reason: UnblockReason): Promise<boolean>;
}

type PeerRequest = { op: 'list'; filter: ClientFilter } | { op: 'kill'; filter: ClientFilter };

export interface KillOutcome {
  readonly killed: number;
  /** The spared caller matched: it must be closed after its reply. */
  readonly spared: boolean;
}

export class ClientDirectory {
  private bus: PeerBus | null = null;

  constructor(readonly local: LocalSessions) {}

  /** Once the bus runs (server.ts), the directory reaches the other instances too. */
  attach(bus: PeerBus | null): void {
    this.bus = bus;
  }

  /** Another instance's request (PeerBusOptions.answer). */
  answer(body: unknown): unknown {
    const request = body as PeerRequest;
    const filter = sanitizeFilter(request?.filter);
    if (request?.op === 'list') return this.local.list(filter);
    if (request?.op === 'kill') return this.local.kill(filter).killed;
    return null;
  }

  async list(filter: ClientFilter = {}): Promise<ClientRecord[]> {
    const records = this.local.list(filter);
    if (!this.bus) return records;
    const { answers } = await this.bus.ask<ClientRecord[]>({ op: 'list', filter } satisfies PeerRequest);
    answers.sort((a, b) => (a.proxy < b.proxy ? -1 : a.proxy > b.proxy ? 1 : 0));
    for (const answer of answers) if (Array.isArray(answer.body)) records.push(...answer.body);
    return records;
  }

  async kill(filter: ClientFilter, spare?: number): Promise<KillOutcome> {
    const own = this.local.kill(filter, spare);
    if (!this.bus) return own;
    const { answers } = await this.bus.ask<number>({ op: 'kill', filter } satisfies PeerRequest);
    let killed = own.killed;
    for (const answer of answers) if (typeof answer.body === 'number') killed += answer.body;
    return { killed, spared: own.spared };
  }
}

/** A filter from another instance, taken field by field: a peer's bug must not become ours. */
function sanitizeFilter(raw: unknown): ClientFilter {
  if (typeof raw !== 'object' || raw === null) return {};
  const f = raw as Record<string, unknown>;
  const out: { -readonly [K in keyof ClientFilter]: ClientFilter[K] } = {};
  if (Array.isArray(f.ids)) out.ids = f.ids.filter((id): id is number => typeof id === 'number');
  if (f.type === 'normal' || f.type === 'pubsub' || f.type === 'master' || f.type === 'replica') out.type = f.type;
  if (typeof f.addr === 'string') out.addr = f.addr;
  if (typeof f.laddr === 'string') out.laddr = f.laddr;
  if (typeof f.user === 'string') out.user = f.user;
  if (typeof f.skipId === 'number') out.skipId = f.skipId;
  if (typeof f.maxAge === 'number') out.maxAge = f.maxAge;
  return out;
}
