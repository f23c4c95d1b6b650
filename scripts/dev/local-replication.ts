// Starts and supervises a throwaway master with replicas on loopback, optionally watched by
// Sentinels, for `npm run dev -- --backend standalone|sentinel` and the integration tests of those
// backends. Development and test support only: nothing under src/ imports it.
//
// Invariants this module keeps:
// - Every process is started by redis-server.ts, so none outlives this process (its exit hooks kill
//   them and remove the temp dir).
// - `startLocalReplication` resolves only once every replica is in sync with the master and, with
//   Sentinels, once every Sentinel knows every replica and every other Sentinel (a failover needs
//   a quorum that has met).
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { findFreePort, makeTempDir, removeTempDir, startRedisServer, THROWAWAY_SERVER_ARGS, withRedis, type RedisServerProcess } from './redis-server.js';

export interface LocalReplicationOptions {
  /** Replicas of the master; default 2. */
  replicas?: number;
  /** Sentinels watching the master; default 0 (a standalone group). */
  sentinels?: number;
  /** The name the Sentinels monitor the master under; default 'mymaster'. */
  masterName?: string;
  /** Sentinel's down-after-milliseconds; default 1000 so failover tests are quick. */
  downAfterMs?: number;
  /** Extra redis-server arguments for the data nodes (master and replicas). */
  extraConfig?: readonly string[];
  /** Sentinels also listen on a TLS port with this certificate, requiring client certificates from this CA. */
  sentinelTls?: { readonly certFile: string; readonly keyFile: string; readonly caCertFile: string };
  log?: (line: string) => void;
}

export interface LocalReplication {
  readonly host: string;
  /** Port of the node started as master (after a failover it may be a replica). */
  readonly initialMasterPort: number;
  /** Ports of the nodes started as replicas. */
  readonly replicaPorts: readonly number[];
  /** "host:port" of every Sentinel (empty without Sentinels). */
  readonly sentinels: readonly string[];
  /** "host:port" of every Sentinel's TLS port (with `sentinelTls`; empty otherwise). */
  readonly sentinelTlsAddresses: readonly string[];
  readonly masterName: string;
  /** Ports of live data nodes whose ROLE says master. */
  masterPorts(): Promise<number[]>;
  /** SIGKILLs a node (data node or Sentinel) and waits for it to exit. */
  killNode(port: number): Promise<void>;
  /** SIGSTOPs / SIGCONTs a data node: it keeps its sockets but answers nothing (replication stalls). */
  pauseNode(port: number): void;
  resumeNode(port: number): void;
  /** Every replica linked to the master and in sync (state=online), `replicas` of them. */
  waitForReplicas(masterPort: number, replicas: number, timeoutMs?: number): Promise<void>;
  /** Kills everything and removes the temp dir; idempotent. */
  stop(): Promise<void>;
}

const POLL_MS = 100;
const DEFAULT_WAIT_MS = 60_000;
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function startLocalReplication(opts: LocalReplicationOptions = {}): Promise<LocalReplication> {
  const host = '127.0.0.1';
  const replicaCount = opts.replicas ?? 2;
  const sentinelCount = opts.sentinels ?? 0;
  const masterName = opts.masterName ?? 'mymaster';
  const log = opts.log ?? (() => {});
  const parentDir = await makeTempDir('slotgate-replication-');
  const processes = new Map<number, RedisServerProcess>();
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      await Promise.all([...processes.values()].map((p) => p.kill()));
      await removeTempDir(parentDir);
      log(`replication group in ${parentDir} stopped`);
    })());

  const dataArgs = [...THROWAWAY_SERVER_ARGS, ...(opts.extraConfig ?? [])];
  try {
    const master = await startRedisServer({ parentDir, args: dataArgs, log });
    processes.set(master.spec.port, master);
    const masterPort = master.spec.port;
    const replicaPorts: number[] = [];
    for (let i = 0; i < replicaCount; i++) {
      const replica = await startRedisServer({ parentDir, args: [...dataArgs, '--replicaof', host, String(masterPort)], log });
      processes.set(replica.spec.port, replica);
      replicaPorts.push(replica.spec.port);
    }
    const waitForReplicas = async (port: number, count: number, timeoutMs = DEFAULT_WAIT_MS): Promise<void> => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const info = await withRedis(host, port, (r) => r.info('replication')).catch(() => '');
        const online = info.split(/\r?\n/).filter((line) => /^slave\d+:.*state=online/.test(line)).length;
        if (online >= count) return;
        // The master's own replication lines say what the replicas were doing (connected, syncing, none).
        if (Date.now() > deadline) throw new Error(`replicas of ${host}:${port}: ${online} of ${count} in sync after ${timeoutMs} ms; its INFO replication: ${info.split(/\r?\n/).filter((line) => /^(role|connected_slaves|slave\d+):/.test(line)).join(' | ')}`);
        await sleep(POLL_MS);
      }
    };
    await waitForReplicas(masterPort, replicaCount);

    const sentinels: string[] = [];
    const sentinelTlsAddresses: string[] = [];
    for (let i = 0; i < sentinelCount; i++) {
      const configFile = join(parentDir, `sentinel-${i}.conf`);
      await writeFile(
        configFile,
        [
          `sentinel monitor ${masterName} ${host} ${masterPort} ${Math.floor(sentinelCount / 2) + 1}`,
          `sentinel down-after-milliseconds ${masterName} ${opts.downAfterMs ?? 1000}`,
          `sentinel failover-timeout ${masterName} 10000`,
          `sentinel parallel-syncs ${masterName} 1`,
          '',
        ].join('\n'),
      );
      const tls = opts.sentinelTls;
      const tlsPort = tls ? await findFreePort(host) : 0;
      const tlsArgs = tls ? ['--tls-port', String(tlsPort), '--tls-cert-file', tls.certFile, '--tls-key-file', tls.keyFile, '--tls-ca-cert-file', tls.caCertFile] : [];
      const sentinel = await startRedisServer({ parentDir, configFile, args: ['--sentinel', '--protected-mode', 'no', ...tlsArgs], log });
      processes.set(sentinel.spec.port, sentinel);
      sentinels.push(`${host}:${sentinel.spec.port}`);
      if (tls) sentinelTlsAddresses.push(`${host}:${tlsPort}`);
    }
    // A failover needs Sentinels that know the replicas and each other (hello messages, every 2 s).
    const deadline = Date.now() + DEFAULT_WAIT_MS;
    for (const address of sentinels) {
      const port = Number(address.split(':')[1]);
      for (;;) {
        const [replicas, peers] = await withRedis(host, port, async (r) => [
          ((await r.call('SENTINEL', 'REPLICAS', masterName)) as unknown[]).length,
          ((await r.call('SENTINEL', 'SENTINELS', masterName)) as unknown[]).length,
        ]).catch(() => [0, 0]);
        if (replicas >= replicaCount && peers >= sentinelCount - 1) break;
        if (Date.now() > deadline) throw new Error(`sentinel ${address} knows ${replicas} replicas and ${peers} peers`);
        await sleep(POLL_MS);
      }
    }
    log(`master ${host}:${masterPort}, replicas ${replicaPorts.join(', ')}${sentinels.length ? `, sentinels ${sentinels.join(', ')}` : ''}`);

    const dataPorts = [masterPort, ...replicaPorts];
    return {
      host,
      initialMasterPort: masterPort,
      replicaPorts,
      sentinels,
      sentinelTlsAddresses,
      masterName,
      async masterPorts() {
        const roles = await Promise.all(
          dataPorts.filter((p) => processes.get(p)!.isRunning()).map(async (p) => [p, await withRedis(host, p, (r) => r.call('ROLE')).catch(() => null)] as const),
        );
        return roles.filter(([, role]) => Array.isArray(role) && role[0] === 'master').map(([p]) => p);
      },
      async killNode(port) {
        await processes.get(port)?.kill();
      },
      pauseNode(port) {
        process.kill(processes.get(port)!.pid, 'SIGSTOP');
      },
      resumeNode(port) {
        process.kill(processes.get(port)!.pid, 'SIGCONT');
      },
      waitForReplicas,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
