/**
 * slotgate's own slow-command log (GET /v1/slowlog, `slowlog-log-slower-than`,
 * `slowlog-max-len`): commands whose time as the client saw it (request decoded → reply ready,
 * the time command-stats.ts measures anyway) passed the threshold.
 *
 * Cost for every other command: one comparison, `seconds >= slowerThanSeconds`, on the duration
 * already measured (session/call.ts); Infinity when the log is off. Memory is bounded like
 * Redis's slow log: at most `maxLen` entries (the oldest dropped), each holding at most
 * MAX_ARGS arguments of at most MAX_ARG_BYTES, as Redis's slowlogCreateEntry keeps them.
 */

import client from 'prom-client';

/** Redis's defaults for slowlog-log-slower-than (µs) and slowlog-max-len. */
export const DEFAULT_SLOWLOG_SLOWER_THAN_MICROS = 10_000;
export const DEFAULT_SLOWLOG_MAX_LEN = 128;

/** Redis's SLOWLOG_ENTRY_MAX_ARGC and SLOWLOG_ENTRY_MAX_STRING. */
export const MAX_ARGS = 32;
export const MAX_ARG_BYTES = 128;

export interface SlowCommandNode {
  readonly id: string;
  readonly address: string;
}

export interface SlowCommandEntry {
  readonly id: number;
  /** Epoch seconds when the reply was ready. */
  readonly time: number;
  readonly durationMicros: number;
  /** The command as shown: redacted (auth/redact.ts) and cut like Redis's slow log. */
  readonly args: readonly string[];
  readonly clientAddress: string;
  readonly clientName: string;
  /** The node that served it; null when slotgate answered it alone or it went to several nodes. */
  readonly node: SlowCommandNode | null;
}

export type SlowCommandInput = Omit<SlowCommandEntry, 'id' | 'time' | 'args'> & { readonly args: readonly Buffer[] };

export class SlowCommandLog {
  /** The log with `settings` (Redis's defaults when absent), counting what it records in `slotgate_slow_commands_total`. */
  static counted(registry: client.Registry, settings?: { readonly slowerThanMicros: number; readonly maxLen: number }): SlowCommandLog {
    const recorded = new client.Counter({
      name: 'slotgate_slow_commands_total',
      help: 'Commands whose time as the client saw it passed slowlog-log-slower-than (GET /v1/slowlog lists the newest)',
      registers: [registry],
    });
    const { slowerThanMicros, maxLen } = settings ?? { slowerThanMicros: DEFAULT_SLOWLOG_SLOWER_THAN_MICROS, maxLen: DEFAULT_SLOWLOG_MAX_LEN };
    return new SlowCommandLog(slowerThanMicros, maxLen, () => recorded.inc());
  }

  /** The threshold the hot path compares with; Infinity when off (a negative option, as in Redis). */
  slowerThanSeconds = Infinity;
  private maxLen = 128;
  /** Ring of the newest entries: `next` is where the next one goes. */
  private ring: SlowCommandEntry[] = [];
  private next = 0;
  private nextId = 0;

  constructor(
    slowerThanMicros: number,
    maxLen: number,
    private readonly onRecord: () => void = () => undefined,
  ) {
    this.configure(slowerThanMicros, maxLen);
  }

  /** Applies the options (at start and on reload); a shorter max-len drops the oldest entries. */
  configure(slowerThanMicros: number, maxLen: number): void {
    this.slowerThanSeconds = slowerThanMicros < 0 ? Infinity : slowerThanMicros / 1e6;
    const kept = this.newestFirst().slice(0, maxLen).reverse();
    this.maxLen = maxLen;
    this.ring = kept;
    this.next = kept.length % Math.max(1, maxLen);
  }

  get slowerThanMicros(): number {
    return this.slowerThanSeconds === Infinity ? -1 : Math.round(this.slowerThanSeconds * 1e6);
  }

  get capacity(): number {
    return this.maxLen;
  }

  get length(): number {
    return this.ring.length;
  }

  record(input: SlowCommandInput): void {
    this.onRecord();
    if (this.maxLen === 0) return;
    const entry: SlowCommandEntry = { ...input, id: this.nextId++, time: Math.floor(Date.now() / 1000), args: shownArgs(input.args) };
    if (this.ring.length < this.maxLen) this.ring.push(entry);
    else this.ring[this.next] = entry;
    this.next = (this.next + 1) % this.maxLen;
  }

  newestFirst(): SlowCommandEntry[] {
    const n = this.ring.length;
    const out: SlowCommandEntry[] = [];
    // With a full ring the newest is just before `next`; until then the array is in order.
    const newest = n < this.maxLen ? n - 1 : (this.next - 1 + n) % n;
    for (let i = 0; i < n; i++) out.push(this.ring[(newest - i + n) % n]!);
    return out;
  }

  reset(): void {
    this.ring = [];
    this.next = 0;
  }
}

/** Redis's slowlogCreateEntry: at most 32 arguments (the last telling how many more), each at most 128 bytes. */
function shownArgs(args: readonly Buffer[]): string[] {
  const count = Math.min(args.length, MAX_ARGS);
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    if (count !== args.length && i === count - 1) {
      out.push(`... (${args.length - count + 1} more arguments)`);
      break;
    }
    const arg = args[i]!;
    out.push(arg.length > MAX_ARG_BYTES ? `${arg.subarray(0, MAX_ARG_BYTES).toString('utf8')}... (${arg.length - MAX_ARG_BYTES} more bytes)` : arg.toString('utf8'));
  }
  return out;
}
