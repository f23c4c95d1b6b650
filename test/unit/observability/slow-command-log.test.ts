import { describe, expect, it } from 'vitest';
import { SlowCommandLog } from '../../../src/observability/slow-command-log.js';

const input = (...args: string[]) => ({ durationMicros: 12, args: args.map((a) => Buffer.from(a)), clientAddress: '127.0.0.1:1', clientName: '', node: null });

describe('SlowCommandLog', () => {
  it('keeps the newest max-len entries, newest first, and counts every recorded one', () => {
    let counted = 0;
    const log = new SlowCommandLog(0, 3, () => counted++);
    for (let i = 0; i < 7; i++) log.record(input('get', `k${i}`));
    expect(counted).toBe(7);
    expect(log.length).toBe(3);
    expect(log.newestFirst().map((e) => [e.id, e.args[1]])).toEqual([[6, 'k6'], [5, 'k5'], [4, 'k4']]);
    log.configure(0, 2);
    expect(log.newestFirst().map((e) => e.id)).toEqual([6, 5]);
    log.record(input('get', 'k7'));
    expect(log.newestFirst().map((e) => e.id)).toEqual([7, 6]);
    log.configure(0, 4);
    log.record(input('get', 'k8'));
    expect(log.newestFirst().map((e) => e.id)).toEqual([8, 7, 6]);
    log.reset();
    expect(log.newestFirst()).toEqual([]);
  });

  it('has a threshold in seconds, Infinity when off (negative, as in Redis)', () => {
    const log = new SlowCommandLog(10_000, 128);
    expect(log.slowerThanSeconds).toBe(0.01);
    expect(log.slowerThanMicros).toBe(10_000);
    log.configure(-1, 128);
    expect(log.slowerThanSeconds).toBe(Infinity);
    expect(log.slowerThanMicros).toBe(-1);
    const none = new SlowCommandLog(0, 0);
    none.record(input('get', 'k'));
    expect(none.length).toBe(0);
  });

  it('cuts commands as Redis\'s slow log does: 32 arguments, 128 bytes each', () => {
    const log = new SlowCommandLog(0, 1);
    log.record(input('mset', ...Array.from({ length: 40 }, (_, i) => `a${i}`)));
    const args = log.newestFirst()[0]!.args;
    expect(args).toHaveLength(32);
    expect(args[31]).toBe('... (10 more arguments)');
    log.record(input('set', 'k', 'x'.repeat(200)));
    expect(log.newestFirst()[0]!.args[2]).toBe(`${'x'.repeat(128)}... (72 more bytes)`);
  });
});
