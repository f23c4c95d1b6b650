/**
 * Backend connections by node address.
 *
 * Shared connections: a small fixed number per node (default 2), used by every client
 * session, picked round-robin. Multiplexing is what lets the proxy keep up with direct
 * Redis (see node-connection.ts). Dedicated connections: owned by one session for state
 * that lives on a connection (WATCH, blocking commands, SUBSCRIBE, MONITOR); the
 * session closes them when done. Replica-read connections: shared like the first kind, but
 * a separate set that sends READONLY on connect, so replicas serve reads on them (README: *Accounts, read/write splitting, disabled commands, reload*)
 * while writes and redirected commands never travel a READONLY connection.
 *
 * Databases (non-cluster backends, SELECT n): a shared connection serves one database for its
 * whole life. Connections for database n > 0 are separate groups that send SELECT n on every
 * connect (after HELLO 3 and READONLY when those apply), so a session in db 3 multiplexes over
 * db-3 connections and a client's SELECT never changes what another client's commands see.
 * Groups are therefore keyed by address and database, in each of the four kinds (RESP2/RESP3,
 * plain/READONLY).
 */
import { NodeConnection, type NodeConnectionOptions } from './node-connection.js';
import { wholePayload, type BackendFailure } from './backend-request.js';
import { BlockingSpares, type BlockingConnection } from './blocking-spares.js';
import { encodeCommand } from '../protocol/encoder.js';
import type { RespVersion } from '../protocol/resp3-encoder.js';
import { parseReply, RespError, type RespValue } from '../protocol/reply-parser.js';

/**
 * The longest timer Node allows: in effect no command timeout, for connections whose command may
 * rightly wait forever (a blocking command with timeout 0, a MONITOR feed on an idle node).
 */
export const NO_TIMEOUT_MS = 2 ** 31 - 1;

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
/**
 * A RESP3 client's commands travel connections that said HELLO 3, so Redis itself encodes their
 * replies as it would for that client (maps, sets, doubles, `_` nulls…): exact, and nothing to
 * convert. HELLO (without AUTH) changes nothing but the protocol.
 */
const HELLO_3 = encodeCommand(['HELLO', '3']);
const RESP3_HANDSHAKE = [HELLO_3];
const RESP3_READONLY_HANDSHAKE = [HELLO_3, READONLY];
const READONLY_HANDSHAKE = [READONLY];

/**
 * The handshake of a new connection in database `db` (`base`: the protocol/READONLY part).
 * SELECT goes last: AUTH (written by the connection itself) and HELLO 3 do not depend on the
 * database, and READONLY is per connection, not per database.
 */
function withDatabase(base: NodeConnectionOptions, db: number): NodeConnectionOptions {
  if (db === 0) return base;
  return { ...base, handshake: [...(base.handshake ?? []), encodeCommand(['SELECT', String(db)])] };
}

function groupKey(address: string, db: number): string {
  return db === 0 ? address : `${address}/${db}`;
}

export class NodePool {
  private readonly shared = new Map<string, SharedGroup>();
  /** The groups of `shared` in database 0 by address id (connectionForNode); a group leaves both at once (retireWhere, close). */
  private readonly sharedById: (SharedGroup | undefined)[] = [];
  private readonly replicaReadShared = new Map<string, SharedGroup>();
  /** The same two kinds for RESP3 sessions (made on first use: RESP2-only deployments open none). */
  private readonly shared3 = new Map<string, SharedGroup>();
  private readonly replicaReadShared3 = new Map<string, SharedGroup>();
  private readonly resp3Options: NodeConnectionOptions;
  private readonly resp3ReadonlyOptions: NodeConnectionOptions;
  private readonly readonlyOptions: NodeConnectionOptions;
  /** When each address last failed; keyless commands avoid recently failed nodes. */
  private readonly lastFailure = new Map<string, number>();
  private closed = false;
  private readonly options: NodePoolOptions;
  /** The next blocking command's connection to each node, open ahead (blocking-spares.ts). */
  private readonly blockingSpares = new BlockingSpares(
    (address, protocol, db) => this.dedicated(address, { commandTimeoutMs: NO_TIMEOUT_MS }, protocol, db),
    executeOn,
  );

  constructor(options: NodePoolOptions) {
    this.options = {
      ...options,
      onBroken: (address, failure) => {
        // Out of file descriptors is this process's trouble, not the node's: keep routing to it.
        if (failure.kind !== 'descriptors') this.lastFailure.set(address, Date.now());
        options.onBroken?.(address, failure);
      },
    };
    this.resp3Options = { ...this.options, handshake: RESP3_HANDSHAKE };
    this.resp3ReadonlyOptions = { ...this.options, handshake: RESP3_READONLY_HANDSHAKE };
    this.readonlyOptions = { ...this.options, handshake: READONLY_HANDSHAKE };
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
  connectionFor(address: string, affinity?: number, protocol: RespVersion = 2, db = 0): NodeConnection {
    return protocol === 2
      ? this.pick(this.shared, address, this.options, affinity, db)
      : this.pick(this.shared3, address, this.resp3Options, affinity, db);
  }

  /**
   * connectionFor(node.address, …) found by the node's address id, the hot path's way: for the
   * usual RESP2 session in database 0, an array index instead of a lookup by the address string
   * (address-ids.ts). The same group, so the same connection for a session, whichever way is asked.
   */
  connectionForNode(node: { readonly address: string; readonly addressId: number }, affinity: number, protocol: RespVersion, db: number): NodeConnection {
    if (protocol !== 2 || db !== 0) return this.connectionFor(node.address, affinity, protocol, db);
    const group = (this.sharedById[node.addressId] ??= this.group(this.shared, node.address, this.options, 0));
    return group.conns[affinity % group.conns.length]!;
  }

  /** A shared connection to the replica at `address` that has sent READONLY (same affinity rule). */
  replicaReadConnectionFor(address: string, affinity: number, protocol: RespVersion = 2, db = 0): NodeConnection {
    return protocol === 2
      ? this.pick(this.replicaReadShared, address, this.readonlyOptions, affinity, db)
      : this.pick(this.replicaReadShared3, address, this.resp3ReadonlyOptions, affinity, db);
  }

  private pick(groups: Map<string, SharedGroup>, address: string, options: NodeConnectionOptions, affinity: number | undefined, db: number): NodeConnection {
    const group = this.group(groups, address, options, db);
    if (affinity !== undefined) return group.conns[affinity % group.conns.length]!;
    const conn = group.conns[group.next]!;
    group.next = (group.next + 1) % group.conns.length;
    return conn;
  }

  /** The group of `groups` for `address` in database `db`, made (its connections not yet opened) when there is none. */
  private group(groups: Map<string, SharedGroup>, address: string, options: NodeConnectionOptions, db: number): SharedGroup {
    const key = groupKey(address, db);
    let group = groups.get(key);
    if (!group) {
      const [host, port] = splitAddress(address);
      const dbOptions = withDatabase(options, db);
      const conns = Array.from({ length: this.options.connectionsPerNode }, () => new NodeConnection(host, port, dbOptions));
      group = { address, conns, next: 0 };
      groups.set(key, group);
    }
    return group;
  }

  /**
   * A connection of the caller's own (HELLO 3 first for `protocol` 3, then SELECT `db` when not 0);
   * the caller must `close()` it.
   */
  dedicated(address: string, overrides: Partial<NodeConnectionOptions> = {}, protocol: RespVersion = 2, db = 0): NodeConnection {
    const [host, port] = splitAddress(address);
    return new NodeConnection(host, port, { ...withDatabase(protocol === 2 ? this.options : this.resp3Options, db), ...overrides });
  }

  /**
   * A connection of its own for a client's blocking command to `address` (no command timeout: a
   * blocking command may wait forever), handed over already open with its node-side client id
   * asked; the caller must `close()` it.
   */
  blockingConnection(address: string, protocol: RespVersion = 2, db = 0): BlockingConnection {
    return this.blockingSpares.take(address, protocol, db);
  }

  /** Resolves true once the spare for the next blocking command to `address` is open and signed in. */
  blockingSpareReady(address: string, protocol: RespVersion = 2, db = 0): Promise<boolean> {
    return this.blockingSpares.ready(address, protocol, db);
  }

  /**
   * A subscriber connection to `address` (upstream/subscriber-link.ts): the same sign-in and TLS
   * as every backend socket, no handshake command (READONLY would be pointless), every frame to
   * `onSubscribedFrame`. `onBroken` hears of its failure after the pool has noted it (topology refresh).
   * The caller must `close()` it.
   */
  subscriber(address: string, onSubscribedFrame: (frame: Buffer, isError: boolean) => void, onBroken: (failure: BackendFailure) => void): NodeConnection {
    const [host, port] = splitAddress(address);
    return new NodeConnection(host, port, {
      ...this.options,
      handshake: undefined,
      onSubscribedFrame,
      onBroken: (brokenAddress, failure) => {
        this.options.onBroken?.(brokenAddress, failure);
        onBroken(failure);
      },
    });
  }

  /**
   * Sends one command and resolves with its parsed reply (a RespError for `-ERR …`).
   * For control-plane work (topology, admin), not the hot path.
   */
  execute(address: string, args: ReadonlyArray<Buffer | string>): Promise<RespValue> {
    if (this.closed) return Promise.reject(new Error('pool closed'));
    return executeOn(this.connectionFor(address), args);
  }

  /**
   * Drops the shared connections of nodes no longer in the topology. They retire (node-connection.ts):
   * the commands they carry are answered, then they close.
   */
  retainOnly(addresses: ReadonlySet<string>): void {
    this.retireWhere((address) => !addresses.has(address));
  }

  /** Retires the shared connections to `address` (a master failed over); later requests get new ones. */
  retire(address: string): void {
    this.retireWhere((candidate) => candidate === address);
  }

  private retireWhere(matches: (address: string) => boolean): void {
    this.blockingSpares.dropWhere(matches);
    for (const groups of [this.shared, this.replicaReadShared, this.shared3, this.replicaReadShared3]) {
      for (const [key, group] of groups) {
        if (!matches(group.address)) continue;
        for (const conn of group.conns) conn.retire();
        groups.delete(key);
      }
    }
    this.forgetIdsOfGone();
  }

  /** Drops the by-id entries whose group left `shared`. */
  private forgetIdsOfGone(): void {
    const byId = this.sharedById;
    for (let id = 0; id < byId.length; id++) {
      const group = byId[id];
      if (group !== undefined && this.shared.get(group.address) !== group) byId[id] = undefined;
    }
  }

  close(): void {
    this.closed = true;
    this.blockingSpares.close();
    for (const groups of [this.shared, this.replicaReadShared, this.shared3, this.replicaReadShared3]) {
      for (const group of groups.values()) for (const conn of group.conns) conn.close();
      groups.clear();
    }
    this.sharedById.length = 0;
  }
}

/** Sends one command on `conn` and resolves with the parsed reply. */
export function executeOn(conn: NodeConnection, args: ReadonlyArray<Buffer | string>): Promise<RespValue> {
  return new Promise((resolve, reject) => {
    conn.send({
      ...wholePayload(encodeCommand(args)),
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
