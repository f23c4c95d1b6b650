/**
 * The backend connections one client holds of its own, and what slotgate remembers of where its
 * commands went: the blocking connections (one per node and database, opened on first use), the
 * WATCH connection, the node-side client ids CLIENT UNBLOCK needs, and the masters written to
 * since the last WAIT.
 *
 * One owner, one release path: `release()` closes every connection this client holds. A closed
 * connection is what makes a node forget the client: Redis frees a blocked client (BLPOP … 0)
 * the moment its connection closes, so a client that leaves while blocked leaves nothing blocked
 * on the node.
 */
import type { NodeConnection } from '../backend/node-connection.js';
import { replyIgnored } from '../backend/backend-request.js';
import type { WatchState } from '../handlers/command-call.js';
import type { ProxyContext } from '../handlers/proxy-context.js';
import type { UnblockReason } from '../peers/client-directory.js';
import { encodeCommand } from '../protocol/encoder.js';
import { RespError } from '../protocol/reply-parser.js';
import type { RespVersion } from '../protocol/resp3-encoder.js';
import type { ForwardContext } from '../upstream/forwarder.js';
import { replicaReadConnection } from '../upstream/replica-read-target.js';

const HELLO_2 = encodeCommand(['HELLO', '2']);
const HELLO_3 = encodeCommand(['HELLO', '3']);
const PING = ['PING'];

/** What the affinity reads of its client: who it is, its lane, and which protocol and database it uses now. */
export interface AffinityClient {
  readonly id: number;
  /** Which of a node's shared connections its commands take now (ClientConnection.chooseLane). */
  readonly lane: number;
  readonly protocol: RespVersion;
  readonly db: number;
}

/**
 * The pool's affinity for a client: its id brought into small-integer range, once. A client id is a
 * 64-bit-style number (README: *Client sessions*), a double to V8, and the pool's `affinity % n`
 * on a double is an x87 `fprem` loop: perf put it at a quarter of the forward path's own time
 * (issue #22). It is the lane of the client's pipelined bursts (ClientConnection.chooseLane).
 */
export function affinityOf(clientId: number): number {
  return (clientId % 0x40000000) | 0; // | 0: an int32, so V8 keeps it as a small integer, not a double
}

/**
 * A ForwardContext: one object literal for both kinds, so the forwarder's property reads see one
 * shape (replicaReadConnection is present, maybe undefined).
 */
function forwardContext(
  proxy: ProxyContext,
  connectionFor: ForwardContext['connectionFor'],
  replicaRead: ((slot: number) => NodeConnection | null) | undefined,
): ForwardContext {
  const pool = proxy.pool;
  return {
    topology: proxy.topology,
    metrics: proxy.metrics,
    maxRedirects: proxy.config.maxRedirects,
    commandTimeoutMs: proxy.config.commandTimeoutMs,
    recentlyFailed: (address: string) => pool.recentlyFailed(address),
    connectionFor,
    replicaReadConnection: replicaRead,
  };
}

export class BackendAffinity {
  /** Slot and connection of an active WATCH: the transaction must run on that connection. */
  watch: WatchState | null = null;

  /** The WATCH connection as what it is: handlers hold it as an opaque BackendHandle, made here. */
  private get watchConnection(): NodeConnection | null {
    return (this.watch?.conn as NodeConnection | undefined) ?? null;
  }
  /** Connections for blocking commands, by node and database (see blockingConnection). */
  private blockingConnections: Map<string, NodeConnection> | null = null;
  /** The node-side client id of each blocking connection (CLIENT ID, pipelined as it opens). */
  private blockingBackendIds: Map<string, Promise<number | null>> | null = null;
  /** Node and connection key of the blocking command sent last. */
  private blockingAddress: string | null = null;
  private blockingKey: string | null = null;
  /** Masters this client wrote to since its last WAIT (handlers/wait.ts); null for none. */
  private writtenMasters: Set<string> | null = null;
  private lastWrittenMaster: string | null = null;
  private sharedForwardContext: ForwardContext | null = null;
  private blockingForwardContext: ForwardContext | null = null;
  private released = false;

  constructor(
    private readonly proxy: ProxyContext,
    private readonly client: AffinityClient,
  ) {}

  /** How this client's commands reach the backend on shared connections (or its WATCH connection); made on first use. */
  get sharedForward(): ForwardContext {
    return (this.sharedForwardContext ??= this.makeSharedForward());
  }

  private makeSharedForward(): ForwardContext {
    const proxy = this.proxy;
    const pool = proxy.pool;
    const client = this.client;
    // The lane is read per command: it changes between pipelines (ClientConnection.chooseLane).
    return forwardContext(
      proxy,
      (address, node) => {
        if (this.watchConnection?.address === address) return this.watchConnection;
        return node === undefined ? pool.connectionFor(address, client.lane, client.protocol, client.db) : pool.connectionForNode(node, client.lane, client.protocol, client.db);
      },
      // proxy.runtime is read per call: a reload replaces it (config/reload.ts).
      (slot) => replicaReadConnection(proxy.topology, proxy.runtime, pool, slot, client.lane, client.protocol, client.db),
    );
  }

  /** How this client's blocking commands reach the backend: on connections of its own. */
  get blockingForward(): ForwardContext {
    return (this.blockingForwardContext ??= forwardContext(this.proxy, (address) => this.blockingConnection(address), undefined));
  }

  private blockingConnection(address: string): NodeConnection {
    const { db, protocol } = this.client;
    // One per node and database: a connection stays in the database it selected when it connected.
    const key = db === 0 ? address : `${address}/${db}`;
    const connections = (this.blockingConnections ??= new Map());
    let conn = connections.get(key);
    // A connection whose socket broke (idle) would reconnect as another node-side client: the id
    // CLIENT UNBLOCK needs would be wrong. It is replaced.
    if (!conn || conn.isClosed || conn.isIdle) {
      conn?.close();
      // Handed over open, its CLIENT ID (which CLIENT UNBLOCK needs) already asked: the blocking
      // command is written at once, ahead of other clients' later commands (backend/blocking-spares.ts).
      const taken = this.proxy.pool.blockingConnection(address, protocol, db);
      conn = taken.conn;
      // Opened after release (a command answered after the client left): nobody would close it.
      if (this.released) conn.close();
      connections.set(key, conn);
      (this.blockingBackendIds ??= new Map()).set(key, taken.backendId);
    }
    this.blockingAddress = address;
    this.blockingKey = key;
    return conn;
  }

  /**
   * Resolves true once the node holds the blocking command sent last: its connection's CLIENT ID
   * (asked first on it) has come back, so the connection is open and the command was written
   * behind it, and then a PING on a shared connection to the same node, sent after that, has come
   * back, so the node has read the command (it reads what arrived earlier no later than what
   * arrived since, and writes the PING's reply after). Until then a
   * client is not reported blocked: a test or an operator that sees `blocked_clients:1` and then
   * changes the key must find the node already holding the command.
   */
  async blockedOnNode(): Promise<boolean> {
    const address = this.blockingAddress;
    const key = this.blockingKey;
    if (address === null || key === null) return false;
    const id = await this.blockingBackendIds?.get(key);
    if (id === null || id === undefined || this.released) return false;
    const reply = await this.proxy.pool.execute(address, PING).catch(() => null);
    return reply !== null && !(reply instanceof RespError);
  }

  /**
   * CLIENT UNBLOCK for this client: the node holding its blocking command is asked to unblock it
   * (CLIENT UNBLOCK <its connection's id> TIMEOUT|ERROR), so the node's own reply (nil, or
   * -UNBLOCKED) comes back the usual way. Nothing is cut short here: a value the node already
   * popped is never lost. `stillBlocked` is asked again after each wait.
   */
  async unblock(reason: UnblockReason, stillBlocked: () => boolean): Promise<boolean> {
    const address = this.blockingAddress;
    const key = this.blockingKey;
    if (address === null || key === null) return false;
    const backendId = await this.blockingBackendIds?.get(key);
    if (backendId === null || backendId === undefined || !stillBlocked()) return false;
    const reply = await this.proxy.pool.execute(address, ['CLIENT', 'UNBLOCK', String(backendId), reason.toUpperCase()]);
    return !(reply instanceof RespError) && reply === 1;
  }

  /** A connection of this client's own to `address` (WATCH state lives on it), in its database. */
  dedicatedConnection(address: string): NodeConnection {
    const conn = this.proxy.pool.dedicated(address, {}, this.client.protocol, this.client.db);
    if (this.released) conn.close();
    return conn;
  }

  noteWrittenMaster(address: string): void {
    // Consecutive writes mostly go to the same master: skip the Set for them.
    if (address === this.lastWrittenMaster) return;
    this.lastWrittenMaster = address;
    (this.writtenMasters ??= new Set()).add(address);
  }

  takeWrittenMasters(): string[] {
    const masters = this.writtenMasters ? [...this.writtenMasters] : [];
    this.writtenMasters = null;
    this.lastWrittenMaster = null;
    return masters;
  }

  /**
   * The client now speaks `version` (HELLO, RESET; nothing of it is in flight): idle blocking
   * connections are dropped (re-made in the new protocol when next needed); a WATCH connection
   * must be kept (its WATCH lives there), so it says HELLO itself.
   */
  protocolChanged(version: RespVersion): void {
    this.closeBlockingConnections();
    this.watchConnection?.send(replyIgnored(version === 3 ? HELLO_3 : HELLO_2));
  }

  /** Ends a WATCH: closing its connection is what UNWATCH does, and frees the connection too. */
  dropWatch(): void {
    this.watch?.conn.close();
    this.watch = null;
  }

  /** Number of connections this client holds now (tests and leak checks count them). */
  get heldConnections(): number {
    let held = this.watchConnection && !this.watchConnection.isClosed ? 1 : 0;
    if (this.blockingConnections) for (const conn of this.blockingConnections.values()) if (!conn.isClosed) held++;
    return held;
  }

  private closeBlockingConnections(): void {
    if (this.blockingConnections) for (const conn of this.blockingConnections.values()) conn.close();
    this.blockingConnections = null;
    this.blockingBackendIds = null;
    this.blockingAddress = null;
    this.blockingKey = null;
  }

  /** Closes every connection of this client's own; one opened later is closed at once. */
  release(): void {
    this.released = true;
    this.closeBlockingConnections();
    this.dropWatch();
  }
}
