/**
 * The forwarding side of read/write splitting: turns a command's target into a replica read
 * when routing/replica-reads.ts allows it, and finds the READONLY connection for it.
 */
import type { Account } from '../auth/accounts.js';
import type { NodeConnection } from '../backend/node-connection.js';
import type { NodePool } from '../backend/node-pool.js';
import type { RespVersion } from '../protocol/resp3-encoder.js';
import type { TopologyManager } from '../cluster/topology-manager.js';
import type { Runtime } from '../config/runtime.js';
import type { Access } from '../routing/router.js';
import type { Target } from './forwarder.js';

/**
 * `target`, marked as a replica read when the account, the command and replica-read allow it.
 * (Positional arguments, and nothing allocated while replica-read is off: this runs for every
 * forwarded command.)
 */
export function replicaReadTarget(
  runtime: Runtime,
  account: Account | null,
  target: Target,
  access: Access,
  blocking: boolean,
  transactional: boolean,
): Target {
  const replicaReads = runtime.replicaReads;
  if (target.slot === null || !replicaReads.settings.replicaRead) return target;
  if (!replicaReads.mayUseReplica(account, { access, blocking, transactional })) return target;
  return { slot: target.slot, replicaRead: true };
}

/**
 * A READONLY connection to the replica that serves this read of `slot`, or null for the
 * master. `affinity` (the session id) keeps a session's reads of one replica on one
 * connection, in order.
 */
export function replicaReadConnection(
  topology: TopologyManager,
  runtime: Runtime,
  pool: NodePool,
  slot: number,
  affinity: number,
  protocol: RespVersion = 2,
  db = 0,
): NodeConnection | null {
  const shard = topology.current.shardForSlot(slot);
  if (!shard) return null;
  const replica = runtime.replicaReads.chooseReplica(shard, (node) => !pool.recentlyFailed(node.address));
  return replica ? pool.replicaReadConnectionFor(replica.address, affinity, protocol, db) : null;
}
