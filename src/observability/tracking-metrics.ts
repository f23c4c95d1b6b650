/**
 * Client-side caching's metrics (upstream/tracking-hub.ts): the table's size and the tracking
 * clients, read at scrape time from `state` (set once the hub exists), and the invalidations sent.
 */
import client from 'prom-client';

export class TrackingMetrics {
  /** The table's keys and the clients with tracking on, now. */
  state: () => { keys: number; clients: number } = () => ({ keys: 0, clients: 0 });
  readonly invalidations: client.Counter;
  private readonly keys: client.Gauge;
  private readonly clients: client.Gauge;

  constructor(registry: client.Registry) {
    this.invalidations = new client.Counter({
      name: 'slotgate_tracking_invalidations_total',
      help: 'Client-side caching: invalidation messages sent to clients (a null one, flush everything, counts once per client)',
      registers: [registry],
    });
    this.keys = new client.Gauge({
      name: 'slotgate_tracking_keys',
      help: 'Client-side caching: keys remembered for tracking clients (at most tracking-table-max-keys)',
      registers: [registry],
      collect: () => this.keys.set(this.state().keys),
    });
    this.clients = new client.Gauge({
      name: 'slotgate_tracking_clients',
      help: 'Client-side caching: client connections with CLIENT TRACKING on',
      registers: [registry],
      collect: () => this.clients.set(this.state().clients),
    });
  }
}
