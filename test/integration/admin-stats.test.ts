// The admin API's stats (/v1/stats/top-commands, latency, hot-keys), the admin token, and the
// metrics an operator expects (error kinds, big values, node address, build info), through real
// clients against the shared cluster.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sharedClusterSeeds } from '../helpers/cluster-fixture.js';
import { startProxy, type StartedProxy } from '../helpers/slotgate.js';
import { findFreePort } from '../../scripts/dev/redis-server.js';

const TOKEN = 'obs-test-token-Zq8';

function sample(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? 0 : Number(line.slice(series.length + 1));
}

describe('admin stats and token', () => {
  let proxy: StartedProxy;
  let base: string;
  const authed = { authorization: `Bearer ${TOKEN}` };
  const get = (path: string, headers: Record<string, string> = authed) => fetch(`${base}${path}`, { headers });
  const scrape = async () => (await get('/metrics')).text();

  beforeAll(async () => {
    const adminPort = await findFreePort();
    base = `http://127.0.0.1:${adminPort}`;
    proxy = await startProxy(sharedClusterSeeds(), ['--admin-port', String(adminPort), '--admin-token', TOKEN, '--hot-key-sampling', '1']);
  });
  afterAll(async () => {
    await proxy?.close();
  });

  it('answers 401 with error_code/error_msg without the token, 200 with it, and leaves /healthz open', async () => {
    for (const path of ['/metrics', '/v1/topology', '/v1/stats/top-commands', '/v1/stats/latency', '/v1/stats/hot-keys']) {
      for (const headers of [{} as Record<string, string>, { authorization: 'Bearer wrong' }, { authorization: `Basic ${TOKEN}` }, { authorization: `Bearer ${TOKEN}x` }]) {
        const res = await get(path, headers);
        expect(res.status, `${path} ${JSON.stringify(headers)}`).toBe(401);
        const body = (await res.json()) as Record<string, unknown>;
        expect(body).toEqual({ error_code: 'Unauthorized', error_msg: expect.any(String) });
        expect(JSON.stringify(body)).not.toContain(TOKEN);
      }
      expect((await get(path)).status, path).toBe(200);
    }
    const reload = await fetch(`${base}/v1/reload`, { method: 'POST' });
    expect(reload.status).toBe(401);
    const health = await fetch(`${base}/healthz`);
    expect(health.status).toBe(200);
  });

  it('splits slotgate-made errors by honest kind', async () => {
    const c = proxy.client();
    await c.ping();
    const before = await scrape();
    const fail = (...args: string[]) => c.call(args[0]!, ...args.slice(1)).then(() => 'no error', (e: Error) => e.message);
    expect(await fail('NOSUCHCOMMAND')).toMatch(/^ERR unknown command/);
    expect(await fail('GET')).toMatch(/^ERR wrong number of arguments/);
    expect(await fail('HELLO', '4')).toMatch(/^NOPROTO/);
    expect(await fail('HELLO', 'x')).toMatch(/^ERR Protocol version/);
    expect(await fail('EXEC')).toBe('ERR EXEC without MULTI');
    expect(await fail('SELECT', '1')).toMatch(/not allowed in cluster mode/);
    expect(await fail('CLIENT', 'SETNAME', 'a b')).toMatch(/Client names cannot contain spaces/);
    expect(await fail('SELECT', 'x')).toMatch(/not an integer/);
    const after = await scrape();
    const delta = (kind: string) => sample(after, `slotgate_proxy_errors_total{kind="${kind}"}`) - sample(before, `slotgate_proxy_errors_total{kind="${kind}"}`);
    expect(delta('unknown_command')).toBe(1);
    expect(delta('wrong_arity')).toBe(1);
    expect(delta('protocol_version')).toBe(2);
    expect(delta('transaction')).toBe(1);
    expect(delta('not_supported')).toBe(1);
    expect(delta('invalid_argument')).toBe(2);
  });

  it('counts requests and replies over 32 KB as big values', async () => {
    const c = proxy.client();
    await c.ping();
    const before = await scrape();
    const big = 'v'.repeat(40 * 1024);
    await c.set('obs:big', big);
    expect(await c.get('obs:big')).toBe(big);
    await c.set('obs:small', 'v'.repeat(100));
    await c.get('obs:small');
    const after = await scrape();
    const delta = (series: string) => sample(after, series) - sample(before, series);
    expect(delta('slotgate_big_values_total{direction="request"}')).toBe(1);
    expect(delta('slotgate_big_values_total{direction="reply"}')).toBe(1);
  });

  it('labels backend node health with the node address, and exports build info', async () => {
    const text = await scrape();
    const topology = (await (await get('/v1/topology')).json()) as { shards: { nodes: { id: string; address: string; role: string; health: string }[] }[] };
    const nodes = topology.shards.flatMap((s) => s.nodes);
    expect(nodes).toHaveLength(6);
    for (const n of nodes) {
      const line = text.split('\n').find((l) => l.startsWith(`slotgate_backend_node_up{node="${n.id}",address="${n.address}",role="${n.role}"} `));
      expect(line, n.address).toBe(`slotgate_backend_node_up{node="${n.id}",address="${n.address}",role="${n.role}"} ${n.health === 'online' ? 1 : 0}`);
    }
    expect(text).toMatch(/^slotgate_build_info\{version="[^"]+",node_version="v\d+\.[^"]+"\} 1$/m);
    expect(text).toMatch(/^slotgate_command_duration_seconds_bucket\{le="0.001",class="read"\}/m);
    expect(text).toMatch(/^slotgate_command_duration_by_command_seconds_count\{command="get"\}/m);
  });

  it('ranks commands by count and by time, and reports the latency distribution', async () => {
    const c = proxy.client();
    await c.ping();
    const top = async () => (await (await get('/v1/stats/top-commands?limit=50')).json()) as { by_count: { command: string; count: number; total_time_ms: number }[]; by_time: { command: string }[] };
    const latency = async () => (await (await get('/v1/stats/latency')).json()) as { client: Record<string, { count: number; distribution: { count: number }[] }>; commands: Record<string, { count: number }> };
    const countOf = (t: Awaited<ReturnType<typeof top>>, command: string) => t.by_count.find((r) => r.command === command)?.count ?? 0;
    const [topBefore, latBefore] = [await top(), await latency()];
    for (let i = 0; i < 40; i++) await c.hget('obs:hash', 'f');
    for (let i = 0; i < 7; i++) await c.lpush('obs:list', 'x');
    const [topAfter, latAfter] = [await top(), await latency()];
    expect(countOf(topAfter, 'hget') - countOf(topBefore, 'hget')).toBe(40);
    expect(countOf(topAfter, 'lpush') - countOf(topBefore, 'lpush')).toBe(7);
    expect(topAfter.by_count.find((r) => r.command === 'hget')!.total_time_ms).toBeGreaterThan(0);
    expect(topAfter.by_time.map((r) => r.command)).toContain('hget');
    expect(latAfter.commands.hget!.count - (latBefore.commands.hget?.count ?? 0)).toBe(40);
    expect(latAfter.client.read!.count - latBefore.client.read!.count).toBe(40);
    expect(latAfter.client.write!.count - latBefore.client.write!.count).toBe(7);
    const buckets = latAfter.client.read!.distribution.reduce((n, b) => n + b.count, 0);
    expect(buckets).toBe(latAfter.client.read!.count);
    expect((await get('/v1/stats/top-commands?limit=0')).status).toBe(400);
  });

  it('finds the hot key by sampling, shows keys only on the admin API and never a value', async () => {
    const c = proxy.client();
    const secretValue = 'VALUE-MUST-NOT-SHOW-9f2';
    await c.set('obs:hot', secretValue);
    for (let i = 0; i < 200; i++) await c.get('obs:hot');
    for (let i = 0; i < 20; i++) await c.get(`obs:cold:${i}`);
    const res = await get('/v1/stats/hot-keys?limit=3');
    const text = await res.text();
    expect(text).not.toContain(secretValue);
    const body = JSON.parse(text) as { sampling: { one_in: number }; keys: { key: string; count: number; type: string }[] };
    expect(body.sampling.one_in).toBe(1);
    expect(body.keys[0]).toMatchObject({ key: 'obs:hot', type: 'string' });
    expect(body.keys[0]!.count).toBeGreaterThanOrEqual(201);
    const metrics = await scrape();
    expect(metrics).not.toContain('obs:hot');
    expect(metrics).not.toContain(secretValue);
    expect(sample(metrics, 'slotgate_hot_key_sampled_requests_total')).toBeGreaterThan(200);
  });
});
