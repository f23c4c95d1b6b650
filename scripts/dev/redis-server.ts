// The one place that picks free loopback ports and starts throwaway redis-server processes, for the
// local cluster (local-cluster.ts), the test oracles (test/helpers/standalone-redis.ts) and the
// command-table generator. Development and test support only: nothing under src/ imports it.
//
// Invariants this module keeps:
// - Every redis-server it spawns is recorded in a process-wide registry until it has exited, and a
//   synchronous 'exit' hook (plus SIGINT/SIGTERM when nobody else handles them) kills whatever is left
//   and removes the registered temp dirs, so a crashed or forgetful owner does not leak servers.
// - Ports are chosen so that both the client port P and the cluster bus port P+10000 are free, and a
//   server that loses a port race at start-up is retried on a fresh port.
// - A started server has answered PING: callers never see "connection refused" from a fresh server.
// - A server's listener and sign-in (`--port` or TLS, requirepass or an ACL user) are derived from the
//   same RedisAccess that admin connections use, so the launcher can always reach what it started.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, rmSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { Redis } from 'ioredis';

/** Redis Cluster listens on port+10000 for its bus; keep both below 65536 with room to spare. */
export const BUS_PORT_OFFSET = 10000;
const MAX_CLIENT_PORT = 55000;
const START_ATTEMPTS = 5;
const PING_TIMEOUT_MS = 10_000;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * `REDIS_SERVER` from the environment, else `redis-server` from PATH. CI points it at the Redis 7.2
 * and Valkey 8 builds (scripts/test-server-versions.sh); `npm run dev -- --redis-server <path>` too.
 */
export const defaultRedisServer = (): string => process.env.REDIS_SERVER ?? 'redis-server';

/**
 * The Redis whose answers slotgate's own replies follow (HELLO, CLIENT LIST, subscribed-mode errors,
 * CLUSTER SLOTS): Debian's redis-server from PATH, whatever REDIS_SERVER says (`REDIS_REFERENCE_SERVER`
 * moves it). Tests of replies slotgate makes itself take their oracle from it, so a run against Valkey
 * 8 checks that those replies do not change with the nodes; tests of forwarded replies use the nodes'.
 */
export const referenceRedisServer = (): string => process.env.REDIS_REFERENCE_SERVER ?? 'redis-server';

/**
 * The cli that ships with `defaultRedisServer()`: `redis-cli` or `valkey-cli` beside it when the
 * server is a path (Valkey names its binaries valkey-*), else `redis-cli` from PATH. The tests' own
 * `--cluster create/reshard` calls use it, so a run against Valkey uses Valkey's tools throughout.
 */
export function defaultRedisCli(): string {
  const server = defaultRedisServer();
  if (!server.includes('/')) return 'redis-cli';
  const cli = join(dirname(server), basename(server).replace(/-server$/, '-cli'));
  return existsSync(cli) ? cli : 'redis-cli';
}

// ---------------------------------------------------------------------------------------------
// Process-wide registry of live children and temp dirs, and the hooks that clean them up if the
// process goes away without doing it itself.

const liveChildren = new Map<number, ChildProcess>();
const liveTempDirs = new Set<string>();
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
  for (const dir of liveTempDirs) rmSync(dir, { recursive: true, force: true });
  liveTempDirs.clear();
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

function uninstallHooksWhenIdle(): void {
  if (liveChildren.size === 0 && liveTempDirs.size === 0) uninstallExitHooks();
}

/** A fresh temp dir that is removed at exit unless `removeTempDir` removed it first. */
export async function makeTempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  liveTempDirs.add(dir);
  installExitHooks();
  return dir;
}

export async function removeTempDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
  liveTempDirs.delete(dir);
  uninstallHooksWhenIdle();
}

// ---------------------------------------------------------------------------------------------
// Ports

/**
 * Ports handed out recently by this process (client and bus port), so two servers started in the same
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
 * Still a race with other processes, which is why `startRedisServer` retries on a fresh port; other
 * users (slotgate's own ports in tests) bind at once and accept that small window.
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
// Credentials and TLS

/** Password-protected servers: requirepass, or with `user` an ACL user while the default user is off. */
export interface RedisAuth {
  user?: string;
  password: string;
}

/** TLS-only servers (no plain port) with these PEM files; clients present the same pair. */
export interface RedisTlsFiles {
  caCertFile: string;
  certFile: string;
  keyFile: string;
}

/**
 * How a server is reached: its credentials and TLS, when it has them. An owner may replace `auth`
 * after changing the password on the server (e.g. a rotation test), so admin connections and later
 * restarts use the new one.
 */
export interface RedisAccess {
  auth?: RedisAuth;
  tls?: RedisTlsFiles;
}

/** The listener: the plain port, or with TLS no plain port (0) and the TLS port instead. */
function listenerArgs(port: number, tls: RedisTlsFiles | undefined): string[] {
  if (!tls) return ['--port', String(port)];
  return [
    '--port', '0', '--tls-port', String(port),
    '--tls-cert-file', tls.certFile, '--tls-key-file', tls.keyFile, '--tls-ca-cert-file', tls.caCertFile,
  ];
}

/**
 * Sign-in: requirepass, or an ACL user with every permission while `default` is switched off. A
 * replica signs in to its master with the same credentials (masteruser/masterauth), as every server
 * started with one RedisAccess shares them.
 */
function signInArgs(auth: RedisAuth | undefined): string[] {
  if (!auth) return [];
  if (!auth.user) return ['--requirepass', auth.password, '--masterauth', auth.password];
  return [
    '--user', auth.user, 'on', `>${auth.password}`, '~*', '&*', '+@all',
    '--user', 'default', 'off',
    '--masteruser', auth.user, '--masterauth', auth.password,
  ];
}

/** redis-cli's own flags for signing in and TLS (`--no-auth-warning` keeps its stderr clean). */
export function redisCliAccessArgs(access: RedisAccess | undefined): string[] {
  const { auth, tls } = access ?? {};
  return [
    ...(auth ? ['--no-auth-warning', '-a', auth.password, ...(auth.user ? ['--user', auth.user] : [])] : []),
    ...(tls ? ['--tls', '--cacert', tls.caCertFile, '--cert', tls.certFile, '--key', tls.keyFile] : []),
  ];
}

// ---------------------------------------------------------------------------------------------
// One redis-server process

/** A short-lived admin connection (test-support path, not a hot path), signed in / over TLS per `access`. */
export async function withRedis<T>(host: string, port: number, run: (redis: Redis) => Promise<T>, access?: RedisAccess): Promise<T> {
  const { auth, tls } = access ?? {};
  const redis = new Redis({
    host,
    port,
    ...(auth ? { username: auth.user, password: auth.password } : {}),
    // Read at each use: these are small files, and a test may replace them.
    ...(tls ? { tls: { ca: readFileSync(tls.caCertFile), cert: readFileSync(tls.certFile), key: readFileSync(tls.keyFile) } } : {}),
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

export interface RedisServerSpec {
  host: string;
  port: number;
  /** Working directory (must exist); the server's output goes to `redis.log` in it. */
  dir: string;
  /**
   * More redis-server arguments; the listener (`--port`, or TLS), `--bind`, `--dir`, `--daemonize no`
   * and the sign-in (from `access`) are always given.
   */
  args: readonly string[];
  /** Credentials and TLS of the server; none by default. */
  access?: RedisAccess;
  /** Executable; default `defaultRedisServer()`. */
  redisServer?: string;
  /** A config file, given first as redis-server wants it (a Sentinel needs one it can rewrite). */
  configFile?: string;
}

export interface RedisServerProcess {
  readonly spec: RedisServerSpec;
  readonly pid: number;
  /** Resolves once the process has exited. */
  readonly exited: Promise<void>;
  isRunning(): boolean;
  /** Sends `signal` (SIGKILL by default) and waits for the process to exit; no-op when it has. */
  kill(signal?: NodeJS.Signals): Promise<void>;
}

/** The executable could not be started at all: retrying on another port will not help. */
export class RedisSpawnError extends Error {}

function tailOfLog(dir: string): string {
  const file = join(dir, 'redis.log');
  if (!existsSync(file)) return '(no log)';
  return readFileSync(file, 'utf8').split('\n').slice(-15).join('\n');
}

/**
 * Spawns redis-server exactly as `spec` says and waits until it answers PING. Rejects with
 * RedisSpawnError when the executable cannot run, and with an Error (log tail included) when the
 * server exits or stays silent during start-up, e.g. because another process took its port.
 */
export async function launchRedisServer(spec: RedisServerSpec): Promise<RedisServerProcess> {
  const redisServer = spec.redisServer ?? defaultRedisServer();
  const args = [
    ...(spec.configFile ? [spec.configFile] : []),
    ...listenerArgs(spec.port, spec.access?.tls),
    '--bind', spec.host, '--dir', spec.dir, '--daemonize', 'no',
    ...signInArgs(spec.access?.auth),
    ...spec.args,
  ];
  const logFd = openSync(join(spec.dir, 'redis.log'), 'a');
  let child: ChildProcess;
  try {
    child = spawn(redisServer, args, { stdio: ['ignore', logFd, logFd] });
  } finally {
    closeSync(logFd); // the child holds its own copy
  }
  // Unref so an owner that forgets to stop it can still end; the 'exit' hook then kills the server.
  child.unref();
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    // A spawn failure (e.g. ENOENT) emits 'error' and possibly no 'exit': there is no process to wait for.
    child.once('error', () => {
      if (child.pid === undefined) resolve();
    });
  });
  const pid = child.pid;
  if (pid === undefined) {
    await exited;
    throw new RedisSpawnError(`could not spawn ${redisServer}`);
  }
  liveChildren.set(pid, child);
  installExitHooks();
  void exited.then(() => {
    liveChildren.delete(pid);
    uninstallHooksWhenIdle();
  });

  const isRunning = () => child.exitCode === null && child.signalCode === null;
  const server: RedisServerProcess = {
    spec,
    pid,
    exited,
    isRunning,
    async kill(signal = 'SIGKILL') {
      if (!isRunning()) return;
      child.ref(); // keep the event loop alive until we have seen it go
      child.kill(signal);
      await exited;
    },
  };

  const deadline = Date.now() + PING_TIMEOUT_MS;
  for (;;) {
    if (!isRunning()) {
      throw new Error(`redis-server on port ${spec.port} exited during start-up:\n${tailOfLog(spec.dir)}`);
    }
    try {
      if ((await withRedis(spec.host, spec.port, (redis) => redis.ping(), spec.access)) === 'PONG') return server;
    } catch (err) {
      if (Date.now() > deadline) {
        await server.kill();
        throw new Error(`redis-server on port ${spec.port} did not answer PING within ${PING_TIMEOUT_MS} ms: ${String(err)}`);
      }
    }
    await sleep(50);
  }
}

export interface StartRedisServerOptions {
  /** Default '127.0.0.1'. */
  host?: string;
  /** Executable; default `defaultRedisServer()`. */
  redisServer?: string;
  /** Where the server's dir goes: `<parentDir>/node-<port>` (created). */
  parentDir: string;
  /** More redis-server arguments (see RedisServerSpec.args). */
  args?: readonly string[];
  /** See RedisServerSpec.configFile. */
  configFile?: string;
  /** Credentials and TLS (see RedisServerSpec.access). */
  access?: RedisAccess;
  log?: (line: string) => void;
}

/** Starts a redis-server on a free port, retrying on a fresh port when it loses a port race. */
export async function startRedisServer(opts: StartRedisServerOptions): Promise<RedisServerProcess> {
  const host = opts.host ?? '127.0.0.1';
  let lastError: unknown;
  for (let attempt = 1; attempt <= START_ATTEMPTS; attempt++) {
    const port = await findFreePort(host);
    const dir = join(opts.parentDir, `node-${port}`);
    await mkdir(dir, { recursive: true });
    try {
      return await launchRedisServer({ host, port, dir, args: opts.args ?? [], access: opts.access, redisServer: opts.redisServer, configFile: opts.configFile });
    } catch (err) {
      if (err instanceof RedisSpawnError) throw err;
      // Most likely another process took P or P+10000 between our probe and redis's bind: retry.
      lastError = err;
      await rm(dir, { recursive: true, force: true });
      opts.log?.(`redis-server on port ${port} failed to start (attempt ${attempt}): ${String(err).split('\n')[0]}`);
    }
  }
  throw lastError instanceof Error ? lastError : new Error(String(lastError));
}

/** Flags for a throwaway server: no persistence of any kind, reachable from loopback without a password. */
export const THROWAWAY_SERVER_ARGS: readonly string[] = ['--save', '', '--appendonly', 'no', '--protected-mode', 'no'];

export interface StandaloneRedis {
  host: string;
  port: number;
  /** Kills the server and removes its temp dir; idempotent. */
  stop(): Promise<void>;
}

/** A standalone (non-cluster) throwaway redis-server in a temp dir of its own. */
export async function startStandaloneRedis(
  opts: { redisServer?: string; args?: readonly string[]; access?: RedisAccess } = {},
): Promise<StandaloneRedis> {
  const parentDir = await makeTempDir('slotgate-redis-');
  let server: RedisServerProcess;
  try {
    server = await startRedisServer({
      parentDir,
      redisServer: opts.redisServer,
      args: [...THROWAWAY_SERVER_ARGS, ...(opts.args ?? [])],
      access: opts.access,
    });
  } catch (err) {
    await removeTempDir(parentDir);
    throw err;
  }
  let stopping: Promise<void> | undefined;
  return {
    host: server.spec.host,
    port: server.spec.port,
    stop: () =>
      (stopping ??= (async () => {
        await server.kill();
        await removeTempDir(parentDir);
      })()),
  };
}
