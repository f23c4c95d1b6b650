/**
 * A latency histogram as the admin API reports it (GET /v1/stats/latency; Tencent's
 * DescribeInstanceMonitorTookDist): how many commands fell in each bucket, and the average,
 * percentile estimates and maximum an operator reads off it, in milliseconds.
 *
 * Percentiles are estimated like Prometheus's histogram_quantile(): the bucket that holds the
 * rank, then linear interpolation inside it. Unlike it, a rank in the +Inf bucket is answered
 * with the observed maximum, and no estimate exceeds that maximum.
 */
import type { HistogramChild } from './fast-histogram.js';

/** The plain numbers of one histogram: mergeable (workers) and JSON-safe. */
export interface HistogramData {
  /** Upper bounds in seconds, ascending; counts has one more entry (+Inf). */
  readonly bounds: readonly number[];
  /** Observations per bucket (not cumulative). */
  readonly counts: readonly number[];
  readonly sum: number;
  readonly count: number;
  readonly max: number;
}

export interface LatencyReport {
  count: number;
  avg_ms: number;
  p50_ms: number;
  p90_ms: number;
  p99_ms: number;
  max_ms: number;
  /** Per bucket: commands that took at most `le_ms` (and more than the previous bucket's); the last is `+Inf`. */
  distribution: { le_ms: number | '+Inf'; count: number }[];
}

export function histogramData(child: HistogramChild): HistogramData {
  return { bounds: child.bounds, counts: Array.from(child.counts), sum: child.sum, count: child.count, max: child.max };
}

/** Adds histograms with the same bounds (one per worker) into one. */
export function mergeHistograms(parts: readonly HistogramData[]): HistogramData | null {
  const first = parts[0];
  if (first === undefined) return null;
  const counts = new Array<number>(first.counts.length).fill(0);
  let sum = 0;
  let count = 0;
  let max = 0;
  for (const part of parts) {
    part.counts.forEach((c, i) => (counts[i]! += c));
    sum += part.sum;
    count += part.count;
    max = Math.max(max, part.max);
  }
  return { bounds: first.bounds, counts, sum, count, max };
}

/** The q-quantile (0 < q ≤ 1) in seconds; 0 for an empty histogram. */
export function estimateQuantile(data: HistogramData, q: number): number {
  if (data.count === 0) return 0;
  const rank = q * data.count;
  let cumulative = 0;
  for (let i = 0; i < data.counts.length; i++) {
    const inBucket = data.counts[i]!;
    if (inBucket > 0 && cumulative + inBucket >= rank) {
      if (i === data.bounds.length) return data.max; // the +Inf bucket
      const lower = i === 0 ? 0 : data.bounds[i - 1]!;
      const upper = data.bounds[i]!;
      const estimate = lower + (upper - lower) * ((rank - cumulative) / inBucket);
      return Math.min(estimate, data.max);
    }
    cumulative += inBucket;
  }
  return data.max;
}

const ms = (seconds: number): number => Math.round(seconds * 1e6) / 1e3; // microsecond precision

export function latencyReport(data: HistogramData): LatencyReport {
  return {
    count: data.count,
    avg_ms: data.count === 0 ? 0 : ms(data.sum / data.count),
    p50_ms: ms(estimateQuantile(data, 0.5)),
    p90_ms: ms(estimateQuantile(data, 0.9)),
    p99_ms: ms(estimateQuantile(data, 0.99)),
    max_ms: ms(data.max),
    distribution: data.counts.map((count, i) => ({ le_ms: i < data.bounds.length ? ms(data.bounds[i]!) : '+Inf', count })),
  };
}
