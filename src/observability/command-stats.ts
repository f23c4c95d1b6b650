/**
 * What clients asked for and how long they waited (README: *Metrics*; the admin API's /v1/stats/*):
 * commands by count and total time, client-observed latency by class and by command, big values
 * and hot keys.
 *
 * Two hooks feed it, both on the hot path, both cheap:
 *  - requestDecoded(mark, request) once per request the decoder hands over: stamps the start time on
 *    the request's mark (its reply slot), counts a big request, and decides the hot-key sample;
 *  - commandDone(name, outcome, mark, replyBytes) once per command answered: counts it, times it
 *    (decoded → reply ready, what the client sees minus the network), counts a big reply, and
 *    feeds a sampled request's keys to the hot-key tracker.
 * Per-command state lives in one entry per command name holding plain numbers and the histogram
 * children bound once; Prometheus counters are folded in from it at scrape time.
 */
import type { CommandCatalog } from '../commands/command-table.js';
import { callbackNow } from '../util/callback-clock.js';
import type { FastHistogram, HistogramChild } from './fast-histogram.js';
import { HotKeyTracker, type KeyType } from './hot-keys.js';
import { histogramData, type HistogramData } from './latency-summary.js';

export type CommandOutcome = 'ok' | 'error';
export type LatencyClass = 'read' | 'write' | 'other';
export const LATENCY_CLASSES: readonly LatencyClass[] = ['read', 'write', 'other'];

/** README: *Metrics* / Tencent's 大 Value 请求: a request (or reply) above this many bytes. */
export const BIG_VALUE_BYTES = 32 * 1024;

/** What a request carries from decode to its reply (the session's ReplySlot implements it). */
export interface RequestMark {
  /** When the request was decoded (util/callback-clock.ts); 0 when not stamped. */
  startedAt: number;
  /** The request's arguments when it was picked for the hot-key sample, else null. */
  sampledArgs: readonly Buffer[] | null;
}

export interface CommandTotals {
  readonly command: string;
  readonly count: number;
  readonly errors: number;
  /** Client-observed seconds, summed. */
  readonly seconds: number;
}

export interface HotKeyEntry {
  /** The key's bytes, base64 (its first MAX_KEY_BYTES when truncated). */
  readonly key: string;
  readonly length: number;
  readonly truncated: boolean;
  readonly type: KeyType;
  readonly sampled: number;
  readonly error: number;
}

/** Everything /v1/stats/* reports, as plain JSON-safe numbers: the --workers primary adds up one per worker. */
export interface StatsSnapshot {
  /** Epoch milliseconds: start, or the last CONFIG RESETSTAT. */
  readonly since: number;
  readonly commands: readonly CommandTotals[];
  readonly latency: {
    readonly client: Readonly<Record<string, HistogramData>>;
    readonly byCommand: Readonly<Record<string, HistogramData>>;
    readonly backend: Readonly<Record<string, HistogramData>>;
  };
  readonly hotKeys: {
    readonly sampleEvery: number;
    readonly sampledRequests: number;
    readonly keys: readonly HotKeyEntry[];
  };
  readonly bigValues: { readonly requests: number; readonly replies: number };
}

/** The same classes as the backend histogram (routing's accessOf): by the command's flags. */
function classOf(catalog: CommandCatalog, name: string): LatencyClass {
  const spec = catalog.get(name);
  return spec === undefined ? 'other' : spec.isWrite ? 'write' : spec.isReadonly ? 'read' : 'other';
}

class CommandEntry {
  ok = 0;
  errors = 0;
  seconds = 0;
  /** What the Prometheus counters already hold (folded at scrape time). */
  foldedOk = 0;
  foldedErrors = 0;
  foldedSeconds = 0;

  constructor(
    readonly name: string,
    readonly byClass: HistogramChild,
    readonly byCommand: HistogramChild,
  ) {}

  reset(): void {
    this.ok = this.errors = this.seconds = 0;
    this.foldedOk = this.foldedErrors = this.foldedSeconds = 0;
  }
}

export interface CommandStatsHistograms {
  readonly clientByClass: FastHistogram<LatencyClass>;
  /** Labelled by a fixed list of common commands plus `other`. */
  readonly clientByCommand: FastHistogram<string>;
  readonly backendByClass: FastHistogram<LatencyClass>;
}

export class CommandStats {
  private readonly entries = new Map<string, CommandEntry>();
  private readonly commandLabels: ReadonlySet<string>;
  bigRequests = 0;
  bigReplies = 0;
  since = Date.now();
  /** Commands answered since start (or CONFIG RESETSTAT), for INFO's Proxy section. */
  commandsProcessed = 0;

  constructor(
    private readonly histograms: CommandStatsHistograms,
    readonly hotKeys: HotKeyTracker,
    /** The instance's command table: a command's class and key positions. */
    private readonly catalog: CommandCatalog,
  ) {
    this.commandLabels = new Set([...histograms.clientByCommand.entries()].map(([label]) => label));
  }

  requestDecoded(mark: RequestMark, request: { readonly size: number; args(): readonly Buffer[] }): void {
    mark.startedAt = callbackNow();
    if (request.size > BIG_VALUE_BYTES) this.bigRequests++;
    if (this.hotKeys.shouldSample()) mark.sampledArgs = request.args();
  }

  /**
   * `name` from the command table (`get`, `config|set`); `mark` null when the command was not
   * stamped. Returns the seconds measured, -1 when none were (for the slow log's one comparison).
   */
  commandDone(name: string, outcome: CommandOutcome, mark: RequestMark | null, replyBytes: number): number {
    const entry = this.entries.get(name) ?? this.createEntry(name);
    if (outcome === 'ok') entry.ok++;
    else entry.errors++;
    this.commandsProcessed++;
    if (replyBytes > BIG_VALUE_BYTES) this.bigReplies++;
    if (mark === null) return -1;
    let seconds = -1;
    if (mark.startedAt > 0) {
      seconds = (callbackNow() - mark.startedAt) / 1000;
      mark.startedAt = 0; // a slot answered twice (never expected) is timed once
      entry.seconds += seconds;
      entry.byClass.observe(seconds);
      entry.byCommand.observe(seconds);
    }
    if (mark.sampledArgs !== null) {
      const spec = this.catalog.get(name);
      if (spec !== undefined) this.hotKeys.record(spec, mark.sampledArgs);
      mark.sampledArgs = null;
    }
    return seconds;
  }

  /** Adds what happened since the last scrape to the Prometheus counters. */
  fold(add: (command: string, ok: number, errors: number, seconds: number) => void): void {
    for (const entry of this.entries.values()) {
      const ok = entry.ok - entry.foldedOk;
      const errors = entry.errors - entry.foldedErrors;
      const seconds = entry.seconds - entry.foldedSeconds;
      if (ok === 0 && errors === 0 && seconds === 0) continue;
      add(entry.name, ok, errors, seconds);
      entry.foldedOk = entry.ok;
      entry.foldedErrors = entry.errors;
      entry.foldedSeconds = entry.seconds;
    }
  }

  reset(): void {
    for (const entry of this.entries.values()) entry.reset();
    this.histograms.clientByClass.reset();
    this.histograms.clientByCommand.reset();
    this.hotKeys.reset();
    this.bigRequests = this.bigReplies = 0;
    this.commandsProcessed = 0;
    this.since = Date.now();
  }

  snapshot(): StatsSnapshot {
    const commands: CommandTotals[] = [];
    for (const e of this.entries.values()) {
      if (e.ok + e.errors > 0) commands.push({ command: e.name, count: e.ok + e.errors, errors: e.errors, seconds: e.seconds });
    }
    const hot = this.hotKeys;
    return {
      since: this.since,
      commands,
      latency: {
        client: histogramRecord(this.histograms.clientByClass),
        byCommand: histogramRecord(this.histograms.clientByCommand, true),
        backend: histogramRecord(this.histograms.backendByClass),
      },
      hotKeys: {
        sampleEvery: hot.sampleEvery,
        sampledRequests: hot.sampledRequests,
        keys: hot.top(hot.capacity).map((k) => ({
          key: k.key.toString('base64'),
          length: k.length,
          truncated: k.truncated,
          type: k.type,
          sampled: k.sampled,
          error: k.error,
        })),
      },
      bigValues: { requests: this.bigRequests, replies: this.bigReplies },
    };
  }

  private createEntry(name: string): CommandEntry {
    const label = this.commandLabels.has(name) ? name : 'other';
    const entry = new CommandEntry(name, this.histograms.clientByClass.child(classOf(this.catalog, name)), this.histograms.clientByCommand.child(label));
    this.entries.set(name, entry);
    return entry;
  }
}

function histogramRecord(histogram: FastHistogram<string>, skipEmpty = false): Record<string, HistogramData> {
  const out: Record<string, HistogramData> = {};
  for (const [label, child] of histogram.entries()) {
    if (!skipEmpty || child.count > 0) out[label] = histogramData(child);
  }
  return out;
}
