/**
 * The topology of a master with replicas run by Sentinel: the Sentinels say which node is the
 * master (`SENTINEL GET-MASTER-ADDR-BY-NAME`) and which replicas it has and whether they are up
 * (`SENTINEL REPLICAS`); the master itself confirms its role and reports the replicas' offsets
 * (`INFO replication`, fresher than Sentinel's copy, which is up to 10 s old). One shard, every slot.
 *
 * A failover: the Sentinels publish `+switch-master` (sentinel-watch.ts), slotgate re-reads the
 * topology at once. A Sentinel that still names the old master during the switch is caught by the
 * role check (the old master is down, or already a replica) and the next Sentinel is asked.
 */
import type { Logger } from 'pino';
import type { BackendFailure, BackendSecurity } from '../backend/node-connection.js';
import { NodePool } from '../backend/node-pool.js';
import { parseMasterAddress, parseReplicationInfo, parseSentinelReplicas } from './replication-info.js';
import { replicationShard } from './replication-source.js';
import { SentinelWatch } from './sentinel-watch.js';
import type { ShardInput } from './topology-snapshot.js';
import type { FailoverSignal, TopologySource } from './topology-source.js';

export interface SentinelSourceOptions {
  readonly sentinels: readonly string[];
  readonly masterName: string;
  readonly connectTimeoutMs: number;
  readonly commandTimeoutMs: number;
  /** AUTH and TLS for the Sentinels (sentinel-user/sentinel-password, sentinel-tls). */
  readonly security: BackendSecurity;
  /** A connection to a Sentinel failed (counted with the backend failures). */
  readonly onBroken?: (failure: BackendFailure) => void;
  readonly logger: Logger;
}

export class SentinelTopologySource implements TopologySource {
  readonly kind = 'sentinel' as const;
  readonly retainedAddresses: readonly string[] = [];
  /** Connections to the Sentinels: their own pool, with their own credentials. */
  private readonly sentinelPool: NodePool;
  private watches: SentinelWatch[] = [];
  /** The Sentinel that answered last is asked first next time. */
  private preferred = 0;

  constructor(
    /** The backend pool: the master is asked for its replication offsets on it. */
    private readonly pool: NodePool,
    private readonly options: SentinelSourceOptions,
  ) {
    this.sentinelPool = new NodePool({
      connectionsPerNode: 1,
      connectTimeoutMs: options.connectTimeoutMs,
      commandTimeoutMs: options.commandTimeoutMs,
      security: options.security,
      onBroken: (_address, failure) => options.onBroken?.(failure),
    });
  }

  describe(): string {
    return `master '${this.options.masterName}' from sentinels ${this.options.sentinels.join(',')}`;
  }

  async discover(): Promise<ShardInput[]> {
    const { sentinels } = this.options;
    const errors: string[] = [];
    for (let i = 0; i < sentinels.length; i++) {
      const index = (this.preferred + i) % sentinels.length;
      try {
        const shard = await this.askSentinel(sentinels[index]!);
        this.preferred = index;
        return [shard];
      } catch (err) {
        errors.push(`${sentinels[index]}: ${(err as Error).message}`);
      }
    }
    throw new Error(errors.join('; '));
  }

  private async askSentinel(sentinel: string): Promise<ShardInput> {
    const name = this.options.masterName;
    const master = parseMasterAddress(await this.sentinelPool.execute(sentinel, ['SENTINEL', 'GET-MASTER-ADDR-BY-NAME', name]));
    if (!master) throw new Error(`no master named '${name}'`);
    const listed = parseSentinelReplicas(await this.sentinelPool.execute(sentinel, ['SENTINEL', 'REPLICAS', name]));
    const address = `${master.host}:${master.port}`;
    const info = parseReplicationInfo(await this.pool.execute(address, ['INFO', 'replication']));
    if (info.role !== 'master') throw new Error(`names ${address} as master, which is a replica (failover in progress)`);
    return replicationShard(address, info, listed);
  }

  watch(changed: (reason: string) => void, failover?: (signal: FailoverSignal) => void): void {
    this.watches = this.options.sentinels.map(
      (address) =>
        new SentinelWatch(address, {
          masterName: this.options.masterName,
          pool: this.sentinelPool,
          changed,
          failover,
          onError: (at, message) => this.options.logger.debug({ sentinel: at, err: message }, 'sentinel subscription error'),
        }),
    );
  }

  stop(): void {
    for (const watch of this.watches) watch.stop();
    this.watches = [];
    this.sentinelPool.close();
  }
}
