/**
 * Whether a cluster's replicas may serve reads, on evidence that they are in sync (README: *Accounts, read/write splitting, disabled commands, reload*).
 *
 * CLUSTER SHARDS cannot tell: a replica restarted faster than `cluster-node-timeout` is never seen
 * as failing, and while it waits for its full resync it answers reads from an empty dataset (nil
 * for keys that exist). Gossip's `loading`/`online` is no better (Redis 7.0 says `loading` for a
 * healthy replica whose offset the answering node has not heard yet). So each refresh asks every
 * master `INFO replication` once: a replica its master lists as `state=online` is in sync, and its
 * offset gives its lag (max-replica-lag, read weights). When a master does not answer, its
 * replicas are asked themselves: `master_link_status:up` with no sync in progress.
 * A replica with no such evidence gets no reads (`loading`); gossip's `failed` stays failed.
 */
import type { NodePool } from '../backend/node-pool.js';
import { parseReplicationInfo, type ReplicaEntry, type ReplicationInfo } from './replication-info.js';
import type { ShardInput } from './topology-snapshot.js';

type ReplicaInput = ShardInput['replicas'][number];

export async function withReplicaSync(pool: NodePool, shards: ShardInput[]): Promise<ShardInput[]> {
  return Promise.all(
    shards.map(async (shard) => {
      if (shard.replicas.length === 0) return shard;
      const info = await ask(pool, `${shard.master.host}:${shard.master.port}`);
      const replicas = await Promise.all(shard.replicas.map((replica) => replicaState(pool, replica, info)));
      return { ...shard, replicas };
    }),
  );
}

async function replicaState(pool: NodePool, replica: ReplicaInput, master: ReplicationInfo | null): Promise<ReplicaInput> {
  if (replica.health === 'failed') return replica;
  if (master?.role === 'master') {
    const entry = findEntry(master.replicas, replica.host, replica.port);
    if (!entry || entry.state !== 'online') return { ...replica, health: 'loading' };
    return { ...replica, health: 'online', lagBytes: Math.max(0, master.offset - entry.offset) };
  }
  // The master did not answer (or no longer says it is one): the replica's own view of its link.
  const own = await ask(pool, `${replica.host}:${replica.port}`);
  const inSync = own?.role === 'replica' && own.linkUp && !own.syncInProgress;
  return { ...replica, health: inSync ? 'online' : 'loading' };
}

/** The master's line for a replica: by address, else by port alone when only one line has it. */
function findEntry(entries: readonly ReplicaEntry[], host: string, port: number): ReplicaEntry | undefined {
  const exact = entries.find((e) => e.port === port && e.host === host);
  if (exact) return exact;
  const byPort = entries.filter((e) => e.port === port);
  return byPort.length === 1 ? byPort[0] : undefined;
}

async function ask(pool: NodePool, address: string): Promise<ReplicationInfo | null> {
  try {
    return parseReplicationInfo(await pool.execute(address, ['INFO', 'replication']));
  } catch {
    return null; // unreachable or malformed: no evidence
  }
}
