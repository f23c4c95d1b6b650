// Starts and supervises a throwaway Redis Cluster on loopback, for `npm run dev`, the integration
// tests and the load benches. Development and test support only: nothing under src/ imports it.
//
// Invariants this module keeps:
// - Nodes are started by redis-server.ts, so none outlives this process (its exit hooks kill them and
//   remove the cluster's temp dir) and a node that loses a port race is retried on a fresh port.
// - `startLocalCluster` only resolves once every node agrees on the slot owners and on which live node
//   is in which shard, every replica has a live replication link, and every node's CLUSTER SHARDS says
//   every live node is online; otherwise clients see MOVED storms, replica reads find no replica, and
//   failover tests flake.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import {
  defaultRedisCli,
  defaultRedisServer,
  launchRedisServer,
  makeTempDir,
  redisCliAccessArgs,
  removeTempDir,
  startRedisServer,
  THROWAWAY_SERVER_ARGS,
  withRedis,
  type RedisAccess,
  type RedisAuth,
  type RedisServerProcess,
  type RedisTlsFiles,
} from './redis-server.js';

export { defaultRedisCli, findFreePort } from './redis-server.js';

export interface ClusterNodeProcess {
  host: string;
  port: number;
  /** Changes when the node is restarted. */
  pid: number;
  dir: string;
}

export interface LocalClusterOptions {
  /** Number of masters; redis-cli refuses fewer than 3. Default 3. */
  masters?: number;
  /** Default 1. */
  replicasPerMaster?: number;
  /** Default '127.0.0.1'. */
  host?: string;
  /** Default $REDIS_SERVER, else 'redis-server' (from PATH). */
  redisServer?: string;
  /** Default: the cli beside the server (`defaultRedisCli()`); used for `--cluster create`. */
  redisCli?: string;
  /** Extra redis-server arguments, appended to every node's command line, e.g. ['--maxmemory', '64mb']. */
  extraConfig?: string[];
  /** cluster-node-timeout; default 2000 so failover tests are quick. */
  nodeTimeoutMs?: number;
  /**
   * Password-protected nodes: requirepass + masterauth, or with `user` an ACL user (all
   * permissions, also used for replication: masteruser) while the default user is switched off.
   * The launcher itself and `redis-cli --cluster create` sign in with it.
   */
  auth?: LocalClusterAuth;
  /** TLS-only nodes (port 0, tls-port, tls-cluster and tls-replication yes) with these PEM files. */
  tls?: LocalClusterTls;
  log?: (line: string) => void;
}

export type LocalClusterAuth = RedisAuth;
export type LocalClusterTls = RedisTlsFiles;

export interface LocalCluster {
  nodes: ClusterNodeProcess[];
  /** "host:port" of every node, in start order. */
  seeds: string[];
  /** Root temp dir holding one sub-dir per node. */
  dir: string;
  /** Ports of live nodes that currently say they are masters (their own CLUSTER NODES `myself` line). */
  masterPorts(): Promise<number[]>;
  /** Ports of live nodes that currently say they are replicas. */
  replicaPorts(): Promise<number[]>;
  /** Sends `signal` (SIGKILL by default) and waits for the process to exit. */
  killNode(port: number, signal?: NodeJS.Signals): Promise<void>;
  /** Starts a stopped node again with the same dir and config (it keeps its nodes.conf identity). */
  restartNode(port: number): Promise<void>;
  /**
   * Every live node says cluster_state:ok, all agree on live slot owners and on the live members of
   * every shard, replicas are linked, and every node's CLUSTER SHARDS lists every live node as online.
   */
  waitForClusterOk(timeoutMs?: number): Promise<void>;
  /** Kills every process it started and removes the temp dir; idempotent. */
  stop(): Promise<void>;
  /**
   * The credentials the launcher signs in with from now on, after a test changed them on the nodes
   * (CONFIG SET requirepass/masterauth). restartNode starts nodes with them too.
   */
  useAuth(auth: LocalClusterAuth | undefined): void;
}

const HASH_SLOTS = 16384;
const DEFAULT_CLUSTER_OK_TIMEOUT_MS = 60_000;
const POLL_INTERVAL_MS = 100;

const execFileAsync = promisify(execFile);
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function askString(host: string, port: number, access: RedisAccess, ...args: string[]): Promise<string> {
  return withRedis(host, port, async (redis) => String(await redis.call(args[0]!, ...args.slice(1))), access);
}

/** One line of CLUSTER NODES, reduced to what the launcher needs. */
interface ClusterNodesLine {
  port: number;
  flags: string[];
}

function parseClusterNodes(text: string): ClusterNodesLine[] {
  const lines: ClusterNodesLine[] = [];
  for (const line of text.split('\n')) {
    const fields = line.trim().split(' ');
    if (fields.length < 8) continue;
    // Field 2 is "ip:port@cport[,hostname]".
    const addr = fields[1]!.split('@')[0]!;
    const port = Number(addr.slice(addr.lastIndexOf(':') + 1));
    lines.push({ port, flags: fields[2]!.split(',') });
  }
  return lines;
}

/**
 * CLUSTER SLOTS reduced to "start-end=host:port" per range, sorted, so two nodes' views can be
 * compared as strings. Replicas are left out: only slot owners have to agree.
 */
function describeSlotOwners(reply: unknown): { text: string; owners: Set<string>; covered: number } {
  const ranges: string[] = [];
  const owners = new Set<string>();
  let covered = 0;
  for (const entry of reply as [number, number, [string, number, ...unknown[]], ...unknown[]][]) {
    const [start, end, master] = entry;
    const owner = `${master[0]}:${master[1]}`;
    ranges.push(`${start}-${end}=${owner}`);
    owners.add(owner);
    covered += end - start + 1;
  }
  ranges.sort();
  return { text: ranges.join(' '), owners, covered };
}

/** One node of a CLUSTER SHARDS reply, reduced to what the launcher needs. */
interface ShardMember {
  port: number;
  role: string;
  health: string;
}

/** CLUSTER SHARDS as one member list per shard. Entries are flat key/value lists (RESP2). */
function parseClusterShards(reply: unknown): ShardMember[][] {
  const fieldsOf = (flat: unknown[]) => {
    const fields = new Map<string, unknown>();
    for (let i = 0; i + 1 < flat.length; i += 2) fields.set(String(flat[i]), flat[i + 1]);
    return fields;
  };
  return (reply as unknown[][]).map((shard) =>
    ((fieldsOf(shard).get('nodes') ?? []) as unknown[][]).map((node) => {
      const fields = fieldsOf(node);
      // TLS-only nodes (port 0) announce no plain port, only tls-port.
      return {
        port: Number(fields.get('port') ?? fields.get('tls-port')),
        role: String(fields.get('role')),
        health: String(fields.get('health')),
      };
    }),
  );
}

/**
 * One node's CLUSTER SHARDS view of the live nodes as comparable text ("port:role" per member,
 * shards sorted), or why it is not ready: a live node it does not know yet, or one it does not call
 * online (Redis 7.0 says "loading" for a replica whose replication offset is still 0).
 */
function describeShardMembers(shards: ShardMember[][], livePorts: Set<number>): { text: string } | { reason: string } {
  const described: string[] = [];
  let known = 0;
  for (const shard of shards) {
    const live = shard.filter((m) => livePorts.has(m.port));
    for (const member of live) {
      if (member.health !== 'online') return { reason: `sees ${member.role} ${member.port} as ${member.health}` };
    }
    known += live.length;
    if (live.length > 0) described.push(live.map((m) => `${m.port}:${m.role}`).sort().join(','));
  }
  if (known !== livePorts.size) return { reason: `knows ${known} of ${livePorts.size} live nodes` };
  return { text: described.sort().join(' ') };
}

// ---------------------------------------------------------------------------------------------
// Nodes

function clusterNodeArgs(nodeTimeoutMs: number, extra: string[], tls: boolean): string[] {
  return [
    ...THROWAWAY_SERVER_ARGS,
    // TLS-only nodes have no plain port, so the cluster bus and replication must use TLS as well.
    ...(tls ? ['--tls-cluster', 'yes', '--tls-replication', 'yes'] : []),
    '--cluster-enabled', 'yes',
    '--cluster-config-file', 'nodes.conf',
    '--cluster-node-timeout', String(nodeTimeoutMs),
    // Redis waits 5 s by default before a diskless full sync to batch replicas; here it only slows
    // every start and every failover test, so sync at once. extraConfig can still override it.
    '--repl-diskless-sync-delay', '0',
    ...extra,
  ];
}

// ---------------------------------------------------------------------------------------------
// The cluster

export async function startLocalCluster(opts: LocalClusterOptions = {}): Promise<LocalCluster> {
  const masters = opts.masters ?? 3;
  const replicasPerMaster = opts.replicasPerMaster ?? 1;
  const host = opts.host ?? '127.0.0.1';
  const redisServer = opts.redisServer ?? defaultRedisServer();
  const redisCli = opts.redisCli ?? defaultRedisCli();
  const nodeTimeoutMs = opts.nodeTimeoutMs ?? 2000;
  const extra = opts.extraConfig ?? [];
  const log = opts.log ?? (() => {});
  // One object shared by every node of this cluster (their specs hold it), so useAuth() reaches all.
  const access: RedisAccess = {
    ...(opts.auth ? { auth: opts.auth } : {}),
    ...(opts.tls ? { tls: opts.tls } : {}),
  };
  if (!Number.isInteger(masters) || masters < 3) {
    throw new Error(`startLocalCluster: masters must be an integer >= 3 (redis-cli --cluster create needs 3), got ${masters}`);
  }
  if (!Number.isInteger(replicasPerMaster) || replicasPerMaster < 0) {
    throw new Error(`startLocalCluster: replicasPerMaster must be a non-negative integer, got ${replicasPerMaster}`);
  }

  const rootDir = await makeTempDir('slotgate-cluster-');

  /** One entry per node, in start order; a restart replaces the process, never the port or dir. */
  const managed: { info: ClusterNodeProcess; server: RedisServerProcess }[] = [];
  let stopping: Promise<void> | undefined;

  const byPort = (port: number) => {
    const node = managed.find((n) => n.info.port === port);
    if (!node) throw new Error(`no node on port ${port} in this cluster (${managed.map((n) => n.info.port).join(', ')})`);
    return node;
  };

  const liveNodes = () => managed.filter((n) => n.server.isRunning());

  const portsWithRole = async (role: 'master' | 'slave'): Promise<number[]> => {
    const ports: number[] = [];
    for (const node of liveNodes()) {
      const lines = parseClusterNodes(await askString(host, node.info.port, access, 'CLUSTER', 'NODES'));
      const self = lines.find((l) => l.flags.includes('myself'));
      if (self?.flags.includes(role)) ports.push(node.info.port);
    }
    return ports.sort((a, b) => a - b);
  };

  /**
   * Why the cluster is not ready yet, or undefined when it is. Without `shardMembers`, the
   * CLUSTER SHARDS check is left out (start-up needs the replication links before it can finish).
   */
  const notReadyReason = async ({ shardMembers }: { shardMembers: boolean }): Promise<string | undefined> => {
    const live = liveNodes();
    if (live.length === 0) return 'no live nodes';
    const liveAddresses = new Set(live.map((n) => `${host}:${n.info.port}`));
    const livePorts = new Set(live.map((n) => n.info.port));
    let agreed: string | undefined;
    let agreedMembers: string | undefined;
    for (const node of live) {
      const port = node.info.port;
      const info = await askString(host, port, access, 'CLUSTER', 'INFO');
      if (!/^cluster_state:ok\r?$/m.test(info)) return `node ${port}: cluster_state is not ok`;
      const slots = describeSlotOwners(await withRedis(host, port, (r) => r.call('CLUSTER', 'SLOTS'), access));
      if (slots.covered !== HASH_SLOTS) return `node ${port}: CLUSTER SLOTS covers ${slots.covered} slots`;
      // A node that has not noticed a killed master yet still says "ok"; insist on live owners.
      for (const owner of slots.owners) if (!liveAddresses.has(owner)) return `node ${port}: slots owned by dead node ${owner}`;
      if (agreed === undefined) agreed = slots.text;
      else if (agreed !== slots.text) return `node ${port}: disagrees on slot owners`;
      const replication = await askString(host, port, access, 'INFO', 'replication');
      if (/^role:slave\r?$/m.test(replication) && !/^master_link_status:up\r?$/m.test(replication)) {
        return `replica ${port}: replication link is not up`;
      }
      if (!shardMembers) continue;
      // Gossip about replicas trails the links: every node must know every live node, in the same shard.
      const members = describeShardMembers(
        parseClusterShards(await withRedis(host, port, (r) => r.call('CLUSTER', 'SHARDS'), access)),
        livePorts,
      );
      if ('reason' in members) return `node ${port}: ${members.reason}`;
      if (agreedMembers === undefined) agreedMembers = members.text;
      else if (agreedMembers !== members.text) return `node ${port}: disagrees on shard members`;
    }
    return undefined;
  };

  const waitUntilReady = async (timeoutMs: number, checks: { shardMembers: boolean }): Promise<void> => {
    const deadline = Date.now() + timeoutMs;
    let reason: string | undefined = 'not checked';
    for (;;) {
      try {
        reason = await notReadyReason(checks);
      } catch (err) {
        reason = `query failed: ${String(err)}`;
      }
      if (reason === undefined) return;
      if (Date.now() > deadline) throw new Error(`cluster not ok after ${timeoutMs} ms: ${reason}`);
      await sleep(POLL_INTERVAL_MS);
    }
  };

  const waitForClusterOk = (timeoutMs = DEFAULT_CLUSTER_OK_TIMEOUT_MS): Promise<void> => waitUntilReady(timeoutMs, { shardMembers: true });

  /**
   * Redis 7.0 calls a replica "loading" in CLUSTER SHARDS until its replication offset is above 0,
   * and a master that has been sent nothing moves it only with its replication PING, every 10 s
   * (repl-ping-replica-period). The new cluster is empty, so FLUSHALL on each master changes no data,
   * yet Redis replicates it anyway, and every replica's offset moves at once. Only for a new cluster.
   */
  const moveReplicationOffsets = async (): Promise<void> => {
    for (const port of await portsWithRole('master')) await withRedis(host, port, (r) => r.flushall(), access);
  };

  const killNode = async (port: number, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> => {
    const node = byPort(port);
    if (!node.server.isRunning()) return;
    await node.server.kill(signal);
    log(`node ${host}:${port} killed with ${signal}`);
  };

  const restartNode = async (port: number): Promise<void> => {
    if (stopping) throw new Error('restartNode: cluster is stopped');
    const node = byPort(port);
    if (node.server.isRunning()) throw new Error(`restartNode: node ${port} is still running; killNode it first`);
    node.server = await launchRedisServer(node.server.spec);
    node.info.pid = node.server.pid;
    log(`node ${host}:${port} restarted (pid ${node.info.pid})`);
  };

  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      await Promise.all(managed.map((n) => n.server.kill('SIGKILL')));
      await removeTempDir(rootDir);
      log(`cluster in ${rootDir} stopped`);
    })();
    return stopping;
  };

  try {
    const total = masters * (1 + replicasPerMaster);
    const args = clusterNodeArgs(nodeTimeoutMs, extra, access.tls !== undefined);
    for (let i = 0; i < total; i++) {
      const server = await startRedisServer({ host, redisServer, parentDir: rootDir, args, access, log });
      const { port, dir } = server.spec;
      managed.push({ info: { host, port, pid: server.pid, dir }, server });
      log(`node ${host}:${port} started (pid ${server.pid})`);
    }
    const addresses = managed.map((n) => `${host}:${n.info.port}`);
    log(`creating cluster: ${addresses.join(' ')} with ${replicasPerMaster} replica(s) per master`);
    await execFileAsync(
      redisCli,
      [...redisCliAccessArgs(access), '--cluster', 'create', ...addresses, '--cluster-replicas', String(replicasPerMaster), '--cluster-yes'],
      { timeout: 60_000 },
    );
    if (replicasPerMaster > 0) {
      // The replicas must be linked for the FLUSHALL to reach them.
      await waitUntilReady(DEFAULT_CLUSTER_OK_TIMEOUT_MS, { shardMembers: false });
      await moveReplicationOffsets();
    }
    await waitForClusterOk();
    log('cluster is ok');
  } catch (err) {
    await stop();
    throw err;
  }

  return {
    nodes: managed.map((n) => n.info),
    seeds: managed.map((n) => `${host}:${n.info.port}`),
    dir: rootDir,
    masterPorts: () => portsWithRole('master'),
    replicaPorts: () => portsWithRole('slave'),
    killNode,
    restartNode,
    waitForClusterOk,
    stop,
    useAuth(auth) {
      if (auth) access.auth = auth;
      else delete access.auth;
    },
  };
}
