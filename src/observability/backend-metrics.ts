/**
 * The backend's metrics: its connections (failures, refused AUTH), the nodes the topology lists,
 * the topology refreshes, and the failover holds (cluster/write-hold.ts). Fed by startup/backend.ts.
 */
import client from 'prom-client';

export class BackendMetrics {
  readonly connectionFailures: client.Counter<'kind'>;
  readonly authFailures: client.Counter;
  readonly nodeUp: client.Gauge<'node' | 'address' | 'role'>;
  readonly topologyRefreshes: client.Counter<'outcome'>;
  readonly failoverHolds: client.Counter<'how'>;
  readonly failoverHeldCommands: client.Counter;

  constructor(registry: client.Registry) {
    const registers = [registry];
    this.connectionFailures = new client.Counter({
      name: 'slotgate_backend_connection_failures_total',
      help: 'Backend connections that broke or could not be made',
      labelNames: ['kind'] as const,
      registers,
    });
    this.authFailures = new client.Counter({
      name: 'slotgate_backend_auth_failures_total',
      help: 'Backend connections whose AUTH the node refused (backend-user/backend-password wrong, or rotated on the nodes)',
      registers,
    });
    this.nodeUp = new client.Gauge({
      name: 'slotgate_backend_node_up',
      help: '1 when the topology lists the backend node as online, else 0; node is its ID, address its host:port',
      labelNames: ['node', 'address', 'role'] as const,
      registers,
    });
    this.topologyRefreshes = new client.Counter({
      name: 'slotgate_topology_refreshes_total',
      help: 'Topology refreshes, by outcome',
      labelNames: ['outcome'] as const,
      registers,
    });
    this.failoverHolds = new client.Counter({
      name: 'slotgate_failover_holds_total',
      help: 'Failovers during which the commands for the old master were held, by how the hold ended (new master, timeout, aborted)',
      labelNames: ['how'] as const,
      registers,
    });
    this.failoverHeldCommands = new client.Counter({
      name: 'slotgate_failover_held_commands_total',
      help: 'Commands held during failovers (sent to the new master once confirmed, or failed at their deadline)',
      registers,
    });
  }
}
