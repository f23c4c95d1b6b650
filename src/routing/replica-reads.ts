/**
 * Read/write splitting (README: *Accounts, read/write splitting, disabled commands, reload*, Tencent's 副本只读 and 就近访问): which commands may be
 * served by a replica, and which replica.
 *
 *  - Only with `replica-read` on, only for accounts whose read policy is `replica`, and
 *    only for commands flagged read-only that are not blocking and not part of a
 *    transaction or a WATCH (those need the master's current data).
 *  - The replica: one of the slot shard's replicas that the topology lists as `online` and
 *    whose connection has not just failed, in turn (smooth weighted round-robin per shard).
 *    With `read-local-node-only`, only replicas in this proxy's zone count. No such
 *    replica → the master.
 *  - Weights: equal, unless the masters report replication lag (INFO replication, every
 *    backend kind): then a replica's weight falls as its lag grows (replicaWeight), and with
 *    `max-replica-lag` a replica further behind than that gets no reads at all.
 *
 * Example: shard 1 has master M (az1) and replicas R1 (az1), R2 (az2); this proxy is in
 * az1. Reads go R1, R2, R1, R2 …; with read-local-node-only R1, R1 …; if R1 fails, M.
 */
import type { Account } from '../auth/accounts.js';
import type { BackendNode, Shard } from '../cluster/topology-snapshot.js';
import type { Access } from './router.js';

export interface ReadRoutingSettings {
  readonly replicaRead: boolean;
  readonly readLocalNodeOnly: boolean;
  /** This proxy's zone; null = none. */
  readonly zone: string | null;
  /** Zones of backend nodes, by node id or "host:port". */
  readonly nodeZones: ReadonlyMap<string, string>;
  /** Bytes of replication lag past which a replica gets no reads; 0 = no limit. */
  readonly maxReplicaLag: number;
}

/** The weight of a replica that is caught up (or whose lag is not known: its master did not answer). */
export const FULL_WEIGHT = 16;
/** Every this many bytes of lag halve a replica's weight, roughly: 1 MiB behind → 8, 15 MiB → 1. */
const LAG_UNIT_BYTES = 1024 * 1024;

/** How many reads a replica gets relative to the others: lag-weighted, never below 1. */
export function replicaWeight(node: BackendNode): number {
  if (node.lagBytes === undefined || node.lagBytes <= 0) return FULL_WEIGHT;
  return Math.max(1, Math.round(FULL_WEIGHT / (1 + node.lagBytes / LAG_UNIT_BYTES)));
}

export interface ReadCommand {
  readonly access: Access;
  readonly blocking: boolean;
  /** Inside MULTI/EXEC or while the session WATCHes keys. */
  readonly transactional: boolean;
}

export class ReplicaReads {
  /** Smooth weighted round-robin state (nginx's), by replica address: its current weight. */
  private readonly current = new Map<string, number>();

  constructor(readonly settings: ReadRoutingSettings) {}

  /** Whether `command` of a session signed in as `account` may go to a replica at all. */
  mayUseReplica(account: Account | null, command: ReadCommand): boolean {
    return (
      this.settings.replicaRead &&
      command.access === 'read' &&
      !command.blocking &&
      !command.transactional &&
      account !== null &&
      account.readPolicy === 'replica'
    );
  }

  /**
   * The replica of `shard` to read from, or null for the master.
   * @param usable false for nodes whose connection failed lately
   */
  chooseReplica(shard: Shard, usable: (node: BackendNode) => boolean): BackendNode | null {
    // Smooth weighted round-robin: every eligible replica gains its weight, the one with the most
    // is chosen and pays back the total. Equal weights give plain alternation (R1, R2, R1, …); a
    // lagging replica is chosen less often, spread out rather than in bursts.
    let best: BackendNode | null = null;
    let bestWeight = 0;
    let total = 0;
    for (const replica of shard.replicas) {
      if (!this.eligible(replica, usable)) continue;
      const weight = replicaWeight(replica);
      const current = (this.current.get(replica.address) ?? 0) + weight;
      this.current.set(replica.address, current);
      total += weight;
      if (best === null || current > bestWeight) {
        best = replica;
        bestWeight = current;
      }
    }
    if (best !== null) this.current.set(best.address, bestWeight - total);
    return best;
  }

  zoneOf(node: BackendNode): string | undefined {
    const zones = this.settings.nodeZones;
    return (node.id ? zones.get(node.id) : undefined) ?? zones.get(node.address);
  }

  private eligible(node: BackendNode, usable: (node: BackendNode) => boolean): boolean {
    if (node.health !== 'online') return false;
    const maxLag = this.settings.maxReplicaLag;
    if (maxLag > 0 && node.lagBytes !== undefined && node.lagBytes > maxLag) return false;
    if (this.settings.readLocalNodeOnly && this.zoneOf(node) !== this.settings.zone) return false;
    return usable(node);
  }
}
