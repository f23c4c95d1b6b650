/**
 * `GET /v1/stats/top-commands`, `/v1/stats/latency`, `/v1/stats/hot-keys` (README: *Admin HTTP API*): the
 * proxy-side answers to Tencent's DescribeInstanceMonitorTopNCmd / TopNCmdTook, TookDist and
 * HotKey, as JSON (shapes in the README's admin API section). Built from a StatsSnapshot, so the
 * --workers primary serves the same answers for the sum of its workers.
 *
 * Keys appear here and nowhere else (never as metric labels); values are never read at all.
 */
import type { StatsSnapshot } from '../observability/command-stats.js';
import { BIG_VALUE_BYTES } from '../observability/command-stats.js';
import { latencyReport, mergeHistograms, type HistogramData } from '../observability/latency-summary.js';

export type StatsAnswer = { status: number; body: unknown };

const DEFAULT_LIMIT = 10;
const MAX_LIMIT = 1000;

/** True for the paths answered here. */
export function isStatsPath(pathname: string): boolean {
  return pathname.startsWith('/v1/stats/');
}

/** Answers a /v1/stats/* request from `snapshot`. */
export function answerStats(url: URL, snapshot: StatsSnapshot): StatsAnswer {
  switch (url.pathname) {
    case '/v1/stats/top-commands': {
      const limit = limitParam(url);
      if (typeof limit === 'string') return invalid(limit);
      return { status: 200, body: topCommands(snapshot, limit) };
    }
    case '/v1/stats/latency':
      return { status: 200, body: latency(snapshot) };
    case '/v1/stats/hot-keys': {
      const limit = limitParam(url);
      if (typeof limit === 'string') return invalid(limit);
      return { status: 200, body: hotKeys(snapshot, limit) };
    }
    default:
      return { status: 404, body: { error_code: 'NotFound', error_msg: `no such endpoint ${url.pathname}` } };
  }
}

export function invalid(message: string): StatsAnswer {
  return { status: 400, body: { error_code: 'InvalidParameter', error_msg: message } };
}

/** `limit`: an integer 1..1000, default 10; an error text when invalid. */
export function limitParam(url: URL): number | string {
  const raw = url.searchParams.get('limit');
  if (raw === null) return DEFAULT_LIMIT;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n < 1 || n > MAX_LIMIT) return `limit must be an integer from 1 to ${MAX_LIMIT}`;
  return n;
}

const ms = (seconds: number): number => Math.round(seconds * 1e6) / 1e3;

function topCommands(snapshot: StatsSnapshot, limit: number) {
  const rows = snapshot.commands.map((c) => ({
    command: c.command,
    count: c.count,
    errors: c.errors,
    total_time_ms: ms(c.seconds),
    avg_time_ms: c.count === 0 ? 0 : ms(c.seconds / c.count),
  }));
  const byCount = [...rows].sort((a, b) => b.count - a.count || a.command.localeCompare(b.command)).slice(0, limit);
  const byTime = [...rows].sort((a, b) => b.total_time_ms - a.total_time_ms || a.command.localeCompare(b.command)).slice(0, limit);
  return {
    since: new Date(snapshot.since).toISOString(),
    total_commands: rows.reduce((n, r) => n + r.count, 0),
    by_count: byCount,
    by_time: byTime,
    big_values: { threshold_bytes: BIG_VALUE_BYTES, requests: snapshot.bigValues.requests, replies: snapshot.bigValues.replies },
  };
}

function reports(record: Readonly<Record<string, HistogramData>>): Record<string, ReturnType<typeof latencyReport>> {
  return Object.fromEntries(Object.entries(record).map(([label, data]) => [label, latencyReport(data)]));
}

function latency(snapshot: StatsSnapshot) {
  const all = mergeHistograms(Object.values(snapshot.latency.client));
  return {
    since: new Date(snapshot.since).toISOString(),
    client: { ...(all ? { all: latencyReport(all) } : {}), ...reports(snapshot.latency.client) },
    commands: reports(snapshot.latency.byCommand),
    backend: reports(snapshot.latency.backend),
  };
}

function hotKeys(snapshot: StatsSnapshot, limit: number) {
  const every = Math.max(1, snapshot.hotKeys.sampleEvery);
  return {
    since: new Date(snapshot.since).toISOString(),
    sampling: { one_in: snapshot.hotKeys.sampleEvery, sampled_requests: snapshot.hotKeys.sampledRequests },
    keys: snapshot.hotKeys.keys.slice(0, limit).map((k) => ({
      key: Buffer.from(k.key, 'base64').toString('utf8'),
      key_base64: k.key,
      length: k.length,
      truncated: k.truncated,
      type: k.type,
      count: k.sampled * every,
      sampled: k.sampled,
      error: k.error,
    })),
  };
}
