/**
 * An immutable picture of the backend cluster: shards, their nodes, and a slot → shard
 * table. A refresh builds a new snapshot aside and swaps it in with one assignment, so
 * the hot path never sees a half-updated map and never takes a lock.
 */
import { addressId } from '../backend/address-ids.js';
import { SLOT_COUNT } from './hash-slot.js';

export type NodeRole = 'master' | 'replica';
export type NodeHealth = 'online' | 'failed' | 'loading';

export interface BackendNode {
  /** 40-hex node id: the cluster's, or for a non-cluster backend the SHA-1 of "host:port" (node-identity.ts). */
  readonly id: string;
  readonly host: string;
  readonly port: number;
  /** "host:port", the key of the connection pool. */
  readonly address: string;
  /** The address's process-wide number (backend/address-ids.ts): how the hot path finds its connections. */
  readonly addressId: number;
  readonly role: NodeRole;
  readonly health: NodeHealth;
  /** Index of the owning shard in `TopologySnapshot.shards`. */
  readonly shardIndex: number;
  /**
   * A replica's replication lag in bytes (its master's offset minus its own), when the backend
   * reports it (its master's INFO replication); undefined otherwise. Weighs replica reads.
   */
  readonly lagBytes?: number;
}

export interface Shard {
  /** Position in `shards`, which are ordered by their first slot (the `@N` of README: *Cross-slot commands, node targeting and the cluster view*). */
  readonly index: number;
  readonly master: BackendNode;
  readonly replicas: readonly BackendNode[];
  /** Inclusive [start, end] slot ranges, ascending. */
  readonly ranges: readonly (readonly [number, number])[];
}

export interface ShardInput {
  master: Omit<BackendNode, 'shardIndex' | 'address' | 'addressId' | 'role'>;
  replicas: Omit<BackendNode, 'shardIndex' | 'address' | 'addressId' | 'role'>[];
  ranges: [number, number][];
}

const NO_SHARD = -1;

export class TopologySnapshot {
  readonly shards: readonly Shard[];
  /** slot → shard index, -1 when no shard serves the slot. */
  private readonly slotToShard: Int16Array;
  private readonly nodesById: ReadonlyMap<string, BackendNode>;
  private readonly nodesByAddress: ReadonlyMap<string, BackendNode>;

  constructor(
    inputs: readonly ShardInput[],
    /** Increases by one every time a refresh finds a different layout. */
    readonly epoch: number,
  ) {
    const ordered = inputs
      .filter((s) => s.ranges.length > 0)
      .map((s) => ({ ...s, ranges: [...s.ranges].sort((a, b) => a[0] - b[0]) }))
      .sort((a, b) => a.ranges[0]![0] - b.ranges[0]![0]);
    const slotToShard = new Int16Array(SLOT_COUNT).fill(NO_SHARD);
    const nodesById = new Map<string, BackendNode>();
    const nodesByAddress = new Map<string, BackendNode>();
    const shards: Shard[] = ordered.map((input, index) => {
      const master = makeNode(input.master, 'master', index);
      // Sorted by address: nodes list a shard's replicas in different orders, and the replica-read
      // round-robin must not shift each time a refresh happens to ask another node.
      const replicas = input.replicas.map((r) => makeNode(r, 'replica', index)).sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : 0));
      for (const node of [master, ...replicas]) {
        if (node.id) nodesById.set(node.id, node);
        // The first (the master) wins should a source list an address twice: a master is never
        // mistaken for a replica (write holds and routing look masters up by address).
        if (!nodesByAddress.has(node.address)) nodesByAddress.set(node.address, node);
      }
      for (const [start, end] of input.ranges) slotToShard.fill(index, start, end + 1);
      return { index, master, replicas, ranges: input.ranges };
    });
    this.shards = shards;
    this.slotToShard = slotToShard;
    this.nodesById = nodesById;
    this.nodesByAddress = nodesByAddress;
  }

  shardForSlot(slot: number): Shard | undefined {
    const index = this.slotToShard[slot]!;
    return index === NO_SHARD ? undefined : this.shards[index];
  }

  masterForSlot(slot: number): BackendNode | undefined {
    return this.shardForSlot(slot)?.master;
  }

  nodeById(id: string): BackendNode | undefined {
    return this.nodesById.get(id);
  }

  nodeByAddress(address: string): BackendNode | undefined {
    return this.nodesByAddress.get(address);
  }

  allNodes(): BackendNode[] {
    return this.shards.flatMap((s) => [s.master, ...s.replicas]);
  }

  masters(): BackendNode[] {
    return this.shards.map((s) => s.master);
  }

  /** Slots covered by some shard; 16384 on a healthy cluster. */
  coveredSlotCount(): number {
    let n = 0;
    for (let i = 0; i < SLOT_COUNT; i++) if (this.slotToShard[i] !== NO_SHARD) n++;
    return n;
  }

  /**
   * Same nodes, roles, health and slot ranges? Used to decide whether a refresh
   * changed anything (and so whether to bump the epoch and log).
   */
  sameLayoutAs(other: TopologySnapshot): boolean {
    return layoutKey(this) === layoutKey(other);
  }

  /** A copy in which the nodes at `addresses` have `health` (a replica whose connection broke: no reads). */
  withHealth(addresses: ReadonlySet<string>, health: NodeHealth): TopologySnapshot {
    const patch = (n: BackendNode) => (addresses.has(n.address) ? { ...n, health } : n);
    const inputs: ShardInput[] = this.shards.map((s) => ({ master: patch(s.master), replicas: s.replicas.map(patch), ranges: s.ranges.map(([a, b]): [number, number] => [a, b]) }));
    return new TopologySnapshot(inputs, this.epoch);
  }

  /** A copy in which `slot` is served by the shard whose master is at `address` (a MOVED patch). */
  withSlotMovedTo(slot: number, address: string): TopologySnapshot | undefined {
    const target = this.nodesByAddress.get(address);
    if (!target || target.role !== 'master') return undefined;
    const inputs: ShardInput[] = this.shards.map((s) => ({
      master: s.master,
      replicas: [...s.replicas],
      ranges: s.ranges
        .flatMap(([a, b]): [number, number][] =>
          slot < a || slot > b ? [[a, b]] : ([[a, slot - 1], [slot + 1, b]] as [number, number][]).filter(([x, y]) => x <= y),
        )
        .concat(s.index === target.shardIndex ? [[slot, slot]] : []),
    }));
    return new TopologySnapshot(inputs, this.epoch);
  }
}

function makeNode(
  n: Omit<BackendNode, 'shardIndex' | 'address' | 'addressId' | 'role'>,
  role: NodeRole,
  shardIndex: number,
): BackendNode {
  const address = `${n.host}:${n.port}`;
  const node: BackendNode = { id: n.id, host: n.host, port: n.port, health: n.health, address, addressId: addressId(address), role, shardIndex };
  return n.lagBytes === undefined ? node : { ...node, lagBytes: n.lagBytes };
}

function layoutKey(t: TopologySnapshot): string {
  return t.shards
    .map(
      (s) =>
        `${s.ranges.map(([a, b]) => `${a}-${b}`).join(',')}|` +
        [s.master, ...s.replicas].map((n) => `${n.id}@${n.address}/${n.role}/${n.health}`).join(';'),
    )
    .join('\n');
}

export const EMPTY_TOPOLOGY = new TopologySnapshot([], 0);
