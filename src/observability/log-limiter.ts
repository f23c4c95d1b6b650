/**
 * Rate limiting for log lines that clients can cause (protocol errors, failed AUTH, refused
 * connections, running out of file descriptors…). Without it one client sending garbage in a
 * loop writes megabytes of logs a minute and buries everything else.
 *
 * Per kind of event: the first `perWindow` lines of a window are logged as they come; the rest
 * are only counted, and when the window ends ONE summary line says how many were suppressed.
 * A kind's window starts with its first event, so a quiet kind costs nothing (no timers).
 * Kinds are a small fixed set named in code (never built from client input), so the state stays
 * bounded.
 */
import type { Logger } from 'pino';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface LogLimiterOptions {
  /** Lines logged per kind per window; the rest are counted. */
  perWindow: number;
  windowMs: number;
  /** Kinds with a smaller budget than `perWindow` (a backend outage repeats the same line). */
  perKind?: Readonly<Record<string, number>>;
  /** Called for each suppressed line (a metric). */
  onSuppressed?: (kind: string) => void;
}

/**
 * slotgate's defaults: ten lines a minute per kind, then a summary. A backend outage repeats the
 * same few lines (connect refused, topology refresh failed) for as long as it lasts: those get a
 * smaller budget, so an outage logs about ten lines a minute in all.
 */
export const DEFAULT_LOG_LIMITS: LogLimiterOptions = {
  perWindow: 10,
  windowMs: 60_000,
  perKind: { backend_connect: 5, backend_closed: 3, backend_timeout: 5, topology_refresh: 3 },
};

interface KindState {
  logged: number;
  suppressed: number;
  level: LogLevel;
  /** Ends the window: emits the summary (if any line was suppressed) and forgets the kind. */
  timer: NodeJS.Timeout;
}

export class LogLimiter {
  private readonly kinds = new Map<string, KindState>();

  constructor(
    private readonly logger: Logger,
    private readonly options: LogLimiterOptions = DEFAULT_LOG_LIMITS,
  ) {}

  /**
   * Logs `message` with `fields` at `level` unless `kind` has used up its lines for this window.
   * `logger` is the one to write with (e.g. a session's child logger that carries the client's
   * address); the summary goes to the limiter's own logger.
   */
  log(kind: string, level: LogLevel, fields: Record<string, unknown>, message: string, logger: Logger = this.logger): void {
    let state = this.kinds.get(kind);
    if (!state) {
      const timer = setTimeout(() => this.endWindow(kind), this.options.windowMs);
      // Never keep the process alive just to say how many lines it did not write.
      timer.unref();
      state = { logged: 0, suppressed: 0, level, timer };
      this.kinds.set(kind, state);
    }
    if (state.logged < (this.options.perKind?.[kind] ?? this.options.perWindow)) {
      state.logged++;
      logger[level](fields, message);
      return;
    }
    state.suppressed++;
    this.options.onSuppressed?.(kind);
  }

  /** Ends every window now, writing the pending summaries (on shutdown). */
  close(): void {
    for (const kind of [...this.kinds.keys()]) this.endWindow(kind);
  }

  private endWindow(kind: string): void {
    const state = this.kinds.get(kind);
    if (!state) return;
    clearTimeout(state.timer);
    this.kinds.delete(kind);
    if (state.suppressed === 0) return;
    this.logger[state.level](
      { kind, suppressed: state.suppressed, windowSeconds: this.options.windowMs / 1000 },
      `${state.suppressed} more log lines of this kind were suppressed (at most ${this.options.perKind?.[kind] ?? this.options.perWindow} per window)`,
    );
  }
}
