// "Try it" entry point: starts a throwaway backend on loopback, then slotgate in front of it in this
// same process, and tears both down on Ctrl-C.
//   npm run dev -- [--redis-server <path>] [slotgate options...]   (runs: node --import tsx scripts/dev/run-local.ts)
// The backend follows --backend: cluster (default; 3 masters, 1 replica each), standalone (a master
// and 2 replicas) or sentinel (the same, watched by 3 Sentinels). Every argument is passed to
// slotgate's own option parser; --cluster, --master or --sentinels/--sentinel-master-name are added.
import { resolveConfig } from '../../src/config/config.js';
import { startSlotgate } from '../../src/server.js';
import { startLocalCluster } from './local-cluster.js';
import { startLocalReplication } from './local-replication.js';

interface LocalBackend {
  /** The slotgate flags that point at it. */
  readonly flags: string[];
  describe(): Promise<string>;
  stop(): Promise<void>;
}

/** The value of --backend (or --backend=…, or SLOTGATE_BACKEND); slotgate's parser checks it again. */
function backendKind(argv: readonly string[]): string {
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--backend') return argv[i + 1] ?? '';
    if (argv[i]!.startsWith('--backend=')) return argv[i]!.slice('--backend='.length);
  }
  return process.env.SLOTGATE_BACKEND ?? 'cluster';
}

async function startBackend(kind: string): Promise<LocalBackend> {
  if (kind === 'standalone' || kind === 'sentinel') {
    const group = await startLocalReplication({ replicas: 2, sentinels: kind === 'sentinel' ? 3 : 0, log: (line) => console.log(`[local-${kind}] ${line}`) });
    const master = `${group.host}:${group.initialMasterPort}`;
    return {
      flags: kind === 'sentinel' ? ['--sentinels', group.sentinels.join(','), '--sentinel-master-name', group.masterName] : ['--master', master],
      describe: async () =>
        `master on port ${group.initialMasterPort}; replicas on ports ${group.replicaPorts.join(', ')}` +
        (kind === 'sentinel' ? `; Sentinels at ${group.sentinels.join(', ')} (master name ${group.masterName})` : ''),
      stop: () => group.stop(),
    };
  }
  const cluster = await startLocalCluster({ masters: 3, replicasPerMaster: 1, log: (line) => console.log(`[local-cluster] ${line}`) });
  return {
    flags: ['--cluster', cluster.seeds.join(',')],
    describe: async () => `Redis Cluster: masters on ports ${(await cluster.masterPorts()).join(', ')}; replicas on ports ${(await cluster.replicaPorts()).join(', ')}`,
    stop: () => cluster.stop(),
  };
}

/**
 * Takes `--redis-server <path>` (or `=<path>`) out of the arguments, which are slotgate's otherwise, and
 * makes it the harness's server binary (REDIS_SERVER, read by every launcher): e.g. a Valkey build's
 * valkey-server. Its cli beside it creates the cluster.
 */
function takeRedisServerOption(argv: readonly string[]): string[] {
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--redis-server') process.env.REDIS_SERVER = argv[++i] ?? '';
    else if (arg.startsWith('--redis-server=')) process.env.REDIS_SERVER = arg.slice('--redis-server='.length);
    else rest.push(arg);
  }
  if (process.env.REDIS_SERVER === '') throw new Error('--redis-server needs the path of a redis-server (or valkey-server) binary');
  return rest;
}

async function runLocal(): Promise<void> {
  const slotgateArgs = takeRedisServerOption(process.argv.slice(2));
  const backend = await startBackend(backendKind(slotgateArgs));

  let slotgate: Awaited<ReturnType<typeof startSlotgate>>;
  try {
    const argv = [...slotgateArgs, ...backend.flags];
    slotgate = await startSlotgate(resolveConfig(argv, process.env));
  } catch (err) {
    await backend.stop();
    throw err;
  }

  console.log('');
  console.log(await backend.describe());
  console.log(`slotgate listens on ${slotgate.host}:${slotgate.port}. Try:`);
  console.log(`  redis-cli -h ${slotgate.host} -p ${slotgate.port}`);
  console.log('Ctrl-C stops slotgate and the backend.');

  let shuttingDown = false;
  const shutDown = async (signal: NodeJS.Signals): Promise<void> => {
    if (shuttingDown) return; // a second Ctrl-C while closing must not start a second shutdown
    shuttingDown = true;
    console.log(`\n${signal}: closing slotgate, then stopping the backend`);
    try {
      await slotgate.close();
    } finally {
      await backend.stop();
    }
    process.exit(0);
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      shutDown(signal).catch((err: unknown) => {
        console.error('shutdown failed:', err);
        process.exit(1); // the launcher's exit hook still kills the redis-servers
      });
    });
  }
}

runLocal().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
