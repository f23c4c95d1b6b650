/**
 * Adds up the StatsSnapshots of several worker processes (`--workers`): the primary answers
 * /v1/stats/* for all of them, as it adds up /metrics. Counts and histograms sum; hot keys are
 * merged by key (each worker's Space-Saving counts and errors add up, which keeps the bounds:
 * a key's summed count still overstates its true sampled count by at most its summed error).
 */
import type { CommandTotals, HotKeyEntry, StatsSnapshot } from './command-stats.js';
import { mergeHistograms, type HistogramData } from './latency-summary.js';

export function mergeSnapshots(parts: readonly StatsSnapshot[]): StatsSnapshot | null {
  if (parts.length === 0) return null;
  if (parts.length === 1) return parts[0]!;
  const commands = new Map<string, { count: number; errors: number; seconds: number }>();
  for (const part of parts) {
    for (const c of part.commands) {
      const sum = commands.get(c.command) ?? { count: 0, errors: 0, seconds: 0 };
      sum.count += c.count;
      sum.errors += c.errors;
      sum.seconds += c.seconds;
      commands.set(c.command, sum);
    }
  }
  const keys = new Map<string, HotKeyEntry & { sampled: number; error: number }>();
  for (const part of parts) {
    for (const k of part.hotKeys.keys) {
      const id = `${k.key}/${k.length}`; // truncated keys: the same prefix and length, as near as one gets without the hash
      const known = keys.get(id);
      keys.set(id, known ? { ...known, type: known.type ?? k.type, sampled: known.sampled + k.sampled, error: known.error + k.error } : { ...k });
    }
  }
  return {
    since: Math.min(...parts.map((p) => p.since)),
    commands: [...commands].map(([command, s]): CommandTotals => ({ command, ...s })),
    latency: {
      client: mergeRecords(parts.map((p) => p.latency.client)),
      byCommand: mergeRecords(parts.map((p) => p.latency.byCommand)),
      backend: mergeRecords(parts.map((p) => p.latency.backend)),
    },
    hotKeys: {
      sampleEvery: parts[0]!.hotKeys.sampleEvery,
      sampledRequests: parts.reduce((n, p) => n + p.hotKeys.sampledRequests, 0),
      keys: [...keys.values()].sort((a, b) => b.sampled - a.sampled || a.error - b.error),
    },
    bigValues: {
      requests: parts.reduce((n, p) => n + p.bigValues.requests, 0),
      replies: parts.reduce((n, p) => n + p.bigValues.replies, 0),
    },
  };
}

function mergeRecords(records: readonly Readonly<Record<string, HistogramData>>[]): Record<string, HistogramData> {
  const labels = new Set(records.flatMap((r) => Object.keys(r)));
  const out: Record<string, HistogramData> = {};
  for (const label of labels) {
    const merged = mergeHistograms(records.flatMap((r) => (r[label] ? [r[label]] : [])));
    if (merged) out[label] = merged;
  }
  return out;
}
