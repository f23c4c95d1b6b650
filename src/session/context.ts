/**
 * What every client session needs from the running proxy, passed in one object so a
 * session can be built in tests and in the server alike.
 */
import type { Logger } from 'pino';
import type { NodePool } from '../backend/node-pool.js';
import type { TopologyManager } from '../cluster/topology-manager.js';
import type { SlotgateConfig } from '../config/config.js';
import type { Metrics } from '../observability/metrics.js';

export interface ProxyContext {
  readonly config: SlotgateConfig;
  readonly topology: TopologyManager;
  readonly pool: NodePool;
  readonly metrics: Metrics;
  readonly logger: Logger;
  /** Redis version reported by HELLO (the backend's, learned at start). */
  readonly redisVersion: string;
  nextClientId(): number;
}
