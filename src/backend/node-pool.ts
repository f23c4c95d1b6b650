/**
 * Backend connections by node address.
 *
 * Shared connections: a small fixed number per node (default 2), used by every client
 * session, picked round-robin. Multiplexing is what lets the proxy keep up with direct
 * Redis (see node-connection.ts). Dedicated connections: owned by one session for state
 * that lives on a connection (WATCH, blocking commands, SUBSCRIBE, MONITOR); the
 * session closes them when done. Replica-read connections: shared like the first kind, but
 * a separate set that sends READONLY on connect, so replicas serve reads on them (SPEC §6)
 * while writes and redirected commands never travel a READONLY connection.
 *
 * Databases (non-cluster backends, SELECT n): a shared connection serves one database for its
 * whole life. Connections for database n > 0 are separate groups that send SELECT n on every
 * connect (before anything else, like READONLY), so a session in db 3 multiplexes over db-3
 * connections and a client's SELECT never changes what another client's commands see.
 */
import { NodeConnection, type BackendFailure, type NodeConnectionOptions } from './node-connection.js';
import { encodeCommand } from '../protocol/encoder.js';
import { parseReply, RespError, type RespValue } from '../protocol/reply-parser.js';

export interface NodePoolOptions extends NodeConnectionOptions {
  connectionsPerNode: number;
}

interface SharedGroup {
  /** The node; groups are keyed by address and database. */
  address: string;
  conns: NodeConnection[];
  next: number;
}

const READONLY = encodeCommand(['READONLY']);

/** The commands a new connection in database `db` sends first (READONLY too for replica reads). */
function handshakeFor(db: number, readonly: boolean): Pick<NodeConnectionOptions, 'handshake' | 'handshakeReplies'> {
  const select = db === 0 ? null : encodeCommand(['SELECT', String(db)]);
  if (readonly) return select ? { handshake: Buffer.concat([READONLY, select]), handshakeReplies: 2 } : { handshake: READONLY, handshakeReplies: 1 };
  return select ? { handshake: select, handshakeReplies: 1 } : {};
}

function groupKey(address: string, db: number): string {
  return db === 0 ? address : `${address}/${db}`;
}

export class NodePool {
  private readonly shared = new Map<string, SharedGroup>();
  private readonly replicaReadShared = new Map<string, SharedGroup>();
  /** When each address last failed; keyless commands avoid recently failed nodes. */
  private readonly lastFailure = new Map<string, number>();
  private closed = false;
  private readonly options: NodePoolOptions;

  constructor(options: NodePoolOptions) {
    this.options = {
      ...options,
      onBroken: (address, failure) => {
        // Out of file descriptors is this process's trouble, not the node's: keep routing to it.
        if (failure.kind !== 'descriptors') this.lastFailure.set(address, Date.now());
        options.onBroken?.(address, failure);
      },
    };
  }

  /** True when a connection to `address` failed within the last `withinMs`. */
  recentlyFailed(address: string, withinMs = 5000): boolean {
    const at = this.lastFailure.get(address);
    return at !== undefined && Date.now() - at < withinMs;
  }

  /**
   * A shared connection to `address` ("host:port"). `affinity` (the session id) picks
   * the same connection every time for one session: a client's commands to one node
   * must travel one connection, or a pipelined SET then GET could be executed in the
   * wrong order. Without affinity (control-plane calls), round-robin.
   */
  connectionFor(address: string, affinity?: number, db = 0): NodeConnection {
    return this.pick(this.shared, address, db, false, affinity);
  }

  /** A shared connection to the replica at `address` that has sent READONLY (same affinity rule). */
  replicaReadConnectionFor(address: string, affinity: number, db = 0): NodeConnection {
    return this.pick(this.replicaReadShared, address, db, true, affinity);
  }

  private pick(groups: Map<string, SharedGroup>, address: string, db: number, readonly: boolean, affinity: number | undefined): NodeConnection {
    const key = groupKey(address, db);
    let group = groups.get(key);
    if (!group) {
      const [host, port] = splitAddress(address);
      const options = { ...this.options, ...handshakeFor(db, readonly) };
      const conns = Array.from({ length: this.options.connectionsPerNode }, () => new NodeConnection(host, port, options));
      group = { address, conns, next: 0 };
      groups.set(key, group);
    }
    if (affinity !== undefined) return group.conns[affinity % group.conns.length]!;
    const conn = group.conns[group.next]!;
    group.next = (group.next + 1) % group.conns.length;
    return conn;
  }

  /** A connection of the caller's own, in database `db`; the caller must `close()` it. */
  dedicated(address: string, overrides: Partial<NodeConnectionOptions> = {}, db = 0): NodeConnection {
    const [host, port] = splitAddress(address);
    return new NodeConnection(host, port, { ...this.options, ...handshakeFor(db, false), ...overrides });
  }

  /**
   * Sends one command and resolves with its parsed reply (a RespError for `-ERR …`).
   * For control-plane work (topology, admin), not the hot path.
   */
  execute(address: string, args: ReadonlyArray<Buffer | string>): Promise<RespValue> {
    if (this.closed) return Promise.reject(new Error('pool closed'));
    return executeOn(this.connectionFor(address), args);
  }

  /** Drops the shared connections of nodes no longer in the topology. */
  retainOnly(addresses: ReadonlySet<string>): void {
    for (const groups of [this.shared, this.replicaReadShared]) {
      for (const [key, group] of groups) {
        if (addresses.has(group.address)) continue;
        for (const conn of group.conns) conn.close();
        groups.delete(key);
      }
    }
  }

  close(): void {
    this.closed = true;
    for (const groups of [this.shared, this.replicaReadShared]) {
      for (const group of groups.values()) for (const conn of group.conns) conn.close();
      groups.clear();
    }
  }
}

/** Sends one command on `conn` and resolves with the parsed reply. */
export function executeOn(conn: NodeConnection, args: ReadonlyArray<Buffer | string>): Promise<RespValue> {
  return new Promise((resolve, reject) => {
    conn.send({
      payload: encodeCommand(args),
      replyCount: 1,
      onReply: (frame) => {
        try {
          resolve(parseReply(frame));
        } catch (err) {
          reject(err);
        }
      },
      onFailure: (failure: BackendFailure) => reject(new Error(failure.message)),
    });
  });
}

export function splitAddress(address: string): [string, number] {
  const at = address.lastIndexOf(':');
  if (at <= 0) throw new Error(`bad node address '${address}' (want host:port)`);
  const host = address.slice(0, at).replace(/^\[(.*)\]$/, '$1');
  const port = Number(address.slice(at + 1));
  if (!Number.isInteger(port) || port <= 0 || port > 65535) throw new Error(`bad port in node address '${address}'`);
  return [host, port];
}

export { RespError };
