/**
 * A Prometheus counter the hot path adds to as a plain number (`pending`), folded into prom-client
 * at scrape time. Why: prom-client's inc() makes two objects per call, and the byte counters ran
 * it on every read and every flush (twice per request at pipeline 1; issue #22).
 */
import client from 'prom-client';

export class FoldedCounter {
  /** Added since the last scrape (CONFIG RESETSTAT drops it with the counter). */
  pending = 0;

  constructor(registry: client.Registry, name: string, help: string) {
    const counter = new client.Counter({
      name,
      help,
      registers: [registry],
      collect: () => {
        counter.inc(this.pending);
        this.pending = 0;
      },
    });
  }
}
