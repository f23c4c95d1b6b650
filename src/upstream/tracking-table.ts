/**
 * Which client caches what (Redis's tracking table, tracking.c), kept by slotgate because the
 * nodes see only slotgate's one tracking connection each (upstream/tracking-hub.ts):
 *  - default mode: key → the clients that read it since its last invalidation; an invalidation
 *    goes to each of them once, then the key is forgotten (as in Redis);
 *  - BCAST: every broadcast client hears of every key, filtered by its prefixes.
 * Bounded like `tracking-table-max-keys`: remembering a new key at the limit first invalidates the
 * oldest remembered key (Redis picks random ones; the oldest is as safe and cheaper to find: a
 * Map iterates in insertion order). Keys are the key bytes as latin1 strings (one char per byte).
 */
import type { ClientTracking } from './tracking-client.js';

export class TrackingTable {
  private readonly keys = new Map<string, Set<ClientTracking>>();
  /** Every client with tracking on, and those in BCAST mode. */
  private readonly clients = new Set<ClientTracking>();
  private readonly broadcast = new Set<ClientTracking>();
  private items = 0;

  /**
   * @param maxKeys 0: no limit
   * @param sent    counts the invalidation frames sent
   */
  constructor(
    public maxKeys: number,
    private readonly sent: (frames: number) => void,
  ) {}

  get keyCount(): number {
    return this.keys.size;
  }

  /** (key, client) pairs remembered: Redis's tracking_total_items. */
  get itemCount(): number {
    return this.items;
  }

  get clientCount(): number {
    return this.clients.size;
  }

  enable(client: ClientTracking): void {
    this.clients.add(client);
    if (client.bcast) this.broadcast.add(client);
  }

  /** Tracking off or the connection closed. Its remembered keys are dropped lazily (skipped when they are invalidated). */
  disable(client: ClientTracking): void {
    this.clients.delete(client);
    this.broadcast.delete(client);
  }

  remember(client: ClientTracking, keys: readonly Buffer[]): void {
    for (const key of keys) {
      const name = key.toString('latin1');
      let readers = this.keys.get(name);
      if (readers === undefined) {
        if (this.maxKeys > 0) while (this.keys.size >= this.maxKeys) this.evictOldest();
        readers = new Set();
        this.keys.set(name, readers);
      }
      if (readers.has(client)) continue;
      readers.add(client);
      this.items++;
    }
  }

  /** Keys a node reports changed: their readers, then every broadcast client. */
  invalidate(keys: readonly Buffer[]): void {
    let frames = 0;
    for (const key of keys) frames += this.invalidateReaders(key.toString('latin1'), key);
    for (const client of this.broadcast) frames += client.deliverBroadcast(keys);
    if (frames > 0) this.sent(frames);
  }

  /** Everything may have changed (a flush, a lost node connection, moved slots): a null invalidation to every tracking client. */
  flushAll(): void {
    this.keys.clear();
    this.items = 0;
    let frames = 0;
    for (const client of this.clients) frames += client.deliver(null);
    if (frames > 0) this.sent(frames);
  }

  private invalidateReaders(name: string, key: Buffer): number {
    const readers = this.keys.get(name);
    if (readers === undefined) return 0;
    this.keys.delete(name);
    this.items -= readers.size;
    let frames = 0;
    for (const client of readers) if (this.clients.has(client) && !client.bcast) frames += client.deliver([key]);
    return frames;
  }

  private evictOldest(): void {
    const oldest = this.keys.keys().next();
    if (oldest.done) return;
    const frames = this.invalidateReaders(oldest.value, Buffer.from(oldest.value, 'latin1'));
    if (frames > 0) this.sent(frames);
  }
}
