// Graceful drain on SIGTERM: the built program, real clients, the shared cluster. What each kind of
// client gets is checked against the backend itself (MONITOR shows when a blocked command has
// reached it; a direct LPUSH releases it), so no step depends on how long anything takes.
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { backendNodes } from '../helpers/backend-nodes.js';
import { sharedClusterSeeds } from '../helpers/cluster-fixture.js';
import { plain } from '../helpers/conversation.js';
import { RawClient } from '../helpers/slotgate.js';
import { startSlotgateProcess, type RunningSlotgate } from '../helpers/slotgate-cli.js';
import { waitUntil } from '../helpers/wait-until.js';
import { encodeCommand } from '../../src/protocol/encoder.js';

/** Long enough for the steps the test takes during the drain; only the cut clients wait for all of it. */
const SHUTDOWN_TIMEOUT_MS = 6000;

async function getJson(port: number, path: string): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`http://127.0.0.1:${port}${path}`);
  return { status: response.status, body: await response.json() };
}

/** Every plain reply until the server closes the connection. */
async function repliesUntilClosed(client: RawClient): Promise<unknown[]> {
  const replies: unknown[] = [];
  for (;;) {
    const reply = await client.next(SHUTDOWN_TIMEOUT_MS * 2).catch((e: Error) => e);
    if (reply instanceof Error) {
      if (reply.message.includes('closed')) return replies;
      throw reply;
    }
    replies.push(plain(reply));
  }
}

function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(true));
  });
}

/** Resolves once the backend master owning `key` has received a command naming it. */
async function seenByBackend(monitor: Redis, key: string, command: string): Promise<void> {
  return new Promise((resolve) => {
    monitor.on('monitor', (_time: string, args: string[]) => {
      if (args[0]?.toLowerCase() === command && args.includes(key)) resolve();
    });
  });
}

describe('graceful drain (SIGTERM)', () => {
  const cleanup: (() => void)[] = [];
  afterEach(() => {
    for (const c of cleanup.splice(0)) c();
  });

  it('answers what is in flight, closes idle clients at once, cuts blocked ones and MONITOR at shutdown-timeout, exits 0', async () => {
    const seeds = sharedClusterSeeds();
    const nodes = await backendNodes(seeds);
    cleanup.push(() => nodes.close());
    const tag = `{drain-${process.pid}-${Date.now()}}`;
    const [pipelineList, blockedList, multiKey, pipelineKey] = [`${tag}:p-list`, `${tag}:b-list`, `${tag}:multi`, `${tag}:pipe`];
    const master = await nodes.masterOf(pipelineList);
    const monitorConnection = new Redis({ host: master.client.options.host, port: master.client.options.port });
    const monitor = await monitorConnection.monitor();
    cleanup.push(() => {
      monitor.disconnect();
      monitorConnection.disconnect();
    });
    const pipelineBlocked = seenByBackend(monitor, pipelineList, 'blpop');
    const blockedBlocked = seenByBackend(monitor, blockedList, 'blpop');

    const slotgate = await startSlotgateProcess(['--cluster', seeds.join(','), '--shutdown-timeout', String(SHUTDOWN_TIMEOUT_MS)]);
    cleanup.push(() => slotgate.kill());
    const connect = async () => {
      const c = await RawClient.connect(slotgate.port);
      cleanup.push(() => c.close());
      return c;
    };
    expect((await getJson(slotgate.adminPort, '/readyz')).status).toBe(200);

    const idle = await connect();
    expect(plain(await idle.call('PING'))).toBe('PONG');

    // A pipeline whose middle command waits on the backend until the test releases it.
    const pipeline = await connect();
    pipeline.write(Buffer.concat([encodeCommand(['SET', pipelineKey, 'v']), encodeCommand(['BLPOP', pipelineList, '0']), encodeCommand(['GET', pipelineKey])]));
    expect(plain(await pipeline.next())).toBe('OK');
    await pipelineBlocked;

    const blocked = await connect();
    blocked.command('BLPOP', blockedList, '0');
    await blockedBlocked;

    const transaction = await connect();
    expect(plain(await transaction.call('MULTI'))).toBe('OK');
    expect(plain(await transaction.call('SET', multiKey, 'committed'))).toBe('QUEUED');

    const monitoring = await connect();
    expect(plain(await monitoring.call('MONITOR'))).toBe('OK');

    slotgate.child.kill('SIGTERM');
    await waitUntil(async () => (await getJson(slotgate.adminPort, '/healthz')).status === 503, 10_000, '/healthz to report the drain');
    expect(await getJson(slotgate.adminPort, '/healthz')).toEqual({ status: 503, body: { status: 'draining' } });
    expect(await getJson(slotgate.adminPort, '/readyz')).toEqual({ status: 503, body: { status: 'draining' } });
    expect(await getJson(slotgate.adminPort, '/livez')).toEqual({ status: 200, body: { status: 'alive' } });
    expect(await refused(slotgate.port)).toBe(true);

    // Idle: closed without a word.
    expect(await repliesUntilClosed(idle)).toEqual([]);

    // Inside MULTI: served until EXEC, then closed.
    transaction.command('EXEC');
    expect(await repliesUntilClosed(transaction)).toEqual([['OK']]);
    expect(await master.client.get(multiKey)).toBe('committed');

    // A pipeline in flight: a command sent during the drain is answered too, then the connection closes.
    pipeline.command('PING');
    await master.client.lpush(pipelineList, 'released');
    expect(await repliesUntilClosed(pipeline)).toEqual([[pipelineList, 'released'], 'v', 'PONG']);

    // Still open: a BLPOP 0 and a MONITOR are only cut at the deadline, with no reply.
    expect(await blocked.closedWithin(0)).toBe(false);
    expect(await repliesUntilClosed(blocked)).toEqual([]);
    expect(await monitoring.closedWithin(SHUTDOWN_TIMEOUT_MS * 2)).toBe(true);

    expect(await slotgate.exited).toBe(0);
    const finished = slotgate.events().find((e) => String(e.msg).startsWith('drain finished'));
    expect(finished).toMatchObject({ drained: 3, cut: 2 });
    await master.client.del(multiKey, pipelineKey, pipelineList, blockedList);
  });

  it('with --workers, the primary answers "draining" while its workers drain, then exits 0', async () => {
    const seeds = sharedClusterSeeds();
    const nodes = await backendNodes(seeds);
    cleanup.push(() => nodes.close());
    const list = `{drain-workers-${process.pid}-${Date.now()}}:list`;
    const master = await nodes.masterOf(list);
    const monitorConnection = new Redis({ host: master.client.options.host, port: master.client.options.port });
    const monitor = await monitorConnection.monitor();
    cleanup.push(() => {
      monitor.disconnect();
      monitorConnection.disconnect();
    });
    const blockedAtBackend = seenByBackend(monitor, list, 'blpop');
    const slotgate: RunningSlotgate = await startSlotgateProcess(
      ['--cluster', seeds.join(','), '--workers', '2', '--shutdown-timeout', String(SHUTDOWN_TIMEOUT_MS)],
      {},
      'all workers listening',
    );
    cleanup.push(() => slotgate.kill());
    let blocked: RawClient | undefined;
    await waitUntil(async () => {
      blocked = await RawClient.connect(slotgate.port).catch(() => undefined);
      return blocked !== undefined;
    }, 10_000, 'a worker to accept');
    cleanup.push(() => blocked!.close());
    blocked!.command('BLPOP', list, '0');
    await blockedAtBackend;

    slotgate.child.kill('SIGTERM');
    await waitUntil(async () => (await getJson(slotgate.adminPort, '/healthz')).status === 503, 10_000, 'the primary to report the drain');
    expect(await getJson(slotgate.adminPort, '/readyz')).toEqual({ status: 503, body: { status: 'draining' } });
    expect(await getJson(slotgate.adminPort, '/livez')).toEqual({ status: 200, body: { status: 'alive' } });
    expect(await blocked!.closedWithin(0)).toBe(false);
    expect(await repliesUntilClosed(blocked!)).toEqual([]);
    expect(await slotgate.exited).toBe(0);
    const finished = slotgate.events().filter((e) => String(e.msg).startsWith('drain finished'));
    // Both workers' closing lines; on failure, every line seen says what happened instead.
    expect(finished, JSON.stringify(slotgate.events().map((e) => [e.pid, e.level, e.msg, e.cut]))).toHaveLength(2);
    expect(finished.reduce((sum, e) => sum + Number(e.cut), 0)).toBe(1);
  });
});
