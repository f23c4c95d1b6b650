/**
 * Keeps the current TopologySnapshot fresh, whatever kind of backend is behind it: the
 * TopologySource (cluster, standalone, sentinel) says how to ask; this class decides when.
 *
 * Refreshes happen at start, every `refreshIntervalMs`, and on demand (MOVED, a broken
 * backend connection, CLUSTERDOWN). On-demand requests are single-flight and debounced:
 * a storm of MOVED replies during a reshard costs one CLUSTER SHARDS per
 * `minRefreshGapMs`, not one per reply.
 */
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type { NodePool } from '../backend/node-pool.js';
import { EMPTY_TOPOLOGY, TopologySnapshot, type ShardInput } from './topology-snapshot.js';
import type { BackendKind, TopologySource } from './topology-source.js';

export interface TopologyManagerOptions {
  refreshIntervalMs: number;
  minRefreshGapMs: number;
  logger: Logger;
  onRefresh?: (outcome: 'changed' | 'unchanged' | 'failed') => void;
}

export interface TopologyEvents {
  change: [snapshot: TopologySnapshot, previous: TopologySnapshot];
}

export class TopologyManager extends EventEmitter<TopologyEvents> {
  private snapshot: TopologySnapshot = EMPTY_TOPOLOGY;
  private inflight: Promise<void> | null = null;
  private rerunRequested = false;
  private lastRefreshAt = 0;
  private debounceTimer: NodeJS.Timeout | null = null;
  private periodicTimer: NodeJS.Timeout | null = null;
  private stopped = false;
  /** Why the last refresh failed, for start()'s error. */
  private lastFailure = '';

  constructor(
    private readonly pool: NodePool,
    private readonly source: TopologySource,
    private readonly options: TopologyManagerOptions,
  ) {
    super();
  }

  get current(): TopologySnapshot {
    return this.snapshot;
  }

  /** The kind of backend: what changes with it is decided above (SELECT, CROSSSLOT, READONLY retries). */
  get kind(): BackendKind {
    return this.source.kind;
  }

  /** First discovery; rejects when no seed answers with a usable topology. */
  async start(): Promise<void> {
    await this.refreshNow();
    if (this.snapshot.shards.length === 0) {
      throw new Error(`no usable ${this.source.describe()}${this.lastFailure ? ` (${this.lastFailure})` : ''}`);
    }
    this.source.watch?.((reason) => this.requestRefresh(reason));
    this.periodicTimer = setInterval(() => this.requestRefresh('periodic'), this.options.refreshIntervalMs);
    this.periodicTimer.unref();
  }

  stop(): void {
    this.stopped = true;
    this.source.stop?.();
    if (this.periodicTimer) clearInterval(this.periodicTimer);
    if (this.debounceTimer) clearTimeout(this.debounceTimer);
  }

  /** Ask for a refresh soon; cheap to call often. */
  requestRefresh(reason: string): void {
    if (this.stopped || this.debounceTimer) return;
    if (this.inflight) {
      this.rerunRequested = true;
      return;
    }
    const wait = Math.max(0, this.lastRefreshAt + this.options.minRefreshGapMs - Date.now());
    this.debounceTimer = setTimeout(() => {
      this.debounceTimer = null;
      this.options.logger.debug({ reason }, 'topology refresh requested');
      void this.refreshNow();
    }, wait);
    this.debounceTimer.unref();
  }

  /** Point one slot at another master right away (a MOVED reply), ahead of the full refresh. */
  applyMoved(slot: number, address: string): void {
    const patched = this.snapshot.withSlotMovedTo(slot, address);
    if (patched) this.snapshot = patched;
  }

  refreshNow(): Promise<void> {
    if (this.inflight) {
      this.rerunRequested = true;
      return this.inflight;
    }
    this.inflight = this.source
      .discover(this.snapshot)
      .then((shards) => this.install(shards))
      .catch((err: Error) => {
        this.lastFailure = err.message;
        this.options.onRefresh?.('failed');
        // With no view yet (the first discovery), start() fails with this error itself: there is
        // no previous view to keep, and a warning would follow the fatal line.
        if (this.snapshot === EMPTY_TOPOLOGY) return;
        this.options.logger.warn({ err: err.message }, 'topology refresh failed; keeping the previous view');
      })
      .finally(() => {
        this.inflight = null;
        this.lastRefreshAt = Date.now();
        if (this.rerunRequested && !this.stopped) {
          this.rerunRequested = false;
          this.requestRefresh('rerun');
        }
      });
    return this.inflight;
  }

  private install(shards: ShardInput[]): void {
    const previous = this.snapshot;
    const candidate = new TopologySnapshot(shards, previous.epoch + 1);
    if (previous !== EMPTY_TOPOLOGY && candidate.sameLayoutAs(previous)) {
      // Re-install anyway: a MOVED patch may have diverged from the cluster's own answer, and
      // replication lags (standalone, sentinel) change without changing the layout.
      this.snapshot = new TopologySnapshot(shards, previous.epoch);
      this.options.onRefresh?.('unchanged');
      return;
    }
    this.snapshot = candidate;
    this.options.onRefresh?.('changed');
    this.options.logger.info(
      {
        epoch: candidate.epoch,
        shards: candidate.shards.map((s) => ({
          ranges: s.ranges.map(([a, b]) => `${a}-${b}`).join(','),
          master: s.master.address,
          replicas: s.replicas.map((r) => `${r.address}(${r.health})`),
        })),
        coveredSlots: candidate.coveredSlotCount(),
      },
      'topology changed',
    );
    this.pool.retainOnly(new Set([...candidate.allNodes().map((n) => n.address), ...this.source.retainedAddresses]));
    this.emit('change', candidate, previous);
  }
}
