// Which of a node's shared connections a client's commands ride (ClientConnection.chooseLane):
// with two per node (the default), every client's lone requests ride one of them, so the lone
// requests of one event-loop turn leave in one write to the node; a pipelined burst (more requests
// behind it in the same read) rides its client's own lane, so the bursts of clients whose ids
// differ in parity use both. The node's MONITOR names the connection each command came on.
import { afterAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { sharedClusterSeeds } from '../helpers/cluster-fixture.js';
import { useProxyFixture } from '../helpers/proxy-fixture.js';
import { RawClient } from '../helpers/slotgate.js';
import { waitUntil } from '../helpers/wait-until.js';
import { encodeCommand } from '../../src/protocol/encoder.js';
import { affinityOf } from '../../src/session/backend-affinity.js';

describe('shared connection lanes', () => {
  const fx = useProxyFixture(sharedClusterSeeds);
  const cleanup: (() => void)[] = [];
  afterAll(() => {
    for (const step of cleanup) step();
  });

  it('sends every lone request to a node on one connection, and pipelined bursts on each client’s own', async () => {
    const tag = `{lanes-${process.pid}-${Date.now().toString(36)}}`;
    const master = await fx.backend.masterOf(tag);
    const monitorConnection = new Redis({ host: master.client.options.host, port: master.client.options.port });
    const monitor = await monitorConnection.monitor();
    cleanup.push(() => {
      monitor.disconnect();
      monitorConnection.disconnect();
    });
    // The node-side address of the connection each of this test's GETs came on, by kind.
    const seen = { lone: [] as string[], burst: [] as string[] };
    monitor.on('monitor', (_time: string, args: string[], source: string) => {
      const key = args[1] ?? '';
      if (args[0]?.toLowerCase() !== 'get' || !key.startsWith(tag)) return;
      seen[key.includes(':lone:') ? 'lone' : 'burst'].push(source);
    });

    const clients = await Promise.all(Array.from({ length: 6 }, () => RawClient.connect(fx.proxy.port)));
    cleanup.push(() => clients.forEach((c) => c.close()));
    const ids = await Promise.all(clients.map((c) => c.call('CLIENT', 'ID')));
    // The premise: these clients' own lanes fall on both of a node's connections.
    expect(new Set(ids.map((id) => affinityOf(Number(id)) % 2)).size).toBe(2);

    for (const [i, c] of clients.entries()) expect(await c.call('GET', `${tag}:lone:${i}`)).toBeNull();
    for (const [i, c] of clients.entries()) {
      c.write(Buffer.concat([encodeCommand(['GET', `${tag}:burst:${i}:a`]), encodeCommand(['GET', `${tag}:burst:${i}:b`])]));
      expect([await c.next(), await c.next()]).toEqual([null, null]);
    }
    await waitUntil(() => seen.lone.length === 6 && seen.burst.length === 12, 10_000, 'the node to show every GET');

    expect(new Set(seen.lone).size).toBe(1);
    expect(new Set(seen.burst).size).toBe(2);
  });
});
