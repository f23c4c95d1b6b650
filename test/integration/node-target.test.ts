// Node-targeted commands (README: *Cross-slot commands, node targeting and the cluster view*), MONITOR and IMONITOR, on the shared cluster. The node a
// suffix names is found from the cluster's own CLUSTER SHARDS (shards by first slot), and its
// answers, asked directly, are the expected values.
import { describe, expect, it } from 'vitest';
import { sharedClusterSeeds } from '../helpers/cluster-fixture.js';
import { RawClient } from '../helpers/slotgate.js';
import { useProxyFixture } from '../helpers/proxy-fixture.js';
import { waitUntil } from '../helpers/wait-until.js';
import { MASKED } from '../../src/proxy-view/info.js';
import { RespError } from '../../src/protocol/reply-parser.js';

// Fields that change between two INFO calls (eventloop_* and the rest since Redis 7.2 / Valkey 8).
const VOLATILE = /^(latency_percentiles_usec_.*|server_time_usec|uptime_in_seconds|uptime_in_days|lru_clock|used_memory.*|mem_.*|allocator_.*|rss_.*|total_.*|instantaneous_.*|used_cpu_.*|connected_clients|client_recent_.*|maxclients|total_net.*|keyspace_.*|expired_.*|evicted_.*|db\d+|master_repl_offset|repl_backlog_histlen|slave\d+|second_repl_offset|master_last_io_seconds_ago|slave_repl_offset|slave_read_repl_offset|cmdstat_.*|errorstat_.*|sync_.*|io_threaded_.*|current_.*|lazyfree_.*|number_of_cached_scripts|used_cpu.*|latest_fork_usec|total_forks|rdb_.*|aof_.*|instantaneous.*|tracking_.*|pubsub_.*|blocked_.*|clients_in_timeout_table|unexpected_error_replies|dump_payload_sanitizations|acl_access_denied_.*|expire_cycle_.*|expired_time_cap_reached_count|active_defrag_.*|keyspace|migrate_cached_sockets|slave_expires_tracked_keys|reply_buffer_.*|stat_reply_buffer_.*|total_eviction_exceeded_time|current_eviction_exceeded_time|io_threads_active|total_blocking_keys.*|functions|number_of_functions|number_of_libraries|eventloop_.*|watching_clients|total_watched_keys|client_query_buffer_limit_disconnections|client_output_buffer_limit_disconnections)$/;

function fieldsOf(info: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const line of info.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0 && !line.startsWith('#')) map.set(line.slice(0, colon), line.slice(colon + 1));
  }
  return map;
}

describe('node-targeted commands', () => {
  const fx = useProxyFixture(sharedClusterSeeds);
  const run = `nt-${Date.now().toString(36)}`;

  it('@N is the N-th shard by first slot: KEYS pattern @N equals that master\'s KEYS', async () => {
    for (let i = 0; i < 60; i++) await fx.client.set(`${run}:k:${i}`, '1');
    for (const shard of fx.backend.shards) {
      const viaProxy = (await fx.client.call('KEYS', `${run}:k:*`, `@${shard.index}`)) as string[];
      expect(viaProxy.sort()).toEqual((await shard.master.client.keys(`${run}:k:*`)).sort());
      expect(viaProxy.length).toBeGreaterThan(0);
    }
  });

  it('a node ID names that node, master or replica; the suffix never reaches it', async () => {
    for (const node of fx.backend.all) {
      expect(await fx.client.call('ROLE', node.id)).toEqual(await node.client.call('ROLE'));
      expect(await fx.client.call('CONFIG', 'GET', 'port', node.id)).toEqual(await node.client.call('CONFIG', 'GET', 'port'));
      expect(await fx.client.call('PING', `hello-${node.id.slice(0, 4)}`, node.id)).toBe(`hello-${node.id.slice(0, 4)}`);
    }
  });

  it('SCAN cursor @N is that node\'s own SCAN, cursor and all', async () => {
    const shard = fx.backend.shards[1]!;
    expect(await fx.client.call('SCAN', '0', 'MATCH', `${run}:k:*`, 'COUNT', '10000', '@1')).toEqual(
      await shard.master.client.scan('0', 'MATCH', `${run}:k:*`, 'COUNT', '10000'),
    );
  });

  it('DBSIZE, RANDOMKEY, TIME, LASTSAVE, MEMORY, CLUSTER INFO reach the named node', async () => {
    const shard = fx.backend.shards[2]!;
    // DBSIZE moves with the other test files' writes: bracket it with the node's own answers.
    const before = await shard.master.client.dbsize();
    const viaProxy = (await fx.client.call('DBSIZE', '@2')) as number;
    const after = await shard.master.client.dbsize();
    expect(viaProxy).toBeGreaterThanOrEqual(Math.min(before, after));
    expect(viaProxy).toBeLessThanOrEqual(Math.max(before, after));
    const random = (await fx.client.call('RANDOMKEY', '@2')) as string;
    expect(await shard.master.client.exists(random)).toBe(1);
    expect(await fx.client.call('LASTSAVE', '@2')).toBe(await shard.master.client.lastsave());
    const [seconds] = (await fx.client.call('TIME', '@2')) as string[];
    expect(Math.abs(Number(seconds) - Date.now() / 1000)).toBeLessThan(5);
    // MEMORY DOCTOR's report follows the node's memory, which the other files' traffic moves
    // (Valkey's speaks of a peak one moment and of an empty instance the next): bracket it too.
    const doctorBefore = String(await shard.master.client.call('MEMORY', 'DOCTOR'));
    const doctor = String(await fx.client.call('MEMORY', 'DOCTOR', '@2'));
    const doctorAfter = String(await shard.master.client.call('MEMORY', 'DOCTOR'));
    expect([doctorBefore, doctorAfter]).toContain(doctor);
    const info = fieldsOf((await fx.client.call('CLUSTER', 'INFO', '@2')) as string);
    const own = fieldsOf((await shard.master.client.call('CLUSTER', 'INFO')) as string);
    for (const field of ['cluster_state', 'cluster_known_nodes', 'cluster_size', 'cluster_my_epoch']) expect(info.get(field)).toBe(own.get(field));
    const stats = (await fx.client.call('MEMORY', 'STATS', '@2')) as unknown[];
    expect(stats.filter((_, i) => i % 2 === 0)).toEqual(((await shard.master.client.call('MEMORY', 'STATS')) as unknown[]).filter((_, i) => i % 2 === 0));
  });

  it('INFO <section> <node> is that node\'s INFO, masked', async () => {
    for (const node of [fx.backend.shards[0]!.master, fx.backend.shards[0]!.replicas[0]!]) {
      const viaProxy = (await fx.client.call('INFO', 'everything', node.id)) as string;
      const own = (await node.client.info('everything')) as string;
      const proxied = fieldsOf(viaProxy);
      const direct = fieldsOf(own);
      expect([...proxied.keys()].filter((k) => !/^(cmdstat_|errorstat_|db\d)/.test(k))).toEqual([...direct.keys()].filter((k) => !/^(cmdstat_|errorstat_|db\d)/.test(k)));
      for (const [field, value] of direct) {
        if (['run_id', 'master_replid', 'master_replid2', 'executable', 'config_file', 'tcp_port', 'master_host', 'master_port'].includes(field)) {
          expect(proxied.get(field), field).toBe(MASKED);
        } else if (/^listener\d+$/.test(field)) {
          // Redis 7.2 and Valkey: where the node listens, masked part by part.
          expect(proxied.get(field), field).toBe(value.replace(/\b(bind|port)=[^,]*/g, `$1=${MASKED}`));
        } else if (!VOLATILE.test(field)) expect(proxied.get(field), field).toBe(value);
      }
      // Nothing that says where the backend is.
      expect(viaProxy).not.toContain(node.address.split(':')[1]!);
      expect(viaProxy).not.toContain(direct.get('run_id')!);
    }
  });

  it('SLOWLOG with a node is that node\'s log (without one, the cluster\'s: slowlog.test.ts)', async () => {
    expect(await fx.client.call('SLOWLOG', 'RESET', '@0')).toBe('OK');
    expect(await fx.client.call('SLOWLOG', 'LEN', '@0')).toBe(await fx.backend.shards[0]!.master.client.call('SLOWLOG', 'LEN'));
    expect(await fx.client.call('SLOWLOG', 'GET', '5', '@1')).toEqual(await fx.backend.shards[1]!.master.client.call('SLOWLOG', 'GET', '5'));
  });

  it('an unknown node is refused', async () => {
    await expect(fx.client.call('DBSIZE', `@${fx.backend.shards.length}`)).rejects.toThrow(/^ERR no such node '@3'/);
    await expect(fx.client.call('INFO', '0123456789abcdef0123456789abcdef01234567')).rejects.toThrow(/^ERR no such node/);
  });

  it('without a suffix: PING is answered by slotgate, the others by a random master', async () => {
    expect(await fx.client.ping()).toBe('PONG');
    const times = (await fx.client.call('TIME')) as string[];
    expect(times).toHaveLength(2);
    expect(await fx.client.call('CONFIG', 'GET', 'cluster-enabled')).toEqual(['cluster-enabled', 'yes']);
  });

  it('MONITOR streams what slotgate runs, for every client, with AUTH secrets redacted', async () => {
    const monitor = await RawClient.connect(fx.proxy.port);
    expect(await monitor.call('MONITOR')).toBe('OK');
    const other = fx.proxy.client();
    await other.set(`${run}:mon`, 'v\n1');
    await other.call('AUTH', 'default', 'top-secret').catch(() => undefined);
    await other.call('HELLO', '2', 'AUTH', 'default', 'other-secret').catch(() => undefined);
    await other.get(`${run}:mon`);
    const lines: string[] = [];
    await waitUntil(async () => {
      lines.push((await monitor.nextFrame()).toString('latin1'));
      return lines.some((l) => l.includes(`"get" "${run}:mon"`));
    }, 10_000, 'the GET in the MONITOR feed');
    const localAddress = `${(other as unknown as { stream: { localAddress: string; localPort: number } }).stream.localAddress}`;
    const set = lines.find((l) => l.includes(`"set" "${run}:mon"`))!;
    expect(set).toMatch(new RegExp(`^\\+\\d+\\.\\d{6} \\[0 ${localAddress.replace(/\./g, '\\.')}:\\d+\\] "set" "${run}:mon" "v\\\\n1"\\r\\n$`));
    expect(lines.join('')).toContain('"AUTH" "(redacted)" "(redacted)"');
    expect(lines.join('')).toContain('"HELLO" "2" "AUTH" "(redacted)" "(redacted)"');
    expect(lines.join('')).not.toMatch(/top-secret|other-secret/);
    // Streaming mode: commands from the monitoring client are not run.
    monitor.command('SET', `${run}:ignored`, '1');
    await other.ping();
    expect(await fx.backend.masterOf(`${run}:ignored`).then((m) => m.client.exists(`${run}:ignored`))).toBe(0);
    monitor.close();
    await waitUntil(() => fx.proxy.handle.context.monitors.active === false, 5000, 'the monitor to detach');
  });

  it('IMONITOR <node> streams that backend node\'s own MONITOR feed', async () => {
    const shard = fx.backend.shards[1]!;
    const key = await keyOn(shard.master.id, `${run}:imon`);
    const monitor = await RawClient.connect(fx.proxy.port);
    expect(await monitor.call('IMONITOR', '@1')).toBe('OK');
    await fx.client.set(key, 'x');
    const lines: string[] = [];
    await waitUntil(async () => {
      lines.push((await monitor.nextFrame()).toString('latin1'));
      return lines.some((l) => l.toLowerCase().includes(`"set" "${key}" "x"`));
    }, 10_000, 'the SET in the node\'s feed');
    monitor.close();
    const unknown = await RawClient.connect(fx.proxy.port);
    expect(await unknown.call('IMONITOR', '@99')).toEqual(new RespError("ERR no such node '@99' (a backend node ID as GET /v1/topology on the admin port lists them, or @<shard index>)"));
    unknown.close();
  });

  async function keyOn(masterId: string, base: string): Promise<string> {
    for (let i = 0; ; i++) if ((await fx.backend.masterOf(`${base}:${i}`)).id === masterId) return `${base}:${i}`;
  }
});
