// Metrics' command hooks: what requestDecoded()/commandDone() add up, what Prometheus shows of it,
// and what CONFIG RESETSTAT clears. No timing assertions: only counts and that time was recorded.
import { describe, expect, it } from 'vitest';
import { DecodedRequest } from '../../../src/protocol/decoded-request.js';
import { Metrics, PROXY_ERROR_KINDS, type RequestMark } from '../../../src/observability/metrics.js';
import { BIG_VALUE_BYTES } from '../../../src/observability/command-stats.js';
import { encodeCommand } from '../../../src/protocol/encoder.js';

/** A request as the decoder hands it over: its arguments and its bytes. */
function req(...words: string[]): DecodedRequest {
  const args = words.map((w) => Buffer.from(w));
  return DecodedRequest.of(args, encodeCommand(args));
}
const mark = (): RequestMark => ({ startedAt: 0, sampledArgs: null });

function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('Metrics command hooks', () => {
  it('counts, times by class and by command, and folds into the Prometheus counters', async () => {
    const m = new Metrics(false, { hotKeySampling: 1 });
    for (let i = 0; i < 3; i++) {
      const slot = mark();
      m.requestDecoded(slot, req('GET', 'k'));
      // Timed from the callback it was decoded in to the one it was answered in (util/callback-clock.ts).
      await new Promise((resolve) => setTimeout(resolve, 2));
      m.commandDone('get', 'ok', slot, 10);
    }
    const slot = mark();
    m.requestDecoded(slot, req('HSET', 'h', 'f', 'v'));
    m.commandDone('hset', 'error', slot, 10);
    const sub = mark();
    m.requestDecoded(sub, req('CONFIG', 'GET', 'x'));
    m.commandDone('config|get', 'ok', sub, 10);
    const text = await m.registry.metrics();
    expect(sample(text, 'slotgate_commands_total{command="get",outcome="ok"}')).toBe(3);
    expect(sample(text, 'slotgate_commands_total{command="hset",outcome="error"}')).toBe(1);
    expect(sample(text, 'slotgate_command_duration_seconds_count{class="read"}')).toBe(3);
    expect(sample(text, 'slotgate_command_duration_seconds_count{class="write"}')).toBe(1);
    expect(sample(text, 'slotgate_command_duration_seconds_count{class="other"}')).toBe(1);
    expect(sample(text, 'slotgate_command_duration_by_command_seconds_count{command="get"}')).toBe(3);
    expect(sample(text, 'slotgate_command_duration_by_command_seconds_count{command="other"}')).toBe(1); // config|get
    expect(sample(text, 'slotgate_command_seconds_total{command="get"}')).toBeGreaterThan(0);
    expect(m.commandsProcessed).toBe(5);
    // a second scrape adds nothing new
    expect(sample(await m.registry.metrics(), 'slotgate_commands_total{command="get",outcome="ok"}')).toBe(3);
  });

  it('counts requests and replies above 32 KB as big values', async () => {
    const m = new Metrics(false);
    const big = mark();
    m.requestDecoded(big, req('SET', 'k', 'x'.repeat(BIG_VALUE_BYTES)));
    m.commandDone('set', 'ok', big, 5);
    const small = mark();
    m.requestDecoded(small, req('GET', 'k'));
    m.commandDone('get', 'ok', small, BIG_VALUE_BYTES + 1);
    const edge = mark();
    m.requestDecoded(edge, req('GET', 'k'));
    m.commandDone('get', 'ok', edge, BIG_VALUE_BYTES); // exactly 32 KB is not above it
    const text = await m.registry.metrics();
    expect(sample(text, 'slotgate_big_values_total{direction="request"}')).toBe(1);
    expect(sample(text, 'slotgate_big_values_total{direction="reply"}')).toBe(1);
  });

  it('feeds sampled keys to the hot-key tracker and shows no key in the metrics', async () => {
    const m = new Metrics(false, { hotKeySampling: 1 });
    for (let i = 0; i < 4; i++) {
      const slot = mark();
      m.requestDecoded(slot, req('GET', 'secret-key-name'));
      m.commandDone('get', 'ok', slot, 5);
    }
    expect(m.stats.hotKeys.top(1)[0]).toMatchObject({ sampled: 4 });
    const text = await m.registry.metrics();
    expect(text).not.toContain('secret-key-name');
    expect(sample(text, 'slotgate_hot_key_sampled_requests_total')).toBe(4);
    expect(sample(text, 'slotgate_hot_key_top_share')).toBe(1);
  });

  it('RESETSTAT clears command stats, latency, big values and hot keys', async () => {
    const m = new Metrics(false, { hotKeySampling: 1 });
    const slot = mark();
    m.requestDecoded(slot, req('SET', 'k', 'x'.repeat(BIG_VALUE_BYTES)));
    m.commandDone('set', 'ok', slot, 5);
    await m.registry.metrics();
    m.resetStats();
    const snapshot = m.stats.snapshot();
    expect(snapshot.commands).toEqual([]);
    expect(snapshot.hotKeys.keys).toEqual([]);
    expect(snapshot.bigValues).toEqual({ requests: 0, replies: 0 });
    expect(snapshot.latency.client.write!.count).toBe(0);
    const again = mark();
    m.requestDecoded(again, req('SET', 'k', 'v'));
    m.commandDone('set', 'ok', again, 5);
    const text = await m.registry.metrics();
    expect(sample(text, 'slotgate_commands_total{command="set",outcome="ok"}')).toBe(1);
    expect(sample(text, 'slotgate_big_values_total{direction="request"}')).toBe(0);
  });

  it('declares every proxy error kind up front, so each series exists from the start', () => {
    expect(new Set(PROXY_ERROR_KINDS).size).toBe(PROXY_ERROR_KINDS.length);
  });

  it('keeps Node process metrics under their standard names, kept by RESETSTAT', async () => {
    const m = new Metrics(true);
    const text = await m.registry.metrics();
    expect(text).toMatch(/^process_cpu_seconds_total /m);
    expect(text).toMatch(/^nodejs_heap_size_used_bytes /m);
    expect(text).not.toMatch(/^slotgate_process_/m);
    expect(text).toMatch(/^slotgate_build_info\{version="\d+\.\d+\.\d+[^"]*",node_version="v\d+/m);
    const cpuBefore = sample(text, 'process_cpu_seconds_total')!;
    expect(cpuBefore).toBeGreaterThan(0);
    m.resetStats();
    expect(sample(await m.registry.metrics(), 'process_cpu_seconds_total')).toBeGreaterThanOrEqual(cpuBefore);
  });
});
