// /metrics counts what clients really did through slotgate.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sharedClusterSeeds } from '../helpers/cluster-fixture.js';
import { startProxy, type StartedProxy } from '../helpers/slotgate.js';
import { findFreePort } from '../../scripts/dev/redis-server.js';
import net from 'node:net';

function sample(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? 0 : Number(line.slice(series.length + 1));
}

describe('metrics', () => {
  let proxy: StartedProxy;
  let adminPort: number;
  beforeAll(async () => {
    adminPort = await findFreePort();
    proxy = await startProxy(sharedClusterSeeds(), ['--admin-port', String(adminPort)]);
  });
  afterAll(async () => {
    await proxy?.close();
  });

  const scrape = async () => (await fetch(`http://127.0.0.1:${adminPort}/metrics`)).text();

  it('counts commands by outcome and times backend round trips by class', async () => {
    const c = proxy.client();
    await c.ping(); // connected: ioredis' own hello-time commands are behind us
    const before = await scrape();
    const n = 137;
    for (let i = 0; i < n; i++) await c.set(`metrics:${i}`, 'v');
    for (let i = 0; i < n; i++) await c.get(`metrics:${i}`);
    await c.lpush('metrics:0', 'x').catch(() => undefined); // WRONGTYPE from the backend
    await c.call('NOSUCH').catch(() => undefined); // refused by slotgate
    const after = await scrape();
    const delta = (series: string) => sample(after, series) - sample(before, series);
    expect(delta('slotgate_commands_total{command="set",outcome="ok"}')).toBe(n);
    expect(delta('slotgate_commands_total{command="get",outcome="ok"}')).toBe(n);
    expect(delta('slotgate_commands_total{command="lpush",outcome="error"}')).toBe(1);
    expect(delta('slotgate_proxy_errors_total{kind="unknown_command"}')).toBe(1);
    expect(delta('slotgate_backend_command_duration_seconds_count{class="write"}')).toBe(n + 1);
    expect(delta('slotgate_backend_command_duration_seconds_count{class="read"}')).toBe(n);
    expect(delta('slotgate_backend_command_duration_seconds_bucket{le="+Inf",class="read"}')).toBe(n);
    expect(delta('slotgate_backend_command_duration_seconds_sum{class="read"}')).toBeGreaterThan(0);
    // buckets are cumulative
    const buckets = after.split('\n').filter((l) => l.startsWith('slotgate_backend_command_duration_seconds_bucket{') && l.includes('class="read"')).map((l) => Number(l.split(' ')[1]));
    expect(buckets.length).toBeGreaterThan(5);
    for (let i = 1; i < buckets.length; i++) expect(buckets[i]!).toBeGreaterThanOrEqual(buckets[i - 1]!);
    expect(sample(after, 'slotgate_client_connections')).toBeGreaterThanOrEqual(1);
  });
  it('counts the exact bytes each client sent and was sent, and CONFIG RESETSTAT zeroes them', async () => {
    // A raw client: the bytes on the wire are exactly these, nothing a client library adds.
    const socket = net.connect(proxy.port, '127.0.0.1');
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    const replies: Buffer[] = [];
    socket.on('data', (chunk) => replies.push(chunk));
    const received = () => Buffer.concat(replies).toString('latin1');
    const waitFor = async (text: string) => {
      for (let i = 0; i < 400 && received() !== text; i++) await new Promise((resolve) => setTimeout(resolve, 5));
      expect(received()).toBe(text);
    };
    try {
      const before = await scrape();
      const delta = (after: string, series: string) => sample(after, series) - sample(before, series);
      const request = '*3\r\n$3\r\nSET\r\n$13\r\nmetrics:bytes\r\n$5\r\nhello\r\n*2\r\n$3\r\nGET\r\n$13\r\nmetrics:bytes\r\n';
      socket.write(request);
      await waitFor('+OK\r\n$5\r\nhello\r\n');
      const inline = 'PING\r\n';
      socket.write(inline);
      await waitFor('+OK\r\n$5\r\nhello\r\n+PONG\r\n');
      const after = await scrape();
      expect(delta(after, 'slotgate_client_bytes_received_total')).toBe(request.length + inline.length);
      expect(delta(after, 'slotgate_client_bytes_sent_total')).toBe(received().length);
      // Counted since the scrape and not yet folded in: RESETSTAT drops them too.
      socket.write(inline);
      await waitFor('+OK\r\n$5\r\nhello\r\n+PONG\r\n+PONG\r\n');
      const admin = proxy.client();
      expect(await admin.call('CONFIG', 'RESETSTAT')).toBe('OK');
      const reset = await scrape();
      // The admin client's own CONFIG RESETSTAT request is counted before it runs, its +OK after.
      expect(sample(reset, 'slotgate_client_bytes_received_total')).toBe(0);
      expect(sample(reset, 'slotgate_client_bytes_sent_total')).toBe('+OK\r\n'.length);
    } finally {
      socket.destroy();
    }
  });
});
