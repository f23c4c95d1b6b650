// Keyless commands that would otherwise answer for one backend node: WAIT (for the masters this
// connection wrote to), INFO clients/stats/commandstats (slotgate's own figures), ROLE and
// CONFIG GET (no backend address, port or path). Oracles: the cluster's own masters, asked
// directly, and a standalone redis-server for error texts and field names.
import { describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { sharedClusterSeeds } from '../helpers/cluster-fixture.js';
import { useProxyFixture } from '../helpers/proxy-fixture.js';
import { RawClient } from '../helpers/slotgate.js';
import { replyOrError, useStandaloneRedis } from '../helpers/standalone-redis.js';
import { waitUntil } from '../helpers/wait-until.js';

function infoFields(info: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const line of info.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0 && !line.startsWith('#')) map.set(line.slice(0, colon), line.slice(colon + 1));
  }
  return map;
}

describe('keyless commands answer for slotgate, not for one backend node', () => {
  const fx = useProxyFixture(sharedClusterSeeds);
  const oracle = useStandaloneRedis();
  const run = `kl-${Date.now().toString(36)}`;

  /** A key of each shard, found by asking the cluster where it lives. */
  async function keyPerShard(): Promise<Map<string, string>> {
    const keys = new Map<string, string>();
    for (let i = 0; keys.size < fx.backend.masters.length; i++) {
      const key = `${run}:w:${i}`;
      const owner = await fx.backend.masterOf(key);
      if (!keys.has(owner.address)) keys.set(owner.address, key);
    }
    return keys;
  }

  describe('WAIT', () => {
    it('argument errors are Redis\'s own', async () => {
      for (const args of [['WAIT', 'x', '0'], ['WAIT', '0', 'x'], ['WAIT', '0', '-1'], ['WAIT', 'x', '-1'], ['WAIT', '1']]) {
        expect(await replyOrError(fx.client, args)).toEqual(await replyOrError(oracle(), args));
      }
    });

    it('after writes to every master, counts the replicas that have them (as each master\'s own WAIT does)', async () => {
      for (const key of (await keyPerShard()).values()) await fx.client.set(key, 'v');
      expect(await fx.client.call('WAIT', '1', '5000')).toBe(1);
      // Each shard has one replica: asking for two waits out the timeout and says 1, like the masters.
      await fx.client.set(`${run}:again`, 'v');
      const owner = await fx.backend.masterOf(`${run}:again`);
      await owner.client.set(`${run}:again`, 'v');
      expect(await fx.client.call('WAIT', '2', '200')).toBe(await owner.client.call('WAIT', '2', '200'));
    });

    it('a connection that wrote nothing gets the replicas every master has, at once', async () => {
      const fresh = fx.proxy.client();
      expect(await fresh.call('WAIT', '1', '0')).toBe(1);
      expect(await fresh.call('WAIT', '0', '0')).toBe(1);
    });
  });

  it('WAITAOF gets the same refusal whatever the nodes run (7.0 has no WAITAOF, 7.2 and Valkey 8 do)', async () => {
    const refusal = { error: "ERR command 'waitaof' is not supported by slotgate" };
    expect(await replyOrError(fx.client, ['WAITAOF', '1', '0', '0'])).toEqual(refusal);
    expect(await replyOrError(fx.client, ['waitaof', 'x'])).toEqual({ error: "ERR wrong number of arguments for 'waitaof' command" });
  });

  describe('INFO clients, stats and commandstats', () => {
    it('clients: slotgate\'s own connections, in Redis\'s field names', async () => {
      const extra = [fx.proxy.client(), fx.proxy.client(), fx.proxy.client()];
      await Promise.all(extra.map((c) => c.ping()));
      const own = infoFields((await fx.client.info('clients')) as string);
      expect(Number(own.get('connected_clients'))).toBe(fx.proxy.handle.sessions.size);
      expect(Number(own.get('connected_clients'))).toBeGreaterThanOrEqual(4);
      expect(own.get('maxclients')).toBe(String(fx.proxy.handle.context.config.maxClients));
      // Redis's own fields; the oracle is 7.0, whose Clients section lacks those of 7.2 and 7.4.
      const newer = ['pubsub_clients', 'watching_clients', 'total_blocking_keys', 'total_blocking_keys_on_nokey'];
      const redisFields = [...infoFields((await oracle().info('clients')) as string).keys(), ...newer];
      for (const field of own.keys()) expect(redisFields).toContain(field);

      const blocker = fx.proxy.client();
      const blocked = blocker.blpop(`${run}:never`, 0).catch(() => null);
      await waitUntil(async () => infoFields((await fx.client.info('clients')) as string).get('blocked_clients') === '1', 5000, 'blocked_clients:1');
      blocker.disconnect();
      await blocked;
      for (const c of extra) c.disconnect();
    });

    it('clients: watching, pub/sub and blocked clients and the keys they block on, as Redis 7.2+ counts them', async () => {
      const clients = infoClients(fx.client);
      // Counted from what is there already (an earlier test's blocked client may not have gone yet).
      const before = await clients();
      const blockedBefore = Number(before.get('blocked_clients'));
      const added = (fields: Map<string, string>): Record<string, number> =>
        Object.fromEntries(Object.entries(pick(fields)).map(([name, value]) => [name, Number(value) - Number(before.get(name))]));
      const stream = `${run}:{b}stream`;
      await fx.client.xgroup('CREATE', stream, 'g', '$', 'MKSTREAM');
      const watcher = fx.proxy.client();
      const subscriber = fx.proxy.client();
      const blockers = [fx.proxy.client(), fx.proxy.client(), fx.proxy.client()];
      await watcher.watch(`${run}:watched`);
      await subscriber.subscribe(`${run}:channel`);
      const pending = [
        blockers[0]!.blpop(`${run}:{b}1`, `${run}:{b}2`, 0),
        blockers[1]!.call('BLPOP', `${run}:{b}2`, '1000'), // a timeout: in Redis's timeout table
        blockers[2]!.call('XREADGROUP', 'GROUP', 'g', 'c', 'BLOCK', '0', 'STREAMS', stream, '>'), // woken when the key is deleted
      ].map((p) => p.catch(() => null));
      await waitUntil(async () => Number((await clients()).get('blocked_clients')) === blockedBefore + 3, 5000, 'three more blocked clients');
      expect(added(await clients())).toEqual({
        watching_clients: 1, pubsub_clients: 1, tracking_clients: 0,
        total_blocking_keys: 3, total_blocking_keys_on_nokey: 1, clients_in_timeout_table: 1,
      });
      // Each one woken, or out of its state, as its own command says.
      await fx.client.rpush(`${run}:{b}1`, 'x');
      await fx.client.rpush(`${run}:{b}2`, 'x');
      await fx.client.xadd(stream, '*', 'f', 'v');
      await Promise.all(pending);
      await watcher.unwatch();
      await subscriber.unsubscribe();
      expect(added(await clients())).toEqual({
        watching_clients: 0, pubsub_clients: 0, tracking_clients: 0,
        total_blocking_keys: 0, total_blocking_keys_on_nokey: 0, clients_in_timeout_table: 0,
      });
      for (const c of [watcher, subscriber, ...blockers]) c.disconnect();
    });

    it('stats: connections received and commands processed are slotgate\'s', async () => {
      const before = infoFields((await fx.client.info('stats')) as string);
      // No ready check: ioredis would send an INFO of its own on connect; nor its CLIENT SETINFO pair,
      // which slotgate answers (and counts, as Redis 7.2 does).
      const quiet = { enableReadyCheck: false, disableClientInfo: true };
      const extra = [fx.proxy.client(quiet), fx.proxy.client(quiet)];
      await Promise.all(extra.map((c) => c.ping()));
      const after = infoFields((await fx.client.info('stats')) as string);
      expect(Number(after.get('total_connections_received')) - Number(before.get('total_connections_received'))).toBe(2);
      // The two PINGs and the first INFO were answered in between (this INFO is counted after its reply).
      expect(Number(after.get('total_commands_processed')) - Number(before.get('total_commands_processed'))).toBe(3);
      expect(after.get('rejected_connections')).toBe('0');
      expect(Number(after.get('instantaneous_ops_per_sec'))).toBeGreaterThanOrEqual(0);
      for (const c of extra) c.disconnect();
    });

    it('commandstats: calls and failed calls per command, as the standalone oracle counts the same commands', async () => {
      // Keys on every master: one master's own commandstats would show only its share.
      const keys = [...(await keyPerShard()).values()];
      const sequence = async (client: Redis): Promise<Map<string, string>> => {
        await client.call('CONFIG', 'RESETSTAT');
        for (const key of keys) await client.set(key, 'v');
        for (const key of keys) await client.get(key);
        await client.lpush(`${run}:list`, 'x');
        await client.get(`${run}:list`).catch(() => null); // WRONGTYPE: a failed call
        const lines = ((await client.info('commandstats')) as string).split('\r\n').filter((l) => /^cmdstat_(get|set):/.test(l));
        return new Map(lines.map((l) => [l.slice(0, l.indexOf(':')), l.replace(/usec=\d+,usec_per_call=[\d.]+/, 'usec=*')]));
      };
      const ours = await sequence(fx.client);
      const redis = await sequence(oracle());
      expect(ours).toEqual(redis);
      expect(ours.get('cmdstat_get')).toBe(`cmdstat_get:calls=${keys.length + 1},usec=*,rejected_calls=0,failed_calls=1`);
      expect(ours.get('cmdstat_set')).toBe(`cmdstat_set:calls=${keys.length},usec=*,rejected_calls=0,failed_calls=0`);
    });
  });

  describe('no backend address without a node suffix', () => {
    const backendPorts = (): string[] => fx.backend.all.flatMap((n) => {
      const port = Number(n.address.split(':').pop());
      return [String(port), String(port + 10000)];
    });

    it('ROLE is slotgate\'s: a master without replicas', async () => {
      const role = (await fx.client.call('ROLE')) as unknown[];
      expect(role).toEqual(['master', 0, []]);
      const standalone = (await oracle().call('ROLE')) as unknown[];
      expect([standalone[0], standalone[2]]).toEqual(['master', []]);
    });

    it('CONFIG GET port/tls-port/bind are slotgate\'s own', async () => {
      expect(await fx.client.call('CONFIG', 'GET', 'port')).toEqual(['port', String(fx.proxy.port)]);
      expect(await fx.client.call('CONFIG', 'GET', 'tls-port')).toEqual(['tls-port', '0']);
      expect(await fx.client.call('CONFIG', 'GET', 'bind')).toEqual(['bind', fx.proxy.handle.context.config.bind]);
      expect(await fx.client.call('CONFIG', 'GET', 'cluster-announce-*')).toEqual(
        expect.arrayContaining(['cluster-announce-ip', '', 'cluster-announce-port', '0', 'cluster-announce-bus-port', '0']),
      );
    });

    it('CONFIG GET answers a RESP3 client with a map, as Redis does', async () => {
      const raw = await RawClient.connect(fx.proxy.port);
      const node = await RawClient.connect(Number(fx.backend.masters[0]!.address.split(':').pop()));
      try {
        for (const c of [raw, node]) {
          c.command('HELLO', '3');
          await c.nextFrame();
          c.command('CONFIG', 'GET', 'maxmemory-policy');
        }
        expect((await raw.nextFrame()).toString()).toBe((await node.nextFrame()).toString());
        raw.command('CONFIG', 'GET', 'port');
        expect((await raw.nextFrame()).toString()).toBe(`%1\r\n$4\r\nport\r\n$${String(fx.proxy.port).length}\r\n${fx.proxy.port}\r\n`);
      } finally {
        raw.close();
        node.close();
      }
    });

    it('CONFIG GET * holds no backend port, address or path; the rest is a master\'s own', async () => {
      const pairs = (await fx.client.call('CONFIG', 'GET', '*')) as string[];
      const master = fx.backend.masters[0]!;
      const direct = (await master.client.call('CONFIG', 'GET', '*')) as string[];
      const dir = direct[direct.indexOf('dir') + 1]!;
      const ports = new Set(backendPorts());
      const values = pairs.filter((_, i) => i % 2 === 1);
      for (const value of values) {
        for (const token of value.split(/[\s:,]+/)) expect(ports.has(token), `value "${value}"`).toBe(false);
        expect(value.includes(dir), `value "${value}"`).toBe(false);
      }
      expect(pairs.length).toBe(direct.length);
      const ours = new Map(pairs.flatMap((p, i) => (i % 2 === 0 ? [[p, pairs[i + 1]!]] : [])));
      expect(ours.get('maxmemory-policy')).toBe(direct[direct.indexOf('maxmemory-policy') + 1]);
      expect(ours.get('dir')).toBe('***');
    });
  });
});

/** INFO clients of `client`, as a map, each time it is called. */
function infoClients(client: Redis): () => Promise<Map<string, string>> {
  return async () => infoFields((await client.info('clients')) as string);
}

/** The INFO clients fields of Redis 7.2+ that count client states. */
function pick(fields: Map<string, string>): Record<string, string | undefined> {
  const names = ['watching_clients', 'pubsub_clients', 'tracking_clients', 'total_blocking_keys', 'total_blocking_keys_on_nokey', 'clients_in_timeout_table'];
  return Object.fromEntries(names.map((name) => [name, fields.get(name)]));
}
