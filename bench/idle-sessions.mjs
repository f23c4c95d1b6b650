// What the session registry and its cross-instance machinery cost per idle client (issue 10:
// at most 1 KB each): N idle connections through ONE slotgate process, each having sent
// CLIENT SETNAME and CLIENT SETINFO (what client libraries do on connect), then slotgate's
// heap and RSS per session. With BENCH_BASELINE=<another checkout, built> the same is measured
// on that build, in the same run, and the difference per session is printed: that difference
// is the registry's cost. It also times CLIENT LIST over all N sessions.
//
//   npm run bench:idle-sessions                                  (builds first)
//   BENCH_SESSIONS=10000 BENCH_BASELINE=/tmp/slotgate-base npm run bench:idle-sessions
//   BENCH_NODE_DEFAULTS=1 npm run bench:idle-sessions   (node without --max-semi-space-size=1, as users run it)
//   BENCH_SETTLE_SECONDS=30 …   (how long memory is sampled after the connections open; default 20)
//
// File descriptors: the bench holds N client sockets and slotgate N more (plus its backend ones);
// each process needs `ulimit -n` above N + 100.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { resolve } from 'node:path';
import { HOST, positiveIntFromEnv, repoRoot, sleep } from './slotgate-process.mjs';

const { startLocalCluster } = await import('../scripts/dev/local-cluster.ts');
const { findFreePort } = await import('../scripts/dev/redis-server.ts');

const debug = (...args) => process.env.BENCH_DEBUG && console.log(...args);
const sessions = positiveIntFromEnv('BENCH_SESSIONS', 10_000);
const settleSeconds = positiveIntFromEnv('BENCH_SETTLE_SECONDS', 20);
const baseline = process.env.BENCH_BASELINE;

function encode(...args) {
  return `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`;
}

async function startSlotgate(root, seeds) {
  const port = await findFreePort(HOST);
  const adminPort = await findFreePort(HOST);
  // A small young generation: heap-used then counts live objects, not up to 16 MB of young garbage
  // (which would be ±1.6 KB per session at 10,000 sessions, more than what is measured).
  // BENCH_NODE_DEFAULTS=1 runs node as users do (no flag): the total RSS is then the one to quote.
  const nodeArgs = process.env.BENCH_NODE_DEFAULTS === '1' ? [] : ['--max-semi-space-size=1'];
  const args = [...nodeArgs, resolve(root, 'dist/src/main.js'), '--cluster', seeds.join(','), '--port', String(port), '--admin-port', String(adminPort), '--maxclients', String(sessions + 100), '--log-level', 'warn'];
  const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
  for (let i = 0; i < 200; i++) {
    try {
      const response = await fetch(`http://${HOST}:${adminPort}/readyz`);
      if (response.ok) break;
    } catch {
      // not up yet
    }
    await sleep(100);
  }
  return { port, adminPort, child };
}

/** Opens `count` connections, each sending SETNAME + SETINFO and waiting for both replies. */
async function openIdle(port, count) {
  const sockets = [];
  const batch = 200;
  for (let start = 0; start < count; start += batch) {
    await Promise.all(
      Array.from({ length: Math.min(batch, count - start) }, (_, k) =>
        new Promise((resolveOpen, reject) => {
          const socket = connect({ host: HOST, port }, () => {
            socket.write(encode('CLIENT', 'SETNAME', `idle-${start + k}`) + encode('CLIENT', 'SETINFO', 'LIB-NAME', 'bench'));
          });
          let seen = '';
          socket.on('data', (chunk) => {
            seen += chunk.toString('latin1');
            // The baseline build may not know SETINFO: any two replies will do.
            if (seen.split('\r\n').length - 1 >= 2) resolveOpen();
          });
          socket.on('error', reject);
          sockets.push(socket);
        }),
      ),
    );
  }
  return sockets;
}

async function metric(adminPort, name) {
  const text = await (await fetch(`http://${HOST}:${adminPort}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : NaN;
}

function rssBytes(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)[1]) * 1024;
}

/**
 * The lowest heap-used and RSS of samples a second apart: the ones nearest after a garbage
 * collection. Two readings: over the first 6 s (`early`: what the connections' opening left,
 * garbage of Node's accept path included, about 1 KB a socket), and over BENCH_SETTLE_SECONDS
 * (default 20: V8's memory-reducing GC runs 8 to 10 s after the burst), what idle connections
 * hold once the process is idle.
 */
async function settledMemory(slotgate) {
  const early = { heap: Infinity, rss: Infinity };
  const settled = { heap: Infinity, rss: Infinity };
  for (let i = 0; i < Math.max(6, settleSeconds); i++) {
    await sleep(1000);
    const heap = await metric(slotgate.adminPort, 'nodejs_heap_size_used_bytes');
    const rss = rssBytes(slotgate.child.pid);
    if (i < 6) {
      early.heap = Math.min(early.heap, heap);
      early.rss = Math.min(early.rss, rss);
    }
    settled.heap = Math.min(settled.heap, heap);
    settled.rss = Math.min(settled.rss, rss);
  }
  return { early, settled };
}

async function clientListMs(port) {
  const socket = await new Promise((resolveOpen) => {
    const s = connect({ host: HOST, port }, () => resolveOpen(s));
  });
  const started = performance.now();
  await new Promise((resolveList) => {
    let seen = 0;
    let header = null;
    socket.on('data', (chunk) => {
      seen += chunk.length;
      if (header === null) {
        // An error (a build without CLIENT LIST) ends it too.
        if (chunk[0] === 0x2d) return resolveList();
        header = Number(/^\$(\d+)\r\n/.exec(chunk.toString('latin1', 0, 20))?.[1] ?? -1);
      }
      if (header >= 0 && seen >= header + String(header).length + 5) resolveList();
    });
    socket.write(encode('CLIENT', 'LIST'));
  });
  const ms = performance.now() - started;
  socket.destroy();
  return ms;
}

async function measure(root, seeds) {
  const slotgate = await startSlotgate(root, seeds);
  try {
    const empty = (await settledMemory(slotgate)).settled;
    debug('empty', empty);
    const sockets = await openIdle(slotgate.port, sessions);
    debug('opened');
    const { early, settled: full } = await settledMemory(slotgate);
    debug('full', early, full);
    const listMs = await clientListMs(slotgate.port).catch(() => NaN);
    for (const socket of sockets) socket.destroy();
    return { heapPerSession: (full.heap - empty.heap) / sessions, rssPerSession: (full.rss - empty.rss) / sessions, rssEmpty: empty.rss, rssFull: full.rss, rssEarly: early.rss, listMs };
  } finally {
    slotgate.child.kill('SIGTERM');
    await new Promise((r) => slotgate.child.once('exit', r));
  }
}

const cluster = await startLocalCluster({ masters: 3, replicasPerMaster: 0 });
try {
  console.log(`idle sessions bench: ${sessions} idle connections through one slotgate`);
  const builds = baseline ? [['baseline', baseline], ['this build', repoRoot]] : [['this build', repoRoot]];
  const results = {};
  for (const [label, root] of builds) {
    const r = await measure(root, cluster.seeds);
    results[label] = r;
    const mb = (bytes) => (bytes / 1024 / 1024).toFixed(1);
    console.log(
      `${label.padEnd(11)} heap ${(r.heapPerSession / 1024).toFixed(2)} KB/session, RSS ${(r.rssPerSession / 1024).toFixed(2)} KB/session ` +
        `(total RSS ${mb(r.rssEmpty)} MB idle -> ${mb(r.rssFull)} MB with ${sessions} once idle, ${mb(r.rssEarly)} MB in the first 6 s), ` +
        `CLIENT LIST of all: ${r.listMs.toFixed(0)} ms`,
    );
  }
  if (baseline) {
    const delta = results['this build'].heapPerSession - results.baseline.heapPerSession;
    const rssDelta = results['this build'].rssPerSession - results.baseline.rssPerSession;
    console.log(`registry cost: heap ${(delta / 1024).toFixed(2)} KB/session, RSS ${(rssDelta / 1024).toFixed(2)} KB/session (budget 1 KB)`);
  }
} finally {
  await cluster.stop();
}
