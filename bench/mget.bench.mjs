// MGET-100 through slotgate vs the same 100 keys fetched directly from the owning nodes with a
// pipeline of GETs (what a good cluster client does), in the same run on the same machine.
//
//   npm run bench:mget            (builds first)
//   BENCH_ROUNDS=5 BENCH_SECONDS=5 BENCH_CLIENTS=32 npm run bench:mget
//
// Env: BENCH_ROUNDS (default 3), BENCH_SECONDS per side per round (default 3), BENCH_CLIENTS
// concurrent request loops (default 16), BENCH_KEYS per request (default 100), BENCH_KEYSPACE
// (default 100000 keys of BENCH_VALUE_SIZE bytes, default 64), BENCH_CPU_PROF=1 to profile slotgate
// (written into BENCH_CPU_PROF_DIR, default .tmp/cpu-prof, when it exits), BENCH_NODE_ARGS: options
// for slotgate's node process (e.g. "--max-semi-space-size=64"), BENCH_SLOTGATE_ARGS: more slotgate
// options (e.g. "--workers 2").
//
// Both sides use the same lean client (pre-encoded requests, replies only framed, never parsed),
// so neither is slowed by client-library overhead: the ratio is the proxy's cost. Direct: each
// loop has a connection to every master and sends each node its share of the 100 GETs in one
// write, then waits for all 100 replies. slotgate: one MGET frame, one reply. Sides alternate and
// swap order every round; each number is a median of rounds. Target: slotgate ≥ 0.5× direct.
import { connect } from 'node:net';
import { resolve } from 'node:path';
import { HOST, median, positiveIntFromEnv, processCpuSeconds, repoRoot, startSlotgateProcess } from './slotgate-process.mjs';

const dist = (path) => import(new URL(`../dist/src/${path}`, import.meta.url).href);
const { startLocalCluster } = await import('../scripts/dev/local-cluster.ts');
const { keyHashSlot } = await dist('cluster/hash-slot.js');
const { encodeCommand } = await dist('protocol/encoder.js');
const { ReplyFramer } = await dist('protocol/reply-framer.js');

const settings = {
  rounds: positiveIntFromEnv('BENCH_ROUNDS', 3),
  seconds: positiveIntFromEnv('BENCH_SECONDS', 3),
  clients: positiveIntFromEnv('BENCH_CLIENTS', 16),
  keysPerRequest: positiveIntFromEnv('BENCH_KEYS', 100),
  keyspace: positiveIntFromEnv('BENCH_KEYSPACE', 100_000),
  valueSize: positiveIntFromEnv('BENCH_VALUE_SIZE', 64),
  nodeArgs: (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean),
  slotgateArgs: (process.env.BENCH_SLOTGATE_ARGS ?? '').split(' ').filter(Boolean),
  cpuProfDir: process.env.BENCH_CPU_PROF === '1' ? resolve(repoRoot, process.env.BENCH_CPU_PROF_DIR ?? '.tmp/cpu-prof') : undefined,
};
/** Distinct random requests cycled through (so the proxy sees varied key sets, not one cached shape). */
const REQUEST_VARIANTS = 512;

/** A connection that sends pre-encoded payloads and resolves when the expected replies have arrived. */
class Connection {
  constructor(socket) {
    this.socket = socket;
    this.waiting = []; // { remaining, resolve, reject }
    this.errors = 0;
    this.framer = new ReplyFramer((frame, isError) => {
      if (isError) this.errors++;
      const head = this.waiting[0];
      if (--head.remaining === 0) {
        this.waiting.shift();
        head.resolve();
      }
    });
    socket.on('data', (chunk) => this.framer.write(chunk));
    socket.on('error', (err) => {
      for (const w of this.waiting.splice(0)) w.reject(err);
    });
  }

  static open(port) {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: HOST, port, noDelay: true }, () => resolve(new Connection(socket)));
      socket.once('error', reject);
    });
  }

  request(payload, replies) {
    return new Promise((resolve, reject) => {
      this.waiting.push({ remaining: replies, resolve, reject });
      this.socket.write(payload);
    });
  }

  close() {
    this.socket.destroy();
  }
}

function keyName(i) {
  return `mget-bench:${i}`;
}

/** slot → index of the master port in `masterPorts`, from CLUSTER SLOTS. */
async function slotOwners(seedPort, masterPorts) {
  const conn = await Connection.open(seedPort);
  const reply = await new Promise((resolve) => {
    const framer = new ReplyFramer((frame) => resolve(frame.toString('latin1')));
    conn.socket.removeAllListeners('data');
    conn.socket.on('data', (chunk) => framer.write(chunk));
    conn.socket.write(encodeCommand(['CLUSTER', 'SLOTS']));
  });
  conn.close();
  // Each range: *N :start :end *M $ip :port …; read start/end and the first node's port.
  const owners = new Int16Array(16384).fill(-1);
  const pattern = /\*\d+\r\n:(\d+)\r\n:(\d+)\r\n\*\d+\r\n\$\d+\r\n[^\r]*\r\n:(\d+)\r\n/g;
  for (const match of reply.matchAll(pattern)) {
    owners.fill(masterPorts.indexOf(Number(match[3])), Number(match[1]), Number(match[2]) + 1);
  }
  if (owners.includes(-1)) throw new Error('could not map every slot to a master');
  return owners;
}

function randomKeyIndexes(count) {
  return Array.from({ length: count }, () => Math.floor(Math.random() * settings.keyspace));
}

/** Writes the keyspace through slotgate with pipelined MSETs (which also exercises the split). */
async function populate(port) {
  const conn = await Connection.open(port);
  const value = 'v'.repeat(settings.valueSize);
  const batch = 500;
  const pending = [];
  for (let start = 0; start < settings.keyspace; start += batch) {
    const args = ['MSET'];
    for (let i = start; i < Math.min(start + batch, settings.keyspace); i++) args.push(keyName(i), value);
    pending.push(conn.request(encodeCommand(args), 1));
  }
  await Promise.all(pending);
  if (conn.errors > 0) throw new Error(`populating the keyspace got ${conn.errors} error replies`);
  conn.close();
}

/** Runs `settings.clients` loops of `step(loopIndex)` for `seconds`; returns completed requests per second. */
async function measure(step, seconds) {
  let completed = 0;
  const deadline = performance.now() + seconds * 1000;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: settings.clients }, async (_, loop) => {
      for (let n = loop; performance.now() < deadline; n++) {
        await step(loop, n);
        completed++;
      }
    }),
  );
  return completed / ((performance.now() - started) / 1000);
}

async function main() {
  console.log(
    `MGET bench: ${settings.keysPerRequest} keys per request, ${settings.clients} concurrent clients, ${settings.rounds} round(s) of ${settings.seconds} s per side, ` +
      `${settings.keyspace} keys of ${settings.valueSize} bytes`,
  );
  let cluster;
  let slotgate;
  const connections = [];
  try {
    cluster = await startLocalCluster({ masters: 3, replicasPerMaster: 1 });
    const masterPorts = (await cluster.masterPorts()).sort((a, b) => a - b);
    console.log(`cluster up: masters ${masterPorts.join(', ')}`);
    slotgate = await startSlotgateProcess(cluster.seeds, { cpuProfDir: settings.cpuProfDir, nodeArgs: settings.nodeArgs, slotgateArgs: settings.slotgateArgs });
    console.log(`slotgate up on ${HOST}:${slotgate.port}`);
    await populate(slotgate.port);
    const owners = await slotOwners(masterPorts[0], masterPorts);

    // The same random key sets for both sides.
    const variants = Array.from({ length: REQUEST_VARIANTS }, () => randomKeyIndexes(settings.keysPerRequest));
    const mgetFrames = variants.map((keys) => encodeCommand(['MGET', ...keys.map(keyName)]));
    const directBatches = variants.map((keys) => {
      const perNode = masterPorts.map(() => []);
      for (const k of keys) perNode[owners[keyHashSlot(Buffer.from(keyName(k)))]].push(encodeCommand(['GET', keyName(k)]));
      return perNode.map((frames) => ({ payload: Buffer.concat(frames), replies: frames.length }));
    });

    const viaProxy = await Promise.all(Array.from({ length: settings.clients }, () => Connection.open(slotgate.port)));
    const direct = await Promise.all(Array.from({ length: settings.clients }, () => Promise.all(masterPorts.map((p) => Connection.open(p)))));
    connections.push(...viaProxy, ...direct.flat());
    const sides = {
      slotgate: (loop, n) => viaProxy[loop].request(mgetFrames[n % REQUEST_VARIANTS], 1),
      direct: (loop, n) =>
        Promise.all(directBatches[n % REQUEST_VARIANTS].map((batch, node) => (batch.replies > 0 ? direct[loop][node].request(batch.payload, batch.replies) : undefined))),
    };
    // Warm-up: JIT, connections, both sides.
    for (const side of Object.keys(sides)) await measure(sides[side], 1);

    const samples = { direct: [], slotgate: [] };
    const cpuPerRequest = []; // slotgate's own CPU time per MGET, in µs: { user, system }
    for (let round = 1; round <= settings.rounds; round++) {
      const order = round % 2 === 1 ? ['direct', 'slotgate'] : ['slotgate', 'direct'];
      for (const side of order) {
        const cpuBefore = processCpuSeconds(slotgate.pid);
        const rate = await measure(sides[side], settings.seconds);
        const cpuAfter = processCpuSeconds(slotgate.pid);
        if (side === 'slotgate' && cpuBefore !== null && cpuAfter !== null) {
          const perRequest = (seconds) => (seconds * 1e6) / (rate * settings.seconds);
          cpuPerRequest.push({ user: perRequest(cpuAfter.user - cpuBefore.user), system: perRequest(cpuAfter.system - cpuBefore.system) });
        }
        samples[side].push(rate);
        console.log(`round ${round}, ${side.padEnd(8)}: ${rate.toFixed(0)} requests/s (${((rate * settings.keysPerRequest) / 1e6).toFixed(2)} M keys/s)`);
      }
    }
    const errors = connections.reduce((sum, c) => sum + c.errors, 0);
    if (errors > 0) throw new Error(`${errors} error replies during the bench`);

    const direct100 = median(samples.direct);
    const proxy100 = median(samples.slotgate);
    console.log('');
    console.log(`direct, pipelined GETs to the owning masters : ${direct100.toFixed(0)} requests/s of ${settings.keysPerRequest} keys (median)`);
    console.log(`slotgate, one MGET                             : ${proxy100.toFixed(0)} requests/s of ${settings.keysPerRequest} keys (median)`);
    console.log(`ratio slotgate / direct                        : ${(proxy100 / direct100).toFixed(2)} (target ≥ 0.50)`);
    if (cpuPerRequest.length > 0) {
      const user = median(cpuPerRequest.map((c) => c.user));
      const system = median(cpuPerRequest.map((c) => c.system));
      console.log(`slotgate CPU per MGET (medians)                : ${user.toFixed(0)} µs user + ${system.toFixed(0)} µs system (kernel: socket reads and writes)`);
    }
  } finally {
    for (const c of connections) c.close();
    await slotgate?.stop();
    await cluster?.stop();
    if (settings.cpuProfDir) console.log(`CPU profile of slotgate in ${settings.cpuProfDir}`);
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
