// Commands that change or count the whole keyspace, every node's configuration or every
// master's functions: DBSIZE, FLUSHDB/FLUSHALL, INFO keyspace, CONFIG SET/RESETSTAT, FUNCTION …,
// and what a fan-out does when one part fails. On a cluster of this file's own, so nothing else
// writes meanwhile and nothing here wipes the shared cluster.
import { describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { useDedicatedCluster } from '../helpers/cluster-fixture.js';
import { backendNodes } from '../helpers/backend-nodes.js';
import { startProxy } from '../helpers/slotgate.js';
import { useProxyFixture } from '../helpers/proxy-fixture.js';
import { waitUntil } from '../helpers/wait-until.js';

describe('whole-cluster commands', () => {
  const cluster = useDedicatedCluster({ masters: 3, replicasPerMaster: 1 });
  // Right after a cluster forms, a node may still see a replica as a slotless master for a few
  // gossip rounds. "Every node" commands are about every node: wait until both the oracle and
  // slotgate see all six.
  const fx = useProxyFixture(() => cluster().seeds, {
    args: ['--topology-refresh-interval', '500'],
    beforeStart: () =>
      waitUntil(async () => {
        const view = await backendNodes(cluster().seeds);
        view.close();
        return view.all.length === 6;
      }, 20_000, 'the cluster to agree on its replicas'),
    afterStart: ({ proxy }) => waitUntil(() => proxy.handle.context.topology.current.allNodes().length === 6, 20_000, 'slotgate to see every node'),
  });

  const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);
  const mastersDbsize = async () => sum(await Promise.all(fx.backend.masters.map((m) => m.client.dbsize())));

  async function fill(prefix: string, n: number, ttl = false): Promise<void> {
    for (let i = 0; i < n; i++) {
      if (ttl && i % 2 === 0) await fx.direct.set(`${prefix}:${i}`, 'v', 'EX', 1000);
      else await fx.direct.set(`${prefix}:${i}`, 'v');
    }
  }

  it('DBSIZE is the sum of the masters\' DBSIZE', async () => {
    await fill('dbsize', 150);
    const perMaster = await Promise.all(fx.backend.masters.map((m) => m.client.dbsize()));
    expect(perMaster.every((n) => n > 0)).toBe(true);
    expect(await fx.client.dbsize()).toBe(sum(perMaster));
  });

  it('INFO keyspace is summed over the masters', async () => {
    await fill('info-ks', 40, true);
    const own = await Promise.all(fx.backend.masters.map((m) => m.client.info('keyspace')));
    const numbers = own.map((text) => /db0:keys=(\d+),expires=(\d+)/.exec(text)!.slice(1).map(Number));
    const info = (await fx.client.info('keyspace')) as string;
    expect(info).toMatch(new RegExp(`^# Keyspace\\r\\ndb0:keys=${sum(numbers.map((n) => n[0]!))},expires=${sum(numbers.map((n) => n[1]!))},avg_ttl=\\d+\\r\\n$`));
    expect(await fx.client.info()).toContain(`db0:keys=${await mastersDbsize()},`);
  });

  it('RANDOMKEY is nil only when every master is empty; FLUSHDB and FLUSHALL empty every master', async () => {
    await fill('flush', 30);
    expect(await fx.client.flushdb()).toBe('OK');
    expect(await mastersDbsize()).toBe(0);
    expect(await fx.client.randomkey()).toBeNull();
    await fill('flush', 30);
    expect(await fx.client.call('FLUSHALL', 'ASYNC')).toBe('OK');
    // ASYNC frees memory in the background; the keys are gone at once.
    expect(await mastersDbsize()).toBe(0);
    await fill('flush', 5);
    expect(await fx.client.call('FLUSHALL', 'SYNC')).toBe('OK');
    expect(await mastersDbsize()).toBe(0);
    expect(await fx.client.dbsize()).toBe(0);
  });

  it('FLUSHDB @N empties only that shard', async () => {
    await fill('flush-one', 60);
    const before = await Promise.all(fx.backend.masters.map((m) => m.client.dbsize()));
    expect(await fx.client.call('FLUSHDB', '@1')).toBe('OK');
    const after = await Promise.all(fx.backend.masters.map((m) => m.client.dbsize()));
    expect(after).toEqual(before.map((n, i) => (i === 1 ? 0 : n)));
  });

  it('CONFIG SET goes to every node, masters and replicas', async () => {
    expect(await fx.client.config('SET', 'slowlog-max-len', '321')).toBe('OK');
    for (const node of fx.backend.all) expect(await node.client.config('GET', 'slowlog-max-len')).toEqual(['slowlog-max-len', '321']);
    expect(await fx.client.config('GET', 'slowlog-max-len')).toEqual(['slowlog-max-len', '321']);
    // A value every node refuses: the nodes' own error.
    const ownError = await fx.backend.masters[0]!.client.config('SET', 'slowlog-max-len', 'lots').catch((e: Error) => e.message);
    await expect(fx.client.config('SET', 'slowlog-max-len', 'lots')).rejects.toThrow(String(ownError));
  });

  it('CONFIG SET with config-set: ignore answers OK and changes nothing; deny refuses', async () => {
    const ignoring = await startProxy(cluster().seeds, ['--config-set', 'ignore']);
    const denying = await startProxy(cluster().seeds, ['--config-set', 'deny']);
    try {
      expect(await ignoring.client().config('SET', 'slowlog-max-len', '999')).toBe('OK');
      for (const node of fx.backend.all) expect(await node.client.config('GET', 'slowlog-max-len')).toEqual(['slowlog-max-len', '321']);
      await expect(denying.client().config('SET', 'slowlog-max-len', '999')).rejects.toThrow('ERR CONFIG SET is not allowed through this proxy (config-set: deny)');
      expect(await denying.client().config('GET', 'slowlog-max-len')).toEqual(['slowlog-max-len', '321']);
    } finally {
      await ignoring.close();
      await denying.close();
    }
  });

  it('never forwards CONFIG SET of authentication, replication, path or identity parameters, whatever config-set says', async () => {
    const ignoring = await startProxy(cluster().seeds, ['--config-set', 'ignore']);
    const denying = await startProxy(cluster().seeds, ['--config-set', 'deny']);
    const watched = ['requirepass', 'masterauth', 'masteruser', 'slowlog-max-len', 'dir', 'cluster-node-timeout', 'replica-announce-ip'];
    const nodeConfig = () => Promise.all(fx.backend.all.map((node) => node.client.call('CONFIG', 'GET', ...watched) as Promise<string[]>));
    const before = await nodeConfig();
    const refused = (name: string) => `ERR CONFIG SET of '${name}' is not allowed through this proxy (protected parameter)`;
    try {
      for (const proxy of [fx.proxy, ignoring, denying]) {
        const client = proxy.client();
        await expect(client.config('SET', 'requirepass', 'x')).rejects.toThrow(refused('requirepass'));
        // One protected pair refuses the whole command, before anything is sent.
        await expect(client.call('CONFIG', 'SET', 'slowlog-max-len', '555', 'MasterAuth', 'y')).rejects.toThrow(refused('masterauth'));
        await expect(client.call('CONFIG', 'SET', 'slaveof', '127.0.0.1 1')).rejects.toThrow(refused('slaveof'));
        await expect(client.call('CONFIG', 'SET', 'slowlog-max-len', '556', 'SLAVE-ANNOUNCE-IP', '10.9.9.9')).rejects.toThrow(refused('slave-announce-ip'));
        await expect(client.call('CONFIG', 'SET', 'cluster-node-timeout', '1', 'dir', '/tmp')).rejects.toThrow(refused('cluster-node-timeout'));
        // The refusal is the same in a pipeline.
        const replies = await client.pipeline().config('SET', 'masteruser', 'u').config('SET', 'tls-key-file-pass', 'p').exec();
        expect(replies!.map(([error]) => error?.message)).toEqual([refused('masteruser'), refused('tls-key-file-pass')]);
      }
      expect(await nodeConfig()).toEqual(before);
      // slotgate's own connections still work, and so does a new one.
      const fresh = fx.proxy.client();
      expect(await fresh.set('after-protected-config-set', 'v')).toBe('OK');
    } finally {
      // Had a protected value got through, undo it on the nodes (their connections stay signed in) so the file goes on.
      await Promise.all(fx.backend.all.map((node, i) => node.client.call('CONFIG', 'SET', 'requirepass', '', 'masterauth', '', 'masteruser', '', 'slowlog-max-len', String(before[i]![before[i]!.indexOf('slowlog-max-len') + 1]))));
      await ignoring.close();
      await denying.close();
    }
  });

  it('CONFIG RESETSTAT resets every node and slotgate\'s own counters', async () => {
    await fx.client.get('resetstat-key');
    await fx.client.mget('a', 'b', 'c');
    const commands = () => fx.proxy.handle.context.metrics.registry.getSingleMetric('slotgate_commands_total')!.get();
    expect((await commands()).values.length).toBeGreaterThan(0);
    expect(await fx.client.config('RESETSTAT')).toBe('OK');
    for (const node of fx.backend.all) {
      const stats = await node.client.info('stats');
      expect(Number(/total_commands_processed:(\d+)/.exec(stats)![1])).toBeLessThan(20);
    }
    const values = (await commands()).values;
    // Only CONFIG RESETSTAT itself has been counted since.
    expect(values.filter((v) => v.value > 0).map((v) => v.labels.command)).toEqual(['config|resetstat']);
    expect(fx.proxy.handle.context.metrics.commandsProcessed).toBe(1);
  });

  it('FUNCTION LOAD/LIST/DUMP/RESTORE/DELETE/FLUSH act on every master', async () => {
    const lib = (name: string) => `#!lua name=${name}\nredis.register_function('${name}_get', function(keys) return redis.call('GET', keys[1]) end)`;
    expect(await fx.client.call('FUNCTION', 'LOAD', lib('alpha'))).toBe('alpha');
    expect(await fx.client.call('FUNCTION', 'LOAD', lib('beta'))).toBe('beta');
    for (const master of fx.backend.masters) expect(((await master.client.call('FUNCTION', 'LIST')) as unknown[]).length).toBe(2);
    const list = (await fx.client.call('FUNCTION', 'LIST')) as unknown[][];
    expect(list.map((l) => l[1]).sort()).toEqual(['alpha', 'beta']);
    await expect(fx.client.call('FUNCTION', 'LOAD', lib('alpha'))).rejects.toThrow("ERR Library 'alpha' already exists");
    // FCALL works whichever master holds the key.
    for (let i = 0; i < 20; i++) {
      await fx.direct.set(`fn:${i}`, `v${i}`);
      expect(await fx.client.call('FCALL', 'alpha_get', '1', `fn:${i}`)).toBe(`v${i}`);
    }
    const dump = (await fx.client.callBuffer('FUNCTION', 'DUMP')) as Buffer;
    expect(await fx.client.call('FUNCTION', 'FLUSH')).toBe('OK');
    for (const master of fx.backend.masters) expect(await master.client.call('FUNCTION', 'LIST')).toEqual([]);
    expect(await fx.client.call('FUNCTION', 'RESTORE', dump)).toBe('OK');
    for (const master of fx.backend.masters) expect(((await master.client.call('FUNCTION', 'LIST')) as unknown[]).length).toBe(2);
    expect(await fx.client.call('FUNCTION', 'DELETE', 'beta')).toBe('OK');
    for (const master of fx.backend.masters) expect(((await master.client.call('FUNCTION', 'LIST')) as unknown[][]).map((l) => l[1])).toEqual(['alpha']);
    // Masters that disagree are reported, not papered over.
    await fx.backend.masters[2]!.client.call('FUNCTION', 'LOAD', lib('gamma'));
    await expect(fx.client.call('FUNCTION', 'LIST')).rejects.toThrow(/^ERR slotgate: FUNCTION LIST got different replies from @0 master \w+ and @2 master/);
    expect(await fx.client.call('FUNCTION', 'FLUSH')).toBe('OK');
  });

  it('SCRIPT FLUSH empties every master\'s script cache', async () => {
    const sha = (await fx.client.script('LOAD', 'return 42')) as string;
    expect(await fx.client.script('EXISTS', sha)).toEqual([1]);
    expect(await fx.client.script('FLUSH')).toBe('OK');
    for (const master of fx.backend.masters) expect(await master.client.script('EXISTS', sha)).toEqual([0]);
    await expect(fx.client.script('KILL')).rejects.toThrow('NOTBUSY No scripts in execution right now.');
  });

  it('a part that fails fails the whole command, naming the part; the other parts are not hidden', async () => {
    // One master out of memory: writes to it fail, writes to the others succeed.
    const full = fx.backend.shards[1]!.master;
    await full.client.config('SET', 'maxmemory-policy', 'noeviction');
    await full.client.config('SET', 'maxmemory', '1');
    try {
      const keys = Array.from({ length: 30 }, (_, i) => `part-fail:${i}`);
      const error = await fx.client.mset(...keys.flatMap((k) => [k, 'v'])).catch((e: Error) => e.message);
      expect(error).toMatch(new RegExp(`^ERR slotgate: MSET failed on slot \\d+ of @1: OOM command not allowed when used memory > 'maxmemory'`));
      // Every key of the other shards was written (README: *Cross-slot commands, node targeting and the cluster view*: MSET is "not atomic across slots").
      for (const k of keys) {
        const owner = await fx.backend.masterOf(k);
        expect(await owner.client.exists(k)).toBe(owner === full ? 0 : 1);
      }
      await expect(fx.client.call('FUNCTION', 'LOAD', "#!lua name=oom\nredis.register_function('f', function() return 1 end)")).rejects.toThrow(
        new RegExp(`^ERR slotgate: FUNCTION LOAD failed on @1 master ${full.id}: OOM`),
      );
    } finally {
      await full.client.config('SET', 'maxmemory', '0');
      await fx.client.call('FUNCTION', 'FLUSH');
    }
  });

  it('a master that does not answer fails the fan-out with a clear error, not a hang', async () => {
    const stalled = fx.backend.shards[2]!.master;
    const short = await startProxy(cluster().seeds, ['--command-timeout', '300']);
    const sleeper = new Redis({ host: stalled.address.split(':')[0], port: Number(stalled.address.split(':')[1]) });
    try {
      const c = short.client();
      await c.dbsize(); // connections up
      expect(await sleeper.call('CLIENT', 'PAUSE', '1000', 'ALL')).toBe('OK');
      const started = Date.now();
      const error = await c.dbsize().then(String, (e: Error) => e.message);
      expect(error).toMatch(new RegExp(`^ERR slotgate: DBSIZE failed on @2 master ${stalled.id}: ERR slotgate backend error: backend timeout`));
      expect(Date.now() - started).toBeLessThan(900);
    } finally {
      await sleeper.call('CLIENT', 'UNPAUSE');
      sleeper.disconnect();
      await short.close();
    }
  });
});
