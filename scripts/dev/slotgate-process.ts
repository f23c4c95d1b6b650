// slotgate from dist/ as its own process, as users run it: the one way the integration tests
// (test/helpers/slotgate-cli.ts), the command fuzz test (test/helpers/fuzz/slotgate-process.ts) and
// the load benches (bench/slotgate-process.mjs) start it. It picks free ports, keeps what the
// process writes when asked to, and knows when it has exited; each caller decides when it is ready
// (a log line, or an answered PING).
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { findFreePort } from './redis-server.js';

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const HOST = '127.0.0.1';

export interface SlotgateProcessOptions {
  /** The checkout whose dist/src/main.js runs (a bench may compare another build); this one by default. */
  readonly root?: string;
  /** The node binary (a test may run under another Node version). */
  readonly node?: string;
  /** Options for node itself (--cpu-prof, --trace-gc). */
  readonly nodeArgs?: readonly string[];
  /** The child's whole environment; this process's when absent. */
  readonly env?: NodeJS.ProcessEnv;
  /** An admin port of its own (a free one), or none (`--admin-port 0`, the default). */
  readonly admin?: boolean;
  /** Where stdout and stderr go: kept (`output()`), or shared with this process. Both kept by default. */
  readonly stdout?: 'keep' | 'inherit';
  readonly stderr?: 'keep' | 'inherit';
  /** Keep only the last this many characters of output (a long fuzz run); everything when absent. */
  readonly keepLast?: number;
  /** Run it under `ulimit -n fileLimit` (through bash, which then execs node: same pid). */
  readonly fileLimit?: number;
}

export interface ProcessExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface SlotgateProcessHandle {
  readonly child: ChildProcess;
  readonly port: number;
  /** 0 when started without an admin port. */
  readonly adminPort: number;
  /** What the process wrote to the kept streams so far. */
  output(): string;
  /** Settles once the process has exited and its output streams are closed. */
  readonly exited: Promise<ProcessExit>;
  readonly running: boolean;
  /** Resolves once `text` is in the output; throws if the process exits first or after `timeoutMs`. */
  waitForOutput(text: string, timeoutMs?: number): Promise<void>;
  /** Resolves once the client port answers PING with +PONG; kills the process and throws if it exits first or never does. */
  waitForPing(timeoutMs?: number): Promise<void>;
  /** SIGKILL, if still running. */
  kill(): void;
  /** SIGTERM (a graceful drain; --cpu-prof writes its profile), then SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

/** Starts `node dist/src/main.js --port <free> --admin-port <free|0> …args`. */
export async function spawnSlotgate(args: readonly string[], options: SlotgateProcessOptions = {}): Promise<SlotgateProcessHandle> {
  const main = path.resolve(options.root ?? REPO_ROOT, 'dist/src/main.js');
  if (!fs.existsSync(main)) throw new Error(`run \`npm run build\` first: ${main} is missing`);
  const port = await findFreePort(HOST);
  const adminPort = options.admin ? await findFreePort(HOST) : 0;
  const stdout = options.stdout ?? 'keep';
  const stderr = options.stderr ?? 'keep';
  const argv = [options.node ?? process.execPath, ...(options.nodeArgs ?? []), main, '--port', String(port), '--admin-port', String(adminPort), ...args];
  const [command, ...commandArgs] = options.fileLimit === undefined ? argv : ['bash', '-c', `ulimit -n ${options.fileLimit}; exec "$0" "$@"`, ...argv];
  const child = spawn(command!, commandArgs, {
    cwd: options.root ?? REPO_ROOT,
    env: options.env ?? process.env,
    stdio: ['ignore', stdout === 'keep' ? 'pipe' : 'inherit', stderr === 'keep' ? 'pipe' : 'inherit'],
  });
  let out = '';
  const keep = (chunk: Buffer) => {
    out += chunk.toString();
    if (options.keepLast !== undefined && out.length > options.keepLast) out = out.slice(-options.keepLast);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  // 'close', not 'exit': what the process (and, with --workers, its workers, which write to the same
  // pipe) wrote just before exiting may still be in the pipe when 'exit' fires.
  const exited = new Promise<ProcessExit>((resolve) => child.once('close', (code, signal) => resolve({ code, signal })));
  const isRunning = () => child.exitCode === null && child.signalCode === null;
  const handle: SlotgateProcessHandle = {
    child,
    port,
    adminPort,
    output: () => out,
    exited,
    get running() {
      return isRunning();
    },
    async waitForOutput(text, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      while (!out.includes(text)) {
        if (!isRunning()) throw new Error(`slotgate exited (${child.exitCode ?? child.signalCode}) before printing "${text}":\n${out}`);
        if (Date.now() > deadline) throw new Error(`timed out waiting for "${text}" from slotgate:\n${out}`);
        await sleep(50);
      }
    },
    waitForPing: (timeoutMs = 20_000) => waitForPing(child, port, 'slotgate', timeoutMs),
    kill() {
      if (isRunning()) child.kill('SIGKILL');
    },
    async stop(graceMs = 10_000) {
      if (!isRunning()) return;
      child.kill('SIGTERM');
      const outcome = await Promise.race([exited, sleep(graceMs).then(() => 'timeout' as const)]);
      if (outcome === 'timeout') {
        child.kill('SIGKILL');
        await exited;
      }
    },
  };
  return handle;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Resolves when a RESP PING on 127.0.0.1:port gets +PONG, rejects on any failure or after timeoutMs. */
export function pingOnce(port: number, timeoutMs = 1000): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: HOST, port });
    let received = '';
    const fail = (err: Error) => {
      socket.destroy();
      reject(err);
    };
    socket.setTimeout(timeoutMs, () => fail(new Error('PING timed out')));
    socket.once('error', fail);
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('latin1');
      if (!received.includes('\r\n')) return;
      socket.destroy();
      if (received.startsWith('+PONG')) resolve();
      else reject(new Error(`PING answered ${JSON.stringify(received)}`));
    });
  });
}

/**
 * Waits until the process `child` (a proxy listening on `port`) answers PING; kills it and throws
 * when it exits first or has not answered within `timeoutMs`.
 */
export async function waitForPing(child: ChildProcess, port: number, name: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
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
        throw new Error(`${name} did not answer PING on ${HOST}:${port} within ${timeoutMs / 1000} s: ${(err as Error).message}`);
      }
      await sleep(100);
    }
  }
}
