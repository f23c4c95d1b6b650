// Load harness: redis-benchmark against a local Redis Cluster directly and through slotgate, in the
// same run, on the same machine, so the printed ratio is comparable (DESIGN.md, "Style" 9).
//
//   npm run bench:load            (builds first)
//   BENCH_ROUNDS=5 BENCH_REQUESTS=200000 npm run bench:load
//
// Env: BENCH_ROUNDS (default 3); BENCH_SECONDS, the target length of one test in one run (default 4);
// BENCH_REQUESTS, a fixed request count per run instead of sizing by BENCH_SECONDS; BENCH_CLIENTS
// (default 50); BENCH_PIPELINES (default "1,16"); BENCH_RESP3=1 to have redis-benchmark speak RESP3 (-3,
// HELLO 3) on both sides; BENCH_CPU_PROF=1 to profile slotgate (--cpu-prof; the
// profile is written when slotgate exits, into BENCH_CPU_PROF_DIR, default .tmp/cpu-prof).
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
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { HOST, median, positiveIntFromEnv, repoRoot, startSlotgateProcess } from './slotgate-process.mjs';

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
};
const TESTS = ['SET', 'GET'];

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
  const { stdout } = await execFileAsync('redis-benchmark', args, { maxBuffer: 16 * 1024 * 1024 });
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

function printTable(rows) {
  const header = ['test', 'pipeline', 'direct ops/s (median)', 'slotgate ops/s (median)', 'ratio'];
  const body = rows.map((r) => [r.test, String(r.pipeline), r.direct.toFixed(0), r.slotgate.toFixed(0), (r.slotgate / r.direct).toFixed(2)]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i].length)));
  const format = (row) => row.map((cell, i) => (i < 2 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  ');
  console.log(format(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const row of body) console.log(format(row));
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
    `load bench: ${settings.rounds} round(s), ${sizing}, ${settings.clients} clients, pipelines ${settings.pipelines.join(',')}`,
  );
  let cluster;
  let slotgate;
  try {
    cluster = await startLocalCluster({ masters: 3, replicasPerMaster: 1 });
    const seed = cluster.nodes[0];
    console.log(`cluster up: ${cluster.seeds.join(' ')}`);
    slotgate = await startSlotgateProcess(cluster.seeds, { cpuProfDir: settings.cpuProfDir });
    console.log(`slotgate up on ${HOST}:${slotgate.port}`);

    const targets = {
      direct: ['--cluster', '-h', seed.host, '-p', String(seed.port)],
      slotgate: ['-h', HOST, '-p', String(slotgate.port)],
    };
    // samples[pipeline][target][test] = rps per round
    const samples = new Map(settings.pipelines.map((p) => [p, { direct: { SET: [], GET: [] }, slotgate: { SET: [], GET: [] } }]));
    const requests = new Map();
    for (const pipeline of settings.pipelines) {
      requests.set(pipeline, await requestsPerRun(targets, pipeline));
      console.log(`-P ${pipeline}: ${requests.get(pipeline)} requests per test per run`);
    }
    for (let round = 1; round <= settings.rounds; round++) {
      const order = round % 2 === 1 ? ['direct', 'slotgate'] : ['slotgate', 'direct'];
      for (const pipeline of settings.pipelines) {
        for (const target of order) {
          const rps = await runBenchmark(targets[target], pipeline, requests.get(pipeline));
          for (const test of TESTS) samples.get(pipeline)[target][test].push(rps[test]);
          console.log(`round ${round}, -P ${pipeline}, ${target.padEnd(8)}: SET ${rps.SET.toFixed(0)}/s, GET ${rps.GET.toFixed(0)}/s`);
        }
      }
    }

    const rows = [];
    for (const test of TESTS) {
      for (const pipeline of settings.pipelines) {
        const s = samples.get(pipeline);
        rows.push({ test, pipeline, direct: median(s.direct[test]), slotgate: median(s.slotgate[test]) });
      }
    }
    console.log('');
    printTable(rows);
  } finally {
    await slotgate?.stop();
    await cluster?.stop();
    if (settings.cpuProfDir) console.log(`CPU profile(s) of slotgate in ${settings.cpuProfDir}`);
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
