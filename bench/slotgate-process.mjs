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
 * options for node itself; `slotgateArgs`: more slotgate options (e.g. --workers 2); `countGc`: run
 * it with --trace-gc-nvp and add up the collections and allocated bytes it reports (`gcCounts()`),
 * its other output passed on.
 */
export async function startSlotgateProcess(seeds, { cpuProfDir, nodeArgs: extraNodeArgs = [], slotgateArgs = [], root = repoRoot, countGc = false } = {}) {
  const nodeArgs = [...extraNodeArgs];
  if (countGc) nodeArgs.push('--trace-gc-nvp');
  if (cpuProfDir) {
    mkdirSync(cpuProfDir, { recursive: true });
    nodeArgs.push('--cpu-prof', `--cpu-prof-dir=${cpuProfDir}`);
  }
  const slotgate = await spawnSlotgate(['--cluster', seeds.join(','), '--log-level', 'warn', ...slotgateArgs], { root, nodeArgs, stdout: countGc ? 'keep' : 'inherit', stderr: 'inherit' });
  const gc = countGc ? countGcLines(slotgate.child.stdout) : undefined;
  await slotgate.waitForPing();
  return {
    port: slotgate.port,
    pid: slotgate.child.pid,
    /** Collections and bytes allocated so far ({ scavenges, markCompacts, allocated }), workers included; only with `countGc`. */
    gcCounts: () => (gc ? { ...gc } : undefined),
    async stop() {
      // SIGTERM first: a graceful exit is what makes --cpu-prof write its profile.
      await slotgate.stop(10_000);
      if (slotgate.child.signalCode === 'SIGKILL') console.error('slotgate did not exit 10 s after SIGTERM; killed it');
    },
  };
}

/**
 * Adds up --trace-gc-nvp's lines on `stream` (one per collection: "[pid:addr] N ms: pause=… gc=s …
 * allocated=B …", gc=s a scavenge, gc=mc a mark-compact, allocated the bytes allocated since the
 * collection before; workers forked by the cluster module share the stream) and passes every other
 * line on to our stdout. Allocated bytes are known at each collection, so a window's total is off
 * by at most one young generation (a few MB).
 */
function countGcLines(stream) {
  const counts = { scavenges: 0, markCompacts: 0, allocated: 0 };
  let pending = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk) => {
    const lines = (pending + chunk).split('\n');
    pending = lines.pop();
    for (const line of lines) {
      const kind = / ms: pause=.* gc=(\w+) /.exec(line);
      if (!kind) {
        process.stdout.write(`${line}\n`);
        continue;
      }
      if (kind[1] === 's') counts.scavenges++;
      else counts.markCompacts++;
      counts.allocated += Number(/ allocated=(\d+)/.exec(line)?.[1] ?? 0);
    }
  });
  return counts;
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
