/**
 * One client connection's subscriptions (ConnectionState.subscriptions): the channels, patterns
 * and shard channels it is subscribed to, as in Redis's client struct, and how messages reach it.
 * Names are the channel's bytes as latin1 strings (one char per byte), as the hub keys them.
 */
import type { PubsubSubscriber, SubscriptionKind } from './subscriber-hub.js';

const PUSH = 0x3e; // '>'

const NONE: ReadonlySet<string> = new Set();

/** What the subscriptions ask of their connection: no closure per connection (idle-connection memory). */
export interface SubscriptionsOwner {
  /** Queues a frame for the client, in order with its replies. */
  writeSubscriberFrame(frame: Buffer): void;
  /** The client speaks RESP3 now (HELLO 3): messages are push frames. */
  readonly speaksResp3: boolean;
}

function functionOwner(write: (frame: Buffer) => void, resp3: () => boolean): SubscriptionsOwner {
  return {
    writeSubscriberFrame: write,
    get speaksResp3() {
      return resp3();
    },
  };
}

export class ClientSubscriptions implements PubsubSubscriber {
  // Made on first subscription: most clients never subscribe, and 10,000 idle ones would pay for
  // three empty Sets each (issue #12's idle-connection memory).
  private channelSet: Set<string> | null = null;
  private patternSet: Set<string> | null = null;
  private shardChannelSet: Set<string> | null = null;

  private readonly owner: SubscriptionsOwner;

  /**
   * @param owner  the connection: queues a frame for the client, in order with its replies, and
   *               says whether it speaks RESP3 now (HELLO 3: messages are push frames then). Two
   *               functions (write, resp3) are wrapped once (tests).
   */
  constructor(owner: SubscriptionsOwner | ((frame: Buffer) => void), resp3?: () => boolean) {
    this.owner = typeof owner === 'function' ? functionOwner(owner, resp3 ?? (() => false)) : owner;
  }

  get channels(): ReadonlySet<string> {
    return this.channelSet ?? NONE;
  }

  get patterns(): ReadonlySet<string> {
    return this.patternSet ?? NONE;
  }

  get shardChannels(): ReadonlySet<string> {
    return this.shardChannelSet ?? NONE;
  }

  /** Subscribed to anything: Redis's "subscribed mode" (RESP2 clients may then run only a few commands). */
  get active(): boolean {
    return this.channels.size > 0 || this.patterns.size > 0 || this.shardChannels.size > 0;
  }

  /** Only (P|S)(UN)SUBSCRIBE, PING, QUIT and RESET may run: subscribed and speaking RESP2. */
  get restricted(): boolean {
    return this.active && !this.owner.speaksResp3;
  }

  get usesPush(): boolean {
    return this.owner.speaksResp3;
  }

  /** The set of `kind`, to change (made when first asked for). */
  of(kind: SubscriptionKind): Set<string> {
    if (kind === 'channel') return (this.channelSet ??= new Set());
    if (kind === 'pattern') return (this.patternSet ??= new Set());
    return (this.shardChannelSet ??= new Set());
  }

  /** The count Redis puts in a confirmation: shard channels are counted apart from the rest. */
  count(kind: SubscriptionKind): number {
    return kind === 'shard' ? this.shardChannels.size : this.channels.size + this.patterns.size;
  }

  deliver(frame: Buffer): void {
    this.owner.writeSubscriberFrame(this.owner.speaksResp3 ? asPush(frame) : frame);
  }

  /** A frame made for this connection's protocol already (a tracking invalidation, upstream/tracking-client.ts). */
  writeFrame(frame: Buffer): void {
    this.owner.writeSubscriberFrame(frame);
  }
}

/**
 * A RESP2 subscribed-mode frame (`*N …`, every element a bulk string or integer) as a RESP3 push
 * (`>N …`): the same bytes but the first.
 */
export function asPush(frame: Buffer): Buffer {
  const push = Buffer.from(frame);
  push[0] = PUSH;
  return push;
}
