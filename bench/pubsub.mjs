// Pub/sub fan-out through ONE slotgate process: many subscribers (10,000 by default, raw sockets)
// spread over a few channels, and one publisher on a direct connection to a master of another
// shard (so slotgate does only the delivery). Reports messages delivered per second (one per
// subscriber a message reached) and slotgate's RSS, idle with every subscriber connected and at
// its peak while delivering. Also checks the multiplexing: the nodes must count ONE subscriber
// per channel (slotgate's upstream subscription), however many clients subscribed.
//
//   npm run bench:pubsub            (builds first)
//   BENCH_SUBSCRIBERS=2000 BENCH_MESSAGES=5000 npm run bench:pubsub
//
// Env: BENCH_SUBSCRIBERS (default 10000), BENCH_CHANNELS (default 10), BENCH_MESSAGES published in
// all (default 2000, round-robin over the channels), BENCH_PAYLOAD bytes (default 64).
// File descriptors: this process and slotgate each hold one per subscriber; the bench raises its
// own soft limit where the shell allows (ulimit -n), and slotgate inherits it. It refuses to start
// when the limit is below subscribers + 1000 rather than measure a run where connections fail.
// The publisher keeps at most WINDOW batches ahead of delivery, so the number measured is what
// slotgate sustains, not how much it can buffer.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { HOST, positiveIntFromEnv, sleep, startSlotgateProcess } from './slotgate-process.mjs';

const { startLocalCluster } = await import('../scripts/dev/local-cluster.ts');
const { Redis } = await import('ioredis');

const settings = {
  subscribers: positiveIntFromEnv('BENCH_SUBSCRIBERS', 10_000),
  channels: positiveIntFromEnv('BENCH_CHANNELS', 10),
  messages: positiveIntFromEnv('BENCH_MESSAGES', 2000),
  payload: positiveIntFromEnv('BENCH_PAYLOAD', 64),
};
const BATCH = 20;
const WINDOW = 4;

function openFilesLimit() {
  try {
    return Number(execFileSync('sh', ['-c', 'ulimit -n'], { encoding: 'utf8' }).trim());
  } catch {
    return NaN;
  }
}

function rssMiB(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1]);
  return kb / 1024;
}

const channelName = (i) => `bench:ch:${String(i).padStart(4, '0')}`;

/** One subscriber: a raw socket counting the bytes of message frames it received. */
function subscribe(port, channel, confirmationBytes) {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: HOST, port });
    const sub = { socket, bytes: 0, confirmed: false };
    let pending = confirmationBytes;
    socket.setNoDelay(true);
    socket.once('error', reject);
    socket.once('connect', () => socket.write(`SUBSCRIBE ${channel}\r\n`));
    socket.on('data', (chunk) => {
      if (!sub.confirmed) {
        pending -= chunk.length;
        if (pending > 0) return;
        sub.confirmed = true;
        sub.bytes = -pending; // a message may follow the confirmation in the same chunk
        resolve(sub);
        return;
      }
      sub.bytes += chunk.length;
    });
  });
}

async function main() {
  const limit = openFilesLimit();
  console.log(`pubsub bench: ${settings.subscribers} subscribers on ${settings.channels} channel(s), ${settings.messages} messages of ${settings.payload} bytes; open files limit ${limit}`);
  if (!(limit >= settings.subscribers + 1000)) {
    throw new Error(`ulimit -n is ${limit}: raise it (ulimit -n ${settings.subscribers + 2000}) or set BENCH_SUBSCRIBERS lower`);
  }
  let cluster;
  let slotgate;
  const subs = [];
  let publisher;
  try {
    cluster = await startLocalCluster({ masters: 3, replicasPerMaster: 1 });
    slotgate = await startSlotgateProcess(cluster.seeds, { slotgateArgs: ['--maxclients', String(settings.subscribers + 100)] });
    const rssStart = rssMiB(slotgate.pid);

    const connectStarted = performance.now();
    for (let i = 0; i < settings.subscribers; i += 500) {
      const batch = [];
      for (let j = i; j < Math.min(settings.subscribers, i + 500); j++) {
        const channel = channelName(j % settings.channels);
        // *3 $9 subscribe $<len> <channel> :1
        const confirmation = `*3\r\n$9\r\nsubscribe\r\n$${channel.length}\r\n${channel}\r\n:1\r\n`;
        batch.push(subscribe(slotgate.port, channel, confirmation.length));
      }
      subs.push(...(await Promise.all(batch)));
    }
    const connectSeconds = (performance.now() - connectStarted) / 1000;
    await sleep(500);
    const rssSubscribed = rssMiB(slotgate.pid);

    // The multiplexing, as the nodes see it: one subscriber per channel in the whole cluster.
    const counts = await Promise.all(
      cluster.nodes.map(async (node) => {
        const redis = new Redis({ host: HOST, port: node.port });
        const reply = await redis.call('PUBSUB', 'NUMSUB', ...Array.from({ length: settings.channels }, (_, i) => channelName(i)));
        redis.disconnect();
        let sum = 0;
        for (let i = 1; i < reply.length; i += 2) sum += Number(reply[i]);
        return sum;
      }),
    );
    const upstream = counts.reduce((a, b) => a + b, 0);

    // Publisher on a master that is not the one slotgate subscribed on, when possible.
    const masterPorts = await cluster.masterPorts();
    publisher = new Redis({ host: HOST, port: masterPorts[masterPorts.length - 1] });
    const payload = 'x'.repeat(settings.payload);
    const frameBytes = `*3\r\n$7\r\nmessage\r\n$${channelName(0).length}\r\n${channelName(0)}\r\n$${payload.length}\r\n${payload}\r\n`.length;
    const subscribersPer = (c) => Math.floor(settings.subscribers / settings.channels) + (c < settings.subscribers % settings.channels ? 1 : 0);
    let expectedDeliveries = 0;
    const delivered = () => {
      let bytes = 0;
      for (const sub of subs) bytes += sub.bytes;
      return bytes / frameBytes;
    };
    let peakRss = rssSubscribed;
    const rssTimer = setInterval(() => (peakRss = Math.max(peakRss, rssMiB(slotgate.pid))), 100);

    const started = performance.now();
    let sent = 0;
    const deliveriesPerBatch = [];
    while (sent < settings.messages) {
      const n = Math.min(BATCH, settings.messages - sent);
      const pipeline = publisher.pipeline();
      let batchDeliveries = 0;
      for (let i = 0; i < n; i++) {
        const c = (sent + i) % settings.channels;
        pipeline.publish(channelName(c), payload);
        batchDeliveries += subscribersPer(c);
      }
      await pipeline.exec();
      sent += n;
      expectedDeliveries += batchDeliveries;
      deliveriesPerBatch.push(batchDeliveries);
      // At most WINDOW batches in flight beyond what the subscribers have received.
      const allowedBehind = deliveriesPerBatch.slice(-WINDOW).reduce((a, b) => a + b, 0);
      while (delivered() < expectedDeliveries - allowedBehind) await sleep(2);
    }
    const deadline = Date.now() + 120_000;
    while (delivered() < expectedDeliveries && Date.now() < deadline) await sleep(5);
    const seconds = (performance.now() - started) / 1000;
    clearInterval(rssTimer);
    const got = delivered();
    if (got < expectedDeliveries) throw new Error(`only ${got} of ${expectedDeliveries} deliveries arrived`);

    console.log('');
    console.log(`subscribers connected and confirmed: ${subs.length} in ${connectSeconds.toFixed(1)} s`);
    console.log(`upstream subscriptions the nodes count for ${settings.channels} channel(s): ${upstream}`);
    console.log(`deliveries: ${expectedDeliveries} (${settings.messages} messages x ~${Math.round(settings.subscribers / settings.channels)} subscribers each) in ${seconds.toFixed(2)} s`);
    console.log(`messages delivered/s: ${Math.round(expectedDeliveries / seconds)}  (published/s: ${Math.round(settings.messages / seconds)})`);
    console.log(`slotgate RSS: ${rssStart.toFixed(0)} MiB at start, ${rssSubscribed.toFixed(0)} MiB with every subscriber connected, ${peakRss.toFixed(0)} MiB peak while delivering`);
    if (upstream !== settings.channels) throw new Error(`expected ${settings.channels} upstream subscriptions, the nodes count ${upstream}`);
  } finally {
    publisher?.disconnect();
    for (const sub of subs) sub.socket.destroy();
    await slotgate?.stop();
    await cluster?.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
