/**
 * The running proxy as command handlers see it: everything they may use besides their call. Not
 * the pool, the command table or the client id allocator (those stay in ProxyContext, which the
 * session and the dispatcher see). No handler gets all of it: each group declares the part it uses
 * next to itself (a `Pick` of this, e.g. pubsub-commands.ts's PubsubServices) and is given that,
 * once, when the registry is built (handlers/registry.ts); the proxy context satisfies them all.
 */
import type { Logger } from 'pino';
import type { NodeAccess } from '../backend/node-access.js';
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
import type { BlockingCommands, ClientStateFigures } from './blocking-keys.js';

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

