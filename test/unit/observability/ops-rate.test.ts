import { describe, expect, it } from 'vitest';
import { InstantaneousRate } from '../../../src/observability/ops-rate.js';

describe('instantaneous_ops_per_sec', () => {
  it('is the average of the last 16 per-100-ms rates, as Redis computes it', () => {
    const rate = new InstantaneousRate();
    let count = 0;
    rate.sample(count, 1000);
    for (let i = 1; i <= 16; i++) rate.sample((count += 50), 1000 + i * 100); // 50 per 100 ms
    expect(rate.perSecond()).toBe(500);
    for (let i = 17; i <= 24; i++) rate.sample(count, 1000 + i * 100); // idle for half the window
    expect(rate.perSecond()).toBe(250);
  });

  it('a counter reset (CONFIG RESETSTAT) is no negative rate', () => {
    const rate = new InstantaneousRate();
    rate.sample(1000, 100);
    rate.sample(0, 200);
    expect(rate.perSecond()).toBe(0);
  });
});
