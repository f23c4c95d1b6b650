/**
 * How the slotgate instances (and workers) in front of one cluster find and ask each other,
 * through the cluster itself — no extra service (SPEC §9):
 *
 *  - Presence: every instance writes `{slotgate}:instance:<proxy id>` with a short TTL every
 *    second and keeps its id in the set `{slotgate}:instances` (one hash tag: one slot, one
 *    master, so MGET works). Each heartbeat also reads who else is alive; an id whose key has
 *    expired is dropped from the set. An instance that dies is gone within PRESENCE_TTL_MS.
 *  - Requests: SPUBLISH on REQUEST_CHANNEL, a sharded channel in the same slot (Redis 7: the
 *    message stays on that shard instead of going to every node of the cluster, which matters
 *    for a listing of 10,000 sessions); each instance answers on its own reply channel there.
 *    `ask` waits for every instance alive at that moment, at most ASK_TIMEOUT_MS in all; one
 *    that has not answered by then is logged and left out of the answer.
 *
 * Its commands go on one dedicated backend connection (never the shared ones clients use), so a
 * large reply or a paused node does not sit in front of client traffic. The subscriber has its
 * own socket, opened with the same TLS and AUTH as every backend connection.
 */
import type { Logger } from 'pino';
import type { BackendSecurity, NodeConnection } from '../backend/node-connection.js';
import { executeOn, type NodePool } from '../backend/node-pool.js';
import { stringKeyHashSlot } from '../cluster/hash-slot.js';
import type { TopologyManager } from '../cluster/topology-manager.js';
import { RespError, type RespValue } from '../protocol/reply-parser.js';
import { BusSubscriber } from './bus-subscriber.js';

export const HASH_TAG = '{slotgate}';
/** Sharded pub/sub channels in the bus's slot: a message goes to that shard only, not to every node. */
export const REQUEST_CHANNEL = `${HASH_TAG}:bus:requests`;
export const REPLY_CHANNEL_PREFIX = `${HASH_TAG}:bus:replies:`;
export const INSTANCES_KEY = `${HASH_TAG}:instances`;
export const INSTANCE_SEQUENCE_KEY = `${HASH_TAG}:instance-seq`;
export const presenceKey = (proxyId: string): string => `${HASH_TAG}:instance:${proxyId}`;
/** Every key of the bus is in this slot (one hash tag): one master holds them all. */
const BUS_SLOT = stringKeyHashSlot(HASH_TAG);

export const HEARTBEAT_INTERVAL_MS = 1000;
export const PRESENCE_TTL_MS = 3000;
/** How long a cross-instance CLIENT LIST / KILL waits for the other instances. */
export const ASK_TIMEOUT_MS = 500;

/** What one instance answered, or that it did not answer in time. */
export interface PeerAnswers<T> {
  readonly answers: { readonly proxy: string; readonly body: T }[];
  /** Instances believed alive that did not answer within ASK_TIMEOUT_MS. */
  readonly missing: string[];
}

export interface PeerBusOptions {
  readonly proxyId: string;
  readonly pool: NodePool;
  readonly topology: TopologyManager;
  readonly security?: BackendSecurity;
  readonly connectTimeoutMs: number;
  readonly logger: Logger;
  /** Answers another instance's request (the body it published); the result is sent back as JSON. */
  answer(body: unknown): unknown;
}

interface Envelope {
  readonly kind: 'request' | 'reply';
  readonly id: number;
  readonly from: string;
  readonly body: unknown;
}

interface Pending {
  readonly waiting: Set<string>;
  readonly answers: { proxy: string; body: unknown }[];
  readonly done: () => void;
}

export class PeerBus {
  private readonly subscriber: BusSubscriber;
  private peers: string[] = [];
  private readonly pending = new Map<number, Pending>();
  private requestIds = 0;
  private heartbeatTimer: NodeJS.Timeout | null = null;
  private conn: NodeConnection | null = null;
  private stopped = false;
  private subscribed: (() => void) | null = null;
  private subscriberFailing = false;
  private heartbeatFailing = false;

  constructor(private readonly options: PeerBusOptions) {
    this.subscriber = new BusSubscriber({
      channels: [REQUEST_CHANNEL, REPLY_CHANNEL_PREFIX + options.proxyId],
      pickNode: () => this.busNode(),
      security: options.security,
      connectTimeoutMs: options.connectTimeoutMs,
      onMessage: (_channel, payload) => this.onMessage(payload),
      onReady: () => {
        if (this.subscriberFailing) options.logger.info('peer bus subscriber connected again');
        this.subscriberFailing = false;
        this.subscribed?.();
      },
      onBroken: (reason) => {
        // Logged once per outage, not per reconnect attempt (a cluster whose ACL refuses the bus would flood the log).
        if (!this.subscriberFailing) {
          options.logger.warn({ reason }, 'peer bus subscriber connection lost; reconnecting (other slotgate instances cannot reach this one meanwhile)');
        }
        this.subscriberFailing = true;
        // The slot may have moved (MOVED to SSUBSCRIBE, or the node unsubscribed us): look again.
        options.topology.requestRefresh('peer bus subscriber lost');
      },
    });
  }

  /**
   * Subscribes, then announces this instance (so nobody waits for an instance that cannot hear
   * yet); resolves once both are done, or after `timeoutMs` (the heartbeat keeps trying).
   */
  async start(timeoutMs = 2000): Promise<void> {
    const ready = new Promise<void>((resolve) => (this.subscribed = resolve));
    this.subscriber.start();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([ready.then(() => this.heartbeat()), new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
    clearTimeout(timer);
    this.subscribed = null;
    this.heartbeatTimer = setInterval(() => void this.heartbeat(), HEARTBEAT_INTERVAL_MS);
    this.heartbeatTimer.unref();
  }

  /** The other instances alive at the last heartbeat. */
  get knownPeers(): readonly string[] {
    return this.peers;
  }

  /** Sends `body` to every other instance and collects their answers (bounded wait). */
  async ask<T>(body: unknown): Promise<PeerAnswers<T>> {
    // The whole exchange is bounded, the look-up of who is alive included (a node that hangs
    // must not hold a CLIENT LIST for the command timeout).
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<void>((resolve) => (timer = setTimeout(resolve, ASK_TIMEOUT_MS)));
    // Who is alive now, not at the last heartbeat: an instance that started a moment ago counts.
    await Promise.race([this.refreshPeers().catch(() => undefined), timedOut]);
    const expected = new Set(this.peers);
    const id = ++this.requestIds;
    const answers: { proxy: string; body: unknown }[] = [];
    if (expected.size > 0) {
      const finished = new Promise<void>((resolve) => this.pending.set(id, { waiting: expected, answers, done: resolve }));
      const envelope: Envelope = { kind: 'request', id, from: this.options.proxyId, body };
      this.command(['SPUBLISH', REQUEST_CHANNEL, JSON.stringify(envelope)]).catch((err: Error) => {
        this.options.logger.warn({ err: err.message }, 'peer bus: could not publish a request; answering with this instance only');
        this.pending.get(id)?.done();
      });
      await Promise.race([finished, timedOut]);
    }
    clearTimeout(timer);
    this.pending.delete(id);
    const missing = [...expected];
    if (missing.length > 0) this.options.logger.warn({ missing }, 'slotgate instances did not answer in time; their sessions are left out');
    return { answers: answers as { proxy: string; body: T }[], missing };
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    this.subscriber.stop();
    for (const pending of this.pending.values()) pending.done();
    // Leave at once rather than after the TTL: the others stop waiting for us.
    const conn = this.conn;
    if (conn) {
      void executeOn(conn, ['SREM', INSTANCES_KEY, this.options.proxyId]).catch(() => undefined);
      void executeOn(conn, ['DEL', presenceKey(this.options.proxyId)]).catch(() => undefined).finally(() => conn.close());
    }
  }

  private onMessage(payload: Buffer): void {
    let envelope: Envelope;
    try {
      envelope = JSON.parse(payload.toString('utf8')) as Envelope;
    } catch {
      return; // not ours: someone else published on the channel
    }
    if (envelope.from === this.options.proxyId) return;
    if (envelope.kind === 'reply') {
      const pending = this.pending.get(envelope.id);
      if (!pending) return; // too late: that request was answered without it
      pending.answers.push({ proxy: envelope.from, body: envelope.body });
      pending.waiting.delete(envelope.from);
      if (pending.waiting.size === 0) pending.done();
      return;
    }
    if (envelope.kind !== 'request') return;
    let body: unknown;
    try {
      body = this.options.answer(envelope.body);
    } catch (err) {
      this.options.logger.warn({ err: (err as Error).message }, 'peer bus: failed to answer a request');
      return;
    }
    const reply: Envelope = { kind: 'reply', id: envelope.id, from: this.options.proxyId, body };
    this.command(['SPUBLISH', REPLY_CHANNEL_PREFIX + envelope.from, JSON.stringify(reply)]).catch((err: Error) =>
      this.options.logger.warn({ err: err.message }, 'peer bus: could not publish a reply'),
    );
  }

  /** Presence: renew our key, then read who else is alive and forget the expired. */
  private async heartbeat(): Promise<void> {
    if (this.stopped) return;
    const self = this.options.proxyId;
    try {
      await this.command(['SET', presenceKey(self), String(Date.now()), 'PX', String(PRESENCE_TTL_MS)]);
      await this.command(['SADD', INSTANCES_KEY, self]);
      await this.refreshPeers(true);
      if (this.heartbeatFailing) this.options.logger.info('peer bus heartbeat works again');
      this.heartbeatFailing = false;
    } catch (err) {
      // Once per outage: the heartbeat runs every second.
      if (!this.heartbeatFailing) this.options.logger.warn({ err: (err as Error).message }, 'peer bus heartbeat failed; other slotgate instances will not list this one until it works');
      this.heartbeatFailing = true;
    }
  }

  /** Reads who else is alive (their presence key still there); `prune` removes the others from the set. */
  private async refreshPeers(prune = false): Promise<void> {
    const self = this.options.proxyId;
    const members = await this.command(['SMEMBERS', INSTANCES_KEY]);
    const ids = Array.isArray(members) ? members.map(String).filter((id) => id !== self) : [];
    if (ids.length === 0) {
      this.peers = [];
      return;
    }
    const alive = await this.command(['MGET', ...ids.map(presenceKey)]);
    const live: string[] = [];
    const dead: string[] = [];
    ids.forEach((id, i) => ((Array.isArray(alive) && alive[i] !== null ? live : dead).push(id)));
    this.peers = live;
    if (prune && dead.length > 0) await this.command(['SREM', INSTANCES_KEY, ...dead]);
  }

  /** One command on the bus's own connection, to the master of the {slotgate} slot. */
  private async command(args: string[]): Promise<RespValue> {
    const address = this.busNode();
    if (!address) throw new Error('no master serves the peer bus slot');
    if (!this.conn || this.conn.isClosed || this.conn.address !== address) {
      this.conn?.close();
      this.conn = this.options.pool.dedicated(address);
    }
    const reply = await executeOn(this.conn, args);
    if (reply instanceof RespError) {
      if (/^(MOVED|ASK|CLUSTERDOWN|TRYAGAIN)/.test(reply.message)) this.options.topology.requestRefresh('peer bus redirection');
      throw new Error(reply.message);
    }
    return reply;
  }

  private busNode(): string | null {
    return this.options.topology.current.masterForSlot(BUS_SLOT)?.address ?? null;
  }
}

/**
 * This instance's number for client ids (client-ids.ts): an INCR on INSTANCE_SEQUENCE_KEY, so
 * every instance and worker in front of the cluster gets its own. A number a live instance
 * already uses (the counter was lost to a FLUSHALL, say) is skipped. Null when the cluster
 * refused (an ACL without INCR on that key, say): the caller then picks a random one.
 */
export async function allocateInstanceSequence(pool: NodePool, topology: TopologyManager, toInstance: (sequence: number) => number): Promise<number | null> {
  const address = topology.current.masterForSlot(BUS_SLOT)?.address;
  if (!address) return null;
  try {
    const members = await pool.execute(address, ['SMEMBERS', INSTANCES_KEY]);
    const ids = Array.isArray(members) ? members.map(String) : [];
    const alive = ids.length === 0 ? [] : await pool.execute(address, ['MGET', ...ids.map(presenceKey)]);
    const taken = new Set(ids.filter((_, i) => Array.isArray(alive) && alive[i] !== null).map((id) => Number(id.slice(id.lastIndexOf('/') + 1))));
    for (let attempt = 0; attempt < 100; attempt++) {
      const reply = await pool.execute(address, ['INCR', INSTANCE_SEQUENCE_KEY]);
      if (typeof reply !== 'number' || reply <= 0) return null;
      if (!taken.has(toInstance(reply))) return reply;
    }
    return null;
  } catch {
    return null;
  }
}
