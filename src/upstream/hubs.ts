/**
 * The two upstream fan-ins every slotgate has, made with their metrics and logs wired: Pub/Sub
 * subscriptions shared upstream (subscriber-hub.ts) and client-side caching invalidations
 * (tracking-hub.ts). Both open nothing until a client first needs them.
 */
import type { NodePool } from '../backend/node-pool.js';
import type { TopologyManager } from '../cluster/topology-manager.js';
import type { LogLimiter } from '../observability/log-limiter.js';
import type { Metrics } from '../observability/metrics.js';
import { SubscriberHub } from './subscriber-hub.js';
import { TrackingHub } from './tracking-hub.js';

export function createUpstreamHubs(pool: NodePool, topology: TopologyManager, metrics: Metrics, logLimiter: LogLimiter, trackingMaxKeys: number) {
  const pubsub = new SubscriberHub(pool, topology, {
    delivered: (count) => metrics.pubsubMessagesDelivered.inc(count),
    resubscribed: (reason) => metrics.pubsubResubscriptions.labels(reason).inc(),
    upstreamChanged: (subscriptions, links) => {
      for (const [kind, count] of Object.entries(subscriptions)) metrics.pubsubUpstreamSubscriptions.labels(kind).set(count);
      metrics.pubsubSubscriberConnections.set(links);
    },
    warn: (fields, message) => logLimiter.log('pubsub', 'warn', fields, message),
  });
  const tracking = new TrackingHub(pool, topology, trackingMaxKeys, {
    sent: (frames) => metrics.tracking.invalidations.inc(frames),
    warn: (fields, message) => logLimiter.log('tracking', 'warn', fields, message),
  });
  metrics.tracking.state = () => ({ keys: tracking.table.keyCount, clients: tracking.table.clientCount });
  return { pubsub, tracking };
}
