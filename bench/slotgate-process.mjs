// Shared by the load harnesses (load.mjs, mget.bench.mjs): run slotgate from dist/ as a child
// process, so the proxy gets a process (and a core) of its own, apart from the benchmark client.
import { mkdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('..', import.meta.url));
export const HOST = '127.0.0.1';
// The dev harness is TypeScript run through tsx: the bench scripts run as `node --import tsx …`.
// slotgate is started the one way the tests start it too (scripts/dev/slotgate-process.ts).
const { spawnSlotgate, pingOnce, waitForPing } = await import('../scripts/dev/slotgate-process.ts');
export { pingOnce, waitForPing };

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Starts `node dist/src/main.js --cluster <seeds>` on a free port and waits until it answers PING.
 * `cpuProfDir`: profile it (--cpu-prof), written when it exits after SIGTERM; `nodeArgs`: more
 * options for node itself (e.g. --trace-gc); `slotgateArgs`: more slotgate options (e.g. --workers 2).
 */
export async function startSlotgateProcess(seeds, { cpuProfDir, nodeArgs: extraNodeArgs = [], slotgateArgs = [], root = repoRoot } = {}) {
  const nodeArgs = [...extraNodeArgs];
  if (cpuProfDir) {
    mkdirSync(cpuProfDir, { recursive: true });
    nodeArgs.push('--cpu-prof', `--cpu-prof-dir=${cpuProfDir}`);
  }
  const slotgate = await spawnSlotgate(['--cluster', seeds.join(','), '--log-level', 'warn', ...slotgateArgs], { root, nodeArgs, stdout: 'inherit', stderr: 'inherit' });
  await slotgate.waitForPing();
  return {
    port: slotgate.port,
    pid: slotgate.child.pid,
    async stop() {
      // SIGTERM first: a graceful exit is what makes --cpu-prof write its profile.
      await slotgate.stop(10_000);
      if (slotgate.child.signalCode === 'SIGKILL') console.error('slotgate did not exit 10 s after SIGTERM; killed it');
    },
  };
}

/** CPU seconds { user, system } process `pid` has used so far, from /proc (Linux); null elsewhere. */
export function processCpuSeconds(pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    // utime and stime are fields 14 and 15 of stat, in clock ticks (100 per second on Linux).
    return { user: Number(fields[11]) / 100, system: Number(fields[12]) / 100 };
  } catch {
    return null;
  }
}

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export function positiveIntFromEnv(name, fallback) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`${name} must be a positive integer, got '${raw}'`);
  return value;
}
