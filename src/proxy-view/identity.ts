/**
 * Who this slotgate instance says it is to clients: the address cluster-aware clients are told
 * to connect to (CLUSTER SLOTS/SHARDS/NODES, README: *Cross-slot commands, node targeting and the cluster view*), a node ID derived from it, and the
 * version and start time INFO reports.
 *
 * The node ID is sha1("host:port") of the announce address: stable across restarts and the same
 * for every worker behind one address, so a client that caches the ID is never confused, and
 * distinct for instances that announce distinct addresses.
 */
import { createHash } from 'node:crypto';
import { SLOTGATE_VERSION } from '../util/version.js';

export interface ProxyIdentity {
  readonly host: string;
  readonly port: number;
  /** 40 hex characters, like a Redis Cluster node ID. */
  readonly nodeId: string;
  readonly version: string;
  /** Date.now() when the instance started. */
  readonly startedAt: number;
}

export interface AnnounceSettings {
  /** Listening address; 0.0.0.0 / :: are not addresses a client can connect to. */
  readonly bind: string;
  readonly announceHost: string;
  /** 0: the listening port. */
  readonly announcePort: number;
}

const WILDCARD_ADDRESSES = new Set(['0.0.0.0', '::', '']);

export function proxyIdentity(settings: AnnounceSettings, listeningPort: number, startedAt = Date.now()): ProxyIdentity {
  const host = settings.announceHost || (WILDCARD_ADDRESSES.has(settings.bind) ? '127.0.0.1' : settings.bind);
  const port = settings.announcePort || listeningPort;
  return { host, port, nodeId: proxyNodeId(host, port), version: SLOTGATE_VERSION, startedAt };
}

export function proxyNodeId(host: string, port: number): string {
  return createHash('sha1').update(`${host}:${port}`).digest('hex');
}

export { SLOTGATE_VERSION };
