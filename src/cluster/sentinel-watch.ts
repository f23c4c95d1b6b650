/**
 * A subscription to one Sentinel's event channels: `+switch-master` for our master (a failover is
 * over: the new master is known), the first signs of a failover and its abort (so that writes to
 * the old master are held: cluster/write-hold.ts), and the replica events (`+sdown`/`-sdown` of a replica, a replica
 * added or reconfigured), each turned into a topology refresh. Reconnects after a pause when the
 * Sentinel goes away, and asks for a refresh on every (re)subscription: events sent while we were
 * not listening are lost, so the topology is re-read instead.
 *
 * This is a plain socket, not a pooled NodeConnection: pub/sub messages are not replies to
 * requests, and a NodeConnection would treat them as a broken stream.
 */
import net from 'node:net';
import { splitAddress } from '../backend/node-pool.js';
import { encodeCommand } from '../protocol/encoder.js';
import { ReplyFramer } from '../protocol/reply-framer.js';
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

const RECONNECT_PAUSE_MS = 1000;

export interface SentinelWatchOptions {
  readonly masterName: string;
  readonly connectTimeoutMs: number;
  /** AUTH written first on every socket; null = none. */
  readonly authCommand: () => Buffer | null;
  readonly changed: (reason: string) => void;
  /** A failover of our master begins or is given up (from any Sentinel: each one publishes what it sees). */
  readonly failover?: (signal: FailoverSignal) => void;
  readonly onError: (address: string, message: string) => void;
}

export class SentinelWatch {
  private socket: net.Socket | null = null;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(
    readonly address: string,
    private readonly options: SentinelWatchOptions,
  ) {
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.socket?.destroy();
    this.socket = null;
  }

  private connect(): void {
    const [host, port] = splitAddress(this.address);
    const socket = net.connect({ host, port, noDelay: true });
    this.socket = socket;
    socket.setTimeout(this.options.connectTimeoutMs);
    socket.on('timeout', () => socket.destroy(new Error('connect timeout')));
    const framer = new ReplyFramer((frame) => this.onFrame(frame));
    socket.on('connect', () => {
      socket.setTimeout(0);
      socket.setKeepAlive(true, 10_000);
      const auth = this.options.authCommand();
      socket.write(Buffer.concat([...(auth ? [auth] : []), encodeCommand(['SUBSCRIBE', ...SENTINEL_CHANNELS])]));
    });
    socket.on('data', (chunk: Buffer) => {
      try {
        framer.write(chunk);
      } catch (err) {
        socket.destroy(err as Error);
      }
    });
    socket.on('error', (err) => this.options.onError(this.address, err.message));
    socket.on('close', () => {
      if (this.socket !== socket || this.stopped) return;
      this.socket = null;
      this.timer = setTimeout(() => this.connect(), RECONNECT_PAUSE_MS);
      this.timer.unref();
    });
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
      if (channel === SENTINEL_CHANNELS[0]) this.options.changed('sentinel subscribed');
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
