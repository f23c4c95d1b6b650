/**
 * The topology of a standalone backend: one master and the replicas it reports in
 * `INFO replication`, as one shard owning every slot. The configured `master` addresses are where
 * to start; a node that turns out to be a replica is followed to its master once, so pointing
 * slotgate at any node of the group works and a manual promotion is picked up on the next refresh.
 */
import type { NodePool } from '../backend/node-pool.js';
import { splitAddress } from '../backend/node-pool.js';
import { SLOT_COUNT } from './hash-slot.js';
import { addressNodeId } from './node-identity.js';
import { parseReplicationInfo, replicaHealth, type ReplicationInfo, type SentinelReplica } from './replication-info.js';
import type { ShardInput, TopologySnapshot } from './topology-snapshot.js';
import type { TopologySource } from './topology-source.js';

type MasterInfo = Extract<ReplicationInfo, { role: 'master' }>;

export class ReplicationTopologySource implements TopologySource {
  readonly kind = 'standalone' as const;

  constructor(
    private readonly pool: NodePool,
    private readonly masters: readonly string[],
  ) {}

  get retainedAddresses(): readonly string[] {
    return this.masters;
  }

  describe(): string {
    return `master at ${this.masters.join(',')}`;
  }

  async discover(current: TopologySnapshot): Promise<ShardInput[]> {
    const known = current.allNodes();
    const candidates = [
      ...known.filter((n) => n.role === 'master').map((n) => n.address),
      ...this.masters,
      ...known.filter((n) => n.role !== 'master').map((n) => n.address),
    ].filter((a, i, all) => all.indexOf(a) === i);
    const errors: string[] = [];
    for (const address of candidates) {
      try {
        return await this.askFrom(address);
      } catch (err) {
        errors.push(`${address}: ${(err as Error).message}`);
      }
    }
    throw new Error(errors.join('; ') || 'no nodes to ask');
  }

  private async askFrom(address: string): Promise<ShardInput[]> {
    const info = parseReplicationInfo(await this.pool.execute(address, ['INFO', 'replication']));
    if (info.role === 'master') return [replicationShard(address, info)];
    const master = `${info.masterHost}:${info.masterPort}`;
    const masterInfo = parseReplicationInfo(await this.pool.execute(master, ['INFO', 'replication']));
    if (masterInfo.role !== 'master') throw new Error(`a replica of ${master}, which is not a master either`);
    return [replicationShard(master, masterInfo)];
  }
}

/**
 * One shard owning every slot: the master at `masterAddress` and its replicas with their lag.
 * `listed` (Sentinel): the replicas Sentinel knows, with its view of their health; a listed replica
 * the master does not report as connected serves no reads. The master itself is never one of them.
 */
export function replicationShard(masterAddress: string, info: MasterInfo, listed?: readonly SentinelReplica[]): ShardInput {
  const [host, port] = splitAddress(masterAddress);
  const connected = new Map(info.replicas.map((r) => [`${r.host}:${r.port}`, r]));
  // A Sentinel in the middle of a failover already names the promoted replica as the master but
  // still lists it among the old master's replicas: never list the master as its own replica (as
  // a replica too, it was no master to hold commands for: issue #19).
  const replicaAddresses = (listed ? listed.map((r) => ({ host: r.host, port: r.port, down: r.down })) : info.replicas.map((r) => ({ host: r.host, port: r.port, down: false }))).filter(
    (r) => `${r.host}:${r.port}` !== masterAddress,
  );
  const replicas = replicaAddresses.map(({ host: rHost, port: rPort, down }) => {
    const entry = connected.get(`${rHost}:${rPort}`);
    return {
      id: addressNodeId(rHost, rPort),
      host: rHost,
      port: rPort,
      health: down || !entry ? ('failed' as const) : replicaHealth(entry.state),
      lagBytes: entry ? Math.max(0, info.offset - entry.offset) : undefined,
    };
  });
  return {
    master: { id: addressNodeId(host, port), host, port, health: 'online' },
    replicas,
    ranges: [[0, SLOT_COUNT - 1]],
  };
}
