/**
 * What command handlers may do with backend nodes besides forwarding through their call: ask
 * whether a node failed lately (CLUSTER INFO picks a healthy master), and open a feed of their
 * own to one node (IMONITOR). A narrow face of the pool, so no handler holds the pool itself.
 */
import type { BackendRequest } from './backend-request.js';
import { NO_TIMEOUT_MS, type NodePool } from './node-pool.js';

/** A backend connection a handler opened for itself: it sends on it and closes it, nothing else. */
export interface FeedConnection {
  send(request: BackendRequest): void;
  close(): void;
}

export interface NodeAccess {
  /** The node at `address` failed a connection or a command lately. */
  recentlyFailed(address: string): boolean;
  /**
   * A connection of the caller's own to the node at `address`, never timed out: a feed (MONITOR)
   * may be silent for as long as the node is idle. The caller closes it.
   */
  openFeed(address: string): FeedConnection;
}

export function nodeAccess(pool: NodePool): NodeAccess {
  return {
    recentlyFailed: (address) => pool.recentlyFailed(address),
    openFeed: (address) => pool.dedicated(address, { commandTimeoutMs: NO_TIMEOUT_MS }),
  };
}
