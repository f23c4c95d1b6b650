// The floor of what Node can do as a proxy on this machine (issue #12): redis-benchmark against one
// standalone Redis directly and through a minimal Node forwarder (bench/node-forwarder.mjs) in two
// variants, Node's streams and slotgate's own I/O (src/io/), in the same run, rounds rotating.
// Prints ops/s and the forwarder's CPU µs per request (user, system, from /proc).
//
//   npm run bench:floor
//
// Env: BENCH_ROUNDS (default 3), BENCH_REQUESTS per test per run (default 200000 at -P 1, ×8 at
// -P 16), BENCH_CLIENTS (default 50), BENCH_PIPELINES (default "1,16").
import { execFile, fork } from 'node:child_process';
import { promisify } from 'node:util';
import { resolve } from 'node:path';
import { HOST, median, positiveIntFromEnv, processCpuSeconds, repoRoot } from './slotgate-process.mjs';

const { startStandaloneRedis, findFreePort } = await import('../scripts/dev/redis-server.ts');
const execFileAsync = promisify(execFile);

const rounds = positiveIntFromEnv('BENCH_ROUNDS', 3);
const baseRequests = positiveIntFromEnv('BENCH_REQUESTS', 200_000);
const clients = positiveIntFromEnv('BENCH_CLIENTS', 50);
const pipelines = (process.env.BENCH_PIPELINES ?? '1,16').split(',').map(Number);
const VARIANTS = ['streams', 'raw'];

async function startForwarder(variant, redisPort) {
  const port = await findFreePort(HOST);
  const child = fork(resolve(repoRoot, 'bench/node-forwarder.mjs'), [variant, String(port), String(redisPort)], { stdio: 'inherit' });
  await new Promise((ok, fail) => {
    child.once('message', ok);
    child.once('exit', (code) => fail(new Error(`forwarder ${variant} exited (${code})`)));
  });
  return { port, pid: child.pid, stop: () => child.kill('SIGTERM') };
}

async function bench(port, pipeline) {
  const requests = baseRequests * (pipeline > 1 ? 8 : 1);
  const args = ['-h', HOST, '-p', String(port), '-t', 'set,get', '-n', String(requests), '-c', String(clients), '-P', String(pipeline), '-r', '100000', '-q', '--csv'];
  const { stdout } = await execFileAsync('redis-benchmark', args);
  const rps = {};
  for (const line of stdout.split('\n')) {
    const m = /^"([A-Z]+)","([\d.]+)"/.exec(line.trim());
    if (m) rps[m[1]] = Number(m[2]);
  }
  return { rps, requests: requests * 2 };
}

const redis = await startStandaloneRedis();
const forwarders = {};
try {
  for (const v of VARIANTS) forwarders[v] = await startForwarder(v, redis.port);
  const targets = { direct: { port: redis.port, pid: null }, ...forwarders };
  const names = Object.keys(targets);
  const results = {};
  for (const pipeline of pipelines) for (const name of names) results[`${pipeline}/${name}`] = { SET: [], GET: [], user: [], system: [] };
  for (let round = 1; round <= rounds; round++) {
    const order = names.map((_, i) => names[(i + round - 1) % names.length]);
    for (const pipeline of pipelines) {
      for (const name of order) {
        const { port, pid } = targets[name];
        const before = pid ? processCpuSeconds(pid) : null;
        const { rps, requests } = await bench(port, pipeline);
        const after = pid ? processCpuSeconds(pid) : null;
        const r = results[`${pipeline}/${name}`];
        r.SET.push(rps.SET);
        r.GET.push(rps.GET);
        if (before && after) {
          r.user.push(((after.user - before.user) / requests) * 1e6);
          r.system.push(((after.system - before.system) / requests) * 1e6);
        }
      }
    }
  }
  console.log(`node floor: ${rounds} rounds, ${clients} clients, medians; CPU µs per request of the forwarder process`);
  console.log('pipeline  target   SET/s     GET/s     CPU µs/req (user+sys)');
  for (const pipeline of pipelines) {
    for (const name of names) {
      const r = results[`${pipeline}/${name}`];
      const cpu = r.user.length ? `${(median(r.user) + median(r.system)).toFixed(2)} (${median(r.user).toFixed(2)}+${median(r.system).toFixed(2)})` : '-';
      console.log(`P${String(pipeline).padEnd(8)}${name.padEnd(9)}${String(Math.round(median(r.SET))).padStart(8)}  ${String(Math.round(median(r.GET))).padStart(8)}  ${cpu}`);
    }
  }
} finally {
  for (const f of Object.values(forwarders)) f.stop();
  await redis.stop();
}
