/**
 * The primary's questions to every worker (`--workers`): reload your config, give me your command
 * stats. A question goes to each connected worker with an id; the answers come back with it and
 * the question is settled once every asked worker has answered, exited, or (when the question has
 * a timeout) the time is up. A worker that exits stops being waited for: reload counts that as a
 * failure, stats leave it out.
 */
import cluster, { type Worker } from 'node:cluster';

export type WorkerQuestion = 'slotgate:reload' | 'slotgate:stats';
export type PrimaryMessage = { type: WorkerQuestion; id: number };

interface Pending {
  readonly waiting: Set<number>;
  readonly answers: unknown[];
  /** What an exited worker counts as; undefined: nothing. */
  readonly exited: unknown;
  readonly finish: () => void;
}

export class WorkerQueries {
  private ids = 0;
  private readonly pending = new Map<number, Pending>();

  /** Asks every connected worker; resolves with the answers received (none: no worker runs). */
  ask<T>(type: WorkerQuestion, options: { timeoutMs?: number; exited?: T } = {}): Promise<T[]> {
    return new Promise((resolve) => {
      const id = ++this.ids;
      const workers = Object.values(cluster.workers ?? {}).filter((w): w is Worker => !!w && w.isConnected());
      const answers: T[] = [];
      let timer: NodeJS.Timeout | undefined;
      const finish = (): void => {
        clearTimeout(timer);
        this.pending.delete(id);
        resolve(answers);
      };
      if (workers.length === 0) return finish();
      if (options.timeoutMs !== undefined) timer = setTimeout(finish, options.timeoutMs);
      this.pending.set(id, { waiting: new Set(workers.map((w) => w.id)), answers, exited: options.exited, finish });
      for (const worker of workers) worker.send({ type, id } satisfies PrimaryMessage);
    });
  }

  /** A worker's answer to question `id`. */
  answered(id: number, workerId: number, answer: unknown): void {
    const pending = this.pending.get(id);
    if (pending) this.settle(pending, workerId, answer);
  }

  /** A worker exited: no question waits for it any more. */
  workerExited(workerId: number): void {
    for (const pending of [...this.pending.values()]) this.settle(pending, workerId, pending.exited);
  }

  private settle(pending: Pending, workerId: number, answer: unknown): void {
    if (!pending.waiting.delete(workerId)) return;
    if (answer !== undefined) pending.answers.push(answer);
    if (pending.waiting.size === 0) pending.finish();
  }
}
