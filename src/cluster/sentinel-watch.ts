/**
 * A subscription to one Sentinel's event channels: `+switch-master` for our master (a failover is
 * over: the new master is known), the first signs of a failover and its abort (so that writes to
 * the old master are held: cluster/write-hold.ts), and the replica events (`+sdown`/`-sdown` of a replica, a replica
 * added or reconfigured), each turned into a topology refresh. Reconnects after a pause when the
 * Sentinel goes away, and asks for a refresh on every (re)subscription: events sent while we were
 * not listening are lost, so the topology is re-read instead.
 *
 * It runs on a subscribed backend connection (NodePool.subscriber on the Sentinels' pool: their
 * AUTH and TLS, the fast reader, the failure metrics) and reconnects with the one reconnect
 * back-off of subscribed connections (backend/reconnect-backoff.ts).
 */
import type { NodeConnection } from '../backend/node-connection.js';
import type { NodePool } from '../backend/node-pool.js';
import { ReconnectBackoff } from '../backend/reconnect-backoff.js';
import { encodeCommand } from '../protocol/encoder.js';
import { parseReply, RespError } from '../protocol/reply-parser.js';
import type { FailoverSignal } from './topology-source.js';

/** A replica was chosen to replace the master, is being promoted, or has been. */
const FAILOVER_STARTED = ['+selected-slave', '+failover-state-send-slaveof-noone', '+promoted-slave'] as const;
const FAILOVER_ABORTED = ['-failover-abort-not-elected', '-failover-abort-no-good-slave', '-failover-abort-slave-timeout'] as const;

export const SENTINEL_CHANNELS = [
  '+switch-master',
  '+sdown',
  '-sdown',
  '+slave',
  '+convert-to-slave',
  '+slave-reconf-done',
  // The first signs of a failover, and its abort (see failoverSignal).
  ...FAILOVER_STARTED,
  ...FAILOVER_ABORTED,
] as const;

export interface SentinelWatchOptions {
  readonly masterName: string;
  /** The Sentinels' pool: their credentials and TLS. */
  readonly pool: NodePool;
  readonly changed: (reason: string) => void;
  /** A failover of our master begins or is given up (from any Sentinel: each one publishes what it sees). */
  readonly failover?: (signal: FailoverSignal) => void;
  readonly onError: (address: string, message: string) => void;
}

export class SentinelWatch {
  private conn: NodeConnection | null = null;
  private readonly backoff = new ReconnectBackoff();
  private stopped = false;

  constructor(
    readonly address: string,
    private readonly options: SentinelWatchOptions,
  ) {
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
    const conn: NodeConnection = this.options.pool.subscriber(
      this.address,
      (frame) => this.onFrame(frame),
      (failure) => {
        if (this.conn !== conn) return;
        this.conn = null;
        conn.close();
        this.options.onError(this.address, failure.message);
        if (!this.stopped) this.backoff.schedule(() => this.connect());
      },
    );
    this.conn = conn;
    conn.sendSubscribed(encodeCommand(['SUBSCRIBE', ...SENTINEL_CHANNELS]));
  }

  private onFrame(frame: Buffer): void {
    const value = parseReply(frame);
    if (value instanceof RespError) {
      // AUTH refused, or SUBSCRIBE refused because of it: nothing will arrive on this socket.
      this.options.onError(this.address, value.message);
      return;
    }
    if (!Array.isArray(value) || value.length < 3) return;
    const kind = String(value[0]);
    const channel = String(value[1]);
    if (kind === 'subscribe') {
      if (channel === SENTINEL_CHANNELS[0]) {
        this.backoff.reset();
        this.options.changed('sentinel subscribed');
      }
      return;
    }
    if (kind !== 'message') return;
    const payload = String(value[2]);
    if (!concernsMaster(channel, payload, this.options.masterName)) return;
    const signal = failoverSignal(channel, payload);
    if (signal) this.options.failover?.(signal);
    this.options.changed(`sentinel ${channel}`);
  }
}

/**
 * `+switch-master <name> <old ip> <old port> <new ip> <new port>`; the other events describe an
 * instance: `<type> <name> <ip> <port> @ <master name> <master ip> <master port>`.
 */
export function concernsMaster(channel: string, payload: string, masterName: string): boolean {
  const words = payload.split(' ');
  if (channel === '+switch-master') return words[0] === masterName;
  const at = words.indexOf('@');
  return at >= 0 ? words[at + 1] === masterName : words[0] === 'master' && words[1] === masterName;
}

/**
 * The failover events name an instance and its master: `slave <ip> <port> @ <name> <master ip>
 * <master port>` (`+selected-slave`, `+promoted-slave`), `master <name> <ip> <port>` (the others).
 */
export function failoverSignal(channel: string, payload: string): FailoverSignal | null {
  const started = (FAILOVER_STARTED as readonly string[]).includes(channel);
  if (!started && !(FAILOVER_ABORTED as readonly string[]).includes(channel)) return null;
  const words = payload.split(' ');
  const at = words.indexOf('@');
  const [host, port] = at >= 0 ? [words[at + 2], words[at + 3]] : [words[2], words[3]];
  if (!host || !port || !/^\d+$/.test(port)) return null;
  return { kind: started ? 'started' : 'aborted', master: `${host}:${port}`, reason: `sentinel ${channel}` };
}
