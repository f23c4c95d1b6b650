// Load harness: redis-benchmark against a local Redis Cluster directly, through slotgate and (with
// BENCH_PREDIXY) through predixy, in the same run, on the same machine, so the printed ratios are
// comparable (DESIGN.md, "Style" 9).
//
//   npm run bench:load            (builds first)
//   BENCH_PREDIXY=../shared/anchors/predixy/predixy npm run bench:load
//   BENCH_ROUNDS=5 BENCH_REQUESTS=200000 npm run bench:load
//
// Besides ops/s it prints, per target, the CPU each process spent per request (from /proc: the proxy
// itself, and the three masters together, whose work a proxy's batching changes), what each slotgate
// allocated per request and its garbage collections per million requests (it runs with
// --trace-gc-nvp and the harness adds up the lines), and a latency row:
// GET with one client and no pipeline (redis-benchmark -c 1), p50 and p99.
//
// Env: BENCH_ROUNDS (default 3); BENCH_SECONDS, the target length of one test in one run (default 4);
// BENCH_REQUESTS, a fixed request count per run instead of sizing by BENCH_SECONDS; BENCH_CLIENTS
// (default 50); BENCH_PIPELINES (default "1,16"); BENCH_RESP3=1 to have redis-benchmark speak RESP3 (-3,
// HELLO 3) on both sides; BENCH_CPU_PROF=1 to profile slotgate (--cpu-prof; the
// profile is written when slotgate exits, into BENCH_CPU_PROF_DIR, default .tmp/cpu-prof); BENCH_PREDIXY,
// a predixy binary to measure beside slotgate (PREDIXY_THREADS, default 1); BENCH_SLOTGATE_ARGS, more
// slotgate options (e.g. "--workers 2"); BENCH_NODE_ARGS, more options for slotgate's node (e.g.
// "--require ./bench/heap-sampler.cjs": where its garbage comes from, see that file); BENCH_LOADGEN_CPUS, the cores redis-benchmark is pinned to
// (taskset -c, e.g. "1"); BENCH_BASELINE, another checkout of slotgate, built, measured as `baseline`
// in the same rounds (a change's before and after); BENCH_BASELINE_ARGS, the baseline's slotgate options
// instead of BENCH_SLOTGATE_ARGS (BENCH_BASELINE=. and two settings: an option's effect in one run).
//
// Runs alternate direct and slotgate (and swap which goes first every round) so that drift in the
// machine's speed (thermal, noisy neighbours) hits both sides alike; each cell is a median of rounds.
//
// Why runs are sized by time: `redis-benchmark --cluster` uses one thread per master and only notices
// that a test has finished on its 250 ms progress tick, so its elapsed time is rounded UP to ~250 ms
// steps (measured with redis-benchmark 7.0: 100k SETs at -P 16 "take" 261 ms, 200k take 512 ms). A run
// of 0.3 s would understate direct throughput by up to half. A warm-up run per pipeline estimates the
// throughput, and the request count is chosen so every test lasts about BENCH_SECONDS, which bounds
// that error to a few percent (still slightly in slotgate's favour, since only the direct side has it).
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { startPredixyProcess } from './predixy-process.mjs';
import { HOST, median, positiveIntFromEnv, processCpuSeconds, repoRoot, startSlotgateProcess } from './slotgate-process.mjs';

const { startLocalCluster } = await import('../scripts/dev/local-cluster.ts');

const execFileAsync = promisify(execFile);

const settings = {
  rounds: positiveIntFromEnv('BENCH_ROUNDS', 3),
  seconds: positiveIntFromEnv('BENCH_SECONDS', 4),
  fixedRequests: process.env.BENCH_REQUESTS ? positiveIntFromEnv('BENCH_REQUESTS', 0) : undefined,
  clients: positiveIntFromEnv('BENCH_CLIENTS', 50),
  pipelines: (process.env.BENCH_PIPELINES ?? '1,16').split(',').map((p) => {
    const n = Number(p.trim());
    if (!Number.isInteger(n) || n <= 0) throw new Error(`BENCH_PIPELINES: '${p}' is not a positive integer`);
    return n;
  }),
  resp3: process.env.BENCH_RESP3 === '1',
  cpuProfDir: process.env.BENCH_CPU_PROF === '1' ? resolve(repoRoot, process.env.BENCH_CPU_PROF_DIR ?? '.tmp/cpu-prof') : undefined,
  predixy: process.env.BENCH_PREDIXY ? resolve(process.env.BENCH_PREDIXY) : undefined,
  // Another checkout, built: measured as `baseline` in the same run (a change's before and after).
  baseline: process.env.BENCH_BASELINE ? resolve(process.env.BENCH_BASELINE) : undefined,
  /** slotgate options for the baseline instead of BENCH_SLOTGATE_ARGS (e.g. BENCH_BASELINE=. to compare two settings of one build). */
  baselineArgs: process.env.BENCH_BASELINE_ARGS !== undefined ? process.env.BENCH_BASELINE_ARGS.split(' ').filter(Boolean) : undefined,
  predixyThreads: positiveIntFromEnv('PREDIXY_THREADS', 1),
  slotgateArgs: (process.env.BENCH_SLOTGATE_ARGS ?? '').split(' ').filter(Boolean),
  /** More options for slotgate's node, e.g. "--require ./bench/heap-sampler.cjs" (where a request's allocations come from). */
  nodeArgs: (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean),
  latencyRequests: positiveIntFromEnv('BENCH_LATENCY_REQUESTS', 20_000),
  /** e.g. "1": run redis-benchmark on that core only, to compare `--workers` settings (taskset -c). */
  loadgenCpus: process.env.BENCH_LOADGEN_CPUS || undefined,
};
const TESTS = ['SET', 'GET'];

/** redis-benchmark with `args`; pinned to the CPUs of BENCH_LOADGEN_CPUS (taskset) when that is set. */
function runLoadGenerator(args) {
  const options = { maxBuffer: 16 * 1024 * 1024 };
  if (settings.loadgenCpus) return execFileAsync('taskset', ['-c', settings.loadgenCpus, 'redis-benchmark', ...args], options);
  return execFileAsync('redis-benchmark', args, options);
}

/** Runs redis-benchmark once and returns { SET: rps, GET: rps }. */
async function runBenchmark(targetArgs, pipeline, requests) {
  const args = [
    ...targetArgs,
    '-t', 'set,get',
    '-n', String(requests),
    '-c', String(settings.clients),
    '-P', String(pipeline),
    '-r', '100000',
    '-q', '--csv',
    ...(settings.resp3 ? ['-3'] : []),
  ];
  const { stdout } = await runLoadGenerator(args);
  // CSV rows look like "SET","132978.73","0.307",...; --cluster mode prints a node list before them.
  const rps = {};
  for (const line of stdout.split('\n')) {
    const match = /^"([A-Z_]+)","([\d.]+)"/.exec(line.trim());
    if (match) rps[match[1]] = Number(match[2]);
  }
  for (const test of TESTS) {
    if (!(rps[test] > 0)) throw new Error(`redis-benchmark ${args.join(' ')} reported no ${test} result:\n${stdout}`);
  }
  return rps;
}

/** GET with one client, no pipeline: { p50, p99 } in ms (redis-benchmark's CSV latency columns). */
async function runLatency(targetArgs) {
  const args = [...targetArgs, '-t', 'get', '-n', String(settings.latencyRequests), '-c', '1', '-P', '1', '-r', '100000', '--csv'];
  const { stdout } = await runLoadGenerator(args);
  // "test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"
  for (const line of stdout.split('\n')) {
    const cells = line.trim().split(',').map((c) => c.replace(/"/g, ''));
    if (cells[0] === 'GET' && cells.length >= 8) return { p50: Number(cells[4]), p99: Number(cells[6]) };
  }
  throw new Error(`redis-benchmark ${args.join(' ')} printed no latency row:\n${stdout}`);
}

function printTable(header, body) {
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i].length)));
  const format = (row) => row.map((cell, i) => (i < 2 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  ');
  console.log(format(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const row of body) console.log(format(row));
}

/** `pid` and its children (slotgate's workers with --workers), from /proc. */
function withChildren(pid) {
  const pids = [pid];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid) pids.push(Number(entry));
    } catch {
      // the process ended while we looked
    }
  }
  return pids;
}

/** CPU seconds (user, system) the processes `pids` (and their children) used so far, added up. */
function cpuOf(pids) {
  let user = 0;
  let system = 0;
  for (const pid of pids.flatMap(withChildren)) {
    const cpu = processCpuSeconds(pid);
    if (cpu) {
      user += cpu.user;
      system += cpu.system;
    }
  }
  return { user, system };
}

/**
 * Warms both targets up and returns how many requests make one test last about BENCH_SECONDS on the
 * faster of them. Grows the warm-up until it lasts >= 1 s, so the 250 ms rounding cannot dominate it.
 */
async function requestsPerRun(targets, pipeline) {
  if (settings.fixedRequests) return settings.fixedRequests;
  let fastest = 0;
  for (const target of Object.values(targets)) {
    for (let requests = 50_000 * pipeline; ; requests *= 4) {
      const rps = await runBenchmark(target, pipeline, requests);
      const best = Math.max(...TESTS.map((t) => rps[t]));
      if (requests / best >= 1 || requests >= 50_000_000) {
        fastest = Math.max(fastest, best);
        break;
      }
    }
  }
  return Math.ceil((fastest * settings.seconds) / 10_000) * 10_000;
}

async function main() {
  const sizing = settings.fixedRequests ? `${settings.fixedRequests} requests per run` : `runs of ~${settings.seconds} s per test`;
  console.log(
    `load bench: ${settings.rounds} round(s), ${sizing}, ${settings.clients} clients, pipelines ${settings.pipelines.join(',')}` +
      (settings.predixy ? `, predixy (${settings.predixyThreads} thread) beside slotgate` : ''),
  );
  let cluster;
  let slotgate;
  let predixy;
  let baseline;
  try {
    cluster = await startLocalCluster({ masters: 3, replicasPerMaster: 1 });
    const seed = cluster.nodes[0];
    console.log(`cluster up: ${cluster.seeds.join(' ')}`);
    slotgate = await startSlotgateProcess(cluster.seeds, { cpuProfDir: settings.cpuProfDir, nodeArgs: settings.nodeArgs, slotgateArgs: settings.slotgateArgs, countGc: true });
    console.log(`slotgate up on ${HOST}:${slotgate.port}`);
    const masterPorts = new Set(await cluster.masterPorts());
    const masterPids = cluster.nodes.filter((n) => masterPorts.has(n.port)).map((n) => n.pid);

    const targets = {
      direct: { args: ['--cluster', '-h', seed.host, '-p', String(seed.port)], proxyPids: [] },
      slotgate: { args: ['-h', HOST, '-p', String(slotgate.port)], proxyPids: [slotgate.pid], gcCounts: slotgate.gcCounts },
    };
    if (settings.predixy) {
      predixy = await startPredixyProcess(settings.predixy, cluster.seeds, settings.predixyThreads);
      console.log(`predixy up on ${HOST}:${predixy.port}`);
      targets.predixy = { args: ['-h', HOST, '-p', String(predixy.port)], proxyPids: [predixy.pid] };
    }
    if (settings.baseline) {
      baseline = await startSlotgateProcess(cluster.seeds, { slotgateArgs: settings.baselineArgs ?? settings.slotgateArgs, root: settings.baseline, countGc: true });
      console.log(`baseline slotgate (${settings.baseline}) up on ${HOST}:${baseline.port}`);
      targets.baseline = { args: ['-h', HOST, '-p', String(baseline.port)], proxyPids: [baseline.pid], gcCounts: baseline.gcCounts };
    }
    const names = Object.keys(targets);
    const empty = () => Object.fromEntries(names.map((n) => [n, { SET: [], GET: [], proxyCpu: [], mastersCpu: [], gc: [] }]));
    // samples[pipeline][target] = per-round rps per test, and CPU µs per request (user, system)
    const samples = new Map(settings.pipelines.map((p) => [p, empty()]));
    const requests = new Map();
    for (const pipeline of settings.pipelines) {
      requests.set(pipeline, await requestsPerRun(Object.fromEntries(names.map((n) => [n, targets[n].args])), pipeline));
      console.log(`-P ${pipeline}: ${requests.get(pipeline)} requests per test per run`);
    }
    const latency = Object.fromEntries(names.map((n) => [n, { p50: [], p99: [] }]));
    for (let round = 1; round <= settings.rounds; round++) {
      // Rotate the order every round, so drift in the machine's speed hits every target alike.
      const order = names.map((_, i) => names[(i + round - 1) % names.length]);
      for (const pipeline of settings.pipelines) {
        for (const name of order) {
          const target = targets[name];
          const proxyBefore = cpuOf(target.proxyPids);
          const mastersBefore = cpuOf(masterPids);
          const gcBefore = target.gcCounts?.();
          const rps = await runBenchmark(target.args, pipeline, requests.get(pipeline));
          const perRequest = (before, after) => ({
            user: ((after.user - before.user) * 1e6) / (2 * requests.get(pipeline)),
            system: ((after.system - before.system) * 1e6) / (2 * requests.get(pipeline)),
          });
          const s = samples.get(pipeline)[name];
          for (const test of TESTS) s[test].push(rps[test]);
          s.proxyCpu.push(perRequest(proxyBefore, cpuOf(target.proxyPids)));
          s.mastersCpu.push(perRequest(mastersBefore, cpuOf(masterPids)));
          if (gcBefore) {
            const gcAfter = target.gcCounts();
            const perMillion = (n) => (n * 1e6) / (2 * requests.get(pipeline));
            s.gc.push({
              scavenges: perMillion(gcAfter.scavenges - gcBefore.scavenges),
              markCompacts: perMillion(gcAfter.markCompacts - gcBefore.markCompacts),
              bytes: (gcAfter.allocated - gcBefore.allocated) / (2 * requests.get(pipeline)),
            });
          }
          console.log(`round ${round}, -P ${pipeline}, ${name.padEnd(8)}: SET ${rps.SET.toFixed(0)}/s, GET ${rps.GET.toFixed(0)}/s`);
        }
      }
      for (const name of order) {
        const l = await runLatency(targets[name].args);
        latency[name].p50.push(l.p50);
        latency[name].p99.push(l.p99);
      }
    }

    const ratio = (a, b) => (a / b).toFixed(2);
    const header = ['test', 'pipeline', ...names.map((n) => `${n} ops/s`), 'slotgate/direct', ...(predixy ? ['slotgate/predixy'] : []), ...(baseline ? ['slotgate/baseline'] : [])];
    const body = [];
    for (const test of TESTS) {
      for (const pipeline of settings.pipelines) {
        const s = samples.get(pipeline);
        const m = Object.fromEntries(names.map((n) => [n, median(s[n][test])]));
        body.push([test, String(pipeline), ...names.map((n) => m[n].toFixed(0)), ratio(m.slotgate, m.direct), ...(predixy ? [ratio(m.slotgate, m.predixy)] : []), ...(baseline ? [ratio(m.slotgate, m.baseline)] : [])]);
      }
    }
    console.log('\nThroughput (median of rounds)');
    printTable(header, body);

    const us = (values) => median(values).toFixed(2);
    const cpuHeader = ['pipeline', 'target', 'proxy µs/req (user+sys)', 'proxy user', 'proxy sys', 'masters µs/req', 'bytes/req', 'scavenges/Mreq', 'mark-compacts/Mreq'];
    const cpuBody = [];
    for (const pipeline of settings.pipelines) {
      for (const name of names) {
        const s = samples.get(pipeline)[name];
        const proxy = name === 'direct' ? ['-', '-', '-'] : [us(s.proxyCpu.map((c) => c.user + c.system)), us(s.proxyCpu.map((c) => c.user)), us(s.proxyCpu.map((c) => c.system))];
        const gc = s.gc.length > 0 ? [median(s.gc.map((g) => g.bytes)).toFixed(0), median(s.gc.map((g) => g.scavenges)).toFixed(0), median(s.gc.map((g) => g.markCompacts)).toFixed(1)] : ['-', '-', '-'];
        cpuBody.push([String(pipeline), name, ...proxy, us(s.mastersCpu.map((c) => c.user + c.system)), ...gc]);
      }
    }
    console.log('\nCPU and garbage collections per request (median of rounds; SET and GET together)');
    printTable(cpuHeader, cpuBody);

    console.log('\nGET latency, one client, no pipeline (median of rounds, ms)');
    printTable(['target', '', 'p50', 'p99', 'added p50 over direct'], names.map((n) => [n, '', median(latency[n].p50).toFixed(3), median(latency[n].p99).toFixed(3), (median(latency[n].p50) - median(latency.direct.p50)).toFixed(3)]));
  } finally {
    await slotgate?.stop();
    await predixy?.stop();
    await baseline?.stop();
    await cluster?.stop();
    if (settings.cpuProfDir) console.log(`CPU profile(s) of slotgate in ${settings.cpuProfDir}`);
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
