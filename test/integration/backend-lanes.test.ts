// Which of a node's shared connections a client's commands ride (ClientConnection.chooseLane):
// with two per node (the default), every client's lone requests ride one of them, so the lone
// requests of one event-loop turn leave in one write to the node; a pipelined burst (more requests
// behind it in the same read) rides its client's own lane, so the bursts of clients whose ids
// differ in parity use both. The node's MONITOR names the connection each command came on.
import { afterAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { useDedicatedCluster } from '../helpers/cluster-fixture.js';
import { useProxyFixture } from '../helpers/proxy-fixture.js';
import { RawClient } from '../helpers/slotgate.js';
import { waitUntil } from '../helpers/wait-until.js';
import { encodeCommand } from '../../src/protocol/encoder.js';
import { affinityOf } from '../../src/session/backend-affinity.js';
import { RespError } from '../../src/protocol/reply-parser.js';

describe('shared connection lanes', () => {
  // A cluster of its own: a test below keeps a master busy with a script for 150 ms.
  const cluster = useDedicatedCluster();
  const fx = useProxyFixture(() => cluster().seeds);
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

  // The order a lane change must keep: a client changes lanes only while nothing of its is in
  // flight. Lane 0 is made fast and the client's own lane slow: another client on that lane sends a
  // burst the node reads over several turns of its own loop (16 KB a read), serving lane 0 in
  // between, so a command that wrongly took lane 0 runs before those queued on the slow lane.
  describe('a client’s order across lanes', () => {
    const FILLER_COMMANDS = 4000;
    // Runs ~150 ms and ends by itself: the node reads nothing meanwhile, so what is sent then queues.
    const BUSY_150_MS = "local t = redis.call('TIME') local s = t[1] * 1000000 + t[2] repeat t = redis.call('TIME') until t[1] * 1000000 + t[2] - s > 150000 return 0";
    const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

    async function twoClientsOnLaneOne(): Promise<[RawClient, RawClient]> {
      const clients = await Promise.all(Array.from({ length: 8 }, () => RawClient.connect(fx.proxy.port)));
      cleanup.push(() => clients.forEach((c) => c.close()));
      const ids = await Promise.all(clients.map((c) => c.call('CLIENT', 'ID')));
      const ownLaneOne = clients.filter((_, i) => affinityOf(Number(ids[i])) % 2 === 1);
      expect(ownLaneOne.length).toBeGreaterThanOrEqual(2); // the premise: two clients whose bursts ride lane 1
      return ownLaneOne.slice(0, 2) as [RawClient, RawClient];
    }

    async function expectPushedInOrder(client: RawClient, filler: RawClient, fillerReplies: number, list: string): Promise<void> {
      expect([await client.next(), await client.next(), await client.next()]).toEqual([1, 2, 3]);
      for (let i = 0; i < fillerReplies; i++) expect(await filler.next()).not.toBeInstanceOf(RespError);
      expect(((await client.call('LRANGE', list, '0', '-1')) as Buffer[]).map(String)).toEqual(['a', 'b', 'c']);
    }

    it('keeps a burst on one lane, its last command (alone at the end of the read) included', async () => {
      const tag = `{lanes-order-${process.pid}-${Date.now().toString(36)}}`;
      const [filler, client] = await twoClientsOnLaneOne();
      const fillerBurst = Buffer.concat(Array.from({ length: FILLER_COMMANDS }, (_, i) => encodeCommand(['SET', `${tag}:filler:${i % 8}`, 'x'.repeat(16)])));
      for (let round = 0; round < 3; round++) {
        filler.write(fillerBurst); // lane 1 now holds a backlog the node reads 16 KB at a time
        client.write(Buffer.concat(['a', 'b', 'c'].map((v) => encodeCommand(['RPUSH', `${tag}:list:${round}`, v]))));
        await expectPushedInOrder(client, filler, FILLER_COMMANDS, `${tag}:list:${round}`);
      }
    });

    it('keeps a lone command on the lane of the burst still in flight ahead of it', async () => {
      const tag = `{lanes-inflight-${process.pid}-${Date.now().toString(36)}}`;
      const [filler, client] = await twoClientsOnLaneOne();
      const list = `${tag}:list`;
      // The node is busy with a script sent on lane 1, with a backlog behind it on the same lane
      // bigger than the node reads in one go once the script is over (some 2 MB).
      filler.write(Buffer.concat([encodeCommand(['EVAL', BUSY_150_MS, '1', `${tag}:busy`]), ...Array.from({ length: FILLER_COMMANDS }, (_, i) => encodeCommand(['SET', `${tag}:filler:${i % 8}`, 'x'.repeat(512)]))]));
      await pause(30);
      client.write(Buffer.concat(['a', 'b'].map((v) => encodeCommand(['RPUSH', list, v])))); // a burst: lane 1, queued behind the script
      await pause(30);
      client.command('RPUSH', list, 'c'); // alone in its read, but the burst is still in flight
      await expectPushedInOrder(client, filler, FILLER_COMMANDS + 1, list);
    });
  });
});
