/**
 * A Prometheus histogram for the hot path. prom-client's Histogram hashes the label set
 * and searches the buckets on every observe(); profiling redis-benchmark through slotgate
 * put that at ~4% of the proxy's CPU. Here each label value gets a child holding plain
 * counters, bound once, and observe() is a short loop over the bucket bounds. The
 * registry reads it through the same `get()` interface prom-client's own metrics use, so
 * /metrics, CONFIG RESETSTAT (reset) and the workers' AggregatorRegistry treat it alike.
 */
import type { Registry } from 'prom-client';

export class HistogramChild {
  /** counts[i] = observations <= bounds[i] and > bounds[i-1]; the last slot is +Inf. */
  readonly counts: Float64Array;
  sum = 0;
  count = 0;
  /** The largest observation (not exported to Prometheus; the admin API's latency report shows it). */
  max = 0;

  constructor(readonly bounds: readonly number[]) {
    this.counts = new Float64Array(bounds.length + 1);
  }

  observe(value: number): void {
    const bounds = this.bounds;
    let i = 0;
    while (i < bounds.length && value > bounds[i]!) i++;
    this.counts[i]!++;
    this.sum += value;
    this.count++;
    if (value > this.max) this.max = value;
  }

  reset(): void {
    this.counts.fill(0);
    this.sum = 0;
    this.count = 0;
    this.max = 0;
  }
}

interface MetricValue {
  value: number;
  labels: Record<string, string | number>;
  metricName: string;
}

export class FastHistogram<L extends string> {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  private readonly children = new Map<string, HistogramChild>();

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly labelName: string,
    labelValues: readonly L[],
    private readonly bounds: readonly number[],
    registry: Registry,
  ) {
    for (const value of labelValues) this.children.set(value, new HistogramChild(bounds));
    // prom-client's Registry only needs name/help/type/get()/reset() of a metric.
    registry.registerMetric(this as unknown as Parameters<Registry['registerMetric']>[0]);
  }

  child(labelValue: L): HistogramChild {
    return this.children.get(labelValue)!;
  }

  /** Every child by its label value, in declaration order. */
  entries(): IterableIterator<[string, HistogramChild]> {
    return this.children.entries();
  }

  reset(): void {
    for (const child of this.children.values()) child.reset();
  }

  get(): { name: string; help: string; type: string; aggregator: string; values: MetricValue[] } {
    const values: MetricValue[] = [];
    for (const [labelValue, child] of this.children) {
      let cumulative = 0;
      this.bounds.forEach((bound, i) => {
        cumulative += child.counts[i]!;
        values.push({ value: cumulative, labels: { le: bound, [this.labelName]: labelValue }, metricName: `${this.name}_bucket` });
      });
      values.push({ value: child.count, labels: { le: '+Inf', [this.labelName]: labelValue }, metricName: `${this.name}_bucket` });
      values.push({ value: child.sum, labels: { [this.labelName]: labelValue }, metricName: `${this.name}_sum` });
      values.push({ value: child.count, labels: { [this.labelName]: labelValue }, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }
}
