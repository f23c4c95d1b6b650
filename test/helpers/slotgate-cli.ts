// The built slotgate command (dist/src/main.js) as users run it: a one-shot run (--version, a bad
// option) and a long-running process whose log lines a test can wait for and read.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { findFreePort } from '../../scripts/dev/redis-server.js';
import { waitUntil } from './wait-until.js';

export const MAIN = path.resolve('dist/src/main.js');

function requireBuild(): void {
  if (!fs.existsSync(MAIN)) throw new Error('run `npm run build` first: this test starts dist/src/main.js');
}

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs slotgate to completion (for options that make it exit at once). */
export function runCli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliRun> {
  requireBuild();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [MAIN, ...args], { env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

export interface RunningSlotgate {
  readonly child: ChildProcess;
  readonly port: number;
  readonly adminPort: number;
  /** Everything written to stdout so far. */
  output(): string;
  /** The JSON log lines so far (with --log-format json, the default). */
  events(): Record<string, unknown>[];
  waitForOutput(text: string, timeoutMs?: number): Promise<void>;
  /** Resolves with the exit code once the process has exited. */
  readonly exited: Promise<number | null>;
  kill(): void;
}

/** Starts slotgate on free ports and waits for `readyText` in its output ("slotgate listening" by default). */
export async function startSlotgateProcess(args: string[], env: NodeJS.ProcessEnv = {}, readyText = 'slotgate listening', node = process.execPath): Promise<RunningSlotgate> {
  requireBuild();
  const port = await findFreePort();
  const adminPort = await findFreePort();
  const child = spawn(node, [MAIN, '--port', String(port), '--admin-port', String(adminPort), ...args], {
    env: { PATH: process.env.PATH, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  // 'close', not 'exit': the output the process (and, with --workers, its workers, which write to the
  // same pipe) wrote just before exiting may still be in the pipe when 'exit' fires.
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  const running: RunningSlotgate = {
    child,
    port,
    adminPort,
    output: () => out,
    events: () =>
      out
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as Record<string, unknown>),
    waitForOutput: (text, timeoutMs = 30_000) => waitUntil(() => out.includes(text) || child.exitCode !== null, timeoutMs, text).then(() => {
      if (!out.includes(text)) throw new Error(`slotgate exited (${child.exitCode}) before printing "${text}":\n${out}`);
    }),
    exited,
    kill: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
  await running.waitForOutput(readyText);
  return running;
}
