// The cost of TLS on the client side: redis-benchmark through ONE slotgate process, on its plain
// port and on its tls-port (same cluster, same run, alternating), so the ratio is comparable.
// Besides throughput it reports slotgate's own CPU time per request (from /proc), which is where
// TLS costs show on a machine with few cores.
//
//   npm run bench:tls            (builds first)
//   BENCH_ROUNDS=5 BENCH_REQUESTS=200000 npm run bench:tls
//
// Env: BENCH_ROUNDS (default 3), BENCH_REQUESTS per test per run (default 100000), BENCH_CLIENTS
// (default 50), BENCH_PIPELINES (default "1,16"). Certificates are made with openssl in a temp dir;
// tls-auth-clients is no (a client certificate costs only at handshake time, and redis-benchmark
// opens its connections once). Not --cluster mode, so run lengths are not rounded (see load.mjs).
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { HOST, median, positiveIntFromEnv, processCpuSeconds, startSlotgateProcess } from './slotgate-process.mjs';

const { startLocalCluster, findFreePort } = await import('../scripts/dev/local-cluster.ts');
const execFileAsync = promisify(execFile);

const settings = {
  rounds: positiveIntFromEnv('BENCH_ROUNDS', 3),
  requests: positiveIntFromEnv('BENCH_REQUESTS', 100_000),
  clients: positiveIntFromEnv('BENCH_CLIENTS', 50),
  pipelines: (process.env.BENCH_PIPELINES ?? '1,16').split(',').map((p) => Number(p.trim())),
};
const TESTS = ['SET', 'GET'];

function makeCertificates(dir) {
  const openssl = (...args) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '1', '-subj', '/CN=bench CA');
  writeFileSync(join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=slotgate');
  openssl('x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-set_serial', '1', '-days', '1', '-out', 'server.crt', '-extfile', 'server.ext');
  return { ca: join(dir, 'ca.crt'), cert: join(dir, 'server.crt'), key: join(dir, 'server.key') };
}

async function runBenchmark(targetArgs, pipeline) {
  const args = [...targetArgs, '-t', 'set,get', '-n', String(settings.requests), '-c', String(settings.clients), '-P', String(pipeline), '-r', '100000', '-q', '--csv'];
  const { stdout } = await execFileAsync('redis-benchmark', args, { maxBuffer: 16 * 1024 * 1024 });
  const rps = {};
  for (const line of stdout.split('\n')) {
    const match = /^"([A-Z_]+)","([\d.]+)"/.exec(line.trim());
    if (match) rps[match[1]] = Number(match[2]);
  }
  for (const test of TESTS) if (!(rps[test] > 0)) throw new Error(`redis-benchmark ${args.join(' ')} reported no ${test} result:\n${stdout}`);
  return rps;
}

async function main() {
  console.log(`tls bench: ${settings.rounds} round(s), ${settings.requests} requests per test per run, ${settings.clients} clients, pipelines ${settings.pipelines.join(',')}`);
  const dir = mkdtempSync(join(tmpdir(), 'slotgate-tls-bench-'));
  let cluster;
  let slotgate;
  try {
    const pem = makeCertificates(dir);
    cluster = await startLocalCluster({ masters: 3, replicasPerMaster: 1 });
    const tlsPort = await findFreePort(HOST);
    slotgate = await startSlotgateProcess(cluster.seeds, {
      slotgateArgs: ['--tls-port', String(tlsPort), '--tls-cert-file', pem.cert, '--tls-key-file', pem.key, '--tls-auth-clients', 'no'],
    });
    console.log(`slotgate up: plain ${HOST}:${slotgate.port}, TLS ${HOST}:${tlsPort}`);
    const targets = {
      plain: ['-h', HOST, '-p', String(slotgate.port)],
      tls: ['-h', HOST, '-p', String(tlsPort), '--tls', '--cacert', pem.ca],
    };
    const samples = new Map(settings.pipelines.map((p) => [p, { plain: { SET: [], GET: [], cpu: [] }, tls: { SET: [], GET: [], cpu: [] } }]));
    for (const pipeline of settings.pipelines) await runBenchmark(targets.tls, pipeline); // warm-up
    for (let round = 1; round <= settings.rounds; round++) {
      const order = round % 2 === 1 ? ['plain', 'tls'] : ['tls', 'plain'];
      for (const pipeline of settings.pipelines) {
        for (const target of order) {
          const before = processCpuSeconds(slotgate.pid);
          const rps = await runBenchmark(targets[target], pipeline);
          const after = processCpuSeconds(slotgate.pid);
          // Two tests (SET, GET) per run: CPU microseconds slotgate spent per request.
          const cpuPerRequest = before && after ? ((after.user + after.system - before.user - before.system) * 1e6) / (2 * settings.requests) : NaN;
          const s = samples.get(pipeline)[target];
          for (const test of TESTS) s[test].push(rps[test]);
          s.cpu.push(cpuPerRequest);
          console.log(`round ${round}, -P ${pipeline}, ${target.padEnd(5)}: SET ${rps.SET.toFixed(0)}/s, GET ${rps.GET.toFixed(0)}/s, slotgate CPU ${cpuPerRequest.toFixed(2)} µs/request`);
        }
      }
    }
    console.log('');
    console.log('test  pipeline  plain ops/s  TLS ops/s  TLS/plain');
    for (const test of TESTS) {
      for (const pipeline of settings.pipelines) {
        const s = samples.get(pipeline);
        const plain = median(s.plain[test]);
        const tls = median(s.tls[test]);
        console.log(`${test.padEnd(4)}  ${String(pipeline).padEnd(8)}  ${plain.toFixed(0).padStart(11)}  ${tls.toFixed(0).padStart(9)}  ${(tls / plain).toFixed(2).padStart(9)}`);
      }
    }
    for (const pipeline of settings.pipelines) {
      const s = samples.get(pipeline);
      console.log(`-P ${pipeline}: slotgate CPU per request, median: plain ${median(s.plain.cpu).toFixed(2)} µs, TLS ${median(s.tls.cpu).toFixed(2)} µs`);
    }
  } finally {
    await slotgate?.stop();
    await cluster?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
