/**
 * Keeps the current TopologySnapshot fresh, whatever kind of backend is behind it: the
 * TopologySource (cluster, standalone, sentinel) says how to ask; this class decides when.
 *
 * Refreshes happen at start, every `refreshIntervalMs`, and on demand (MOVED, a broken
 * backend connection, CLUSTERDOWN). On-demand requests are single-flight and debounced:
 * a storm of MOVED replies during a reshard costs one CLUSTER SHARDS per
 * `minRefreshGapMs`, not one per reply.
 *
 * While refreshes fail (every node down) the gap doubles from `minRefreshGapMs` up to
 * MAX_BACKOFF_MS and a retry is scheduled at that gap; the first success resets it. Failures are
 * logged through `logFailure` (rate-limited by the server).
 *
 * A replica whose connection breaks gets no reads (`loading`) until a refresh begun after the
 * break confirms it in sync (replica-health.ts); meanwhile refreshes run every
 * UNCONFIRMED_RECHECK_MS, so it serves reads again soon after it comes back.
 */
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type { NodePool } from '../backend/node-pool.js';
import { EMPTY_TOPOLOGY, TopologySnapshot, type BackendNode, type ShardInput } from './topology-snapshot.js';
import type { BackendKind, FailoverSignal, TopologySource } from './topology-source.js';
import { WriteHold } from './write-hold.js';

const MAX_BACKOFF_MS = 5000;
const UNCONFIRMED_RECHECK_MS = 1000;

export interface TopologyManagerOptions {
  refreshIntervalMs: number;
  minRefreshGapMs: number;
  logger: Logger;
  /** The longest commands for a master in failover are held (write-hold.ts): command-timeout. */
  maxHoldMs?: number;
  /** Where a failed refresh is reported (default: logger.warn); the server rate-limits it. */
  logFailure?: (fields: Record<string, unknown>, message: string) => void;
  onRefresh?: (outcome: 'changed' | 'unchanged' | 'failed') => void;
  /** A failover hold ended (metrics): how, and how many commands it had parked. */
  onHoldEnded?: (how: 'new master' | 'timeout' | 'aborted', parked: number) => void;
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
  /** Refreshes failed in a row (0 after a success): sets the back-off. */
  private failures = 0;
  private failingSince = 0;
  /** Refreshes started so far; marks below are compared with it. */
  private refreshStarts = 0;
  /** Replicas whose connection broke → `refreshStarts` at the break (see the header). */
  private readonly unconfirmed = new Map<string, number>();
  /** Commands for masters in failover, parked until a refresh confirms the new master. */
  readonly hold: WriteHold;

  constructor(
    private readonly pool: NodePool,
    private readonly source: TopologySource,
    private readonly options: TopologyManagerOptions,
  ) {
    super();
    const logger = options.logger;
    this.hold = new WriteHold(options.maxHoldMs ?? 5000, {
      started: (master, reason) => logger.info({ master, reason }, 'failover of a master begun: holding its commands until the new master is confirmed'),
      ended: (master, how, heldMs, parked) => {
        logger.info({ master, how, heldMs, parked }, 'failover hold ended: held commands resume');
        options.onHoldEnded?.(how, parked);
      },
    });
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
    this.source.watch?.(
      (reason) => this.requestRefresh(reason),
      (signal) => this.failoverSignal(signal),
    );
    this.periodicTimer = setInterval(() => this.requestRefresh('periodic'), this.options.refreshIntervalMs);
    this.periodicTimer.unref();
  }

  stop(): void {
    this.stopped = true;
    this.source.stop?.();
    this.hold.stop();
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
    const wait = Math.max(0, this.lastRefreshAt + this.gapMs() - Date.now());
    this.debounceTimer = setTimeout(() => {
      this.debounceTimer = null;
      this.options.logger.debug({ reason }, 'topology refresh requested');
      void this.refreshNow();
    }, wait);
    this.debounceTimer.unref();
  }

  /** The pause before the next refresh: `minRefreshGapMs`, doubled per failure in a row up to MAX_BACKOFF_MS. */
  gapMs(): number {
    if (this.failures === 0) return this.options.minRefreshGapMs;
    return Math.min(MAX_BACKOFF_MS, this.options.minRefreshGapMs * 2 ** Math.min(this.failures - 1, 16));
  }

  /** What /healthz reports: whether the last refresh failed, and since when. */
  health(): { refreshFailing: boolean; failuresInARow: number; failingSinceMs?: number } {
    if (this.failures === 0) return { refreshFailing: false, failuresInARow: 0 };
    return { refreshFailing: true, failuresInARow: this.failures, failingSinceMs: this.failingSince };
  }

  /** Nodes of the current topology whose connections failed lately (what /healthz lists as down). */
  downNodes(): BackendNode[] {
    return this.snapshot.allNodes().filter((n) => this.pool.recentlyFailed(n.address));
  }

  /**
   * A connection to `address` broke. A replica there gets no reads until a refresh begun after
   * now confirms it in sync: it may be restarting without its data.
   */
  connectionBroken(address: string): void {
    const node = this.snapshot.nodeByAddress(address);
    if (node?.role === 'replica') {
      this.unconfirmed.set(address, this.refreshStarts);
      if (node.health === 'online') this.snapshot = this.snapshot.withHealth(new Set([address]), 'loading');
    }
    this.requestRefresh('backend connection failure');
  }

  /**
   * A failover of the master at `signal.master` began (hold its commands until a refresh confirms
   * the new master) or was given up (let them go).
   */
  failoverSignal(signal: FailoverSignal): void {
    if (signal.kind === 'aborted') this.hold.release(signal.master, 'aborted');
    else this.holdMaster(signal.master, signal.reason);
    this.requestRefresh(signal.reason);
  }

  /**
   * Holds the commands for `address` while it is the master of the current topology (a failover
   * of it has begun); returns false when it is not (the switch is already installed: nothing to wait for).
   */
  holdMaster(address: string, reason: string): boolean {
    if (this.snapshot.nodeByAddress(address)?.role !== 'master') return false;
    this.hold.hold(address, reason);
    return true;
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
    const started = ++this.refreshStarts;
    this.inflight = this.source
      .discover(this.snapshot)
      .then((shards) => this.succeeded(shards, started))
      .catch((err: Error) => this.failed(err))
      .finally(() => {
        this.inflight = null;
        this.lastRefreshAt = Date.now();
        if (this.stopped) return;
        if (this.rerunRequested || this.failures > 0) {
          this.rerunRequested = false;
          this.requestRefresh(this.failures > 0 ? 'retry after failure' : 'rerun');
        } else if (this.unconfirmed.size > 0) {
          this.recheckSoon();
        }
      });
    return this.inflight;
  }

  private failed(err: Error): void {
    this.lastFailure = err.message;
    if (this.failures++ === 0) this.failingSince = Date.now();
    this.options.onRefresh?.('failed');
    // With no view yet (the first discovery), start() fails with this error itself: there is
    // no previous view to keep, and a warning would follow the fatal line.
    if (this.snapshot === EMPTY_TOPOLOGY) return;
    const fields = { err: err.message, failuresInARow: this.failures, nextAttemptMs: this.gapMs() };
    const message = 'topology refresh failed; keeping the previous view';
    if (this.options.logFailure) this.options.logFailure(fields, message);
    else this.options.logger.warn(fields, message);
  }

  private succeeded(shards: ShardInput[], started: number): void {
    if (this.failures > 0) {
      this.options.logger.info({ failuresInARow: this.failures, failingForMs: Date.now() - this.failingSince }, 'topology refresh succeeds again');
      this.failures = 0;
    }
    this.install(this.withoutUnconfirmed(shards, started));
  }

  /** Replicas whose connection broke after this refresh began stay out of reads (see the header). */
  private withoutUnconfirmed(shards: ShardInput[], started: number): ShardInput[] {
    if (this.unconfirmed.size === 0) return shards;
    const present = new Set(shards.flatMap((s) => s.replicas.map((r) => `${r.host}:${r.port}`)));
    for (const address of this.unconfirmed.keys()) if (!present.has(address)) this.unconfirmed.delete(address);
    return shards.map((shard) => ({
      ...shard,
      replicas: shard.replicas.map((replica) => {
        const address = `${replica.host}:${replica.port}`;
        const mark = this.unconfirmed.get(address);
        if (mark === undefined) return replica;
        if (mark < started && replica.health !== 'loading') this.unconfirmed.delete(address);
        return mark < started ? replica : { ...replica, health: 'loading' as const };
      }),
    }));
  }

  private recheckSoon(): void {
    const timer = setTimeout(() => this.requestRefresh('replica not confirmed in sync'), UNCONFIRMED_RECHECK_MS);
    timer.unref();
  }

  private install(shards: ShardInput[]): void {
    const previous = this.snapshot;
    const candidate = new TopologySnapshot(shards, previous.epoch + 1);
    if (previous !== EMPTY_TOPOLOGY && candidate.sameLayoutAs(previous)) {
      // Re-install anyway: a MOVED patch may have diverged from the cluster's own answer, and
      // replication lags (standalone, sentinel) change without changing the layout.
      this.snapshot = new TopologySnapshot(shards, previous.epoch);
      this.hold.releaseAllBut(new Set(this.snapshot.masters().map((m) => m.address)));
      this.options.onRefresh?.('unchanged');
      return;
    }
    this.snapshot = candidate;
    const masters = new Set(candidate.masters().map((m) => m.address));
    // A master that is one no longer (a failover): its connections finish what they carry and close.
    for (const old of previous.masters()) if (!masters.has(old.address)) this.pool.retire(old.address);
    this.hold.releaseAllBut(masters);
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
