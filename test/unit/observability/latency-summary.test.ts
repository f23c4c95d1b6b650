import { describe, expect, it } from 'vitest';
import client from 'prom-client';
import { FastHistogram } from '../../../src/observability/fast-histogram.js';
import { estimateQuantile, histogramData, latencyReport, mergeHistograms } from '../../../src/observability/latency-summary.js';

function histogram(bounds: number[], samples: number[]) {
  const h = new FastHistogram('t_seconds', 'test', 'class', ['x'], bounds, new client.Registry());
  for (const s of samples) h.child('x').observe(s);
  return histogramData(h.child('x'));
}

describe('latency summary', () => {
  it('counts per bucket (not cumulative), with the +Inf bucket last, in milliseconds', () => {
    const r = latencyReport(histogram([0.001, 0.01], [0.0005, 0.0007, 0.005, 0.02]));
    expect(r.distribution).toEqual([
      { le_ms: 1, count: 2 },
      { le_ms: 10, count: 1 },
      { le_ms: '+Inf', count: 1 },
    ]);
    expect(r.count).toBe(4);
    expect(r.max_ms).toBe(20);
    expect(r.avg_ms).toBeCloseTo((0.5 + 0.7 + 5 + 20) / 4, 3);
  });

  it('interpolates quantiles inside the bucket that holds the rank, like histogram_quantile()', () => {
    // 100 observations: 50 in (0, 1 ms], 50 in (1 ms, 11 ms], the largest 10 ms
    const samples = [...Array(50).fill(0.0005), ...Array(49).fill(0.002), 0.01];
    const data = histogram([0.001, 0.011], samples);
    expect(estimateQuantile(data, 0.5)).toBeCloseTo(0.001, 9);
    expect(estimateQuantile(data, 0.75)).toBeCloseTo(0.001 + 0.01 * 0.5, 9);
    // interpolation would say 10.8 ms: never above the largest observation
    expect(estimateQuantile(data, 0.99)).toBeCloseTo(0.01, 9);
  });

  it('answers a rank in the +Inf bucket with the maximum, and 0 for an empty histogram', () => {
    expect(estimateQuantile(histogram([0.001], [0.0001, 3]), 0.99)).toBe(3);
    expect(estimateQuantile(histogram([0.001], []), 0.5)).toBe(0);
    expect(latencyReport(histogram([0.001], [])).avg_ms).toBe(0);
  });

  it('merges histograms (workers) by adding buckets and keeping the largest maximum', () => {
    const a = histogram([0.001, 0.01], [0.0005, 0.005]);
    const b = histogram([0.001, 0.01], [0.0002, 0.5]);
    const merged = mergeHistograms([a, b])!;
    expect(merged).toMatchObject({ bounds: [0.001, 0.01], counts: [2, 1, 1], count: 4, max: 0.5 });
    expect(merged.sum).toBeCloseTo(0.5057, 12);
    expect(mergeHistograms([])).toBeNull();
  });
});
