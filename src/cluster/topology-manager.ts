/**
 * Keeps the current TopologySnapshot fresh.
 *
 * Refreshes happen at start, every `refreshIntervalMs`, and on demand (MOVED, a broken
 * backend connection, CLUSTERDOWN). On-demand requests are single-flight and debounced:
 * a storm of MOVED replies during a reshard costs one CLUSTER SHARDS per
 * `minRefreshGapMs`, not one per reply.
 */
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type { NodePool } from '../backend/node-pool.js';
import { splitAddress } from '../backend/node-pool.js';
import { RespError } from '../protocol/reply-parser.js';
import { keepOnlineReplicas } from './replica-health.js';
import { parseClusterShards, parseClusterSlots } from './topology-parse.js';
import { EMPTY_TOPOLOGY, TopologySnapshot, type ShardInput } from './topology-snapshot.js';

export interface TopologyManagerOptions {
  seeds: readonly string[];
  refreshIntervalMs: number;
  minRefreshGapMs: number;
  logger: Logger;
  onRefresh?: (outcome: 'changed' | 'unchanged' | 'failed') => void;
  /** The nodes are reached over TLS: use the ports they announce as `tls-port`. */
  tlsPorts?: boolean;
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
  private useClusterSlots = false;
  private stopped = false;
  /** Why the last refresh failed, for start()'s error. */
  private lastFailure = '';

  constructor(
    private readonly pool: NodePool,
    private readonly options: TopologyManagerOptions,
  ) {
    super();
  }

  get current(): TopologySnapshot {
    return this.snapshot;
  }

  /** First discovery; rejects when no seed answers with a usable topology. */
  async start(): Promise<void> {
    await this.refreshNow();
    if (this.snapshot.shards.length === 0) {
      throw new Error(`no usable cluster topology from seeds ${this.options.seeds.join(',')}${this.lastFailure ? ` (${this.lastFailure})` : ''}`);
    }
    this.periodicTimer = setInterval(() => this.requestRefresh('periodic'), this.options.refreshIntervalMs);
    this.periodicTimer.unref();
  }

  stop(): void {
    this.stopped = true;
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
    this.inflight = this.discover()
      .then((shards) => this.install(shards))
      .catch((err: Error) => {
        this.lastFailure = err.message;
        this.options.onRefresh?.('failed');
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

  private install(answer: ShardInput[]): void {
    const previous = this.snapshot;
    const shards = keepOnlineReplicas(answer, previous);
    const candidate = new TopologySnapshot(shards, previous.epoch + 1);
    if (previous !== EMPTY_TOPOLOGY && candidate.sameLayoutAs(previous)) {
      // Re-install anyway: a MOVED patch may have diverged from the cluster's own answer.
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
    this.pool.retainOnly(new Set([...candidate.allNodes().map((n) => n.address), ...this.options.seeds]));
    this.emit('change', candidate, previous);
  }

  /** Asks known masters first, then every other known node, then the seeds; first good answer wins. */
  private async discover(): Promise<ShardInput[]> {
    const known = this.snapshot.allNodes();
    const candidates = [
      ...shuffle(known.filter((n) => n.role === 'master').map((n) => n.address)),
      ...shuffle(known.filter((n) => n.role !== 'master').map((n) => n.address)),
      ...this.options.seeds,
    ].filter((a, i, all) => all.indexOf(a) === i);
    const errors: string[] = [];
    for (const address of candidates) {
      try {
        const shards = await this.askNode(address);
        if (shards.some((s) => s.ranges.length > 0)) return shards;
        errors.push(`${address}: no slots assigned`);
      } catch (err) {
        errors.push(`${address}: ${(err as Error).message}`);
      }
    }
    throw new Error(errors.join('; ') || 'no nodes to ask');
  }

  private async askNode(address: string): Promise<ShardInput[]> {
    const [host] = splitAddress(address);
    if (!this.useClusterSlots) {
      const reply = await this.pool.execute(address, ['CLUSTER', 'SHARDS']);
      if (!(reply instanceof RespError)) return parseClusterShards(reply, host, this.options.tlsPorts);
      if (!/unknown subcommand|unknown command/i.test(reply.message)) throw new Error(reply.message);
      this.useClusterSlots = true; // Redis 6.2: no CLUSTER SHARDS
    }
    return parseClusterSlots(await this.pool.execute(address, ['CLUSTER', 'SLOTS']), host);
  }
}

function shuffle<T>(items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}
