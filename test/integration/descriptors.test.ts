// File descriptors are a resource clients can exhaust. A connection refused by maxclients must be
// closed by slotgate at once (not held until the client lets go), and running out of descriptors
// (EMFILE) must neither crash slotgate nor break the sessions it already runs. Runs the built
// program (dist/) as a child process, so its descriptors can be counted in /proc and limited
// with `ulimit -n`.
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { sharedClusterSeeds } from '../helpers/cluster-fixture.js';
import { RawClient } from '../helpers/slotgate.js';
import { plain } from '../helpers/conversation.js';
import { waitUntil } from '../helpers/wait-until.js';
import { spawnSlotgate } from '../../scripts/dev/slotgate-process.js';
import { RespError } from '../../src/protocol/reply-parser.js';

const MAX_CLIENTS_ERROR = '-ERR max number of clients reached\r\n';

interface Child {
  process: ChildProcess;
  port: number;
  adminPort: number;
  log(): string;
}

const children: Child[] = [];
/** Closes every client connection a test opened. */
const closers: (() => void)[] = [];

afterEach(() => {
  for (const close of closers.splice(0)) close();
  for (const c of children.splice(0)) if (c.process.exitCode === null) c.process.kill('SIGKILL');
});

/** Starts dist/src/main.js, under `ulimit -n fileLimit` when given, and waits until it listens. */
async function startChild(args: string[], fileLimit?: number): Promise<Child> {
  const slotgate = await spawnSlotgate(['--cluster', sharedClusterSeeds().join(','), '--log-level', 'info', ...args], { admin: true, stderr: 'inherit', fileLimit });
  const started: Child = { process: slotgate.child, port: slotgate.port, adminPort: slotgate.adminPort, log: slotgate.output };
  children.push(started);
  await slotgate.waitForOutput('"msg":"slotgate listening"');
  return started;
}

function descriptorCount(pid: number): number {
  return fs.readdirSync(`/proc/${pid}/fd`).length;
}

async function connect(port: number): Promise<RawClient> {
  const c = await RawClient.connect(port);
  closers.push(() => c.close());
  return c;
}

async function metricsText(adminPort: number): Promise<string> {
  return (await fetch(`http://127.0.0.1:${adminPort}/metrics`)).text();
}

/**
 * A client that reads the refusal and then keeps its side of the connection open (half-open),
 * as a careless or hostile client does: resolves with what the server sent once the server has
 * finished sending (its FIN).
 */
function refusedClient(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true });
    closers.push(() => socket.destroy());
    let received = '';
    socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
    socket.on('end', () => resolve(received));
    socket.on('error', reject);
  });
}

describe('file descriptors', () => {
  it('closes connections refused by maxclients at once, even when the client keeps its side open', async () => {
    const slotgate = await startChild(['--maxclients', '3']);
    const pid = slotgate.process.pid!;
    const holders = await Promise.all([1, 2, 3].map(() => connect(slotgate.port)));
    for (const c of holders) expect(await c.call('PING')).toBe('PONG');
    const before = descriptorCount(pid);

    const refused = 200;
    const replies = await Promise.all(Array.from({ length: refused }, () => refusedClient(slotgate.port)));
    expect(replies.every((reply) => reply === MAX_CLIENTS_ERROR)).toBe(true);

    // The clients still hold their ends; slotgate must not hold its own.
    await waitUntil(() => descriptorCount(pid) <= before + 2, 10_000, 'slotgate to close the refused connections');
    for (const c of holders) expect(await c.call('PING')).toBe('PONG');
    // refused connections are logged, but not one line each
    const logged = slotgate.log().split('\n').filter((line) => line.includes('connection refused')).length;
    expect(logged).toBeGreaterThan(0);
    expect(logged).toBeLessThanOrEqual(10);
    expect(await metricsText(slotgate.adminPort)).toMatch(/^slotgate_client_connections_rejected_total 200$/m);
  });

  it('survives running out of descriptors: running sessions keep working, new clients are accepted once descriptors free up', async () => {
    const fileLimit = 100;
    const slotgate = await startChild(['--command-timeout', '1000'], fileLimit);
    const pid = slotgate.process.pid!;
    const run = Date.now().toString(36);
    const keys = Array.from({ length: 30 }, (_, i) => `fd:${run}:${i}`); // spread over every shard

    const established = await connect(slotgate.port);
    for (const key of keys) expect(await established.call('SET', key, key)).toBe('OK');
    expect(descriptorCount(pid)).toBeLessThan(fileLimit - 20); // room to fill, so the test means something

    // Fill the descriptors with clients until slotgate cannot accept one, then try a few more.
    const fillers: RawClient[] = [];
    let dropped = 0;
    for (let i = 0; i < fileLimit + 20 && dropped < 5; i++) {
      const c = await connect(slotgate.port);
      const reply = await c.call('PING').catch((e: Error) => e);
      if (reply instanceof Error) dropped++;
      else fillers.push(c);
    }
    expect(dropped).toBe(5);
    expect(slotgate.process.exitCode).toBeNull();
    // (the log arrives through a pipe: wait for it)
    await waitUntil(() => slotgate.log().includes('out of file descriptors: new client connections are being dropped'), 10_000, 'the accept EMFILE log line');

    // The running session still works on the backend connections it has...
    for (const key of keys) expect(plain(await established.call('GET', key))).toBe(key);
    // ...and what needs a new backend connection (WATCH) fails with an error, not a crash.
    const watch = await established.call('WATCH', keys[0]!);
    expect(watch).toBeInstanceOf(RespError);
    expect((watch as RespError).message).toContain('EMFILE');
    await waitUntil(() => slotgate.log().includes('out of file descriptors: cannot open a backend connection'), 10_000, 'the backend EMFILE log line');
    expect(slotgate.process.exitCode).toBeNull();
    for (const c of fillers.slice(0, 10)) expect(await c.call('PING')).toBe('PONG');

    // Descriptors free up: new clients are accepted and WATCH works again.
    for (const c of fillers) c.close();
    await waitUntil(async () => {
      const c = await connect(slotgate.port);
      return (await c.call('PING').catch(() => null)) === 'PONG';
    }, 10_000, 'slotgate to accept clients again');
    const fresh = await connect(slotgate.port);
    expect(await fresh.call('WATCH', keys[0]!)).toBe('OK');
    expect(await fresh.call('MULTI')).toBe('OK');
    expect(await fresh.call('SET', keys[0]!, 'after')).toBe('QUEUED');
    expect(plain(await fresh.call('EXEC'))).toEqual(['OK']);
    expect(plain(await established.call('GET', keys[0]!))).toBe('after');

    const metrics = await metricsText(slotgate.adminPort);
    expect(metrics).toMatch(/^slotgate_file_descriptor_exhaustion_total\{where="accept"\} [1-9]\d*$/m);
    expect(metrics).toMatch(/^slotgate_file_descriptor_exhaustion_total\{where="backend"\} [1-9]\d*$/m);
    expect(slotgate.process.exitCode).toBeNull();
  });
});
