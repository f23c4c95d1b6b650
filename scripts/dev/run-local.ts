// "Try it" entry point: starts a throwaway 3-master/3-replica Redis Cluster on loopback, then slotgate
// in front of it in this same process, and tears both down on Ctrl-C.
//   npm run dev -- [slotgate options...]      (runs: node --import tsx scripts/dev/run-local.ts)
// Every argument is passed to slotgate's own option parser; `--cluster` is added with the launched seeds.
import { resolveConfig } from '../../src/config/config.js';
import { startSlotgate } from '../../src/server.js';
import { startLocalCluster, type LocalCluster } from './local-cluster.js';

async function runLocal(): Promise<void> {
  const cluster: LocalCluster = await startLocalCluster({
    masters: 3,
    replicasPerMaster: 1,
    log: (line) => console.log(`[local-cluster] ${line}`),
  });

  let slotgate: Awaited<ReturnType<typeof startSlotgate>>;
  try {
    const argv = [...process.argv.slice(2), '--cluster', cluster.seeds.join(',')];
    slotgate = await startSlotgate(resolveConfig(argv, process.env));
  } catch (err) {
    await cluster.stop();
    throw err;
  }

  const masters = await cluster.masterPorts();
  const replicas = await cluster.replicaPorts();
  console.log('');
  console.log(`Redis Cluster: masters on ports ${masters.join(', ')}; replicas on ports ${replicas.join(', ')}`);
  console.log(`slotgate listens on ${slotgate.host}:${slotgate.port}. Try:`);
  console.log(`  redis-cli -h ${slotgate.host} -p ${slotgate.port}`);
  console.log('Ctrl-C stops slotgate and the cluster.');

  let shuttingDown = false;
  const shutDown = async (signal: NodeJS.Signals): Promise<void> => {
    if (shuttingDown) return; // a second Ctrl-C while closing must not start a second shutdown
    shuttingDown = true;
    console.log(`\n${signal}: closing slotgate, then stopping the cluster`);
    try {
      await slotgate.close();
    } finally {
      await cluster.stop();
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
