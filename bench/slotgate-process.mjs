// Shared by the load harnesses (load.mjs, mget.bench.mjs): run slotgate from dist/ as a child
// process, so the proxy gets a process (and a core) of its own, apart from the benchmark client.
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import { resolve } from 'node:path';

export const repoRoot = fileURLToPath(new URL('..', import.meta.url));
export const HOST = '127.0.0.1';
// The dev harness is TypeScript run through tsx: the bench scripts run as `node --import tsx …`.
const { findFreePort } = await import('../scripts/dev/redis-server.ts');

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Resolves when a RESP PING on host:port gets +PONG, rejects on any failure or after timeoutMs. */
export function pingOnce(port, timeoutMs = 1000) {
  return new Promise((resolvePing, rejectPing) => {
    const socket = connect({ host: HOST, port });
    let received = '';
    const fail = (err) => {
      socket.destroy();
      rejectPing(err);
    };
    socket.setTimeout(timeoutMs, () => fail(new Error('PING timed out')));
    socket.once('error', fail);
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      received += chunk.toString('latin1');
      if (!received.includes('\r\n')) return;
      socket.destroy();
      if (received.startsWith('+PONG')) resolvePing();
      else rejectPing(new Error(`PING answered ${JSON.stringify(received)}`));
    });
  });
}

/**
 * Starts `node dist/src/main.js --cluster <seeds>` on a free port and waits until it answers PING.
 * `cpuProfDir`: profile it (--cpu-prof), written when it exits after SIGTERM; `nodeArgs`: more
 * options for node itself; `slotgateArgs`: more slotgate options (e.g. --workers 2); `countGc`: run
 * it with --trace-gc-nvp and add up the collections and allocated bytes it reports (`gcCounts()`),
 * its other output passed on.
 */
export async function startSlotgateProcess(seeds, { cpuProfDir, nodeArgs: extraNodeArgs = [], slotgateArgs = [], root = repoRoot, countGc = false } = {}) {
  const port = await findFreePort(HOST);
  const nodeArgs = [...extraNodeArgs];
  if (countGc) nodeArgs.push('--trace-gc-nvp');
  if (cpuProfDir) {
    mkdirSync(cpuProfDir, { recursive: true });
    nodeArgs.push('--cpu-prof', `--cpu-prof-dir=${cpuProfDir}`);
  }
  const args = [...nodeArgs, resolve(root, 'dist/src/main.js'), '--cluster', seeds.join(','), '--port', String(port), '--admin-port', '0', '--log-level', 'warn', ...slotgateArgs];
  const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', countGc ? 'pipe' : 'inherit', 'inherit'] });
  const gc = countGc ? countGcLines(child.stdout) : undefined;
  const exited = new Promise((r) => child.once('exit', (code, signal) => r({ code, signal })));
  await waitForPing(child, port, 'slotgate');
  return {
    port,
    pid: child.pid,
    /** Collections and bytes allocated so far ({ scavenges, markCompacts, allocated }), workers included; only with `countGc`. */
    gcCounts: () => (gc ? { ...gc } : undefined),
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      // SIGTERM first: a graceful exit is what makes --cpu-prof write its profile.
      child.kill('SIGTERM');
      const outcome = await Promise.race([exited, sleep(10_000).then(() => 'timeout')]);
      if (outcome === 'timeout') {
        console.error('slotgate did not exit 10 s after SIGTERM; killing it');
        child.kill('SIGKILL');
        await exited;
      }
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

/**
 * Waits until the process `child` (a proxy listening on `port`) answers PING, for at most 20 s;
 * kills it and throws when it exits first or never answers.
 */
export async function waitForPing(child, port, name) {
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`${name} exited during start-up (code ${child.exitCode}, signal ${child.signalCode})`);
    }
    try {
      await pingOnce(port);
      return;
    } catch (err) {
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`${name} did not answer PING on ${HOST}:${port} within 20 s: ${err.message}`);
      }
      await sleep(100);
    }
  }
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
