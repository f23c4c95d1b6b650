// A backend that is slow or gone gives the affected clients an error within the configured
// timeout, never a hang, while other shards keep serving.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useDedicatedCluster } from '../helpers/cluster-fixture.js';
import { startProxy, type StartedProxy } from '../helpers/slotgate.js';
import { stringKeyHashSlot } from '../../src/cluster/hash-slot.js';
import { waitUntil } from '../helpers/wait-until.js';

/**
 * Bounds for waiting on something that must happen; they only end a broken run and assert nothing
 * about speed (the machine may be busy). That an answer came from the timeout mechanism and not from
 * a hang is shown by the error text, and a real hang fails the test by its timeout.
 */
const PATIENCE_MS = 30_000;

/** A key whose slot lies in the given shard of the proxy's current view. */
function keyInShard(proxy: StartedProxy, shardIndex: number, prefix: string): string {
  const topology = proxy.handle.context.topology.current;
  for (let i = 0; ; i++) {
    const key = `${prefix}:${i}`;
    if (topology.shardForSlot(stringKeyHashSlot(key))!.index === shardIndex) return key;
  }
}

describe('backend down or slow', () => {
  // No replicas and a long node timeout: nothing fails over, the shard just stays broken.
  const cluster = useDedicatedCluster({ replicasPerMaster: 0, nodeTimeoutMs: 60_000 });
  let proxy: StartedProxy;

  beforeAll(async () => {
    proxy = await startProxy(cluster().seeds, ['--command-timeout', '800', '--connect-timeout', '300']);
  });
  afterAll(async () => {
    await proxy?.close();
  });

  it('a stalled master gives its clients a timeout error, other shards keep working', async () => {
    const client = proxy.client({ maxRetriesPerRequest: 0 });
    const other = proxy.client({ maxRetriesPerRequest: 0 });
    const stalledKey = keyInShard(proxy, 0, 'stall');
    const healthyKey = keyInShard(proxy, 1, 'healthy');
    await client.set(stalledKey, 'before');
    const victim = cluster().nodes.find((n) => n.port === proxy.handle.context.topology.current.shards[0]!.master.port)!;
    process.kill(victim.pid, 'SIGSTOP');
    try {
      const stalled = client.get(stalledKey).then(
        () => 'answered',
        (err: Error) => err.message,
      );
      // Meanwhile another shard answers promptly, many times.
      for (let i = 0; i < 50; i++) expect(await other.set(healthyKey, String(i))).toBe('OK');
      const outcome = await stalled;
      expect(outcome).toMatch(/timeout/);
    } finally {
      process.kill(victim.pid, 'SIGCONT');
    }
    // Once the node answers again, so does the proxy.
    await waitUntil(() => client.get(stalledKey).then((value) => value === 'before', () => false), PATIENCE_MS, 'the resumed node to answer');
  });

  it('a dead master gives its clients an error, not a hang; other shards keep working', async () => {
    const client = proxy.client({ maxRetriesPerRequest: 0 });
    const deadKey = keyInShard(proxy, 2, 'dead');
    const healthyKey = keyInShard(proxy, 1, 'alive');
    const port = proxy.handle.context.topology.current.shards[2]!.master.port;
    expect(await client.ping()).toBe('PONG'); // connected and ready before the node dies
    await cluster().killNode(port);
    await expect(client.set(deadKey, 'x')).rejects.toThrow(/CLUSTERDOWN|backend/);
    expect(await client.set(healthyKey, 'y')).toBe('OK');
    expect(await client.get(healthyKey)).toBe('y');
  });
});

describe('client limits', () => {
  const cluster = useDedicatedCluster({ replicasPerMaster: 0 });
  let proxy: StartedProxy;
  beforeAll(async () => {
    proxy = await startProxy(cluster().seeds, ['--maxclients', '3', '--timeout', '1', '--client-output-buffer-limit', '4mb']);
  });
  afterAll(async () => {
    await proxy?.close();
  });

  it('drops a client that stops reading once its unread replies pass the limit', async () => {
    const { RawClient } = await import('../helpers/slotgate.js');
    const writer = proxy.client();
    await writer.set('bigvalue', Buffer.alloc(1024 * 1024, 120));
    const slow = await RawClient.connect(proxy.port);
    slow.socket.pause(); // never reads
    const get = '*2\r\n$3\r\nGET\r\n$8\r\nbigvalue\r\n';
    const sessionsBefore = proxy.handle.sessions.size;
    slow.write(get.repeat(200)); // 200 MB of replies if it were allowed to pile up
    // slotgate drops the session (its side), ...
    await waitUntil(() => proxy.handle.sessions.size === sessionsBefore - 1, PATIENCE_MS, 'the slow client to be dropped');
    // ... and the client, once it reads again, finds far less than 200 MB and then the end.
    let received = 0;
    slow.socket.on('data', (chunk: Buffer) => (received += chunk.length));
    slow.socket.resume();
    expect(await slow.closedWithin(PATIENCE_MS)).toBe(true);
    expect(received).toBeLessThan(64 * 1024 * 1024);
    expect(await writer.ping()).toBe('PONG');
    writer.disconnect();
    await waitUntil(() => proxy.handle.sessions.size === 0, PATIENCE_MS, 'sessions to close');
  });

  it('refuses connections past maxclients and closes idle ones after timeout', async () => {
    const { RawClient } = await import('../helpers/slotgate.js');
    const held = await Promise.all([1, 2, 3].map(() => RawClient.connect(proxy.port)));
    for (const c of held) expect(await c.call('PING')).toBe('PONG');
    const extra = await RawClient.connect(proxy.port);
    const reply = await extra.next();
    expect(String((reply as { message?: string }).message)).toBe('ERR max number of clients reached');
    expect(await extra.closedWithin(PATIENCE_MS)).toBe(true);
    // idle timeout is 1 s
    for (const c of held) expect(await c.closedWithin(PATIENCE_MS)).toBe(true);
  });
});
