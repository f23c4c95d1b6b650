/**
 * The one pino root logger. JSON lines to stdout, one line per event (start-up,
 * topology changes, backend failures, protocol errors) — never one per command, and
 * never a key, a value or a secret.
 */
import pino, { type Logger } from 'pino';

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'slotgate', pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    destination ?? pino.destination({ sync: false }),
  );
}

export type { Logger };
