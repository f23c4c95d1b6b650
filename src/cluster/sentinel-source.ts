/**
 * The topology of a master with replicas run by Sentinel: the Sentinels say which node is the
 * master (`SENTINEL GET-MASTER-ADDR-BY-NAME`) and which replicas it has and whether they are up
 * (`SENTINEL REPLICAS`); the master itself confirms its role and reports the replicas' offsets
 * (`INFO replication`, fresher than Sentinel's copy, which is up to 10 s old). One shard, every slot.
 *
 * A failover: the Sentinels publish `+switch-master` (sentinel-watch.ts), slotgate re-reads the
 * topology at once. Every Sentinel is asked, and the newest configuration (the highest config
 * epoch) wins: a Sentinel that still names the old master during the switch is outvoted by the one
 * that ran the failover, even when the old master is up and still a master (sentinel-config.ts).
 */
import type { Logger } from 'pino';
import type { BackendSecurity } from '../backend/node-connection.js';
import type { BackendFailure } from '../backend/backend-request.js';
import { NodePool } from '../backend/node-pool.js';
import { parseConfigEpoch, parseMasterAddress, parseReplicationInfo, parseSentinelReplicas } from './replication-info.js';
import { newestAnswers, type SentinelAnswer } from './sentinel-config.js';
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
  /** The configuration epoch of the master installed last: never gone back from (sentinel-config.ts). */
  private installedEpoch = 0;

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

  /**
   * Asks every Sentinel at once which master it names, and under which configuration epoch, then
   * takes the newest configuration (sentinel-config.ts): the first of its Sentinels, the preferred
   * one first, whose master confirms its role.
   */
  async discover(): Promise<ShardInput[]> {
    const { sentinels } = this.options;
    const errors: string[] = [];
    const asked = await Promise.all(
      sentinels.map((sentinel, index) =>
        this.askMaster(sentinel, index).catch((err: Error) => {
          errors.push(`${sentinel}: ${err.message}`);
          return null;
        }),
      ),
    );
    const answers = asked.filter((a): a is SentinelAnswer => a !== null);
    if (answers.length === 0) throw new Error(errors.join('; '));
    for (const answer of newestAnswers(answers, sentinels.length, this.installedEpoch, this.preferred)) {
      try {
        const shard = await this.confirm(answer);
        this.preferred = answer.index;
        this.installedEpoch = answer.configEpoch;
        return [shard];
      } catch (err) {
        errors.push(`${sentinels[answer.index]}: ${(err as Error).message}`);
      }
    }
    throw new Error(errors.join('; '));
  }

  /**
   * The master one Sentinel names, with its configuration epoch. The epoch is read first: should
   * the Sentinel adopt a new configuration between the two replies, the new address is paired with
   * the old epoch (harmless: the next refresh reads both anew), never the reverse.
   */
  private async askMaster(sentinel: string, index: number): Promise<SentinelAnswer> {
    const name = this.options.masterName;
    const configEpoch = parseConfigEpoch(await this.sentinelPool.execute(sentinel, ['SENTINEL', 'MASTER', name]));
    const master = parseMasterAddress(await this.sentinelPool.execute(sentinel, ['SENTINEL', 'GET-MASTER-ADDR-BY-NAME', name]));
    if (!master) throw new Error(`no master named '${name}'`);
    return { index, configEpoch, host: master.host, port: master.port };
  }

  /** The named master confirms it is one; the replicas come from the same Sentinel. */
  private async confirm(answer: SentinelAnswer): Promise<ShardInput> {
    const sentinel = this.options.sentinels[answer.index]!;
    const listed = parseSentinelReplicas(await this.sentinelPool.execute(sentinel, ['SENTINEL', 'REPLICAS', this.options.masterName]));
    const address = `${answer.host}:${answer.port}`;
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
