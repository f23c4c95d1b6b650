/**
 * The sessions of one slotgate: a client socket accepted (or refused past `maxclients`, as
 * Redis does), its Session made and counted, and released from the set the moment it closes;
 * and the drain that closes them all at shutdown. Sockets accepted before the proxy's context
 * exists (the listeners open first, so the context is made once with the ports it names) wait,
 * paused, until `open(context)`.
 */
import type net from 'node:net';
import type { SlotgateConfig } from '../config/config.js';
import * as errors from '../errors/catalogue.js';
import type { ProxyContext } from '../handlers/proxy-context.js';
import type { LogLimiter } from '../observability/log-limiter.js';
import type { Metrics } from '../observability/metrics.js';
import { Session, type SessionOwner } from '../session/session.js';
import type { CloseReason } from '../session/client-state.js';

export interface DrainOutcome {
  /** Sessions that closed before the deadline: every command they sent was answered. */
  readonly drained: number;
  /** Sessions still open at the deadline (blocked, MONITOR, inside MULTI, busy), closed then. */
  readonly cut: number;
}

export class ClientAcceptor implements SessionOwner {
  readonly sessions = new Set<Session>();
  private context: ProxyContext | null = null;
  private waiting: net.Socket[] = [];
  /** Set while a drain waits for the last session. */
  private allSessionsClosed: (() => void) | null = null;

  constructor(
    private readonly config: SlotgateConfig,
    private readonly metrics: Metrics,
    private readonly logLimiter: LogLimiter,
  ) {}

  /** The proxy is ready: sessions are made from now on, first for the sockets that waited. */
  open(context: ProxyContext): void {
    this.context = context;
    const waiting = this.waiting;
    this.waiting = [];
    for (const socket of waiting) if (!socket.destroyed) this.accept(socket);
  }

  readonly accept = (socket: net.Socket): void => {
    const { config, metrics, sessions } = this;
    if (this.context === null) {
      this.waiting.push(socket);
      return;
    }
    if (sessions.size >= config.maxClients) {
      metrics.connectionsRejected.inc();
      metrics.connectionsRefused++;
      metrics.countProxyError('max_clients');
      this.logLimiter.log('max_clients', 'warn', { addr: `${socket.remoteAddress}:${socket.remotePort}`, maxClients: config.maxClients }, 'max number of clients reached; connection refused');
      socket.on('error', () => socket.destroy());
      // Like Redis: the error, then close. end() alone would wait for the client's FIN and hold
      // the descriptor for as long as the client keeps its side open.
      socket.end(errors.MAX_CLIENTS.frame, () => socket.destroy());
      return;
    }
    const session = new Session(socket, this.context);
    sessions.add(session);
    metrics.connectionsAccepted.inc();
    metrics.connectionsReceived++;
    this.counted();
    session.owner = this;
  };

  /** SessionOwner: the session released everything; it leaves the set (maxclients, CLIENT LIST, drain). */
  sessionClosed(session: Session, _reason: CloseReason): void {
    this.sessions.delete(session);
    this.counted();
    if (this.sessions.size === 0) this.allSessionsClosed?.();
  }

  private counted(): void {
    this.metrics.connectionsCurrent.set(this.sessions.size);
    this.metrics.connectionsUsageRatio.set(this.sessions.size / this.config.maxClients);
  }

  /**
   * Every session closes once its client owes nothing (Session.drain); whatever is still open
   * after `timeoutMs` is cut.
   */
  async drain(timeoutMs: number): Promise<DrainOutcome> {
    const total = this.sessions.size;
    if (total > 0) {
      const allClosed = new Promise<void>((resolve) => (this.allSessionsClosed = resolve));
      for (const session of [...this.sessions]) session.drain();
      let deadline: NodeJS.Timeout | undefined;
      await Promise.race([allClosed, new Promise<void>((resolve) => (deadline = setTimeout(resolve, timeoutMs)))]);
      clearTimeout(deadline);
    }
    const cut = this.sessions.size;
    this.closeAll();
    return { drained: total - cut, cut };
  }

  /** Closes every session now (shutdown), and the sockets still waiting for the context. */
  closeAll(): void {
    for (const session of [...this.sessions]) session.close('shutdown');
    for (const socket of this.waiting) socket.destroy();
    this.waiting = [];
  }
}
