// predixy, the reference C++ cluster proxy, as a third target of the load bench (never part of the
// project: BENCH_PREDIXY names a binary built elsewhere, e.g. ../shared/anchors/predixy/predixy).
// Configured as that directory's run.sh does it: one worker thread, the same cluster as slotgate.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HOST, sleep, waitForPing } from './slotgate-process.mjs';

const { findFreePort } = await import('../scripts/dev/redis-server.ts');

export async function startPredixyProcess(binary, seeds, threads = 1) {
  const port = await findFreePort(HOST);
  const dir = mkdtempSync(join(tmpdir(), 'predixy-'));
  const config = [
    'Name predixy',
    `Bind ${HOST}:${port}`,
    `WorkerThreads ${threads}`,
    'ClientTimeout 300',
    `Log ${dir}/predixy.log`,
    'LogRotate 1d',
    'ClusterServerPool {',
    '  MasterReadPriority 100',
    '  RefreshInterval 1',
    '  ServerTimeout 1',
    '  ServerFailureLimit 10',
    '  ServerRetryTimeout 1',
    '  KeepAlive 120',
    '  Servers {',
    ...seeds.map((s) => `    + ${s}`),
    '  }',
    '}',
  ].join('\n');
  writeFileSync(join(dir, 'predixy.conf'), `${config}\n`);
  const child = spawn(binary, [join(dir, 'predixy.conf')], { stdio: ['ignore', 'ignore', 'inherit'] });
  const exited = new Promise((r) => child.once('exit', r));
  await waitForPing(child, port, 'predixy');
  return {
    port,
    pid: child.pid,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const outcome = await Promise.race([exited, sleep(5000).then(() => 'timeout')]);
        if (outcome === 'timeout') {
          child.kill('SIGKILL');
          await exited;
        }
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
