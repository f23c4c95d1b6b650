/**
 * One client connection's subscriptions (ConnectionState.subscriptions): the channels, patterns
 * and shard channels it is subscribed to, as in Redis's client struct, and how messages reach it.
 * Names are the channel's bytes as latin1 strings (one char per byte), as the hub keys them.
 */
import type { PubsubSubscriber, SubscriptionKind } from './subscriber-hub.js';

const PUSH = 0x3e; // '>'

const NONE: ReadonlySet<string> = new Set();

export class ClientSubscriptions implements PubsubSubscriber {
  // Made on first subscription: most clients never subscribe, and 10,000 idle ones would pay for
  // three empty Sets each (issue #12's idle-connection memory).
  private channelSet: Set<string> | null = null;
  private patternSet: Set<string> | null = null;
  private shardChannelSet: Set<string> | null = null;

  /**
   * @param write  queues a frame for the client, in order with its replies
   * @param resp3  whether the client speaks RESP3 now (HELLO 3): then messages are push frames
   */
  constructor(
    private readonly write: (frame: Buffer) => void,
    private readonly resp3: () => boolean,
  ) {}

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
    return this.active && !this.resp3();
  }

  get usesPush(): boolean {
    return this.resp3();
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
    this.write(this.resp3() ? asPush(frame) : frame);
  }

  /** A frame made for this connection's protocol already (a tracking invalidation, upstream/tracking-client.ts). */
  writeFrame(frame: Buffer): void {
    this.write(frame);
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
