/**
 * One subscriber connection to one backend node, shared by every slotgate client whose channels
 * live there (upstream/subscriber-hub.ts decides which link holds which channel).
 *
 * In subscribed mode Redis mixes three kinds of frame on the connection: confirmations of our
 * (P|S)(UN)SUBSCRIBE commands, error replies to them (`-MOVED` for a shard channel whose slot is
 * elsewhere), and frames nobody asked for: messages, and `sunsubscribe` when the node loses the
 * slot of a shard channel. So the connection does not pair frames with requests
 * (NodeConnection's onSubscribedFrame); this link does, from what it sent: every command names one channel
 * and draws exactly one frame (a confirmation of that channel, or an error), in order. A
 * confirmation that does not match the oldest command sent is one the node sent on its own.
 */
import type { NodeConnection } from '../backend/node-connection.js';
import type { BackendFailure } from '../backend/backend-request.js';
import type { NodePool } from '../backend/node-pool.js';
import { encodeCommand } from '../protocol/encoder.js';
import { parseReply } from '../protocol/reply-parser.js';
import { Fifo } from '../util/fifo.js';

/** Classic channels, patterns, shard channels: three separate name spaces in Redis. */
export type SubscriptionKind = 'channel' | 'pattern' | 'shard';

const SUBSCRIBE_COMMAND: Record<SubscriptionKind, string> = { channel: 'SUBSCRIBE', pattern: 'PSUBSCRIBE', shard: 'SSUBSCRIBE' };
const UNSUBSCRIBE_COMMAND: Record<SubscriptionKind, string> = { channel: 'UNSUBSCRIBE', pattern: 'PUNSUBSCRIBE', shard: 'SUNSUBSCRIBE' };

/** First element of a subscribed-mode frame → what it says. */
const CONFIRMATIONS: Record<string, { kind: SubscriptionKind; subscribed: boolean }> = {
  subscribe: { kind: 'channel', subscribed: true },
  unsubscribe: { kind: 'channel', subscribed: false },
  psubscribe: { kind: 'pattern', subscribed: true },
  punsubscribe: { kind: 'pattern', subscribed: false },
  ssubscribe: { kind: 'shard', subscribed: true },
  sunsubscribe: { kind: 'shard', subscribed: false },
};
/** Message frames: the subscription they are for is element 1 (the pattern, for pmessage). */
const MESSAGES: Record<string, SubscriptionKind> = { message: 'channel', pmessage: 'pattern', smessage: 'shard' };

/** What a link reports to its hub. Names are the channel's bytes as a latin1 string (one char per byte). */
export interface LinkEvents {
  /**
   * A message for subscribers of `name`, published on `channel` (the same for a channel; the
   * matched channel for a pattern); `frame` is the node's RESP2 frame, as a RESP2 client gets it.
   */
  message(link: SubscriberLink, kind: SubscriptionKind, name: string, channel: string, frame: Buffer): void;
  /** The node confirmed a (un)subscription; `solicited` false when it dropped one on its own (slot moved). */
  confirmed(link: SubscriberLink, kind: SubscriptionKind, name: string, subscribed: boolean, solicited: boolean): void;
  /** The node refused one of our commands (`error` without its leading '-' and CRLF). */
  refused(link: SubscriberLink, kind: SubscriptionKind, name: string, subscribe: boolean, error: string): void;
  /** The connection failed; the link is closed and holds nothing any more. */
  broken(link: SubscriberLink, failure: BackendFailure): void;
}

interface SentCommand {
  readonly kind: SubscriptionKind;
  readonly name: string;
  readonly subscribe: boolean;
}

export class SubscriberLink {
  private readonly conn: NodeConnection;
  private readonly sent = new Fifo<SentCommand>(64);
  private closed = false;

  constructor(
    readonly address: string,
    pool: NodePool,
    private readonly events: LinkEvents,
  ) {
    this.conn = pool.subscriber(address, (frame, isError) => this.onFrame(frame, isError), (failure) => this.onBroken(failure));
  }

  get isClosed(): boolean {
    return this.closed;
  }

  subscribe(kind: SubscriptionKind, name: string): void {
    this.send({ kind, name, subscribe: true });
  }

  unsubscribe(kind: SubscriptionKind, name: string): void {
    this.send({ kind, name, subscribe: false });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.conn.close();
  }

  private send(command: SentCommand): void {
    if (this.closed) return;
    this.sent.push(command);
    const verb = command.subscribe ? SUBSCRIBE_COMMAND[command.kind] : UNSUBSCRIBE_COMMAND[command.kind];
    this.conn.sendSubscribed(encodeCommand([verb, Buffer.from(command.name, 'latin1')]));
  }

  private onBroken(failure: BackendFailure): void {
    if (this.closed) return;
    this.close();
    this.sent.drain();
    this.events.broken(this, failure);
  }

  private onFrame(frame: Buffer, isError: boolean): void {
    if (this.closed) return;
    if (isError) {
      const command = this.sent.shift();
      if (command) this.events.refused(this, command.kind, command.name, command.subscribe, frame.toString('latin1', 1, frame.length - 2));
      return;
    }
    const value = parseReply(frame);
    if (!Array.isArray(value) || value.length < 3 || !Buffer.isBuffer(value[0])) return; // e.g. a PONG
    const word = value[0].toString('latin1');
    const messageKind = MESSAGES[word];
    if (messageKind !== undefined) {
      const name = value[1];
      if (!Buffer.isBuffer(name)) return;
      const key = name.toString('latin1');
      const channel = messageKind === 'pattern' ? value[2] : key;
      if (typeof channel === 'string') this.events.message(this, messageKind, key, channel, frame);
      else if (Buffer.isBuffer(channel)) this.events.message(this, messageKind, key, channel.toString('latin1'), frame);
      return;
    }
    const confirmation = CONFIRMATIONS[word];
    const name = value[1];
    if (confirmation === undefined || !Buffer.isBuffer(name)) return;
    const key = name.toString('latin1');
    const head = this.sent.peek();
    const solicited = head !== undefined && head.kind === confirmation.kind && head.subscribe === confirmation.subscribed && head.name === key;
    if (solicited) this.sent.shift();
    this.events.confirmed(this, confirmation.kind, key, confirmation.subscribed, solicited);
  }
}
