// Starts and supervises a throwaway Redis Cluster on loopback, for tests, `run-local` and the load bench.
//
// Invariants this module keeps:
// - Every redis-server it spawns is recorded in a process-wide registry until it has exited, and a
//   synchronous 'exit' hook (plus SIGINT/SIGTERM when nobody else handles them) kills whatever is left,
//   so a crashed or forgetful test run does not leak servers.
// - Ports are chosen so that both the client port P and the cluster bus port P+10000 are free, and a
//   node that loses a port race at start-up is retried on a fresh port.
// - `startLocalCluster` only resolves once every node agrees on the slot owners and every replica has
//   a live replication link; otherwise clients see MOVED storms and failover tests flake.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, rmSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';

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
  /** Default 'redis-server' (from PATH). */
  redisServer?: string;
  /** Default 'redis-cli' (from PATH); used for `--cluster create`. */
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

export interface LocalClusterAuth {
  user?: string;
  password: string;
}

export interface LocalClusterTls {
  caCertFile: string;
  certFile: string;
  keyFile: string;
}

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
  /** Every live node says cluster_state:ok, all agree on live slot owners, replicas are linked. */
  waitForClusterOk(timeoutMs?: number): Promise<void>;
  /** Kills every process it started and removes the temp dir; idempotent. */
  stop(): Promise<void>;
  /** The password the launcher signs in with from now on (after a test changed it on the nodes). */
  useAuth(auth: LocalClusterAuth | undefined): void;
}

const HASH_SLOTS = 16384;
/** Redis Cluster listens on port+10000 for its bus; keep both below 65536 with room to spare. */
const BUS_PORT_OFFSET = 10000;
const MAX_CLIENT_PORT = 55000;
const NODE_START_ATTEMPTS = 5;
const PING_TIMEOUT_MS = 10_000;
const DEFAULT_CLUSTER_OK_TIMEOUT_MS = 60_000;
const POLL_INTERVAL_MS = 100;

const execFileAsync = promisify(execFile);
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

// ---------------------------------------------------------------------------------------------
// Process-wide registry of live children, and the hooks that kill them if the process goes away.

const liveChildren = new Map<number, ChildProcess>();
const liveClusterDirs = new Set<string>();
let exitHooksInstalled = false;

function killAllChildrenSync(): void {
  for (const child of liveChildren.values()) {
    try {
      child.kill('SIGKILL');
    } catch {
      // Already gone; nothing to clean.
    }
  }
  liveChildren.clear();
  for (const dir of liveClusterDirs) rmSync(dir, { recursive: true, force: true });
  liveClusterDirs.clear();
}

function onFatalSignal(signal: NodeJS.Signals): void {
  // Adding a listener disables Node's default "terminate on signal". If we are the only listener,
  // clean up and re-raise so the process still dies with the signal's status; if someone else
  // (e.g. run-local's graceful shutdown) listens, they own shutdown and the 'exit' hook is our backstop.
  if (process.listenerCount(signal) > 1) return;
  killAllChildrenSync();
  uninstallExitHooks();
  process.kill(process.pid, signal);
}

function installExitHooks(): void {
  if (exitHooksInstalled) return;
  exitHooksInstalled = true;
  process.on('exit', killAllChildrenSync);
  process.on('SIGINT', onFatalSignal);
  process.on('SIGTERM', onFatalSignal);
}

function uninstallExitHooks(): void {
  if (!exitHooksInstalled) return;
  exitHooksInstalled = false;
  process.off('exit', killAllChildrenSync);
  process.off('SIGINT', onFatalSignal);
  process.off('SIGTERM', onFatalSignal);
}

// ---------------------------------------------------------------------------------------------
// Ports

/**
 * Ports handed out recently by this process (client and bus port), so two nodes started in the same
 * burst cannot receive the same port before either has bound it.
 */
const recentlyHandedOut = new Map<number, number>();
const HANDED_OUT_MEMORY_MS = 60_000;

function rememberHandedOut(port: number): void {
  const now = Date.now();
  for (const [p, at] of recentlyHandedOut) if (now - at > HANDED_OUT_MEMORY_MS) recentlyHandedOut.delete(p);
  recentlyHandedOut.set(port, now);
  recentlyHandedOut.set(port + BUS_PORT_OFFSET, now);
}

function listenOnce(host: string, port: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(undefined));
    server.listen({ host, port, exclusive: true }, () => {
      const address = server.address();
      const bound = typeof address === 'object' && address !== null ? address.port : undefined;
      server.close(() => resolve(bound));
    });
  });
}

/**
 * A port P < 55000 on `host` such that P and P+10000 (the cluster bus port) are both free right now.
 * Still a race with other processes, which is why node start-up retries on a fresh port.
 */
export async function findFreePort(host = '127.0.0.1'): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = await listenOnce(host, 0);
    if (port === undefined || port >= MAX_CLIENT_PORT) continue;
    if (recentlyHandedOut.has(port) || recentlyHandedOut.has(port + BUS_PORT_OFFSET)) continue;
    if ((await listenOnce(host, port + BUS_PORT_OFFSET)) === undefined) continue;
    rememberHandedOut(port);
    return port;
  }
  throw new Error(`findFreePort: no port pair (P, P+${BUS_PORT_OFFSET}) free on ${host} after 200 attempts`);
}

// ---------------------------------------------------------------------------------------------
// Admin talk (short-lived ioredis connections; these are test-support paths, not hot paths)

/** How the launcher reaches its nodes: credentials and TLS, when the cluster has them. */
interface NodeAccess {
  auth?: LocalClusterAuth;
  tls?: { ca: Buffer; cert: Buffer; key: Buffer };
}

/** Access settings by node port, so the helpers below keep their (host, port) signatures. */
const accessByPort = new Map<number, NodeAccess>();

async function withNode<T>(host: string, port: number, run: (redis: Redis) => Promise<T>): Promise<T> {
  const access = accessByPort.get(port);
  const redis = new Redis({
    host,
    port,
    ...(access?.auth ? { username: access.auth.user, password: access.auth.password } : {}),
    ...(access?.tls ? { tls: { ...access.tls } } : {}),
    lazyConnect: true,
    connectTimeout: 1000,
    commandTimeout: 3000,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
  redis.on('error', () => {
    // Failures surface through the awaited calls; this only stops ioredis from printing them.
  });
  try {
    await redis.connect();
    return await run(redis);
  } finally {
    redis.disconnect();
  }
}

async function askString(host: string, port: number, ...args: string[]): Promise<string> {
  return withNode(host, port, async (redis) => String(await redis.call(args[0]!, ...args.slice(1))));
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

// ---------------------------------------------------------------------------------------------
// Nodes

interface ManagedNode {
  info: ClusterNodeProcess;
  args: string[];
  child: ChildProcess | undefined;
  exited: Promise<void>;
}

/** The executable could not be started at all: retrying on another port will not help. */
class SpawnError extends Error {}

function tailOfLog(dir: string): string {
  const file = join(dir, 'redis.log');
  if (!existsSync(file)) return '(no log)';
  return readFileSync(file, 'utf8').split('\n').slice(-15).join('\n');
}

function authArgs(auth: LocalClusterAuth | undefined): string[] {
  if (!auth) return [];
  if (!auth.user) return ['--requirepass', auth.password, '--masterauth', auth.password];
  return [
    '--user', auth.user, 'on', `>${auth.password}`, '~*', '&*', '+@all',
    '--user', 'default', 'off',
    '--masteruser', auth.user, '--masterauth', auth.password,
  ];
}

function tlsArgs(port: number, tls: LocalClusterTls | undefined): string[] {
  if (!tls) return ['--port', String(port)];
  return [
    '--port', '0', '--tls-port', String(port),
    '--tls-cluster', 'yes', '--tls-replication', 'yes',
    '--tls-cert-file', tls.certFile, '--tls-key-file', tls.keyFile, '--tls-ca-cert-file', tls.caCertFile,
  ];
}

/** redis-cli's own flags for signing in and TLS. */
function redisCliArgs(auth: LocalClusterAuth | undefined, tls: LocalClusterTls | undefined): string[] {
  return [
    ...(auth ? ['--no-auth-warning', '-a', auth.password, ...(auth.user ? ['--user', auth.user] : [])] : []),
    ...(tls ? ['--tls', '--cacert', tls.caCertFile, '--cert', tls.certFile, '--key', tls.keyFile] : []),
  ];
}

function redisServerArgs(port: number, host: string, dir: string, nodeTimeoutMs: number, extra: string[], auth?: LocalClusterAuth, tls?: LocalClusterTls): string[] {
  return [
    ...tlsArgs(port, tls),
    ...authArgs(auth),
    '--bind', host,
    '--cluster-enabled', 'yes',
    '--cluster-config-file', 'nodes.conf',
    '--cluster-node-timeout', String(nodeTimeoutMs),
    '--dir', dir,
    '--save', '',
    '--appendonly', 'no',
    '--daemonize', 'no',
    '--protected-mode', 'no',
    // Redis waits 5 s by default before a diskless full sync to batch replicas; here it only slows
    // every start and every failover test, so sync at once. extraConfig can still override it.
    '--repl-diskless-sync-delay', '0',
    ...extra,
  ];
}

/** Spawns the node's process and waits until it answers PING; rejects if it exits first. */
async function launch(node: ManagedNode, redisServer: string): Promise<void> {
  const logFd = openSync(join(node.info.dir, 'redis.log'), 'a');
  let child: ChildProcess;
  try {
    child = spawn(redisServer, node.args, { stdio: ['ignore', logFd, logFd] });
  } finally {
    closeSync(logFd); // the child holds its own copy
  }
  // Unref so a test that forgets stop() can still end; the 'exit' hook then kills the server.
  child.unref();
  node.child = child;
  node.exited = new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    // A spawn failure (e.g. ENOENT) emits 'error' and possibly no 'exit': there is no process to wait for.
    child.once('error', () => {
      if (child.pid === undefined) resolve();
    });
  });
  const pid = child.pid;
  if (pid === undefined) {
    await node.exited;
    throw new SpawnError(`could not spawn ${redisServer}`);
  }
  node.info.pid = pid;
  liveChildren.set(pid, child);
  void node.exited.then(() => liveChildren.delete(pid));

  const deadline = Date.now() + PING_TIMEOUT_MS;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`redis-server on port ${node.info.port} exited during start-up:\n${tailOfLog(node.info.dir)}`);
    }
    try {
      if ((await askString(node.info.host, node.info.port, 'PING')) === 'PONG') return;
    } catch (err) {
      if (Date.now() > deadline) {
        throw new Error(`redis-server on port ${node.info.port} did not answer PING within ${PING_TIMEOUT_MS} ms: ${String(err)}`);
      }
    }
    await sleep(50);
  }
}

async function startNode(
  rootDir: string,
  host: string,
  redisServer: string,
  nodeTimeoutMs: number,
  extra: string[],
  log: (line: string) => void,
  access: NodeAccess,
  auth?: LocalClusterAuth,
  tls?: LocalClusterTls,
): Promise<ManagedNode> {
  let lastError: unknown;
  for (let attempt = 1; attempt <= NODE_START_ATTEMPTS; attempt++) {
    const port = await findFreePort(host);
    const dir = join(rootDir, `node-${port}`);
    await mkdir(dir, { recursive: true });
    const node: ManagedNode = {
      info: { host, port, pid: 0, dir },
      args: redisServerArgs(port, host, dir, nodeTimeoutMs, extra, auth, tls),
      child: undefined,
      exited: Promise.resolve(),
    };
    accessByPort.set(port, access);
    try {
      await launch(node, redisServer);
      log(`node ${host}:${port} started (pid ${node.info.pid})`);
      return node;
    } catch (err) {
      if (err instanceof SpawnError) throw err;
      // Most likely another process took P or P+10000 between our probe and redis's bind: retry.
      lastError = err;
      accessByPort.delete(port);
      node.child?.kill('SIGKILL');
      await node.exited;
      await rm(dir, { recursive: true, force: true });
      log(`node on port ${port} failed to start (attempt ${attempt}): ${String(err).split('\n')[0]}`);
    }
  }
  throw lastError instanceof Error ? lastError : new Error(String(lastError));
}

function isRunning(node: ManagedNode): boolean {
  const child = node.child;
  return child !== undefined && child.exitCode === null && child.signalCode === null;
}

// ---------------------------------------------------------------------------------------------
// The cluster

export async function startLocalCluster(opts: LocalClusterOptions = {}): Promise<LocalCluster> {
  const masters = opts.masters ?? 3;
  const replicasPerMaster = opts.replicasPerMaster ?? 1;
  const host = opts.host ?? '127.0.0.1';
  const redisServer = opts.redisServer ?? 'redis-server';
  const redisCli = opts.redisCli ?? 'redis-cli';
  const nodeTimeoutMs = opts.nodeTimeoutMs ?? 2000;
  const extra = opts.extraConfig ?? [];
  const log = opts.log ?? (() => {});
  // One object shared by every node of this cluster, so useAuth() reaches all of them.
  const access: NodeAccess = {
    ...(opts.auth ? { auth: opts.auth } : {}),
    ...(opts.tls ? { tls: { ca: readFileSync(opts.tls.caCertFile), cert: readFileSync(opts.tls.certFile), key: readFileSync(opts.tls.keyFile) } } : {}),
  };
  if (!Number.isInteger(masters) || masters < 3) {
    throw new Error(`startLocalCluster: masters must be an integer >= 3 (redis-cli --cluster create needs 3), got ${masters}`);
  }
  if (!Number.isInteger(replicasPerMaster) || replicasPerMaster < 0) {
    throw new Error(`startLocalCluster: replicasPerMaster must be a non-negative integer, got ${replicasPerMaster}`);
  }

  const rootDir = await mkdtemp(join(tmpdir(), 'slotgate-cluster-'));
  liveClusterDirs.add(rootDir);
  installExitHooks();

  const managed: ManagedNode[] = [];
  let stopping: Promise<void> | undefined;

  const byPort = (port: number): ManagedNode => {
    const node = managed.find((n) => n.info.port === port);
    if (!node) throw new Error(`no node on port ${port} in this cluster (${managed.map((n) => n.info.port).join(', ')})`);
    return node;
  };

  const liveNodes = () => managed.filter(isRunning);

  const portsWithRole = async (role: 'master' | 'slave'): Promise<number[]> => {
    const ports: number[] = [];
    for (const node of liveNodes()) {
      const lines = parseClusterNodes(await askString(host, node.info.port, 'CLUSTER', 'NODES'));
      const self = lines.find((l) => l.flags.includes('myself'));
      if (self?.flags.includes(role)) ports.push(node.info.port);
    }
    return ports.sort((a, b) => a - b);
  };

  /** Why the cluster is not ready yet, or undefined when it is. */
  const notReadyReason = async (): Promise<string | undefined> => {
    const live = liveNodes();
    if (live.length === 0) return 'no live nodes';
    const livePorts = new Set(live.map((n) => `${host}:${n.info.port}`));
    let agreed: string | undefined;
    for (const node of live) {
      const port = node.info.port;
      const info = await askString(host, port, 'CLUSTER', 'INFO');
      if (!/^cluster_state:ok\r?$/m.test(info)) return `node ${port}: cluster_state is not ok`;
      const slots = describeSlotOwners(await withNode(host, port, (r) => r.call('CLUSTER', 'SLOTS')));
      if (slots.covered !== HASH_SLOTS) return `node ${port}: CLUSTER SLOTS covers ${slots.covered} slots`;
      // A node that has not noticed a killed master yet still says "ok"; insist on live owners.
      for (const owner of slots.owners) if (!livePorts.has(owner)) return `node ${port}: slots owned by dead node ${owner}`;
      if (agreed === undefined) agreed = slots.text;
      else if (agreed !== slots.text) return `node ${port}: disagrees on slot owners`;
      const replication = await askString(host, port, 'INFO', 'replication');
      if (/^role:slave\r?$/m.test(replication) && !/^master_link_status:up\r?$/m.test(replication)) {
        return `replica ${port}: replication link is not up`;
      }
    }
    return undefined;
  };

  const waitForClusterOk = async (timeoutMs = DEFAULT_CLUSTER_OK_TIMEOUT_MS): Promise<void> => {
    const deadline = Date.now() + timeoutMs;
    let reason: string | undefined = 'not checked';
    for (;;) {
      try {
        reason = await notReadyReason();
      } catch (err) {
        reason = `query failed: ${String(err)}`;
      }
      if (reason === undefined) return;
      if (Date.now() > deadline) throw new Error(`cluster not ok after ${timeoutMs} ms: ${reason}`);
      await sleep(POLL_INTERVAL_MS);
    }
  };

  const killNode = async (port: number, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> => {
    const node = byPort(port);
    if (!isRunning(node)) return;
    node.child!.ref(); // keep the event loop alive until we have seen it go
    node.child!.kill(signal);
    await node.exited;
    log(`node ${host}:${port} killed with ${signal}`);
  };

  const restartNode = async (port: number): Promise<void> => {
    if (stopping) throw new Error('restartNode: cluster is stopped');
    const node = byPort(port);
    if (isRunning(node)) throw new Error(`restartNode: node ${port} is still running; killNode it first`);
    await launch(node, redisServer);
    log(`node ${host}:${port} restarted (pid ${node.info.pid})`);
  };

  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      const running = liveNodes();
      for (const node of running) {
        node.child!.ref();
        node.child!.kill('SIGKILL');
      }
      await Promise.all(running.map((n) => n.exited));
      await rm(rootDir, { recursive: true, force: true });
      liveClusterDirs.delete(rootDir);
      for (const node of managed) accessByPort.delete(node.info.port);
      if (liveChildren.size === 0 && liveClusterDirs.size === 0) uninstallExitHooks();
      log(`cluster in ${rootDir} stopped`);
    })();
    return stopping;
  };

  try {
    const total = masters * (1 + replicasPerMaster);
    for (let i = 0; i < total; i++) {
      managed.push(await startNode(rootDir, host, redisServer, nodeTimeoutMs, extra, log, access, opts.auth, opts.tls));
    }
    const addresses = managed.map((n) => `${host}:${n.info.port}`);
    log(`creating cluster: ${addresses.join(' ')} with ${replicasPerMaster} replica(s) per master`);
    await execFileAsync(
      redisCli,
      [...redisCliArgs(opts.auth, opts.tls), '--cluster', 'create', ...addresses, '--cluster-replicas', String(replicasPerMaster), '--cluster-yes'],
      { timeout: 60_000 },
    );
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
