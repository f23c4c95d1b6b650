// --log-format pretty: pino's own JSON lines, as pino writes them, made readable.
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/observability/logger.js';
import { formatLogLine, prettyDestination } from '../../../src/observability/pretty-log.js';

describe('pretty log lines', () => {
  it('puts time, level and message first, then the fields; errors with their stack below', () => {
    const written: string[] = [];
    const logger = createLogger('info', prettyDestination({ write: (text: string) => written.push(text) }));
    logger.info({ port: 6380, bind: '127.0.0.1', note: 'two words' }, 'slotgate listening');
    const err = new Error('boom');
    logger.error({ err }, 'it failed');
    logger.debug('below the level');
    expect(written).toHaveLength(2);
    expect(written[0]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z INFO  slotgate listening port=6380 bind=127\.0\.0\.1 note="two words"\n$/);
    expect(written[1]).toMatch(/^\S+ ERROR it failed err="boom"\n    Error: boom\n\s+at /);
  });

  it('passes a line that is not JSON through', () => {
    expect(formatLogLine('plain text')).toBe('plain text\n');
  });
});
