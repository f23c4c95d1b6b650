import { describe, expect, it } from 'vitest';
import client from 'prom-client';
import { FastHistogram } from '../../../src/observability/fast-histogram.js';

describe('FastHistogram', () => {
  it('exposes exactly what prom-client\'s own Histogram exposes for the same observations', async () => {
    const buckets = [0.001, 0.01, 0.1, 1];
    const ours = new client.Registry();
    const reference = new client.Registry();
    const fast = new FastHistogram('h_seconds', 'help text', 'class', ['read', 'write'], buckets, ours);
    const real = new client.Histogram({ name: 'h_seconds', help: 'help text', labelNames: ['class'], buckets, registers: [reference] });
    const samples = [0, 0.0005, 0.001, 0.0011, 0.05, 0.1, 0.5, 1, 3, 1e-9, 0.01];
    samples.forEach((v, i) => {
      const cls = i % 3 === 1 ? 'write' : 'read'; // 'read' first: prom-client lists children in creation order
      fast.child(cls).observe(v);
      real.labels(cls).observe(v);
    });
    expect(await ours.metrics()).toBe(await reference.metrics());
    fast.reset();
    real.reset();
    fast.child('read').observe(0.2);
    real.labels('read').observe(0.2);
    real.labels('write'); // prom-client lists a child once it exists; ours always has both
    real.labels('write').observe(0.2);
    fast.child('write').observe(0.2);
    expect(await ours.metrics()).toBe(await reference.metrics());
  });

  it('aggregates across workers like prom-client metrics do', async () => {
    const registries = [new client.Registry(), new client.Registry()];
    registries.forEach((registry, i) => {
      const h = new FastHistogram('agg_seconds', 'h', 'class', ['read'], [0.1], registry);
      for (let n = 0; n <= i; n++) h.child('read').observe(0.05);
    });
    const merged = client.AggregatorRegistry.aggregate(await Promise.all(registries.map((r) => r.getMetricsAsJSON())));
    expect(await merged.metrics()).toContain('agg_seconds_count{class="read"} 3');
  });
});
