/**
 * The one pino root logger. JSON lines to stdout (or, with `--log-format pretty`, readable
 * lines: pretty-log.ts), one line per event (start-up, topology changes, backend failures,
 * protocol errors) — never one per command, and never a key, a value or a secret.
 */
import pino, { type Logger } from 'pino';
import { prettyDestination } from './pretty-log.js';

export function createLogger(level: string, destination?: pino.DestinationStream, format: 'json' | 'pretty' = 'json'): Logger {
  return pino(
    {
      level,
      base: { service: 'slotgate', pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    destination ?? (format === 'pretty' ? prettyDestination() : pino.destination({ sync: false })),
  );
}

export type { Logger };
