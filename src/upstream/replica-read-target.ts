/**
 * The forwarding side of read/write splitting: whether a command's read goes to a replica, as
 * routing/replica-reads.ts allows it, and the READONLY connection for it.
 */
import type { Account } from '../auth/accounts.js';
import type { NodeConnection } from '../backend/node-connection.js';
import type { NodePool } from '../backend/node-pool.js';
import type { RespVersion } from '../protocol/resp3-encoder.js';
import type { TopologyManager } from '../cluster/topology-manager.js';
import type { Runtime } from '../config/runtime.js';
import type { Access } from '../routing/router.js';

/**
 * Whether a command routed to a slot goes to a replica of it: the account, the command and
 * replica-read allow it (positional arguments, nothing allocated: this runs for every forwarded command).
 */
export function readsReplica(runtime: Runtime, account: Account | null, access: Access, blocking: boolean, transactional: boolean): boolean {
  const replicaReads = runtime.replicaReads;
  return replicaReads.settings.replicaRead && replicaReads.mayUseReplica(account, { access, blocking, transactional });
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
