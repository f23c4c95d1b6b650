// The log rate limiter: the first lines of a kind per window are written, the rest counted, and
// one summary line says how many were left out when the window ends.
import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createLogger } from '../../../src/observability/logger.js';
import { LogLimiter } from '../../../src/observability/log-limiter.js';

function capturedLogger(): { lines: Record<string, unknown>[]; logger: ReturnType<typeof createLogger> } {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n')) if (line) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { lines, logger: createLogger('info', destination) };
}

/** pino writes to a stream: let it deliver what was logged. */
const delivered = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('LogLimiter', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('writes the first lines of a kind, counts the rest, and summarises them when the window ends', async () => {
    const { lines, logger } = capturedLogger();
    const suppressed: string[] = [];
    const limiter = new LogLimiter(logger, { perWindow: 3, windowMs: 60_000, onSuppressed: (kind) => suppressed.push(kind) });
    for (let i = 0; i < 100; i++) limiter.log('flood', 'info', { i }, 'bad input');
    limiter.log('other', 'warn', {}, 'another kind has its own budget');
    await delivered();
    expect(lines.map((l) => l.msg)).toEqual(['bad input', 'bad input', 'bad input', 'another kind has its own budget']);
    expect(suppressed).toHaveLength(97);

    vi.advanceTimersByTime(60_000);
    await delivered();
    const summary = lines.slice(4);
    expect(summary).toHaveLength(1); // 'other' suppressed nothing: no summary for it
    expect(summary[0]).toMatchObject({ kind: 'flood', suppressed: 97, level: 'info' });

    // a new window: lines are written again
    limiter.log('flood', 'info', {}, 'bad input');
    await delivered();
    expect(lines).toHaveLength(6);
  });

  it('close() writes pending summaries at once', async () => {
    const { lines, logger } = capturedLogger();
    const limiter = new LogLimiter(logger, { perWindow: 1, windowMs: 60_000 });
    limiter.log('flood', 'warn', {}, 'x');
    limiter.log('flood', 'warn', {}, 'x');
    limiter.close();
    await delivered();
    expect(lines.map((l) => l.suppressed)).toEqual([undefined, 1]);
  });
});
