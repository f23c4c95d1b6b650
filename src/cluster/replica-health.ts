/**
 * Redis 7.0's CLUSTER SHARDS reports a replica as `loading` whenever the node answering knows its
 * replication offset as 0 — which a node that has not yet had a gossip message from the replica
 * since it last connected does, although the replica serves reads fine. Taken at face value, a
 * refresh answered by such a node takes a healthy replica out of reads (SPEC §1: only `online`
 * replicas serve reads) until a later refresh asks another node.
 *
 * So a replica the previous snapshot had `online` stays `online` when the new answer says
 * `loading`: its offset cannot go back to 0 without a restart, and a restarted node is seen as
 * failing by the cluster first. (A replica really loading its data answers `-LOADING`, which the
 * forwarder answers from the master instead: see upstream/forwarder.ts.)
 */
import type { ShardInput, TopologySnapshot } from './topology-snapshot.js';

export function keepOnlineReplicas(inputs: ShardInput[], previous: TopologySnapshot): ShardInput[] {
  const wasOnline = new Set<string>();
  for (const shard of previous.shards) {
    for (const replica of shard.replicas) if (replica.health === 'online') wasOnline.add(`${replica.host}:${replica.port}`);
  }
  if (wasOnline.size === 0) return inputs;
  return inputs.map((shard) => ({
    ...shard,
    replicas: shard.replicas.map((replica) =>
      replica.health === 'loading' && wasOnline.has(`${replica.host}:${replica.port}`) ? { ...replica, health: 'online' as const } : replica,
    ),
  }));
}
