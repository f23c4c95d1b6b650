// One slow log for the whole cluster (SLOWLOG GET/LEN/RESET without a node suffix, GET /v1/slowlog)
// and slotgate's own slow-command log, on a cluster of this file's own (no other file's slow
// commands in its logs). Slow commands are made by a script that spins for a given time on the
// node, so they land on the master of its key.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { useDedicatedCluster } from '../helpers/cluster-fixture.js';
import { backendNodes, type BackendNodeInfo, type BackendNodes } from '../helpers/backend-nodes.js';
import { tempConfigFile, type TempConfigFile } from '../helpers/config-file.js';
import { startProxy, type StartedProxy } from '../helpers/slotgate.js';
import { findFreePort } from '../../scripts/dev/redis-server.js';

const TOKEN = 'slowlog-token-Xy3';
/** Spins on the node for ARGV[1] microseconds; ARGV[2] marks the entry. */
const SPIN = `local t=redis.call('TIME') local s=t[1]*1000000+t[2] repeat t=redis.call('TIME') until t[1]*1000000+t[2]-s>=tonumber(ARGV[1]) return ARGV[2]`;
/** Nodes log commands of 50 ms and more; the spins take 60 ms, nothing else slotgate sends comes near. */
const NODE_SLOWER_THAN = 50_000;
const SPIN_MICROS = 60_000;

type Entry = [number, number, number, string[], string, string];

describe('one slow log for the cluster', () => {
  const cluster = useDedicatedCluster({ replicasPerMaster: 0, extraConfig: ['--slowlog-log-slower-than', String(NODE_SLOWER_THAN)] });
  let backend: BackendNodes;
  let proxy: StartedProxy;
  let client: Redis;
  let config: TempConfigFile;
  let base: string;
  /** A key per master, in shard order. */
  const keys: string[] = [];
  const run = Date.now().toString(36);

  const spin = (key: string, mark: string) => client.eval(SPIN, 1, key, String(SPIN_MICROS), mark);
  const admin = async (path: string) => {
    const res = await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${TOKEN}` } });
    return { status: res.status, body: (await res.json()) as Record<string, any> };
  };
  const marksOf = (entries: Entry[]) => entries.map((e) => e[3][5]).filter((m) => m?.startsWith(run));

  beforeAll(async () => {
    backend = await backendNodes(cluster().seeds);
    for (const shard of backend.shards) {
      for (let i = 0; ; i++) {
        const key = `{${run}-${i}}k`;
        if ((await backend.masterOf(key)).id === shard.master.id && !keys.includes(key)) {
          keys.push(key);
          break;
        }
      }
    }
    const adminPort = await findFreePort();
    base = `http://127.0.0.1:${adminPort}`;
    config = tempConfigFile('slowlog-log-slower-than: 20000\nslowlog-max-len: 8\n');
    proxy = await startProxy(cluster().seeds, ['--config', config.path, '--admin-port', String(adminPort), '--admin-token', TOKEN]);
    client = proxy.client();
  });
  afterAll(async () => {
    await proxy?.close();
    backend?.close();
    config?.remove();
  });

  it('RESET empties every master\'s log; LEN adds them up; GET merges them newest first', async () => {
    expect(await client.call('SLOWLOG', 'RESET')).toBe('OK');
    for (const master of backend.masters) expect(await master.client.call('SLOWLOG', 'LEN')).toBe(0);
    // Shard 2, then 0, then 1 twice, then 2: the merge must interleave the nodes by time.
    const order = [2, 0, 1, 1, 2];
    for (const [i, shard] of order.entries()) {
      await spin(keys[shard]!, `${run}-${i}`);
      // Redis stamps entries in whole seconds: a new second between spins makes the order testable.
      if (i < order.length - 1) await nextSecond(backend.masters[0]!);
    }
    const lens = await Promise.all(backend.masters.map((m) => m.client.call('SLOWLOG', 'LEN') as Promise<number>));
    expect(lens).toEqual([1, 2, 2]);
    expect(await client.call('SLOWLOG', 'LEN')).toBe(5);

    const all = (await client.call('SLOWLOG', 'GET', '-1')) as Entry[];
    expect(marksOf(all)).toEqual([4, 3, 2, 1, 0].map((i) => `${run}-${i}`));
    // Each entry is its node's own, ids and all.
    const direct = (await Promise.all(backend.masters.map((m) => m.client.call('SLOWLOG', 'GET', '-1') as Promise<Entry[]>))).flat();
    expect([...all].sort(byMark)).toEqual([...direct].sort(byMark));
    // The n newest overall; 10 without a count, as in Redis.
    expect(marksOf((await client.call('SLOWLOG', 'GET', '2')) as Entry[])).toEqual([`${run}-4`, `${run}-3`]);
    expect(await client.call('SLOWLOG', 'GET')).toEqual(all);
    // A node suffix still reads one node.
    expect(marksOf((await client.call('SLOWLOG', 'GET', '10', '@1')) as Entry[])).toEqual([`${run}-3`, `${run}-2`]);
    // A count a node refuses is refused with the node's words.
    const refusal = await backend.masters[0]!.client.call('SLOWLOG', 'GET', 'x').then(String, (e: Error) => e.message);
    await expect(client.call('SLOWLOG', 'GET', 'x')).rejects.toThrow(refusal);

    const { status, body } = await admin('/v1/slowlog?limit=3');
    expect(status).toBe(200);
    expect(body.nodes.failed).toEqual([]);
    const marks = body.nodes.entries.map((e: { command: string[] }) => e.command[5]);
    expect(marks).toEqual([4, 3, 2].map((i) => `${run}-${i}`));
    const nodeOf = (shard: number) => ({ id: backend.shards[shard]!.master.id, address: backend.shards[shard]!.master.address, shard });
    expect(body.nodes.entries.map((e: { node: unknown }) => e.node)).toEqual([nodeOf(2), nodeOf(1), nodeOf(1)]);
    expect(body.nodes.entries[0]).toMatchObject({ id: expect.any(Number), time: expect.any(Number), duration_us: expect.any(Number), client_address: expect.any(String) });
    expect(body.nodes.entries[0].duration_us).toBeGreaterThanOrEqual(SPIN_MICROS);

    expect(await client.call('SLOWLOG', 'RESET')).toBe('OK');
    expect(await client.call('SLOWLOG', 'LEN')).toBe(0);
    expect(await client.call('SLOWLOG', 'GET')).toEqual([]);
  });

  it('slotgate logs the commands its clients waited for, with client, redacted command and node; bounded', async () => {
    const before = await slowMetric();
    await client.call('SLOWLOG', 'RESET'); // empties slotgate's own log too
    await client.call('CLIENT', 'SETNAME', 'slow-one');
    await spin(keys[1]!, `${run}-own`);
    const { body } = await admin('/v1/slowlog');
    expect(body.proxy).toMatchObject({ slower_than_us: 20000, max_len: 8 });
    // On a loaded machine another command may pass 20 ms too: find the spin by its mark.
    const entry = body.proxy.entries.find((e: { command: string[] }) => e.command[5] === `${run}-own`);
    expect(entry).toMatchObject({
      id: expect.any(Number),
      // Cut at 128 bytes, as Redis's slow log cuts it.
      command: ['eval', `${SPIN.slice(0, 128)}... (${SPIN.length - 128} more bytes)`, '1', keys[1], String(SPIN_MICROS), `${run}-own`],
      client_name: 'slow-one',
      node: { id: backend.shards[1]!.master.id, address: backend.shards[1]!.master.address },
    });
    expect(entry.duration_us).toBeGreaterThanOrEqual(SPIN_MICROS);
    const local = await client.call('CLIENT', 'INFO');
    expect(String(local)).toContain(`addr=${entry.client_address} `);
    // Every command logged since the RESET (the spin at least) was counted once.
    expect(await slowMetric()).toBe(before + body.proxy.length);

    // Reloaded at once: 0 logs every command (as in Redis); the log keeps max-len entries.
    config.write('slowlog-log-slower-than: 0\nslowlog-max-len: 3\n');
    expect(proxy.handle.reload().ok).toBe(true);
    await client.call('AUTH', 'not-the-password').catch(() => undefined);
    await client.get(keys[0]!);
    await client.call('PING');
    await client.call('ECHO', 'x');
    const after = (await admin('/v1/slowlog')).body.proxy;
    expect(after.length).toBe(3);
    expect(after.entries.map((e: { command: string[] }) => e.command)).toEqual([['ECHO', 'x'], ['PING'], ['get', keys[0]]]);
    expect(after.entries[2].node).toEqual({ id: backend.shards[0]!.master.id, address: backend.shards[0]!.master.address });
    expect(after.entries[1].node).toBeNull();
    config.write('slowlog-log-slower-than: 0\nslowlog-max-len: 8\n');
    expect(proxy.handle.reload().ok).toBe(true);
    await client.call('AUTH', 'not-the-password').catch(() => undefined);
    expect((await admin('/v1/slowlog')).body.proxy.entries[0].command).toEqual(['AUTH', '(redacted)']);
    config.write('slowlog-log-slower-than: -1\n');
    expect(proxy.handle.reload().ok).toBe(true);
    const count = (await admin('/v1/slowlog')).body.proxy.length;
    await client.call('PING');
    expect((await admin('/v1/slowlog')).body.proxy).toMatchObject({ slower_than_us: -1, length: count });
  });

  it('/v1/slowlog needs the admin token and a valid limit', async () => {
    expect((await fetch(`${base}/v1/slowlog`)).status).toBe(401);
    expect((await admin('/v1/slowlog?limit=0')).status).toBe(400);
  });

  async function slowMetric(): Promise<number> {
    const text = await (await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })).text();
    const line = text.split('\n').find((l) => l.startsWith('slotgate_slow_commands_total '));
    return line === undefined ? 0 : Number(line.split(' ')[1]);
  }
});

function byMark(a: Entry, b: Entry): number {
  return String(a[3][5]).localeCompare(String(b[3][5]));
}

/** Waits until `node`'s clock shows a new second (entries are stamped in whole seconds). */
async function nextSecond(node: BackendNodeInfo): Promise<void> {
  const [start] = (await node.client.call('TIME')) as string[];
  for (;;) {
    await new Promise((r) => setTimeout(r, 20));
    const [now] = (await node.client.call('TIME')) as string[];
    if (now !== start) return;
  }
}
