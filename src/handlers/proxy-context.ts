/**
 * What every client session needs from the running proxy, passed in one object so a
 * session can be built in tests and in the server alike. Handlers see less of it
 * (HandlerServices): no pool, no command table, no client id allocator.
 */
import type { CommandCatalog } from '../commands/command-table.js';
import type { BlockingCommands, ClientStateFigures } from './blocking-keys.js';
import type { Logger } from 'pino';
import type { NodeAccess } from '../backend/node-access.js';
import type { NodePool } from '../backend/node-pool.js';
import type { TopologyManager } from '../cluster/topology-manager.js';
import type { SlotgateConfig } from '../config/config.js';
import type { Runtime } from '../config/runtime.js';
import type { MonitorHub } from '../monitor/monitor-hub.js';
import type { LogLimiter } from '../observability/log-limiter.js';
import type { Metrics } from '../observability/metrics.js';
import type { ClientDirectory } from '../peers/client-directory.js';
import type { ProxyIdentity } from '../proxy-view/identity.js';
import type { SubscriberHub } from '../upstream/subscriber-hub.js';
import type { TrackingEndpoint } from '../upstream/tracking-client.js';
import type { TrackingHub } from '../upstream/tracking-hub.js';

/** The running proxy as a command handler sees it (`CommandCall.proxy`). */
export interface HandlerServices {
  readonly config: SlotgateConfig;
  /**
   * Accounts, disabled commands and read routing as they are NOW: replaced as a whole by a
   * config reload (one assignment), so read it per use and do not keep it.
   */
  runtime: Runtime;
  readonly topology: TopologyManager;
  /** Backend nodes beyond forwarding: their recent health, a feed of one's own (IMONITOR). */
  readonly nodes: NodeAccess;
  readonly metrics: Metrics;
  readonly logger: Logger;
  /** Every log line a client can cause goes through it (rate-limited per kind). */
  readonly logLimiter: LogLimiter;
  /** Redis version reported by HELLO (the backend's, learned at start). */
  readonly redisVersion: string;
  /** Databases SELECT may choose (the backend's `databases`, learned at start; 1 for a cluster). */
  readonly backendDatabases: number;
  /** Who slotgate tells clients it is (announce address, node ID, version); final once listening. */
  identity: ProxyIdentity;
  /** MONITOR feeds; sessions publish only while `monitors.active`. */
  readonly monitors: MonitorHub;
  /** Client connections open now. */
  clientCount(): number;
  /** The sessions of every slotgate in front of the cluster (CLIENT LIST/KILL/UNBLOCK). */
  readonly clients: ClientDirectory;
  /** Client connections waiting in a blocking command now (INFO's blocked_clients). */
  blockedClientCount(): number;
  /** What each client connection's last blocking command waits on (handlers/blocking-keys.ts). */
  readonly blockingCommands: BlockingCommands;
  /** INFO clients' counts of this slotgate's client connections (watching, subscribed, blocked keys). */
  clientStates(): ClientStateFigures;
  /** Every client's subscriptions, shared upstream (upstream/subscriber-hub.ts). */
  readonly pubsub: SubscriberHub;
  /** Client-side caching: invalidations from every master to the tracking clients (upstream/tracking-hub.ts). */
  readonly tracking: TrackingHub;
  /** This slotgate's client connection with id `id` (CLIENT TRACKING … REDIRECT). */
  findClient(id: number): TrackingEndpoint | undefined;
}

export interface ProxyContext extends HandlerServices {
  readonly pool: NodePool;
  /** This instance's command table (the backend's COMMAND reply once read): requests are looked up in it. */
  readonly commands: CommandCatalog;
  nextClientId(): number;
  /** This instance's name in CLIENT LIST `proxy=` (`<announce host:port>/<instance>`); final once listening. */
  proxyId: string;
}
