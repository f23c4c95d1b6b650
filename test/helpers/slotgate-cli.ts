// The built slotgate command (dist/src/main.js) as users run it: a one-shot run (--version, a bad
// option) and a long-running process whose log lines a test can wait for and read.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { REPO_ROOT, spawnSlotgate } from '../../scripts/dev/slotgate-process.js';

export const MAIN = path.resolve(REPO_ROOT, 'dist/src/main.js');

function requireBuild(): void {
  if (!fs.existsSync(MAIN)) throw new Error('run `npm run build` first: this test starts dist/src/main.js');
}

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs slotgate to completion (for options that make it exit at once); killed if still running after `timeoutMs`. */
export function runCli(args: string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 20_000): Promise<CliRun> {
  requireBuild();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [MAIN, ...args], { env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'pipe', 'pipe'], timeout: timeoutMs, killSignal: 'SIGKILL' });
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
  const started = await spawnSlotgate(args, { node, env: { PATH: process.env.PATH, ...env }, admin: true, stdout: 'keep', stderr: 'inherit' });
  const running: RunningSlotgate = {
    child: started.child,
    port: started.port,
    adminPort: started.adminPort,
    output: started.output,
    events: () =>
      started
        .output()
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as Record<string, unknown>),
    waitForOutput: (text, timeoutMs) => started.waitForOutput(text, timeoutMs),
    exited: started.exited.then((exit) => exit.code),
    kill: started.kill,
  };
  await running.waitForOutput(readyText);
  return running;
}
