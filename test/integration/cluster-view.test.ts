// The cluster a client sees through slotgate (README: *Cross-slot commands, node targeting and the cluster view*): one node, slotgate itself, owning every
// slot. Proven with real cluster-aware clients (ioredis Cluster, `redis-cli -c`) pointed at
// slotgate, whose results are checked against the backend nodes asked directly.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { Cluster } from 'ioredis';
import { sharedClusterSeeds } from '../helpers/cluster-fixture.js';
import { startProxy } from '../helpers/slotgate.js';
import { useProxyFixture } from '../helpers/proxy-fixture.js';

const execFileAsync = promisify(execFile);
const sha1 = (s: string) => createHash('sha1').update(s).digest('hex');

describe('one-node cluster view', () => {
  const fx = useProxyFixture(sharedClusterSeeds);
  const run = `cv-${Date.now().toString(36)}`;

  /** No backend node's port or ID anywhere in a reply. */
  function expectNoBackendLeak(reply: unknown): void {
    const text = JSON.stringify(reply);
    for (const node of fx.backend.all) {
      expect(text).not.toContain(node.id);
      expect(text).not.toContain(`:${node.address.split(':')[1]}`);
      expect(text).not.toContain(`,${node.address.split(':')[1]},`);
    }
  }

  it('CLUSTER SLOTS, SHARDS and NODES show slotgate alone, at its address, owning 0-16383', async () => {
    const id = sha1(`127.0.0.1:${fx.proxy.port}`);
    const slots = await fx.client.call('CLUSTER', 'SLOTS');
    expect(slots).toEqual([[0, 16383, ['127.0.0.1', fx.proxy.port, id, []]]]);
    const shards = await fx.client.call('CLUSTER', 'SHARDS');
    expect(shards).toEqual([
      ['slots', [0, 16383], 'nodes', [['id', id, 'port', fx.proxy.port, 'ip', '127.0.0.1', 'endpoint', '127.0.0.1', 'role', 'master', 'replication-offset', 0, 'health', 'online']]],
    ]);
    const nodes = (await fx.client.call('CLUSTER', 'NODES')) as string;
    expect(nodes).toBe(`${id} 127.0.0.1:${fx.proxy.port}@0 myself,master - 0 0 0 connected 0-16383\n`);
    expect(await fx.client.call('CLUSTER', 'MYID')).toBe(id);
    for (const reply of [slots, shards, nodes]) expectNoBackendLeak(reply);
    // The same shape as a real node's replies (element by element, types included).
    const real = (await fx.backend.masters[0]!.client.call('CLUSTER', 'SLOTS')) as unknown[][];
    expect((slots as unknown[][])[0]!.map((e) => typeof e)).toEqual(real[0]!.slice(0, 3).map((e) => typeof e));
  });

  it('CLUSTER INFO: the backend\'s state, one node and one shard', async () => {
    const info = (await fx.client.call('CLUSTER', 'INFO')) as string;
    const own = (await fx.backend.masters[0]!.client.call('CLUSTER', 'INFO')) as string;
    const field = (text: string, name: string) => new RegExp(`^${name}:(.*)\\r$`, 'm').exec(text)?.[1];
    expect(field(info, 'cluster_state')).toBe(field(own, 'cluster_state'));
    expect(field(info, 'cluster_slots_ok')).toBe(field(own, 'cluster_slots_ok'));
    expect(field(info, 'cluster_slots_assigned')).toBe('16384');
    expect(field(info, 'cluster_known_nodes')).toBe('1');
    expect(field(info, 'cluster_size')).toBe('1');
    // Every field is one Redis has (slotgate leaves out the per-message-type bus counters).
    const ownFields = own.split('\r\n').filter(Boolean).map((l) => l.split(':')[0]);
    expect(info.split('\r\n').filter(Boolean).map((l) => l.split(':')[0]).filter((f) => !ownFields.includes(f))).toEqual([]);
  });

  it('CLUSTER KEYSLOT, COUNTKEYSINSLOT and GETKEYSINSLOT agree with the cluster', async () => {
    const tag = `{${run}-slot}`;
    for (let i = 0; i < 5; i++) await fx.direct.set(`${tag}:${i}`, '1');
    for (const key of [tag, 'foo', 'ключ', `${run}:x`, '']) {
      expect(await fx.client.call('CLUSTER', 'KEYSLOT', key)).toBe(await fx.backend.masters[0]!.client.call('CLUSTER', 'KEYSLOT', key));
    }
    const slot = String(await fx.client.call('CLUSTER', 'KEYSLOT', tag));
    const owner = await fx.backend.masterOf(tag);
    expect(await fx.client.call('CLUSTER', 'COUNTKEYSINSLOT', slot)).toBe(await owner.client.call('CLUSTER', 'COUNTKEYSINSLOT', slot));
    expect(await fx.client.call('CLUSTER', 'COUNTKEYSINSLOT', slot)).toBeGreaterThanOrEqual(5);
    expect(((await fx.client.call('CLUSTER', 'GETKEYSINSLOT', slot, '100')) as string[]).sort()).toEqual(
      ((await owner.client.call('CLUSTER', 'GETKEYSINSLOT', slot, '100')) as string[]).sort(),
    );
    // Bad arguments: the backend's own error text.
    const ownError = await owner.client.call('CLUSTER', 'COUNTKEYSINSLOT', '99999').catch((e: Error) => e.message);
    await expect(fx.client.call('CLUSTER', 'COUNTKEYSINSLOT', '99999')).rejects.toThrow(ownError as string);
    await expect(fx.client.call('CLUSTER', 'SETSLOT', '1', 'STABLE')).rejects.toThrow("ERR command 'cluster setslot' is not supported by slotgate");
  });

  it('READONLY, READWRITE and ASKING are accepted', async () => {
    expect(await fx.client.call('READONLY')).toBe('OK');
    expect(await fx.client.call('READWRITE')).toBe('OK');
    expect(await fx.client.call('ASKING')).toBe('OK');
  });

  it('an ioredis Cluster client pointed at slotgate works across many slots, MGET included', async () => {
    const viaProxy = new Cluster([{ host: '127.0.0.1', port: fx.proxy.port }], { redisOptions: { connectTimeout: 2000 } });
    try {
      const names = Array.from({ length: 200 }, (_, i) => `${run}:ioredis:${i}`);
      for (const [i, k] of names.entries()) expect(await viaProxy.set(k, `v${i}`)).toBe('OK');
      // It learned one node only: slotgate.
      expect(viaProxy.nodes('all').map((n) => `${n.options.host}:${n.options.port}`)).toEqual([`127.0.0.1:${fx.proxy.port}`]);
      expect(await Promise.all(names.map((k) => fx.direct.get(k)))).toEqual(names.map((_, i) => `v${i}`));
      expect(await viaProxy.mget(...names)).toEqual(names.map((_, i) => `v${i}`));
      const pipeline = viaProxy.pipeline();
      for (const k of names.slice(0, 50)) pipeline.get(k);
      expect((await pipeline.exec())!.map(([, v]) => v)).toEqual(names.slice(0, 50).map((_, i) => `v${i}`));
      expect(await viaProxy.del(...names)).toBe(names.length);
      expect(await fx.direct.exists(...names.slice(0, 1))).toBe(0);
    } finally {
      viaProxy.disconnect();
    }
  });

  it('redis-cli -c pointed at slotgate sets and gets keys across slots', async () => {
    const cli = (...args: string[]) => execFileAsync('redis-cli', ['-c', '-p', String(fx.proxy.port), ...args]).then((r) => r.stdout.trim());
    const names = Array.from({ length: 20 }, (_, i) => `${run}:cli:${i}`);
    for (const [i, k] of names.entries()) expect(await cli('SET', k, `c${i}`)).toBe('OK');
    for (const [i, k] of names.entries()) {
      expect(await cli('GET', k)).toBe(`c${i}`);
      expect(await (await fx.backend.masterOf(k)).client.get(k)).toBe(`c${i}`);
    }
    expect((await cli('MGET', ...names)).split('\n')).toEqual(names.map((_, i) => `c${i}`));
    expect(await cli('CLUSTER', 'KEYSLOT', names[0]!)).toBe(String(await fx.backend.masters[0]!.client.call('CLUSTER', 'KEYSLOT', names[0]!)));
  });

  it('announces announce-host/announce-port when given', async () => {
    const other = await startProxy(sharedClusterSeeds(), ['--announce-host', 'proxy.example', '--announce-port', '7777']);
    try {
      const c = other.client();
      expect(await c.call('CLUSTER', 'SLOTS')).toEqual([[0, 16383, ['proxy.example', 7777, sha1('proxy.example:7777'), []]]]);
    } finally {
      await other.close();
    }
  });

  it('INFO: one master\'s sections masked, and a Proxy section with slotgate\'s own figures', async () => {
    const info = (await fx.client.info()) as string;
    expect(info).toMatch(/^# Server\r\nredis_version:/);
    expect(info).toContain('run_id:***\r\n');
    expect(info).toContain('executable:***\r\n');
    expect(info).toContain('tcp_port:***\r\n');
    expect(info).toMatch(/\r\n# Proxy\r\nproxy_version:0\.1\.0\r\n/);
    expect(info).toContain(`proxy_node_id:${sha1(`127.0.0.1:${fx.proxy.port}`)}\r\n`);
    // Up or down as CLUSTER SHARDS says (a replica is "loading" until it has replicated something): together, every node.
    const figure = (name: string) => Number(new RegExp(`^${name}:(\\d+)\r$`, 'm').exec(info)![1]);
    expect(figure('proxy_backend_nodes_up') + figure('proxy_backend_nodes_down')).toBe(fx.backend.all.length);
    expect(figure('proxy_backend_nodes_up')).toBeGreaterThanOrEqual(fx.backend.masters.length);
    expect(figure('proxy_backend_shards')).toBe(fx.backend.shards.length);
    expectNoBackendLeak(info.replace(/^(redis_git_sha1|redis_build_id|server_time_usec|used_memory.*|.*_offset|.*usec.*):.*$/gm, ''));
    expect((await fx.client.info('server')) as string).not.toContain('# Proxy');
    expect((await fx.client.info('proxy')) as string).toMatch(/^# Proxy\r\n/);
  });
});
