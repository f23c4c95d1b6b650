// slotgate as its own process (dist/src/main.js, as users run it), so that "bad input never crashes
// the process" is tested for real: an exception that would kill slotgate kills this child, and the
// fuzz test sees the exit and its stderr instead of an unhandled error inside the test runner.
import { spawnSlotgate, type SlotgateProcessHandle } from '../../../scripts/dev/slotgate-process.js';

export class SlotgateProcess {
  private child: SlotgateProcessHandle | undefined;
  port = 0;

  constructor(private readonly seeds: string[]) {}

  async start(): Promise<void> {
    const child = await spawnSlotgate(['--cluster', this.seeds.join(','), '--log-level', 'warn'], { keepLast: 4000 });
    this.child = child;
    this.port = child.port;
    try {
      await child.waitForPing();
    } catch (err) {
      throw new Error(`${(err as Error).message}: ${child.output()}`);
    }
  }

  get running(): boolean {
    return this.child?.running ?? false;
  }

  /** Waits briefly for the child to exit (a crash takes a moment to be noticed), then says how it ended. */
  async exitReport(): Promise<string | undefined> {
    for (let i = 0; i < 20 && this.running; i++) await new Promise((r) => setTimeout(r, 25));
    const child = this.child;
    if (!child || child.running) return undefined;
    // Its output is complete once its streams have closed.
    const { code, signal } = await child.exited;
    // From the exception's first line (node prints the stack, then its version), or the last lines.
    const all = child.output().trim().split('\n');
    const error = all.findIndex((line) => /Error\b/.test(line));
    const lines = (error === -1 ? all.slice(-8) : all.slice(error, error + 6)).join('\n');
    return `slotgate exited (exit code ${code}${signal ? `, signal ${signal}` : ''}); its last output:\n${lines}`;
  }

  async restart(): Promise<void> {
    this.stop();
    await this.start();
  }

  stop(): void {
    const child = this.child;
    this.child = undefined;
    child?.kill();
  }
}
