// slotgate as its own process (dist/src/main.js, as users run it), so that "bad input never crashes
// the process" is tested for real: an exception that would kill slotgate kills this child, and the
// fuzz test sees the exit and its stderr instead of an unhandled error inside the test runner.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { findFreePort } from '../../../scripts/dev/redis-server.js';
import { RespConnection } from './resp-connection.js';

const MAIN = path.resolve('dist/src/main.js');

export class SlotgateProcess {
  private child: ChildProcess | undefined;
  private output = '';
  /** How the previous child ended, when it ended on its own. */
  private exits: string[] = [];
  port = 0;

  constructor(private readonly seeds: string[]) {}

  async start(): Promise<void> {
    if (!fs.existsSync(MAIN)) throw new Error('run `npm run build` first: this test starts dist/src/main.js');
    this.port = await findFreePort();
    this.output = '';
    const child = spawn(process.execPath, [MAIN, '--cluster', this.seeds.join(','), '--port', String(this.port), '--admin-port', '0', '--log-level', 'warn'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    const keep = (chunk: Buffer) => {
      this.output = (this.output + chunk.toString()).slice(-4000);
    };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    child.on('exit', (code, signal) => {
      if (this.child === child) this.exits.push(`exit code ${code}${signal ? `, signal ${signal}` : ''}`);
    });
    const deadline = Date.now() + 20_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`slotgate exited at start: ${this.output}`);
      try {
        const probe = await RespConnection.connect(this.port);
        const reply = await probe.call([Buffer.from('PING')], 2000);
        probe.close();
        if (reply.type === '+' && reply.text === 'PONG') return;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error(`slotgate did not answer PING within 20 s: ${this.output}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Waits briefly for the child to exit (a crash takes a moment to be noticed), then says how it ended. */
  async exitReport(): Promise<string | undefined> {
    for (let i = 0; i < 20 && this.running; i++) await new Promise((r) => setTimeout(r, 25));
    if (this.running) return undefined;
    // From the exception's first line (node prints the stack, then its version), or the last lines.
    const all = this.output.trim().split('\n');
    const error = all.findIndex((line) => /Error\b/.test(line));
    const lines = (error === -1 ? all.slice(-8) : all.slice(error, error + 6)).join('\n');
    return `slotgate exited (${this.exits.at(-1) ?? 'unknown'}); its last output:\n${lines}`;
  }

  async restart(): Promise<void> {
    this.stop();
    await this.start();
  }

  stop(): void {
    const child = this.child;
    this.child = undefined;
    if (child && child.exitCode === null) child.kill('SIGKILL');
  }
}
