// Input any client can send (garbage, wrong passwords) must not flood the logs: each kind of
// client-caused line is rate-limited, the rest are counted in metrics. Failed AUTHs are counted
// and logged with the client's address, never with what was tried as a password.
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sharedClusterSeeds } from '../helpers/cluster-fixture.js';
import { RawClient, startProxy, type StartedProxy } from '../helpers/slotgate.js';
import { repliesUntilClose } from '../helpers/conversation.js';
import { RespError } from '../../src/protocol/reply-parser.js';

const PASSWORD = 'flood-test-secret';
const GUESS = 'guess-not-to-be-logged';
const CONNECTIONS = 50;

describe('log flooding by clients', () => {
  const logLines: Record<string, unknown>[] = [];
  let rawLog = '';
  const capture = new Writable({
    write(chunk: Buffer, _encoding, done) {
      rawLog += chunk.toString();
      for (const line of chunk.toString().split('\n')) if (line) logLines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  let proxy: StartedProxy;

  beforeAll(async () => {
    proxy = await startProxy(sharedClusterSeeds(), ['--requirepass', PASSWORD, '--log-level', 'info'], { logDestination: capture });
  });
  afterAll(async () => {
    await proxy?.close();
  });

  const linesSaying = (text: string) => logLines.filter((l) => String(l.msg).includes(text));
  const metricValue = async (name: string, labels = ''): Promise<number> => {
    const text = await proxy.handle.context.metrics.registry.metrics();
    const match = new RegExp(`^${name}${labels ? `\\{${labels}\\}` : ''} (\\d+)$`, 'm').exec(text);
    return match ? Number(match[1]) : 0;
  };

  it('protocol errors from many connections, before AUTH, log a few lines and count the rest', async () => {
    const before = linesSaying('protocol error from client').length;
    const closed = await Promise.all(
      Array.from({ length: CONNECTIONS }, async () => (await repliesUntilClose(proxy.port, '*1\r\n$x\r\n')).length),
    );
    expect(closed.every((n) => n === 1)).toBe(true); // each got its error and was closed
    await new Promise((resolve) => setImmediate(resolve));
    const written = linesSaying('protocol error from client').length - before;
    expect(written).toBeGreaterThan(0);
    expect(written).toBeLessThanOrEqual(10);
    expect(await metricValue('slotgate_log_lines_suppressed_total', 'kind="protocol_error"')).toBe(CONNECTIONS - written);
    expect(await metricValue('slotgate_proxy_errors_total', 'kind="protocol"')).toBe(CONNECTIONS);
  });

  it('failed AUTH and HELLO AUTH are counted and logged rate-limited with the address, never the password', async () => {
    const clients = await Promise.all(Array.from({ length: CONNECTIONS }, () => RawClient.connect(proxy.port)));
    for (const c of clients) {
      for (let i = 0; i < 5; i++) c.command('AUTH', `${GUESS}${i}`);
      c.command('AUTH', 'default', GUESS);
      c.command('HELLO', '2', 'AUTH', 'default', GUESS);
    }
    for (const c of clients) {
      for (let i = 0; i < 7; i++) expect(await c.next()).toBeInstanceOf(RespError);
    }
    // a right password still works, and is not a failure
    expect(await clients[0]!.call('AUTH', PASSWORD)).toBe('OK');
    for (const c of clients) c.close();
    await new Promise((resolve) => setImmediate(resolve));

    expect(await metricValue('slotgate_auth_failures_total')).toBe(CONNECTIONS * 7);
    const lines = linesSaying('authentication failed');
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.length).toBeLessThanOrEqual(10);
    for (const line of lines) expect(String(line.addr)).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(await metricValue('slotgate_log_lines_suppressed_total', 'kind="auth_failure"')).toBe(CONNECTIONS * 7 - lines.length);
    expect(rawLog).not.toContain(GUESS);
    expect(rawLog).not.toContain(PASSWORD);
  });
});
