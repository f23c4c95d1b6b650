// Starting slotgate in-process against a cluster, and talking to it over raw sockets.
import net from 'node:net';
import { Redis, type RedisOptions } from 'ioredis';
import type pino from 'pino';
import { resolveConfig } from '../../src/config/config.js';
import { startSlotgate, type SlotgateHandle } from '../../src/server.js';
import { createLogger } from '../../src/observability/logger.js';
import { ReplyFramer } from '../../src/protocol/reply-framer.js';
import { parseReply, type RespValue } from '../../src/protocol/reply-parser.js';
import { encodeCommand } from '../../src/protocol/encoder.js';

export interface StartedProxy {
  handle: SlotgateHandle;
  port: number;
  /** A standalone ioredis client connected to slotgate (closed by close()). */
  client(options?: RedisOptions): Redis;
  close(): Promise<void>;
}

export interface ProxyOptions {
  /** Where the logs go (e.g. a capture stream); pass `--log-level` in args to see them. */
  logDestination?: pino.DestinationStream;
}

/**
 * Starts slotgate on a free port; `args` are extra CLI flags, e.g. ['--command-timeout', '500'].
 * `handle.reload()` resolves the same flags again, re-reading a `--config` file, as SIGHUP does.
 */
export async function startProxy(seeds: string[], args: string[] = [], options: ProxyOptions = {}): Promise<StartedProxy> {
  return startProxyFor(['--cluster', seeds.join(',')], args, options);
}

/**
 * Starts slotgate in front of any kind of backend: `backendArgs` say which, e.g.
 * ['--backend', 'standalone', '--master', '127.0.0.1:7000'].
 */
export async function startProxyFor(backendArgs: string[], args: string[] = [], options: ProxyOptions = {}): Promise<StartedProxy> {
  const argv = [...backendArgs, '--port', '0', '--admin-port', '0', '--log-level', 'silent', ...args];
  const config = resolveConfig(argv, {});
  const handle = await startSlotgate(config, {
    processMetrics: false,
    logger: createLogger(config.logLevel, options.logDestination),
    loadConfig: () => resolveConfig(argv, {}),
  });
  const clients: Redis[] = [];
  return {
    handle,
    port: handle.port,
    client(options: RedisOptions = {}) {
      const c = new Redis({ host: '127.0.0.1', port: handle.port, maxRetriesPerRequest: 1, ...options });
      clients.push(c);
      return c;
    },
    async close() {
      for (const c of clients) c.disconnect();
      await handle.close();
    },
  };
}

/** A raw RESP connection: write any bytes, read replies as parsed values. */
export class RawClient {
  private readonly replies: { frame: Buffer }[] = [];
  private waiters: (() => void)[] = [];
  private ended = false;
  /** Whether RESP3 push frames are read too (in order with the replies); else they are dropped. */
  keepPushes = false;
  private readonly framer = new ReplyFramer(
    (frame) => {
      this.replies.push({ frame });
      this.wake();
    },
    (frame) => {
      if (!this.keepPushes) return;
      this.replies.push({ frame });
      this.wake();
    },
  );

  private constructor(readonly socket: net.Socket) {
    socket.on('data', (chunk: Buffer) => this.framer.write(chunk));
    socket.on('close', () => {
      this.ended = true;
      this.wake();
    });
    socket.on('error', () => undefined);
  }

  static connect(port: number, host = '127.0.0.1'): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ port, host }, () => resolve(new RawClient(socket)));
      socket.once('error', reject);
    });
  }

  write(data: Buffer | string): void {
    this.socket.write(data);
  }

  command(...args: (string | Buffer)[]): void {
    this.socket.write(encodeCommand(args));
  }

  /** Waits for the next reply frame (raw bytes). */
  async nextFrame(timeoutMs = 10_000): Promise<Buffer> {
    const deadline = Date.now() + timeoutMs;
    while (this.replies.length === 0) {
      if (this.ended) throw new Error('connection closed before a reply');
      if (Date.now() > deadline) throw new Error('timed out waiting for a reply');
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 50);
      });
    }
    return this.replies.shift()!.frame;
  }

  async next(timeoutMs?: number): Promise<RespValue> {
    return parseReply(await this.nextFrame(timeoutMs));
  }

  async call(...args: (string | Buffer)[]): Promise<RespValue> {
    this.command(...args);
    return this.next();
  }

  /** Resolves true when the server closes the connection within the timeout. */
  async closedWithin(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!this.ended && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    return this.ended;
  }

  close(): void {
    this.socket.destroy();
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
}
