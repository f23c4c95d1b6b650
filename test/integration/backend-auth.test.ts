// Backend authentication (issue #11): slotgate signs in to password-protected nodes on every
// connection it opens (shared, dedicated for WATCH/blocking/SCRIPT KILL, replica-read, the topology
// refresher's), refuses to start with a clear message when the nodes refuse its credentials, and
// picks up a rotated password on reload. Clusters of this file's own: requirepass + masterauth on
// every node, and one whose only usable account is an ACL user. The nodes' own statistics (INFO)
// are the oracle; every log line of the run is captured, and none may contain a secret.
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { useDedicatedCluster } from '../helpers/cluster-fixture.js';
import { tempConfigFile, type TempConfigFile } from '../helpers/config-file.js';
import { runAndKillBusyScript } from '../helpers/busy-script.js';
import { RawClient, startProxy, type StartedProxy } from '../helpers/slotgate.js';
import { runCli } from '../helpers/slotgate-cli.js';
import { RespError } from '../../src/protocol/reply-parser.js';

const SECRETS = { first: 'Backend#First1', rotated: 'Backend#Rotated2', wrong: 'Backend#Wrong3', acl: 'Acl#UserPass4' };

function captureLogs(): { lines: string[]; stream: Writable } {
  const lines: string[] = [];
  return {
    lines,
    stream: new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString());
        done();
      },
    }),
  };
}

function expectNoSecret(texts: string[]): void {
  for (const text of texts) for (const secret of Object.values(SECRETS)) expect(text).not.toContain(secret);
}

/** Runs the slotgate binary until it exits (it should: the credentials are refused). */
async function runSlotgate(args: string[], env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  const { code, stdout, stderr } = await runCli(args, env);
  return { code, output: stdout + stderr };
}

describe('backend nodes with requirepass and masterauth', () => {
  const cluster = useDedicatedCluster({ replicasPerMaster: 1, nodeTimeoutMs: 60_000, auth: { password: SECRETS.first } });
  const logs = captureLogs();
  let config: TempConfigFile;
  let proxy: StartedProxy;
  const nodes: Redis[] = [];
  const run = Date.now().toString(36);

  /** Direct connections to every node, signed in with `password`. */
  async function connectNodes(password: string): Promise<void> {
    for (const n of nodes.splice(0)) n.disconnect();
    for (const node of cluster().nodes) nodes.push(new Redis({ port: node.port, password, lazyConnect: true }));
    await Promise.all(nodes.map((n) => n.connect()));
  }
  const statOnNodes = async (section: string, pattern: RegExp, which: Redis[] = nodes): Promise<number> => {
    let total = 0;
    for (const n of which) total += Number(pattern.exec(String(await n.info(section)))?.[1] ?? 0);
    return total;
  };
  const roleOf = async (n: Redis) => (/^role:(\w+)/m.exec(String(await n.info('replication')))?.[1] ?? '');

  beforeAll(async () => {
    config = tempConfigFile(`backend-password: "${SECRETS.first}"\nreplica-read: yes\n`);
    await connectNodes(SECRETS.first);
    // Redis answers other clients during a script only after this long (default 5 s).
    for (const n of nodes) await n.config('SET', 'busy-reply-threshold', '100');
    proxy = await startProxy(cluster().seeds, ['--config', config.path, '--backend-connections', '1', '--topology-refresh-interval', '200', '--log-level', 'debug'], {
      logDestination: logs.stream,
    });
    // Errors from before slotgate started (redis-cli --cluster create) are not slotgate's.
    for (const n of nodes) await n.config('RESETSTAT');
  });
  afterAll(async () => {
    for (const n of nodes) n.disconnect();
    await proxy?.close();
    config?.remove();
  });

  it('serves reads, writes, fan-out and transactions over authenticated connections', async () => {
    const client = proxy.client();
    expect(await client.set(`{a${run}}k`, 'v1')).toBe('OK');
    expect(await client.set(`{b${run}}k`, 'v2')).toBe('OK');
    expect(await client.mget(`{a${run}}k`, `{b${run}}k`, `{c${run}}k`)).toEqual(['v1', 'v2', null]);
    const watcher = proxy.client();
    await watcher.watch(`{a${run}}k`);
    expect(await watcher.multi().set(`{a${run}}k`, 'v3').get(`{a${run}}k`).exec()).toEqual([[null, 'OK'], [null, 'v3']]);
    expect(await statOnNodes('errorstats', /errorstat_NOAUTH:count=(\d+)/)).toBe(0);
  });

  it('serves blocking commands on dedicated authenticated connections', async () => {
    const blocked = proxy.client();
    const popped = blocked.blpop(`{blk${run}}list`, 10);
    // Pushed before or after the BLPOP blocks, the item is the BLPOP's either way.
    await proxy.client().rpush(`{blk${run}}list`, 'item');
    expect(await popped).toEqual([`{blk${run}}list`, 'item']);
    expect(await statOnNodes('errorstats', /errorstat_NOAUTH:count=(\d+)/)).toBe(0);
  });

  it('reads from replicas over connections that signed in before READONLY', async () => {
    const replicas: Redis[] = [];
    for (const n of nodes) if ((await roleOf(n)) === 'slave') replicas.push(n);
    expect(replicas.length).toBe(3);
    // A replica is read from once the cluster says it is online; startLocalCluster returns only when
    // every node's CLUSTER SHARDS says so for every replica, so slotgate's first view already does.
    const online = proxy.handle.context.topology.current.shards.flatMap((shard) => shard.replicas).filter((r) => r.health === 'online');
    expect(online).toHaveLength(3);
    const client = proxy.client();
    for (let i = 0; i < 10; i++) await client.set(`replica-read:${run}:${i}`, 'x');
    // Replica connections open (and send READONLY) on the first read a replica serves, which may have
    // been one of the earlier tests' (their MGET): count READONLY since beforeAll's RESETSTAT.
    const readonlyEarlier = await statOnNodes('commandstats', /cmdstat_readonly:calls=(\d+)/, replicas);
    for (const r of replicas) await r.config('RESETSTAT');
    for (let i = 0; i < 30; i++) await client.get(`replica-read:${run}:${i}`);
    expect(readonlyEarlier + (await statOnNodes('commandstats', /cmdstat_readonly:calls=(\d+)/, replicas))).toBeGreaterThan(0);
    expect(await statOnNodes('commandstats', /cmdstat_get:calls=(\d+)/, replicas)).toBe(30);
    expect(await statOnNodes('errorstats', /errorstat_(?:NOAUTH|MOVED):count=(\d+)/, replicas)).toBe(0);
  });

  it('kills a busy script out of band on an authenticated connection (SCRIPT KILL)', async () => {
    const runner = await RawClient.connect(proxy.port);
    const killer = await RawClient.connect(proxy.port);
    try {
      expect(await runAndKillBusyScript(runner, killer, `{script${run}}busy`)).toBe('OK');
      expect(((await runner.next()) as RespError).message).toMatch(/killed by user/i);
    } finally {
      runner.close();
      killer.close();
    }
  });

  it('keeps the secret out of MONITOR, metrics and logs', async () => {
    const monitor = await RawClient.connect(proxy.port);
    expect(await monitor.call('MONITOR')).toBe('OK');
    await proxy.client().get(`monitored:${run}`);
    const line = await monitor.next();
    monitor.close();
    expectNoSecret([String(line), await proxy.handle.context.metrics.registry.metrics(), ...logs.lines]);
  });

  it('after the nodes rotate the password: refused new connections are logged and counted, and a reload with the new one fixes them', async () => {
    for (const n of nodes) {
      await n.config('SET', 'masterauth', SECRETS.rotated);
      await n.config('SET', 'requirepass', SECRETS.rotated);
    }
    cluster().useAuth({ password: SECRETS.rotated });
    await connectNodes(SECRETS.rotated);
    const failuresBefore = await proxy.handle.context.metrics.registry.getSingleMetricAsString('slotgate_backend_auth_failures_total');
    expect(failuresBefore).toMatch(/slotgate_backend_auth_failures_total 0/);

    // Open shared connections stay signed in (Redis does not sign them out)...
    const client = proxy.client();
    expect(await client.set(`{rot${run}}k`, 'before-reload')).toBe('OK');
    // ...but a blocking command needs a new connection, which the nodes now refuse: a clear error at once.
    await expect(proxy.client().blpop(`{rot${run}}list`, 1)).rejects.toThrow(/slotgate backend error: the backend rejected slotgate's credentials \(WRONGPASS/);
    expect(await proxy.handle.context.metrics.registry.getSingleMetricAsString('slotgate_backend_auth_failures_total')).toMatch(/slotgate_backend_auth_failures_total [1-9]/);
    expect(logs.lines.some((l) => l.includes("a backend node refused slotgate's credentials"))).toBe(true);

    config.write(`backend-password: "${SECRETS.rotated}"\nreplica-read: yes\n`);
    expect(proxy.handle.reload()).toEqual({ ok: true, restartNeededFor: [] });
    // New dedicated connections sign in with the new password...
    const popped = proxy.client().blpop(`{rot${run}}list`, 10);
    await client.rpush(`{rot${run}}list`, 'after-reload');
    expect(await popped).toEqual([`{rot${run}}list`, 'after-reload']);
    // ...and so do shared connections that have to reconnect: drop every connection slotgate has.
    for (const n of nodes) await n.client('KILL', 'SKIPME', 'yes');
    let value: string | null = null;
    for (let attempt = 0; attempt < 50 && value === null; attempt++) {
      value = await client.get(`{rot${run}}k`).catch(() => null);
    }
    expect(value).toBe('before-reload');
    expectNoSecret(logs.lines);
  });
});

describe('backend nodes whose only account is an ACL user', () => {
  const cluster = useDedicatedCluster({ replicasPerMaster: 0, auth: { user: 'slotgate', password: SECRETS.acl } });
  let config: TempConfigFile;
  beforeAll(() => {
    config = tempConfigFile(`backend-user: slotgate\nbackend-password: "${SECRETS.acl}"\n`);
  });
  afterAll(() => config?.remove());

  it('signs in as backend-user on every connection', async () => {
    const proxy = await startProxy(cluster().seeds, ['--config', config.path]);
    try {
      const client = proxy.client();
      expect(await client.set('{acl}k', 'v')).toBe('OK');
      expect(await client.get('{acl}k')).toBe('v');
      const watcher = proxy.client();
      await watcher.watch('{acl}k');
      expect(await watcher.multi().incr('{acl}n').exec()).toEqual([[null, 1]]);
      const direct = new Redis({ port: cluster().nodes[0]!.port, username: 'slotgate', password: SECRETS.acl });
      const clients = String(await direct.client('LIST'));
      direct.disconnect();
      // Every connection on the node, slotgate's included, is the ACL user's.
      expect(clients).not.toMatch(/user=default/);
    } finally {
      await proxy.close();
    }
  });

  it('does not start when signed in as the default user, and says why without the secret', async () => {
    const noUser = tempConfigFile(`backend-password: "${SECRETS.acl}"\n`);
    try {
      const failure = await startProxy(cluster().seeds, ['--config', noUser.path]).then(
        () => 'started',
        (err: Error) => err.message,
      );
      expect(failure).toMatch(/^the backend rejected slotgate's credentials \(WRONGPASS invalid username-password pair or user is disabled\.\): check backend-user and backend-password$/);
    } finally {
      noUser.remove();
    }
  });

  it('exits at start with a clear message when the password is wrong or missing (the slotgate binary)', async () => {
    const args = ['--cluster', cluster().seeds[0]!, '--port', '0', '--admin-port', '0', '--backend-user', 'slotgate'];
    const wrong = await runSlotgate(args, { SLOTGATE_BACKEND_PASSWORD: SECRETS.wrong });
    expect(wrong.code).toBe(1);
    expect(wrong.output).toContain("slotgate: the backend rejected slotgate's credentials (WRONGPASS");
    expect(wrong.output).not.toContain(SECRETS.wrong);
    const missing = await runSlotgate(['--cluster', cluster().seeds[0]!, '--port', '0', '--admin-port', '0'], {});
    expect(missing.code).toBe(1);
    expect(missing.output).toContain('slotgate: the backend nodes require a password (NOAUTH): set backend-password');
    const onCommandLine = await runSlotgate([...args, '--backend-password', SECRETS.wrong], {});
    expect(onCommandLine.code).toBe(2);
    expect(onCommandLine.output).toContain('option backend-password: not accepted on the command line');
    expect(onCommandLine.output).not.toContain(SECRETS.wrong);
  });
});
