// Read/write splitting (README: *Accounts, read/write splitting, disabled commands, reload*): which backend node served each command is read from the nodes'
// own INFO commandstats (reset before each step), never from slotgate. A cluster of this file's own
// (3 masters, 2 replicas each) so no other test's traffic shows up in the counts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { useDedicatedCluster, parseSeed } from '../helpers/cluster-fixture.js';
import { tempConfigFile, type TempConfigFile } from '../helpers/config-file.js';
import { startProxy, type StartedProxy } from '../helpers/slotgate.js';
import { waitUntil } from '../helpers/wait-until.js';

interface ShardNodes {
  slot: number;
  master: string;
  /** "host:port" of the replicas, and their node ids. */
  replicas: string[];
  replicaIds: string[];
}

const READER_PASSWORD = 'Reader#Pass1';
const PINNED_PASSWORD = 'Pinned#Pass1';

function configYaml(extra: string, replicaRead = true): string {
  return `replica-read: ${replicaRead ? 'yes' : 'no'}
accounts:
  - name: reader
    password: "${READER_PASSWORD}"
    permission: read-only
${replicaRead ? '    read-policy: replica\n' : ''}  - name: pinned
    password: "${PINNED_PASSWORD}"
    permission: read-write
    read-policy: master
${extra}`;
}

describe('read/write splitting', () => {
  // No replica migration: a shard whose replicas are killed must stay without one.
  const cluster = useDedicatedCluster({ masters: 3, replicasPerMaster: 2, extraConfig: ['--cluster-allow-replica-migration', 'no'] });
  const nodes = new Map<string, Redis>(); // direct connections, by "host:port"
  let config: TempConfigFile;
  let proxy: StartedProxy;
  let reader: Redis;
  let pinned: Redis;
  let writer: Redis; // the default account (passwordless mode)
  const run = Date.now().toString(36);
  const key = `rr:${run}`;
  let shard: ShardNodes;

  /** The cluster's own view (CLUSTER SLOTS) of the shard serving `k`. */
  async function shardOfKey(k: string): Promise<ShardNodes> {
    const any = nodes.values().next().value!;
    const slot = Number(await any.cluster('KEYSLOT', k));
    const ranges = await any.cluster('SLOTS');
    const range = ranges.find(([start, end]) => slot >= start && slot <= end)!;
    const [, , master, ...replicas] = range;
    return { slot, master: `${master[0]}:${master[1]}`, replicas: replicas.map((r) => `${r[0]}:${r[1]}`), replicaIds: replicas.map((r) => r[2]) };
  }

  /** cmdstat_<command> calls on every node, by address (0 when absent). */
  async function calls(command: string): Promise<Map<string, number>> {
    const counts = new Map<string, number>();
    for (const [address, node] of nodes) {
      const stats = await node.info('commandstats');
      counts.set(address, Number(new RegExp(`^cmdstat_${command}:calls=(\\d+)`, 'm').exec(stats)?.[1] ?? 0));
    }
    return counts;
  }

  async function resetStats(): Promise<void> {
    for (const node of nodes.values()) await node.config('RESETSTAT');
  }

  /** Waits until every replica of `s` has `k` = `value` (asked with READONLY on a connection of its own). */
  async function replicated(s: ShardNodes, k: string, value: string): Promise<void> {
    for (const address of s.replicas) {
      const replica = new Redis({ ...parseSeed(address), maxRetriesPerRequest: 1 });
      await replica.readonly();
      await waitUntil(async () => (await replica.get(k)) === value, 10_000, `replication of ${k} to ${address}`);
      replica.disconnect();
    }
  }

  async function reload(yaml: string): Promise<void> {
    config.write(yaml);
    expect(proxy.handle.reload()).toMatchObject({ ok: true });
  }

  beforeAll(async () => {
    for (const seed of cluster().seeds) nodes.set(seed, new Redis({ ...parseSeed(seed), maxRetriesPerRequest: 1 }));
    config = tempConfigFile(configYaml(''));
    proxy = await startProxy(cluster().seeds, ['--config', config.path, '--topology-refresh-interval', '500']);
    reader = proxy.client({ username: 'reader', password: READER_PASSWORD });
    pinned = proxy.client({ username: 'pinned', password: PINNED_PASSWORD });
    writer = proxy.client();
    // Right after creation, gossip about replicas may still be on its way: wait for the full picture,
    // in the cluster's own view and in slotgate's.
    await waitUntil(async () => (shard = await shardOfKey(key)).replicas.length === 2, 20_000, 'every node to know the replicas');
    await waitUntil(
      () => proxy.handle.context.topology.current.shards.every((s) => s.replicas.filter((r) => r.health === 'online').length === 2),
      20_000,
      'slotgate to see two online replicas per shard',
    );
    await writer.set(key, 'v1');
    await writer.rpush(`{${key}}:list`, 'a');
    await writer.xadd(`{${key}}:stream`, '1-1', 'f', 'v');
    await writer.set(`{${key}}:other`, 'v2');
    await replicated(shard, key, 'v1');
    await replicated(shard, `{${key}}:other`, 'v2');
  });
  afterAll(async () => {
    for (const node of nodes.values()) node.disconnect();
    await proxy?.close();
    config?.remove();
  });

  it('spreads reads of replica-policy accounts evenly over the shard\'s replicas, none on the master', async () => {
    await resetStats();
    for (let i = 0; i < 20; i++) expect(await reader.get(key)).toBe('v1');
    const gets = await calls('get');
    expect(shard.replicas.map((r) => gets.get(r))).toEqual([10, 10]);
    expect(gets.get(shard.master)).toBe(0);
    // Multi-key reads and read-only scripts count as reads; the default account reads replicas too.
    await resetStats();
    expect(await reader.mget(`{${key}}:other`, `{${key}}:other`)).toEqual(['v2', 'v2']);
    expect(await writer.call('EVAL_RO', "return redis.call('GET', KEYS[1])", '1', key)).toBe('v1');
    expect(await writer.get(key)).toBe('v1');
    // (the script's own GET counts as a GET where the script ran)
    const [mgets, evals, scriptAndDirectGets] = [await calls('mget'), await calls('eval_ro'), await calls('get')];
    expect([sum(shard.replicas, mgets), sum(shard.replicas, evals), sum(shard.replicas, scriptAndDirectGets)]).toEqual([1, 1, 2]);
    expect([mgets, evals, scriptAndDirectGets].map((c) => c.get(shard.master))).toEqual([0, 0, 0]);
  });

  it('keeps writes, transactions, WATCH, blocking reads and master-policy accounts on the master', async () => {
    await resetStats();
    expect(await pinned.get(key)).toBe('v1'); // read-policy master
    expect(await writer.set(`{${key}}:w`, 'x')).toBe('OK');
    expect(await reader.multi().get(key).exec()).toEqual([[null, 'v1']]);
    await reader.watch(key);
    expect(await reader.get(key)).toBe('v1'); // read while a WATCH is on: the master's data
    await reader.unwatch();
    expect(await reader.xread('BLOCK', 100, 'STREAMS', `{${key}}:stream`, '0')).toEqual([[`{${key}}:stream`, [['1-1', ['f', 'v']]]]]);
    const [gets, sets, xreads] = [await calls('get'), await calls('set'), await calls('xread')];
    expect([gets.get(shard.master), sets.get(shard.master), xreads.get(shard.master)]).toEqual([3, 1, 1]);
    expect(sum(shard.replicas, gets) + sum(shard.replicas, xreads)).toBe(0);
    // No command was bounced by a replica: slotgate never sent a write there and let MOVED fix it.
    const moved = await proxy.handle.context.metrics.registry.getSingleMetricAsString('slotgate_backend_redirections_total');
    expect(moved).not.toMatch(/kind="moved"} [1-9]/);
  });

  it('applies replica-read being switched off and on by a reload at once, to open sessions too', async () => {
    await reload(configYaml('', false));
    await resetStats();
    for (let i = 0; i < 4; i++) expect(await reader.get(key)).toBe('v1');
    expect((await calls('get')).get(shard.master)).toBe(4);
    await reload(configYaml(''));
    await resetStats();
    for (let i = 0; i < 4; i++) expect(await reader.get(key)).toBe('v1');
    const gets = await calls('get');
    expect([gets.get(shard.master), sum(shard.replicas, gets)]).toEqual([0, 4]);
  });

  it('with read-local-node-only reads only replicas of its own zone, else the master', async () => {
    const [local, remote] = shard.replicas;
    let otherKey = '';
    let otherShard = shard;
    for (let i = 0; otherShard.master === shard.master; i++) {
      otherKey = `rr2:${run}:${i}`;
      otherShard = await shardOfKey(otherKey);
    }
    await writer.set(otherKey, 'w');
    await replicated(otherShard, otherKey, 'w');
    // One replica of `key`'s shard is in az1 (named by node id), the other and both of the other
    // shard's replicas in az2 (named by address).
    const zones = [`  "${shard.replicaIds[0]}": az1`, `  "${remote}": az2`, ...otherShard.replicas.map((r) => `  "${r}": az2`), `  "${shard.master}": az1`];
    await reload(configYaml(`zone: az1\nread-local-node-only: yes\nnode-zones:\n${zones.join('\n')}\n`));
    await resetStats();
    for (let i = 0; i < 6; i++) {
      expect(await reader.get(key)).toBe('v1');
      expect(await reader.get(otherKey)).toBe('w');
    }
    const gets = await calls('get');
    expect([gets.get(local!), gets.get(remote!), gets.get(shard.master)]).toEqual([6, 0, 0]);
    expect([gets.get(otherShard.master), sum(otherShard.replicas, gets)]).toEqual([6, 0]);
    // The same zones without read-local-node-only: every healthy replica again.
    await reload(configYaml(`zone: az1\nnode-zones:\n${zones.join('\n')}\n`));
    await resetStats();
    for (let i = 0; i < 6; i++) await reader.get(otherKey);
    const spread = await calls('get');
    expect([spread.get(otherShard.master), ...otherShard.replicas.map((r) => spread.get(r))]).toEqual([0, 3, 3]);
  });

  it('skips a dead replica, and reads from the master when the shard has no healthy replica', async () => {
    await reload(configYaml(''));
    const [first, second] = shard.replicas;
    await cluster().killNode(parseSeed(first!).port);
    nodes.get(first!)!.disconnect();
    nodes.delete(first!);
    await resetStats();
    for (let i = 0; i < 6; i++) expect(await reader.get(key)).toBe('v1');
    expect([(await calls('get')).get(second!), (await calls('get')).get(shard.master)]).toEqual([6, 0]);

    await cluster().killNode(parseSeed(second!).port);
    nodes.get(second!)!.disconnect();
    nodes.delete(second!);
    await resetStats();
    for (let i = 0; i < 6; i++) expect(await reader.get(key)).toBe('v1');
    expect((await calls('get')).get(shard.master)).toBe(6);
    // Once the cluster itself marks them failed, the topology says so too: node health follows the
    // `health` field of CLUSTER SHARDS, and replicas that are not `online` get no reads.
    await waitUntil(
      () => proxy.handle.context.topology.current.shards.some((s) => s.master.address === shard.master && s.replicas.every((r) => r.health !== 'online')),
      20_000,
      'the killed replicas to be reported failed',
    );
    await resetStats();
    expect(await reader.get(key)).toBe('v1');
    expect((await calls('get')).get(shard.master)).toBe(1);
  });
});

function sum(addresses: readonly string[], counts: ReadonlyMap<string, number>): number {
  return addresses.reduce((total, address) => total + (counts.get(address) ?? 0), 0);
}
