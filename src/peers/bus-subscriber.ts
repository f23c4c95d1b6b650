/**
 * The peer bus's subscription (peer-bus.ts): a subscribed backend connection (NodePool.subscriber,
 * the same connection type as the pub/sub hub's links: AUTH, TLS, fast reader, failure metrics)
 * to the master of the bus's slot, holding the given shard channels. When it breaks, or the node
 * drops the subscription (the slot moved: Redis sends `sunsubscribe`), it reconnects to whichever
 * node `pickNode` says then, with the one reconnect back-off (backend/reconnect-backoff.ts);
 * messages published meanwhile are lost, which the bus tolerates (a peer that does not answer in
 * time is left out).
 */
import type { NodeConnection } from '../backend/node-connection.js';
import type { NodePool } from '../backend/node-pool.js';
import { ReconnectBackoff } from '../backend/reconnect-backoff.js';
import { encodeCommand } from '../protocol/encoder.js';
import { parseReply } from '../protocol/reply-parser.js';

export interface BusSubscriberOptions {
  readonly channels: readonly string[];
  readonly pool: NodePool;
  /** The node to (re)connect to: the master of the channels' slot. */
  pickNode(): string | null;
  onMessage(channel: string, payload: Buffer): void;
  /** Subscribed (again): every channel confirmed. */
  onReady?(): void;
  onBroken?(reason: string): void;
}

export class BusSubscriber {
  private conn: NodeConnection | null = null;
  private stopped = false;
  private readonly backoff = new ReconnectBackoff();

  constructor(private readonly options: BusSubscriberOptions) {}

  start(): void {
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    this.backoff.cancel();
    this.conn?.close();
    this.conn = null;
  }

  private connect(): void {
    if (this.stopped) return;
    const address = this.options.pickNode();
    if (!address) return this.backoff.schedule(() => this.connect());
    let confirmed = 0;
    const conn: NodeConnection = this.options.pool.subscriber(
      address,
      (frame, isError) => {
        if (isError) return this.broken(conn, frame.toString('utf8', 1, Math.min(frame.length, 120)).trim());
        const value = parseReply(frame);
        if (!Array.isArray(value) || value.length < 3) return;
        const kind = String(value[0]);
        if (kind === 'smessage' && Buffer.isBuffer(value[2])) {
          this.options.onMessage(String(value[1]), value[2]);
        } else if (kind === 'ssubscribe' && ++confirmed === this.options.channels.length) {
          this.backoff.reset();
          this.options.onReady?.();
        } else if (kind === 'sunsubscribe') {
          this.broken(conn, 'the node dropped the subscription (the slot moved)');
        }
      },
      (failure) => this.broken(conn, failure.message),
    );
    this.conn = conn;
    conn.sendSubscribed(encodeCommand(['SSUBSCRIBE', ...this.options.channels]));
  }

  private broken(conn: NodeConnection, reason: string): void {
    if (this.conn !== conn) return;
    this.conn = null;
    conn.close();
    if (this.stopped) return;
    this.options.onBroken?.(reason);
    this.backoff.schedule(() => this.connect());
  }
}
