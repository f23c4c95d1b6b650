/**
 * Client-side caching through slotgate (CLIENT TRACKING): where invalidations come from.
 *
 * Design: ONE connection of slotgate's own to each master, in RESP3, with `CLIENT TRACKING ON
 * BCAST` and no prefix: the node pushes an `invalidate` for every key written on it (by anyone:
 * slotgate's clients, clients of the node itself, expiry, eviction), and slotgate's tracking
 * table (tracking-table.ts) turns it into Redis's per-client invalidations. The other design,
 * per-client tracking connections to every node with REDIRECT, would cost every tracking client
 * a connection per master and break the shared, pipelined connections its reads travel on; this
 * one costs each node one push per write batch (keys written in one event-loop turn of the node
 * travel in one push) whether or not anyone caches them, and slotgate one Map entry per key read
 * by a tracking client. Nothing is opened until the first client turns tracking on: clients that
 * never track cost nothing.
 *
 * Never stale silently: whenever an invalidation may have been missed, every tracking client gets
 * a null invalidation (flush everything), as Redis sends on FLUSHALL:
 *  - a tracking connection breaks (and again once it is back: writes made while it was down were
 *    not reported);
 *  - the topology changes (a failover, slots moving, a node leaving): the new owner of a slot may
 *    hold values written while slotgate listened to another node.
 */
import type { NodeConnection } from '../backend/node-connection.js';
import { executeOn, type NodePool } from '../backend/node-pool.js';
import type { TopologyManager } from '../cluster/topology-manager.js';
import type { TopologySnapshot } from '../cluster/topology-snapshot.js';
import { arrayElementFrames, bulkOf } from './resp-elements.js';
import type { ClientTracking } from './tracking-client.js';
import { TrackingTable } from './tracking-table.js';

export interface TrackingHubEvents {
  /** Invalidation frames sent to clients. */
  sent(frames: number): void;
  warn(fields: Record<string, unknown>, message: string): void;
}

const RETRY_MS = [50, 100, 250, 500, 1000];
const INVALIDATE = Buffer.from('invalidate');

/** One master's tracking connection. */
class TrackingLink {
  private readonly conn: NodeConnection;
  private up = false;
  /** The first attempt to turn tracking on has ended (up or failed). */
  settled = false;
  private closed = false;
  private attempt = 0;
  private retry: NodeJS.Timeout | null = null;

  constructor(
    readonly address: string,
    pool: NodePool,
    private readonly hub: TrackingHub,
  ) {
    this.conn = pool.dedicated(address, { onPush: (frame) => this.onPush(frame), onBroken: () => this.onBroken() }, 3);
    this.establish();
  }

  private establish(): void {
    executeOn(this.conn, ['CLIENT', 'TRACKING', 'ON', 'BCAST']).then(
      (reply) => {
        if (this.closed) return;
        if (reply !== 'OK') return this.failed(`CLIENT TRACKING refused: ${String((reply as { message?: string }).message ?? reply)}`);
        this.up = true;
        this.attempt = 0;
        // Writes made before (a new master, or this one while the link was down) went unreported.
        // Clients that read nothing since turning tracking on (or since their last flush) are skipped.
        this.hub.table.flushAll();
        this.settle();
      },
      (err: Error) => this.failed(err.message),
    );
  }

  private onPush(frame: Buffer): void {
    const elements = arrayElementFrames(frame);
    if (elements === null || elements.length !== 2 || !bulkOf(elements[0]!)?.equals(INVALIDATE)) return;
    const body = elements[1]!;
    if (body[0] === 0x5f) return this.hub.table.flushAll(); // `_`: FLUSHALL/FLUSHDB on the node
    const keys = arrayElementFrames(body);
    if (keys === null) return this.hub.table.flushAll();
    this.hub.table.invalidate(keys.map((k) => bulkOf(k)).filter((k): k is Buffer => k !== null));
  }

  private onBroken(): void {
    if (this.closed) return;
    this.up = false;
    this.hub.table.flushAll();
    this.failed('tracking connection lost');
  }

  private settle(): void {
    if (this.settled) return;
    this.settled = true;
    this.hub.linkSettled();
  }

  private failed(reason: string): void {
    this.settle();
    if (this.closed || this.retry !== null) return;
    if (this.attempt === 0) this.hub.events.warn({ node: this.address, reason }, 'client-side caching: tracking connection to a node failed; tracking clients were told to flush their caches');
    this.up = false;
    const delay = RETRY_MS[Math.min(this.attempt, RETRY_MS.length - 1)]!;
    this.attempt++;
    this.retry = setTimeout(() => {
      this.retry = null;
      this.establish();
    }, delay);
    this.retry.unref();
  }

  get isUp(): boolean {
    return this.up;
  }

  close(): void {
    this.closed = true;
    if (this.retry) clearTimeout(this.retry);
    this.conn.close();
  }
}

export class TrackingHub {
  readonly table: TrackingTable;
  private readonly links = new Map<string, TrackingLink>();
  private started = false;
  private closed = false;
  private waiters: (() => void)[] = [];
  private readonly onTopology = (snapshot: TopologySnapshot): void => {
    this.reconcile(snapshot);
    this.table.flushAll();
  };

  constructor(
    private readonly pool: NodePool,
    private readonly topology: TopologyManager,
    maxKeys: number,
    readonly events: TrackingHubEvents,
  ) {
    this.table = new TrackingTable(maxKeys, (frames) => events.sent(frames));
  }

  /** A client turned tracking on: the first one opens the tracking connections. */
  enable(client: ClientTracking): void {
    if (this.closed) return;
    if (!this.started) {
      this.started = true;
      this.topology.on('change', this.onTopology);
      this.reconcile(this.topology.current);
    }
    this.table.enable(client);
  }

  /**
   * Runs `ready` once every master's tracking connection has been tried (up, or failed and
   * retrying): CLIENT TRACKING ON answers then, so a client's first reads are reported.
   */
  whenSettled(ready: () => void): void {
    if (this.allSettled()) return ready();
    this.waiters.push(ready);
  }

  /** A link's first attempt ended. */
  linkSettled(): void {
    if (!this.allSettled()) return;
    const waiters = this.waiters;
    this.waiters = [];
    for (const ready of waiters) ready();
  }

  private allSettled(): boolean {
    for (const link of this.links.values()) if (!link.settled) return false;
    return true;
  }

  disable(client: ClientTracking): void {
    this.table.disable(client);
  }

  /** Masters whose tracking connection is up now (for tests and INFO). */
  get linksUp(): number {
    let up = 0;
    for (const link of this.links.values()) if (link.isUp) up++;
    return up;
  }

  /** A tracking connection to every master, none to anything else. */
  private reconcile(snapshot: TopologySnapshot): void {
    const masters = new Set(snapshot.masters().map((m) => m.address));
    for (const [address, link] of this.links) {
      if (masters.has(address)) continue;
      link.close();
      this.links.delete(address);
    }
    for (const address of masters) if (!this.links.has(address)) this.links.set(address, new TrackingLink(address, this.pool, this));
  }

  close(): void {
    this.closed = true;
    this.topology.off('change', this.onTopology);
    for (const link of this.links.values()) link.close();
    this.links.clear();
    this.linkSettled();
  }
}
