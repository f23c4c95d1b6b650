/**
 * Pub/sub for every client of this slotgate over a handful of backend connections.
 *
 * Each channel, pattern and shard channel any client subscribes to is held ONCE upstream (and on
 * every master as well when keyspace notifications can reach it, below), with the set of clients
 * that want it: the first client sends SUBSCRIBE upstream, the last one leaving sends UNSUBSCRIBE,
 * and a message from the node is written to every client in the set.
 * 10,000 clients on one channel cost one upstream subscription.
 *
 * Where subscriptions live:
 *  - classic channels and patterns: one link to ONE node. Redis Cluster broadcasts PUBLISH to
 *    every node over the cluster bus, so any one node hears every classic message. A replica is
 *    preferred (the masters do the writes). One connection keeps Redis's order: for one PUBLISH
 *    a client on a channel and a matching pattern gets `message` before `pmessage`.
 *  - shard channels: on their slot's master (SPUBLISH is not broadcast), one link per master.
 *  - a channel or pattern that keyspace notifications can reach (`__keyevent@0__:set`, `__key*`,
 *    `*`; notification-channels.ts decides) ALSO on every master, over those same per-master
 *    links: a node publishes the notifications of the writes it runs to its own subscribers
 *    only. Each message is then taken from one place: a notification from the master links (the
 *    designated node's copy is dropped: a replica repeats its master's events), anything else
 *    from the one classic link (every master hears a PUBLISH too). So ordinary messages keep the
 *    single connection's order, and a master's events keep that master's.
 *
 * When a link breaks (node killed, connection lost) its subscriptions are made again on another
 * link, after a short pause while the topology is refreshed. When a node drops a shard channel
 * on its own (`sunsubscribe`: its slot moved away) the channel is subscribed on the slot's new
 * owner, following `-MOVED` if slotgate's topology is not up to date yet. Clients see none of
 * this; messages published while a subscription is being moved are lost, as they would be for a
 * client of Redis whose connection broke (pub/sub is at-most-once).
 */
import type { BackendFailure } from '../backend/backend-request.js';
import type { NodePool } from '../backend/node-pool.js';
import { ReconnectBackoff } from '../backend/reconnect-backoff.js';
import { keyHashSlot } from '../cluster/hash-slot.js';
import type { TopologyManager } from '../cluster/topology-manager.js';
import type { TopologySnapshot } from '../cluster/topology-snapshot.js';
import { globMatch } from '../util/glob-match.js';
import { isNotificationChannel, mayReceiveNotifications } from './notification-channels.js';
import { SubscriberLink, type LinkEvents, type SubscriptionKind } from './subscriber-link.js';

export type { SubscriptionKind } from './subscriber-link.js';

/** A client connection that receives messages. */
export interface PubsubSubscriber {
  /** `frame` is the message as Redis writes it to a RESP2 client (`*3 message …`). */
  deliver(frame: Buffer): void;
}

/** What the hub tells the rest of slotgate (metrics, logs). */
export interface HubHooks {
  delivered(count: number): void;
  resubscribed(reason: 'connection_lost' | 'slot_moved' | 'refused'): void;
  upstreamChanged(subscriptions: Record<SubscriptionKind, number>, links: number): void;
  warn(fields: Record<string, unknown>, message: string): void;
}

interface Entry {
  readonly kind: SubscriptionKind;
  readonly name: string;
  readonly subscribers: Set<PubsubSubscriber>;
  /** The link holding it upstream; null while it waits to be placed again. */
  link: SubscriberLink | null;
  /** Confirmed by the node: messages flow. */
  active: boolean;
  /**
   * For a subscription keyspace notifications can reach: its copies on the masters, by address
   * (a master not in it yet gets one on the next placement round); null for any other.
   */
  readonly onMasters: Map<string, MasterCopy> | null;
  /** Callbacks of clients whose SUBSCRIBE is answered once this is live (active, and on every master). */
  waiters: (() => void)[];
}

/** One master's copy of a subscription notifications can reach. */
interface MasterCopy {
  readonly link: SubscriberLink;
  active: boolean;
}

export class SubscriberHub {
  private readonly entries: Record<SubscriptionKind, Map<string, Entry>> = { channel: new Map(), pattern: new Map(), shard: new Map() };
  private classicLink: SubscriberLink | null = null;
  /** One link per master: shard channels, and the master copies of notification subscriptions. */
  private readonly masterLinks = new Map<string, SubscriberLink>();
  /** The entries with master copies (`onMasters`), walked when masters come and go. */
  private readonly notifiable = new Set<Entry>();
  /** Pause before placing subscriptions again after a failure (the one back-off of subscribed connections). */
  private readonly backoff = new ReconnectBackoff();
  private closed = false;
  private readonly events: LinkEvents = {
    message: (link, kind, name, channel, frame) => this.onMessage(link, kind, name, channel, frame),
    confirmed: (link, kind, name, subscribed, solicited) => this.onConfirmed(link, kind, name, subscribed, solicited),
    refused: (link, kind, name, subscribe, error) => this.onRefused(link, kind, name, subscribe, error),
    broken: (link, failure) => this.onBroken(link, failure),
  };

  constructor(
    private readonly pool: NodePool,
    private readonly topology: TopologyManager,
    private readonly hooks: HubHooks,
  ) {
    topology.on('change', (snapshot) => this.onTopologyChange(snapshot));
  }

  /**
   * Adds `subscriber` to `name`; `ready` runs once the subscription is live upstream (at once when
   * it already is), so a client that publishes right after its SUBSCRIBE was answered gets the message.
   */
  subscribe(subscriber: PubsubSubscriber, kind: SubscriptionKind, name: string, ready: () => void): void {
    const map = this.entries[kind];
    let entry = map.get(name);
    if (!entry) {
      const onMasters = mayReceiveNotifications(kind, name) ? new Map<string, MasterCopy>() : null;
      entry = { kind, name, subscribers: new Set(), link: null, active: false, onMasters, waiters: [] };
      map.set(name, entry);
      if (onMasters) this.notifiable.add(entry);
      this.place(entry);
      this.spread(entry);
      this.reportUpstream();
    }
    entry.subscribers.add(subscriber);
    if (isLive(entry) || this.closed) ready();
    else entry.waiters.push(ready);
  }

  /** Removes `subscriber` from `name`; the last one out unsubscribes upstream. */
  unsubscribe(subscriber: PubsubSubscriber, kind: SubscriptionKind, name: string): void {
    const map = this.entries[kind];
    const entry = map.get(name);
    if (!entry || !entry.subscribers.delete(subscriber) || entry.subscribers.size > 0) return;
    map.delete(name);
    this.notifiable.delete(entry);
    releaseWaiters(entry);
    entry.link?.unsubscribe(kind, name);
    for (const copy of entry.onMasters?.values() ?? []) copy.link.unsubscribe(kind, name);
    this.reportUpstream();
  }

  /** Clients of this slotgate subscribed to `name`. */
  subscriberCount(kind: SubscriptionKind, name: string): number {
    return this.entries[kind].get(name)?.subscribers.size ?? 0;
  }

  /** True when `name` is subscribed upstream right now: the nodes count it as one subscriber. */
  heldUpstream(kind: SubscriptionKind, name: string): boolean {
    return this.entries[kind].get(name)?.active === true;
  }

  /** How many subscriptions to `name` slotgate holds live upstream, over every node (PUBSUB NUMSUB counts each). */
  upstreamCopies(kind: SubscriptionKind, name: string): number {
    const entry = this.entries[kind].get(name);
    if (!entry) return 0;
    let count = entry.active ? 1 : 0;
    for (const copy of entry.onMasters?.values() ?? []) if (copy.active) count++;
    return count;
  }

  /**
   * Patterns the nodes count more than once because slotgate holds them on several nodes: PUBSUB
   * NUMPAT adds up the nodes' counts of distinct patterns, where a single Redis counts each once.
   */
  extraPatternCopies(): number {
    let extra = 0;
    for (const entry of this.notifiable) {
      if (entry.kind !== 'pattern') continue;
      const nodes = new Set<string>();
      if (entry.active && entry.link) nodes.add(entry.link.address);
      for (const [address, copy] of entry.onMasters!) if (copy.active) nodes.add(address);
      if (nodes.size > 1) extra += nodes.size - 1;
    }
    return extra;
  }

  /**
   * Clients of this slotgate a message on `name` reaches, counted as Redis counts PUBLISH's
   * receivers: one per channel subscription, plus one per matching pattern subscription (a
   * client on both is counted twice, and gets both messages). Shard channels match no pattern.
   */
  recipients(kind: 'channel' | 'shard', name: string): number {
    let count = this.subscriberCount(kind, name);
    if (kind === 'channel') for (const entry of this.entries.pattern.values()) if (globMatch(entry.name, name)) count += entry.subscribers.size;
    return count;
  }

  /**
   * How many times the node at `address` counts this slotgate among the receivers of a message
   * on `name`: once for the channel and once per matching pattern it holds there, live.
   */
  upstreamReceivers(address: string, kind: 'channel' | 'shard', name: string): number {
    const on = (entry: Entry | undefined): number =>
      entry === undefined ? 0 : (entry.active && entry.link?.address === address ? 1 : 0) + (entry.onMasters?.get(address)?.active ? 1 : 0);
    let count = on(this.entries[kind].get(name));
    if (kind === 'channel') for (const entry of this.entries.pattern.values()) if (globMatch(entry.name, name)) count += on(entry);
    return count;
  }

  /** The node holding the classic subscriptions now, or null when none is linked. */
  get classicAddress(): string | null {
    return this.classicLink && !this.classicLink.isClosed ? this.classicLink.address : null;
  }

  close(): void {
    this.closed = true;
    this.backoff.cancel();
    this.classicLink?.close();
    this.classicLink = null;
    for (const link of this.masterLinks.values()) link.close();
    this.masterLinks.clear();
    this.notifiable.clear();
    for (const map of Object.values(this.entries)) for (const entry of map.values()) releaseWaiters(entry);
  }

  /** Gives a notification subscription a copy on each online master that has none. */
  private spread(entry: Entry): void {
    if (this.closed || !entry.onMasters) return;
    for (const node of this.topology.current.masters()) {
      if (node.health !== 'online' || entry.onMasters.has(node.address)) continue;
      const link = this.masterLink(node.address);
      entry.onMasters.set(node.address, { link, active: false });
      link.subscribe(entry.kind, entry.name);
    }
  }

  /** Puts `entry` on the link it belongs to and subscribes there; else retries later. */
  private place(entry: Entry, address?: string): void {
    if (this.closed) return;
    const link = entry.kind === 'shard' ? this.shardLink(entry.name, address) : this.classic();
    entry.link = link;
    entry.active = false;
    if (link) link.subscribe(entry.kind, entry.name);
    else this.retrySoon();
  }

  private classic(): SubscriberLink | null {
    if (this.classicLink && !this.classicLink.isClosed) return this.classicLink;
    const address = this.classicNode(this.topology.current);
    this.classicLink = address ? new SubscriberLink(address, this.pool, this.events) : null;
    this.reportUpstream();
    return this.classicLink;
  }

  /**
   * The node for classic subscriptions: any node hears every PUBLISH. A replica first (the
   * masters do the writes), one that has not failed lately, in a stable order so that a restart
   * of slotgate lands on the same node.
   */
  private classicNode(snapshot: TopologySnapshot): string | null {
    const nodes = snapshot
      .allNodes()
      .filter((node) => node.health === 'online')
      .sort((a, b) => (a.role === b.role ? (a.address < b.address ? -1 : 1) : a.role === 'replica' ? -1 : 1));
    const healthy = nodes.find((node) => !this.pool.recentlyFailed(node.address));
    return (healthy ?? nodes[0])?.address ?? null;
  }

  /** The link to the master of `name`'s slot (or to `address`, from a -MOVED); null when none is known. */
  private shardLink(name: string, address?: string): SubscriberLink | null {
    const target = address ?? this.topology.current.masterForSlot(keyHashSlot(Buffer.from(name, 'latin1')))?.address;
    return target ? this.masterLink(target) : null;
  }

  private masterLink(target: string): SubscriberLink {
    let link = this.masterLinks.get(target);
    if (!link || link.isClosed) {
      link = new SubscriberLink(target, this.pool, this.events);
      this.masterLinks.set(target, link);
      this.reportUpstream();
    }
    return link;
  }

  private onMessage(link: SubscriberLink, kind: SubscriptionKind, name: string, channel: string, frame: Buffer): void {
    const entry = this.entries[kind].get(name);
    if (!entry) return; // unsubscribed while the message was on its way
    // Held on several nodes: a notification is taken from the masters' copies, anything else from
    // the designated link (every node hears a PUBLISH), so each reaches the clients once.
    if (entry.onMasters && (entry.onMasters.get(link.address)?.link === link) !== isNotificationChannel(channel)) return;
    for (const subscriber of entry.subscribers) subscriber.deliver(frame);
    this.hooks.delivered(entry.subscribers.size);
  }

  private onConfirmed(link: SubscriberLink, kind: SubscriptionKind, name: string, subscribed: boolean, solicited: boolean): void {
    const entry = this.entries[kind].get(name);
    if (!entry) return;
    const copy = masterCopy(entry, link);
    if (copy) {
      if (subscribed) {
        copy.active = true;
        this.confirmedLive(entry);
      }
      return;
    }
    if (entry.link !== link) return;
    if (subscribed) {
      entry.active = true;
      this.confirmedLive(entry);
      return;
    }
    // Our own UNSUBSCRIBE of an earlier round (the client left and came back): the SUBSCRIBE
    // sent after it is still to be confirmed. Only a drop the node made on its own matters.
    if (solicited) return;
    // The node no longer serves the slot (Redis sends `sunsubscribe` to the subscribers of a slot it
    // loses): subscribe on the new owner. The topology may lag; a -MOVED then names the owner.
    this.hooks.resubscribed('slot_moved');
    this.topology.requestRefresh('shard channel slot moved');
    this.place(entry);
  }

  private confirmedLive(entry: Entry): void {
    this.backoff.reset();
    if (isLive(entry)) releaseWaiters(entry);
  }

  private onRefused(link: SubscriberLink, kind: SubscriptionKind, name: string, subscribe: boolean, error: string): void {
    const entry = this.entries[kind].get(name);
    if (!subscribe || !entry) return; // an UNSUBSCRIBE where it was not held: nothing to undo
    if (masterCopy(entry, link)) {
      this.hooks.warn({ node: link.address, kind, error }, 'a backend node refused a subscription; retrying');
      this.hooks.resubscribed('refused');
      entry.onMasters!.delete(link.address);
      releaseWaiters(entry);
      this.retrySoon();
      return;
    }
    if (entry.link !== link) return;
    const moved = /^MOVED \d+ (\S+)$/.exec(error);
    if (moved) {
      this.topology.requestRefresh('MOVED for a shard channel');
      this.hooks.resubscribed('slot_moved');
      this.place(entry, moved[1]);
      return;
    }
    // CLUSTERDOWN, NOPERM for the backend user, …: answer the clients (they stay subscribed in
    // slotgate) and keep trying.
    this.hooks.warn({ node: link.address, kind, error }, 'a backend node refused a subscription; retrying');
    this.hooks.resubscribed('refused');
    releaseWaiters(entry);
    entry.link = null;
    entry.active = false;
    this.retrySoon();
  }

  private onBroken(link: SubscriberLink, failure: BackendFailure): void {
    if (this.classicLink === link) this.classicLink = null;
    if (this.masterLinks.get(link.address) === link) this.masterLinks.delete(link.address);
    let moved = 0;
    for (const entry of this.notifiable) {
      if (!masterCopy(entry, link)) continue;
      entry.onMasters!.delete(link.address);
      releaseWaiters(entry);
      moved++;
    }
    for (const map of Object.values(this.entries)) {
      for (const entry of map.values()) {
        if (entry.link !== link) continue;
        entry.link = null;
        entry.active = false;
        // Not left waiting on a node that may never come back: they are subscribed in slotgate,
        // and messages flow again once the subscription is placed elsewhere.
        releaseWaiters(entry);
        moved++;
      }
    }
    this.reportUpstream();
    if (moved === 0) return;
    this.hooks.warn({ node: link.address, reason: failure.message, subscriptions: moved }, 'subscriber connection lost; subscribing again elsewhere');
    for (let i = 0; i < moved; i++) this.hooks.resubscribed('connection_lost');
    this.retrySoon();
  }

  /**
   * Checks the links against the new layout, for what the connections themselves may not say: a
   * node cut off by the network (no FIN: the socket looks alive for minutes) that the cluster has
   * marked failed, or a shard channel's slot that moved while its old owner could not tell us.
   */
  private onTopologyChange(snapshot: TopologySnapshot): void {
    const gone = { message: 'node failed or left the topology', neverSent: false, kind: 'closed' } as const;
    const classic = this.classicLink;
    if (classic && !snapshot.allNodes().some((node) => node.address === classic.address && node.health === 'online')) {
      this.onBroken(classic, gone);
      classic.close();
    }
    for (const link of [...this.masterLinks.values()]) {
      if (snapshot.masters().some((node) => node.address === link.address && node.health === 'online')) continue;
      this.onBroken(link, gone);
      link.close();
    }
    for (const entry of this.entries.shard.values()) {
      if (!entry.link) continue;
      const owner = snapshot.masterForSlot(keyHashSlot(Buffer.from(entry.name, 'latin1')));
      if (owner && owner.address !== entry.link.address) {
        this.hooks.resubscribed('slot_moved');
        this.place(entry);
      }
    }
    // A master added (a reshard's new node, a promoted replica) gets the notification subscriptions.
    for (const entry of this.notifiable) this.spread(entry);
  }

  private retrySoon(): void {
    if (this.closed) return;
    this.backoff.schedule(() => {
      for (const map of Object.values(this.entries)) {
        for (const entry of map.values()) if (entry.link === null) this.place(entry);
      }
      for (const entry of this.notifiable) this.spread(entry);
    });
  }

  private reportUpstream(): void {
    const links = (this.classicLink && !this.classicLink.isClosed ? 1 : 0) + this.masterLinks.size;
    this.hooks.upstreamChanged({ channel: this.entries.channel.size, pattern: this.entries.pattern.size, shard: this.entries.shard.size }, links);
  }
}

/** Subscribed upstream everywhere it belongs: on its node, and on every master it has a copy on. */
function isLive(entry: Entry): boolean {
  if (!entry.active) return false;
  for (const copy of entry.onMasters?.values() ?? []) if (!copy.active) return false;
  return true;
}

/** `entry`'s master copy on `link`, if it has one there. */
function masterCopy(entry: Entry, link: SubscriberLink): MasterCopy | undefined {
  const copy = entry.onMasters?.get(link.address);
  return copy?.link === link ? copy : undefined;
}

function releaseWaiters(entry: Entry): void {
  const waiters = entry.waiters;
  if (waiters.length === 0) return;
  entry.waiters = [];
  for (const ready of waiters) ready();
}
