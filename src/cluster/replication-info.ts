/**
 * Reads `INFO replication` (and Sentinel's `SENTINEL REPLICAS`) into what a non-cluster topology
 * needs: the node's role, where its master is, and for a master its replicas with their offsets.
 * Backend replies are untrusted input: anything malformed throws, and the refresher keeps the
 * previous snapshot.
 */
import { RespError, type RespValue } from '../protocol/reply-parser.js';
import type { NodeHealth } from './topology-snapshot.js';

export interface ReplicaEntry {
  readonly host: string;
  readonly port: number;
  /** `state=` of the master's slaveN line: online, wait_bgsave, send_bulk… */
  readonly state: string;
  readonly offset: number;
}

export type ReplicationInfo =
  | { readonly role: 'master'; readonly offset: number; readonly replicas: readonly ReplicaEntry[] }
  | { readonly role: 'replica'; readonly masterHost: string; readonly masterPort: number; readonly linkUp: boolean; readonly syncInProgress: boolean };

export function parseReplicationInfo(reply: RespValue): ReplicationInfo {
  if (reply instanceof RespError) throw new Error(reply.message);
  if (!Buffer.isBuffer(reply) && typeof reply !== 'string') throw new Error('INFO replication: not a bulk string');
  const fields = new Map<string, string>();
  for (const line of reply.toString().split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon > 0) fields.set(line.slice(0, colon), line.slice(colon + 1));
  }
  const role = fields.get('role');
  if (role === 'slave') {
    return {
      role: 'replica',
      masterHost: fields.get('master_host') ?? '',
      masterPort: toPort(fields.get('master_port')),
      linkUp: fields.get('master_link_status') === 'up',
      syncInProgress: fields.get('master_sync_in_progress') !== '0',
    };
  }
  if (role !== 'master') throw new Error(`INFO replication: unexpected role '${role ?? ''}'`);
  const replicas: ReplicaEntry[] = [];
  for (const [name, value] of fields) {
    if (!/^slave\d+$/.test(name)) continue;
    const entry = new Map(value.split(',').map((pair) => pair.split('=', 2) as [string, string]));
    replicas.push({ host: entry.get('ip') ?? '', port: toPort(entry.get('port')), state: entry.get('state') ?? '', offset: toOffset(entry.get('offset')) });
  }
  return { role: 'master', offset: toOffset(fields.get('master_repl_offset')), replicas };
}

/** A replica's health from its master's view: only a replica in sync (`online`) serves reads. */
export function replicaHealth(state: string): NodeHealth {
  return state === 'online' ? 'online' : 'loading';
}

export interface SentinelReplica {
  readonly host: string;
  readonly port: number;
  /**
   * Sentinel's flags say it is down (s_down, o_down). Not its `master-link-status`: Sentinel reads
   * a replica's INFO only every few seconds, so right after a failover that is stale; whether the
   * replica is linked and in sync comes from the master's own INFO (replicationShard).
   */
  readonly down: boolean;
}

/** `SENTINEL REPLICAS <name>`: one flat field/value array per replica. */
export function parseSentinelReplicas(reply: RespValue): SentinelReplica[] {
  if (reply instanceof RespError) throw new Error(reply.message);
  if (!Array.isArray(reply)) throw new Error('SENTINEL REPLICAS: not an array');
  return reply.map((item) => {
    if (!Array.isArray(item) || item.length % 2 !== 0) throw new Error('SENTINEL REPLICAS: bad entry');
    const fields = new Map<string, string>();
    for (let i = 0; i < item.length; i += 2) fields.set(text(item[i]), text(item[i + 1]));
    const flags = (fields.get('flags') ?? '').split(',');
    const down = flags.some((f) => f === 's_down' || f === 'o_down');
    return { host: fields.get('ip') ?? '', port: toPort(fields.get('port')), down };
  });
}

/** `SENTINEL GET-MASTER-ADDR-BY-NAME <name>`: [host, port], or null when the name is unknown. */
export function parseMasterAddress(reply: RespValue): { host: string; port: number } | null {
  if (reply instanceof RespError) throw new Error(reply.message);
  if (reply === null) return null;
  if (!Array.isArray(reply) || reply.length !== 2) throw new Error('SENTINEL GET-MASTER-ADDR-BY-NAME: bad reply');
  return { host: text(reply[0]), port: toPort(text(reply[1])) };
}

function text(value: RespValue | undefined): string {
  if (typeof value === 'string') return value;
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  if (typeof value === 'number') return String(value);
  return '';
}

function toPort(value: string | undefined): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0 || n > 65535) throw new Error(`bad port '${value ?? ''}'`);
  return n;
}

function toOffset(value: string | undefined): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new Error(`bad replication offset '${value ?? ''}'`);
  return n;
}

/** `SENTINEL MASTER <name>`: the `config-epoch` of that Sentinel's configuration (see sentinel-config.ts). */
export function parseConfigEpoch(reply: RespValue): number {
  if (reply instanceof RespError) throw new Error(reply.message);
  if (!Array.isArray(reply) || reply.length % 2 !== 0) throw new Error('SENTINEL MASTER: bad reply');
  for (let i = 0; i < reply.length; i += 2) {
    if (text(reply[i]) !== 'config-epoch') continue;
    const epoch = Number(text(reply[i + 1]));
    if (!Number.isSafeInteger(epoch) || epoch < 0) throw new Error(`SENTINEL MASTER: bad config-epoch '${text(reply[i + 1])}'`);
    return epoch;
  }
  throw new Error('SENTINEL MASTER: no config-epoch');
}
