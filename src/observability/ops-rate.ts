/**
 * INFO's `instantaneous_ops_per_sec`, computed as Redis computes it (server.c,
 * trackInstantaneousMetric): every 100 ms the commands done since the last sample are turned into
 * a per-second rate, and the figure is the average of the last 16 rates (about 1.6 seconds).
 */
const SAMPLES = 16;

export class InstantaneousRate {
  private readonly rates = new Float64Array(SAMPLES);
  private next = 0;
  private lastCount = 0;
  private lastTime = 0;

  /** `count`: the running total now (it may restart from 0: CONFIG RESETSTAT); `nowMs`: a clock in milliseconds. */
  sample(count: number, nowMs: number): void {
    const elapsed = nowMs - this.lastTime;
    if (this.lastTime > 0 && elapsed > 0) {
      this.rates[this.next] = (Math.max(0, count - this.lastCount) * 1000) / elapsed;
      this.next = (this.next + 1) % SAMPLES;
    }
    this.lastCount = count;
    this.lastTime = nowMs;
  }

  /** The average of the samples, rounded down like Redis's integer field. */
  perSecond(): number {
    let sum = 0;
    for (const rate of this.rates) sum += rate;
    return Math.floor(sum / SAMPLES);
  }
}
