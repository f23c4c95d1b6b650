/**
 * Read/write splitting (SPEC §6, Tencent's 副本只读 and 就近访问): which commands may be
 * served by a replica, and which replica.
 *
 *  - Only with `replica-read` on, only for accounts whose read policy is `replica`, and
 *    only for commands flagged read-only that are not blocking and not part of a
 *    transaction or a WATCH (those need the master's current data).
 *  - The replica: one of the slot shard's replicas that the topology lists as `online` and
 *    whose connection has not just failed, in turn (round-robin per shard, equal weights).
 *    With `read-local-node-only`, only replicas in this proxy's zone count. No such
 *    replica → the master.
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
}

export interface ReadCommand {
  readonly access: Access;
  readonly blocking: boolean;
  /** Inside MULTI/EXEC or while the session WATCHes keys. */
  readonly transactional: boolean;
}

export class ReplicaReads {
  /** Next turn per shard index, for the round-robin. */
  private readonly turns: number[] = [];

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
    let candidates = 0;
    for (const replica of shard.replicas) if (this.eligible(replica, usable)) candidates++;
    if (candidates === 0) return null;
    const turn = this.turns[shard.index] ?? 0;
    this.turns[shard.index] = (turn + 1) % 0x40000000;
    let skip = turn % candidates;
    for (const replica of shard.replicas) {
      if (this.eligible(replica, usable) && skip-- === 0) return replica;
    }
    return null; // not reached: `candidates` replicas are eligible
  }

  zoneOf(node: BackendNode): string | undefined {
    const zones = this.settings.nodeZones;
    return (node.id ? zones.get(node.id) : undefined) ?? zones.get(node.address);
  }

  private eligible(node: BackendNode, usable: (node: BackendNode) => boolean): boolean {
    if (node.health !== 'online') return false;
    if (this.settings.readLocalNodeOnly && this.zoneOf(node) !== this.settings.zone) return false;
    return usable(node);
  }
}
