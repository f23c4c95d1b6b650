/**
 * How the slotgate instances (and workers) in front of one cluster find and ask each other,
 * through the cluster itself — no extra service, and nothing in the user's keyspace (README: *Sessions: CLIENT commands and the session list*):
 *
 *  - Presence: every instance subscribes (SSUBSCRIBE) to its own reply channel,
 *    `{slotgate}:bus:replies:<proxy id>`. Redis drops a subscription with its connection, so the
 *    live instances are exactly the reply channels PUBSUB SHARDCHANNELS lists on the bus's master:
 *    an instance that dies, even by SIGKILL, is gone as soon as its socket closes. No key, no TTL.
 *  - Requests: SPUBLISH on REQUEST_CHANNEL, a shard channel in the same slot (Redis 7: the message
 *    stays on that shard instead of going to every node); each instance answers on the asker's
 *    reply channel. `ask` waits for every instance alive at that moment, at most ASK_TIMEOUT_MS
 *    in all; one that has not answered by then is left out, logged, and not waited for again
 *    until it shows life (any valid message from it), so a hung or fake peer costs one wait, not
 *    one per listing.
 *  - Trust: the channels are reserved names no client of slotgate may use, and with `peer-secret`
 *    every message is sealed (bus-seal.ts); what fails the seal is dropped, counted and logged.
 *
 * Commands go on one dedicated backend connection (never the shared ones clients use); the
 * subscription is a subscribed backend connection of its own (bus-subscriber.ts).
 */
import { randomInt } from 'node:crypto';
import type { Logger } from 'pino';
import type { NodeConnection } from '../backend/node-connection.js';
import { executeOn, type NodePool } from '../backend/node-pool.js';
import type { TopologyManager } from '../cluster/topology-manager.js';
import type { LogLimiter } from '../observability/log-limiter.js';
import { RespError, type RespValue } from '../protocol/reply-parser.js';
import { BUS_SLOT, instanceOfProxy, proxiesOfChannels, replyChannel, REPLY_CHANNEL_PREFIX, REQUEST_CHANNEL } from './bus-names.js';
import { BusSeal, type DropReason, type Envelope } from './bus-seal.js';
import { BusSubscriber } from './bus-subscriber.js';

/** How long a cross-instance CLIENT LIST / KILL waits for the other instances. */
export const ASK_TIMEOUT_MS = 500;

/** What one instance answered, or that it did not answer in time. */
export interface PeerAnswers<T> {
  readonly answers: { readonly proxy: string; readonly body: T }[];
  /** Instances alive that did not answer within ASK_TIMEOUT_MS. */
  readonly missing: string[];
}

export interface PeerBusOptions {
  readonly proxyId: string;
  readonly pool: NodePool;
  readonly topology: TopologyManager;
  readonly logger: Logger;
  readonly logLimiter: LogLimiter;
  /** `peer-secret`; null: messages go unsealed. */
  readonly secret: string | null;
  /** A message that failed the seal (a metric). */
  onDropped?(reason: DropReason): void;
  /** Answers another instance's request (the body it published); the result is sent back as JSON. */
  answer(body: unknown): unknown;
}

interface Pending {
  readonly waiting: Set<string>;
  readonly answers: { proxy: string; body: unknown }[];
  readonly done: () => void;
}

export class PeerBus {
  private readonly subscriber: BusSubscriber;
  private readonly seal: BusSeal;
  private readonly pending = new Map<number, Pending>();
  /** Live instances that missed an answer: not waited for until they show life. */
  private readonly silent = new Set<string>();
  private requestIds = 0;
  private conn: NodeConnection | null = null;
  private stopped = false;
  private subscribed: (() => void) | null = null;
  private subscriberFailing = false;

  constructor(private readonly options: PeerBusOptions) {
    this.seal = new BusSeal(options.secret);
    this.subscriber = new BusSubscriber({
      channels: [REQUEST_CHANNEL, replyChannel(options.proxyId)],
      pool: options.pool,
      pickNode: () => this.busNode(),
      onMessage: (channel, payload) => this.onMessage(channel, payload),
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

  /** Subscribes (which announces this instance); resolves once done, or after `timeoutMs` (it keeps trying). */
  async start(timeoutMs = 2000): Promise<void> {
    const ready = new Promise<void>((resolve) => (this.subscribed = resolve));
    this.subscriber.start();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([ready, new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
    clearTimeout(timer);
    this.subscribed = null;
  }

  /** Sends `body` to every other instance and collects their answers (bounded wait). */
  async ask<T>(body: unknown): Promise<PeerAnswers<T>> {
    // The whole exchange is bounded, the look-up of who is alive included (a node that hangs
    // must not hold a CLIENT LIST for the command timeout).
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<void>((resolve) => (timer = setTimeout(resolve, ASK_TIMEOUT_MS)));
    // Who is alive now: an instance that started a moment ago counts.
    const alive = await Promise.race([this.livePeers().catch(() => [] as string[]), timedOut.then(() => [] as string[])]);
    for (const proxy of this.silent) if (!alive.includes(proxy)) this.silent.delete(proxy); // gone for good
    const expected = new Set(alive.filter((proxy) => !this.silent.has(proxy)));
    const id = ++this.requestIds;
    const answers: { proxy: string; body: unknown }[] = [];
    if (alive.length > 0) {
      // Silent peers hear the request too: an answer from one in time counts, and brings it back.
      const finished = new Promise<void>((resolve) => this.pending.set(id, { waiting: expected, answers, done: resolve }));
      if (expected.size === 0) this.pending.get(id)!.done();
      this.publish(REQUEST_CHANNEL, { kind: 'request', id, from: this.options.proxyId, body }).catch((err: Error) => {
        this.options.logger.warn({ err: err.message }, 'peer bus: could not publish a request; answering with this instance only');
        this.pending.get(id)?.done();
      });
      await Promise.race([finished, timedOut]);
    }
    clearTimeout(timer);
    this.pending.delete(id);
    const missing = [...expected];
    for (const proxy of missing) this.silent.add(proxy);
    if (missing.length > 0) {
      this.options.logLimiter.log('peer_bus_missing', 'warn', { missing }, 'slotgate instances did not answer in time; their sessions are left out, and they are not waited for until they answer again');
    }
    return { answers: answers as { proxy: string; body: T }[], missing };
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    // Unsubscribing is leaving: the others stop counting this instance at once.
    this.subscriber.stop();
    for (const pending of this.pending.values()) pending.done();
    this.conn?.close();
    this.conn = null;
  }

  private onMessage(channel: string, payload: Buffer): void {
    const opened = this.seal.open(channel, payload, Date.now());
    if (!opened.ok) {
      this.options.onDropped?.(opened.reason);
      this.options.logLimiter.log('peer_bus_dropped', 'warn', { channel, reason: opened.reason }, 'peer bus: dropped a message that is not from a slotgate peer (forged, altered or replayed)');
      return;
    }
    const envelope = opened.envelope;
    if (envelope.from === this.options.proxyId) return;
    this.silent.delete(envelope.from); // it shows life
    if (envelope.kind === 'reply') return this.onReply(envelope);
    let body: unknown;
    try {
      body = this.options.answer(envelope.body);
    } catch (err) {
      this.options.logger.warn({ err: (err as Error).message }, 'peer bus: failed to answer a request');
      return;
    }
    this.publish(replyChannel(envelope.from), { kind: 'reply', id: envelope.id, from: this.options.proxyId, body }).catch((err: Error) =>
      this.options.logLimiter.log('peer_bus_reply_failed', 'warn', { err: err.message }, 'peer bus: could not publish a reply'),
    );
  }

  private onReply(envelope: Envelope): void {
    const pending = this.pending.get(envelope.id);
    if (!pending) return; // too late: that request was answered without it
    pending.answers.push({ proxy: envelope.from, body: envelope.body });
    pending.waiting.delete(envelope.from);
    if (pending.waiting.size === 0) pending.done();
  }

  private async publish(channel: string, envelope: Envelope): Promise<void> {
    await this.command(['SPUBLISH', channel, this.seal.seal(channel, envelope, Date.now())]);
  }

  /** The other instances alive now: their reply channels' subscriptions. */
  private async livePeers(): Promise<string[]> {
    const channels = await this.command(['PUBSUB', 'SHARDCHANNELS', `${REPLY_CHANNEL_PREFIX}*`]);
    return Array.isArray(channels) ? proxiesOfChannels(channels.map(String)).filter((proxy) => proxy !== this.options.proxyId) : [];
  }

  /** One command on the bus's own connection, to the master of the {slotgate} slot. */
  private async command(args: string[]): Promise<RespValue> {
    const address = this.busNode();
    if (!address) throw new Error('no master serves the peer bus slot');
    if (!this.conn || this.conn.isClosed || this.conn.address !== address) {
      this.conn?.close();
      this.conn = this.options.pool.dedicated(address);
    }
    return checked(await executeOn(this.conn, args), this.options.topology);
  }

  private busNode(): string | null {
    return busMaster(this.options.topology);
  }
}

function busMaster(topology: TopologyManager): string | null {
  return topology.current.masterForSlot(BUS_SLOT)?.address ?? null;
}

function checked(reply: RespValue, topology: TopologyManager): RespValue {
  if (!(reply instanceof RespError)) return reply;
  if (/^(MOVED|ASK|CLUSTERDOWN|TRYAGAIN)/.test(reply.message)) topology.requestRefresh('peer bus redirection');
  throw new Error(reply.message);
}

/**
 * This instance's number for client ids (client-ids.ts): a random one that no live instance
 * holds (their numbers end their reply channels' names), so no counter anyone could write decides
 * it. Two instances that start at the same moment could still draw the same number, one chance
 * in 2^21 per pair. When the live list cannot be read (the bus's ACL refused, say) the number is
 * random all the same, and `checked` is false.
 */
export async function pickInstanceNumber(pool: NodePool, topology: TopologyManager, maxNumber: number): Promise<{ instance: number; checked: boolean }> {
  let taken = new Set<number>();
  let checkedLive = false;
  const address = busMaster(topology);
  if (address) {
    try {
      const channels = checked(await pool.execute(address, ['PUBSUB', 'SHARDCHANNELS', `${REPLY_CHANNEL_PREFIX}*`]), topology);
      if (Array.isArray(channels)) taken = new Set(proxiesOfChannels(channels.map(String)).map(instanceOfProxy));
      checkedLive = true;
    } catch {
      // unchecked: random all the same
    }
  }
  for (;;) {
    const instance = randomInt(1, maxNumber + 1);
    if (!taken.has(instance)) return { instance, checked: checkedLive };
  }
}
