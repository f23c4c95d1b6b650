/**
 * The TopologySource the configuration asks for (`backend: cluster|standalone|sentinel`): the one
 * place that turns the backend options into the object that reads the topology.
 */
import type { Logger } from 'pino';
import type { BackendSecurity } from '../backend/node-connection.js';
import type { NodePool } from '../backend/node-pool.js';
import { ClusterTopologySource } from '../cluster/cluster-source.js';
import { ReplicationTopologySource } from '../cluster/replication-source.js';
import { SentinelTopologySource } from '../cluster/sentinel-source.js';
import type { TopologySource } from '../cluster/topology-source.js';
import { encodeCommand } from '../protocol/encoder.js';
import type { SlotgateConfig } from './config.js';
import type { SentinelSettings } from './backend-options.js';

export function topologySourceFor(config: SlotgateConfig, pool: NodePool, logger: Logger): TopologySource {
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
        logger,
      });
    }
  }
}

/** AUTH for the Sentinels; the password lives only inside the encoded command. Plain TCP. */
function sentinelSecurity(settings: SentinelSettings): BackendSecurity {
  const auth = settings.auth;
  const command = auth ? encodeCommand(auth.user ? ['AUTH', auth.user, auth.password] : ['AUTH', auth.password]) : null;
  return { authCommand: () => command, tlsOptions: () => null };
}
