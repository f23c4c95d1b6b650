/**
 * Where a TopologySnapshot comes from. Everything above the topology (routing, fan-out, the
 * cluster view, node targeting, replica reads) sees shards, whichever kind of backend is behind
 * them; only a TopologySource knows how to ask it:
 *  - `cluster`: a Redis Cluster, CLUSTER SHARDS (cluster-source.ts);
 *  - `standalone`: one master and its replicas, INFO replication (replication-source.ts);
 *  - `sentinel`: the same, with the master found through Sentinel (sentinel-source.ts).
 * A non-cluster backend is one shard owning all 16384 slots.
 */
import type { ShardInput, TopologySnapshot } from './topology-snapshot.js';

/** A failover of the master at `master` has begun, or was given up. */
export interface FailoverSignal {
  readonly kind: 'started' | 'aborted';
  /** The old master, "host:port". */
  readonly master: string;
  /** What said so (a Sentinel event's channel). */
  readonly reason: string;
}

export type BackendKind = 'cluster' | 'standalone' | 'sentinel';
export const BACKEND_KINDS: readonly BackendKind[] = ['cluster', 'standalone', 'sentinel'];

export interface TopologySource {
  readonly kind: BackendKind;
  /** Addresses whose pooled connections are kept even when no node of the topology has them (seeds). */
  readonly retainedAddresses: readonly string[];
  /** What was asked, for the start-up error ("cluster seeds a,b", "sentinel master mymaster at …"). */
  describe(): string;
  /** The shards as the backend describes them now; throws when it cannot tell. */
  discover(current: TopologySnapshot): Promise<ShardInput[]>;
  /**
   * Starts listening for changes the backend announces (Sentinel's +switch-master), and for the
   * first signs of a failover (`failover`), so that writes to the old master are held (write-hold.ts).
   */
  watch?(changed: (reason: string) => void, failover?: (signal: FailoverSignal) => void): void;
  stop?(): void;
}

/** True when commands may use any keys together: one node holds every key (no slots, no CROSSSLOT). */
export function hasWholeKeyspace(kind: BackendKind): boolean {
  return kind === 'standalone' || kind === 'sentinel';
}
