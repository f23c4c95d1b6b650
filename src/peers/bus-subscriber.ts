/**
 * A backend connection in sharded-subscriber mode, for the peer bus (peer-bus.ts). NodeConnection
 * matches every frame to a request it sent, which a subscriber's messages are not, so this is a
 * socket of its own — opened exactly like every other backend socket (BackendSecurity: TLS, then
 * AUTH first), then SSUBSCRIBE to the given channels (all in one slot). When it breaks, or the node
 * drops the subscription (the slot moved: Redis sends `sunsubscribe`), it reconnects to whichever
 * node `pickNode` says then; messages published meanwhile are lost, which the bus tolerates (a
 * peer that does not answer in time is left out).
 */
import net from 'node:net';
import tls from 'node:tls';
import type { BackendSecurity } from '../backend/node-connection.js';
import { splitAddress } from '../backend/node-pool.js';
import { encodeCommand } from '../protocol/encoder.js';
import { ReplyFramer } from '../protocol/reply-framer.js';
import { parseReply } from '../protocol/reply-parser.js';

export interface BusSubscriberOptions {
  readonly channels: readonly string[];
  /** The node to (re)connect to: the master of the channels' slot. */
  pickNode(): string | null;
  readonly security?: BackendSecurity;
  readonly connectTimeoutMs: number;
  onMessage(channel: string, payload: Buffer): void;
  /** Subscribed (again): every channel confirmed. */
  onReady?(): void;
  onBroken?(reason: string): void;
}

/** Reconnects back off from the first to the last delay, and start over once subscribed. */
const FIRST_RECONNECT_DELAY_MS = 300;
const LAST_RECONNECT_DELAY_MS = 5000;

export class BusSubscriber {
  private socket: net.Socket | null = null;
  private stopped = false;
  private retryTimer: NodeJS.Timeout | null = null;
  private retryDelayMs = FIRST_RECONNECT_DELAY_MS;

  constructor(private readonly options: BusSubscriberOptions) {}

  start(): void {
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.socket?.destroy();
    this.socket = null;
  }

  private connect(): void {
    if (this.stopped) return;
    const address = this.options.pickNode();
    if (!address) return this.retry();
    const [host, port] = splitAddress(address);
    const tlsOptions = this.options.security?.tlsOptions(host) ?? null;
    const socket = tlsOptions ? tls.connect({ ...tlsOptions, host, port }) : net.connect({ host, port });
    this.socket = socket;
    socket.setTimeout(this.options.connectTimeoutMs);
    let authPending = false;
    let confirmed = 0;
    const framer = new ReplyFramer((frame, isError) => {
      if (authPending) {
        authPending = false;
        if (isError) return this.broken(socket, `AUTH refused: ${frame.toString('utf8', 1, Math.min(frame.length, 120)).trim()}`);
        return;
      }
      if (isError) return this.broken(socket, frame.toString('utf8', 1, Math.min(frame.length, 120)).trim());
      const value = parseReply(frame);
      if (!Array.isArray(value) || value.length < 3) return;
      const kind = String(value[0]);
      if (kind === 'smessage' && Buffer.isBuffer(value[2])) {
        this.options.onMessage(String(value[1]), value[2]);
      } else if (kind === 'ssubscribe' && ++confirmed === this.options.channels.length) {
        socket.setTimeout(0);
        this.retryDelayMs = FIRST_RECONNECT_DELAY_MS;
        this.options.onReady?.();
      } else if (kind === 'sunsubscribe') {
        this.broken(socket, 'the node dropped the subscription (the slot moved)');
      }
    });
    socket.on(tlsOptions ? 'secureConnect' : 'connect', () => {
      socket.setKeepAlive(true, 10_000);
      const auth = this.options.security?.authCommand() ?? null;
      if (auth) {
        authPending = true;
        socket.write(auth);
      }
      socket.write(encodeCommand(['SSUBSCRIBE', ...this.options.channels]));
    });
    socket.on('data', (chunk: Buffer) => {
      try {
        framer.write(chunk);
      } catch (err) {
        this.broken(socket, `bad reply: ${(err as Error).message}`);
      }
    });
    socket.on('timeout', () => this.broken(socket, 'connect timeout'));
    socket.on('error', (err: NodeJS.ErrnoException) => this.broken(socket, err.code ?? err.message));
    socket.on('close', () => this.broken(socket, 'connection lost'));
  }

  private broken(socket: net.Socket, reason: string): void {
    if (this.socket !== socket) return;
    this.socket = null;
    socket.destroy();
    if (this.stopped) return;
    this.options.onBroken?.(reason);
    this.retry();
  }

  private retry(): void {
    if (this.stopped || this.retryTimer) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.connect();
    }, this.retryDelayMs);
    this.retryDelayMs = Math.min(LAST_RECONNECT_DELAY_MS, this.retryDelayMs * 2);
    this.retryTimer.unref();
  }
}
