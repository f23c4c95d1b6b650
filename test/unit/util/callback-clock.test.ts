import { describe, expect, it } from 'vitest';
import { callbackNow } from '../../../src/util/callback-clock.js';

const busyWait = (ms: number) => {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // spin: time passes within one callback
  }
};

describe('callbackNow', () => {
  it('reads the clock once per callback: the same value however much time passes within it', () => {
    const first = callbackNow();
    busyWait(2);
    expect(callbackNow()).toBe(first);
    expect(first).toBeGreaterThan(0);
  });

  it('reads it afresh in the next callback', async () => {
    const first = callbackNow();
    busyWait(2);
    await new Promise((resolve) => setTimeout(resolve, 1));
    const later = callbackNow();
    expect(later).toBeGreaterThanOrEqual(first + 2);
  });
});
