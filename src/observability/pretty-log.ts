/**
 * `--log-format pretty`: pino's JSON lines turned into one readable line each, for a person at a
 * terminal. Built in rather than pino-pretty: a few lines of code instead of a dependency tree
 * in the production image, and nothing to load for the default JSON format.
 *
 *   2026-05-01T10:00:00.000Z INFO  slotgate listening port=6380 bind="127.0.0.1" adminPort=9180
 */
import type { DestinationStream } from 'pino';

/** Fields every line has; shown in the line's head, or (service, pid) left out as noise. */
const HEAD_FIELDS = new Set(['time', 'level', 'msg', 'service', 'pid']);

export function prettyDestination(out: { write(text: string): unknown } = process.stdout): DestinationStream {
  return { write: (line: string) => void out.write(formatLogLine(line)) };
}

export function formatLogLine(line: string): string {
  let event: Record<string, unknown>;
  try {
    event = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line.endsWith('\n') ? line : `${line}\n`;
  }
  const level = String(event.level ?? '').toUpperCase().padEnd(5);
  const fields: string[] = [];
  let stack = '';
  for (const [key, value] of Object.entries(event)) {
    if (HEAD_FIELDS.has(key)) continue;
    if (value && typeof value === 'object' && typeof (value as { stack?: unknown }).stack === 'string') {
      // An error: its message inline, its stack below the line.
      fields.push(`${key}=${JSON.stringify((value as { message?: unknown }).message ?? '')}`);
      stack = `\n    ${((value as { stack: string }).stack).split('\n').join('\n    ')}`;
      continue;
    }
    fields.push(`${key}=${typeof value === 'string' && /^[\w.:/@-]+$/.test(value) ? value : JSON.stringify(value)}`);
  }
  return `${String(event.time ?? '')} ${level} ${String(event.msg ?? '')}${fields.length ? ` ${fields.join(' ')}` : ''}${stack}\n`;
}
