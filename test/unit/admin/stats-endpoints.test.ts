import { describe, expect, it } from 'vitest';
import { answerStats } from '../../../src/admin/stats-endpoints.js';
import { DecodedRequest } from '../../../src/protocol/decoded-request.js';
import { Metrics, type RequestMark } from '../../../src/observability/metrics.js';
import { mergeSnapshots } from '../../../src/observability/stats-merge.js';
import { encodeCommand } from '../../../src/protocol/encoder.js';

function run(m: Metrics, name: string, ...words: string[]): void {
  const args = words.map((w) => Buffer.from(w));
  const slot: RequestMark = { startedAt: 0, sampledArgs: null };
  m.requestDecoded(slot, DecodedRequest.of(args, encodeCommand(args)));
  m.commandDone(name, 'ok', slot, 5);
}

const get = (path: string, m: Metrics) => answerStats(new URL(path, 'http://admin'), m.stats.snapshot());

describe('/v1/stats/* answers', () => {
  it('top-commands: by count and by time, limited', () => {
    const m = new Metrics(false, { hotKeySampling: 1 });
    for (let i = 0; i < 3; i++) run(m, 'get', 'GET', 'a');
    run(m, 'set', 'SET', 'a', 'v');
    const answer = get('/v1/stats/top-commands?limit=1', m);
    expect(answer.status).toBe(200);
    const body = answer.body as { total_commands: number; by_count: { command: string; count: number }[]; by_time: unknown[]; since: string };
    expect(body.total_commands).toBe(4);
    expect(body.by_count).toEqual([expect.objectContaining({ command: 'get', count: 3, errors: 0 })]);
    expect(body.by_time).toHaveLength(1);
    expect(Date.parse(body.since)).not.toBeNaN();
  });

  it('rejects a bad limit with 400 and error_code/error_msg', () => {
    const m = new Metrics(false);
    for (const bad of ['0', '1001', 'x', '-1', '1.5', '']) {
      const answer = get(`/v1/stats/hot-keys?limit=${bad}`, m);
      expect(answer.status).toBe(400);
      expect(answer.body).toMatchObject({ error_code: 'InvalidParameter', error_msg: expect.any(String) });
    }
    expect(get('/v1/stats/nope', m).status).toBe(404);
  });

  it('hot-keys: the key as text and as exact bytes, with its estimated count', () => {
    const m = new Metrics(false, { hotKeySampling: 1 });
    run(m, 'get', 'GET', 'user:42');
    run(m, 'get', 'GET', 'user:42');
    const body = get('/v1/stats/hot-keys', m).body as { sampling: unknown; keys: unknown[] };
    expect(body.sampling).toEqual({ one_in: 1, sampled_requests: 2 });
    expect(body.keys).toEqual([
      { key: 'user:42', key_base64: Buffer.from('user:42').toString('base64'), length: 7, truncated: false, type: 'string', count: 2, sampled: 2, error: 0 },
    ]);
  });

  it('latency: all, per class, per command and backend', () => {
    const m = new Metrics(false);
    run(m, 'get', 'GET', 'a');
    run(m, 'set', 'SET', 'a', 'v');
    const body = get('/v1/stats/latency', m).body as Record<string, Record<string, { count: number; distribution: unknown[] }>>;
    expect(body.client!.all!.count).toBe(2);
    expect(body.client!.read!.count).toBe(1);
    expect(body.client!.write!.count).toBe(1);
    expect(Object.keys(body.commands!).sort()).toEqual(['get', 'set']);
    expect(Object.keys(body.backend!).sort()).toEqual(['other', 'read', 'write']);
  });

  it('adds up the snapshots of several workers', () => {
    const a = new Metrics(false, { hotKeySampling: 1 });
    const b = new Metrics(false, { hotKeySampling: 1 });
    run(a, 'get', 'GET', 'hot');
    run(b, 'get', 'GET', 'hot');
    run(b, 'get', 'GET', 'cold');
    const merged = mergeSnapshots([a.stats.snapshot(), b.stats.snapshot()])!;
    expect(merged.commands).toEqual([expect.objectContaining({ command: 'get', count: 3 })]);
    expect(merged.hotKeys.keys.map((k) => [Buffer.from(k.key, 'base64').toString(), k.sampled])).toEqual([
      ['hot', 2],
      ['cold', 1],
    ]);
    expect(merged.latency.client.read!.count).toBe(3);
    expect(mergeSnapshots([])).toBeNull();
  });
});
