import client from 'prom-client';

/**
 * The supervising primary's own metrics (`--workers`), served beside the workers' sum: how often
 * a worker died and was replaced. A worker that dies is a crash (slotgate's commands fail one at a
 * time, never the process), so anything above zero is a bug worth a report.
 */
export class PrimaryMetrics {
  readonly registry = new client.Registry();
  readonly workerRestarts = new client.Counter({
    name: 'slotgate_worker_restarts_total',
    help: 'Worker processes that exited unexpectedly and were replaced',
    registers: [this.registry],
  });
}
