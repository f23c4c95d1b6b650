/**
 * The topology of a Redis Cluster: CLUSTER SHARDS (CLUSTER SLOTS on Redis 6.2, and for the slots of a
 * shard Redis 7.2 lists without them after a failover), asked of known
 * masters first, then other known nodes, then the seeds; the first good answer wins.
 */
import type { NodePool } from '../backend/node-pool.js';
import { splitAddress } from '../backend/node-pool.js';
import { RespError } from '../protocol/reply-parser.js';
import { withReplicaSync } from './replica-health.js';
import { coversEverySlot, fillRangesFromSlots, parseClusterShards, parseClusterSlots } from './topology-parse.js';
import type { ShardInput, TopologySnapshot } from './topology-snapshot.js';
import type { TopologySource } from './topology-source.js';

export class ClusterTopologySource implements TopologySource {
  readonly kind = 'cluster' as const;
  private useClusterSlots = false;

  constructor(
    private readonly pool: NodePool,
    private readonly seeds: readonly string[],
    /** The nodes are reached over TLS: use the ports they announce as `tls-port`. */
    private readonly tlsPorts = false,
  ) {}

  get retainedAddresses(): readonly string[] {
    return this.seeds;
  }

  describe(): string {
    return `cluster topology from seeds ${this.seeds.join(',')}`;
  }

  async discover(current: TopologySnapshot): Promise<ShardInput[]> {
    const known = current.allNodes();
    const candidates = [
      ...shuffle(known.filter((n) => n.role === 'master').map((n) => n.address)),
      ...shuffle(known.filter((n) => n.role !== 'master').map((n) => n.address)),
      ...this.seeds,
    ].filter((a, i, all) => all.indexOf(a) === i);
    const errors: string[] = [];
    for (const address of candidates) {
      try {
        const shards = await this.askNode(address);
        if (shards.some((s) => s.ranges.length > 0)) return await withReplicaSync(this.pool, shards);
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
      if (!(reply instanceof RespError)) {
        const shards = parseClusterShards(reply, host, this.tlsPorts);
        if (coversEverySlot(shards) || !shards.some((s) => s.ranges.length === 0 && s.master.health !== 'failed')) return shards;
        // A shard with a live master and no slots while slots are unowned: Redis 7.2's answer
        // after a failover (see fillRangesFromSlots). CLUSTER SLOTS has them right.
        return fillRangesFromSlots(shards, parseClusterSlots(await this.pool.execute(address, ['CLUSTER', 'SLOTS']), host));
      }
      if (!/unknown subcommand|unknown command/i.test(reply.message)) throw new Error(reply.message);
      this.useClusterSlots = true; // Redis 6.2: no CLUSTER SHARDS
    }
    return parseClusterSlots(await this.pool.execute(address, ['CLUSTER', 'SLOTS']), host);
  }
}

export function shuffle<T>(items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}
