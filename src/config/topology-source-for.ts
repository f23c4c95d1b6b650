/**
 * The TopologySource the configuration asks for (`backend: cluster|standalone|sentinel`): the one
 * place that turns the backend options into the object that reads the topology.
 */
import type { Logger } from 'pino';
import { BackendSecurityState } from '../backend/backend-security.js';
import type { BackendSecurity } from '../backend/node-connection.js';
import type { BackendFailure } from '../backend/backend-request.js';
import type { NodePool } from '../backend/node-pool.js';
import { ClusterTopologySource } from '../cluster/cluster-source.js';
import { ReplicationTopologySource } from '../cluster/replication-source.js';
import { SentinelTopologySource } from '../cluster/sentinel-source.js';
import type { TopologySource } from '../cluster/topology-source.js';
import type { SlotgateConfig } from './config.js';
import type { SentinelSettings } from './backend-options.js';

/** `onSentinelFailure`: a connection to a Sentinel failed (the backend failure metrics). */
export function topologySourceFor(config: SlotgateConfig, pool: NodePool, logger: Logger, onSentinelFailure?: (failure: BackendFailure) => void): TopologySource {
  switch (config.backend) {
    case 'cluster':
      return new ClusterTopologySource(pool, config.cluster, config.backendTls !== null);
    case 'standalone':
      return new ReplicationTopologySource(pool, config.master);
    case 'sentinel': {
      const sentinel = config.sentinel!;
      return new SentinelTopologySource(pool, {
        sentinels: sentinel.sentinels,
        masterName: sentinel.masterName,
        connectTimeoutMs: config.connectTimeoutMs,
        commandTimeoutMs: config.commandTimeoutMs,
        security: sentinelSecurity(sentinel),
        onBroken: onSentinelFailure,
        logger,
      });
    }
  }
}

/** AUTH and TLS for the Sentinels, made like the nodes' (the password lives only inside the encoded AUTH). */
function sentinelSecurity(settings: SentinelSettings): BackendSecurity {
  return new BackendSecurityState({ backendAuth: settings.auth, backendTls: settings.tls });
}
