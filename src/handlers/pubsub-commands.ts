/**
 * SUBSCRIBE, PSUBSCRIBE, SSUBSCRIBE and their UNSUBSCRIBEs, answered by slotgate with Redis's
 * exact confirmations, while the subscriptions themselves are shared upstream by every client
 * (upstream/subscriber-hub.ts).
 *
 * PUBSUB NUMSUB / SHARDNUMSUB: the nodes' counts (clients subscribed to them directly, other
 * slotgates) summed, with slotgate's one upstream subscription per channel replaced by the
 * number of this slotgate's clients on it (a subscription keyspace notifications can reach is held
 * on every master too: each copy is taken out). PUBSUB NUMPAT: the nodes' counts of distinct
 * patterns summed, less the extra nodes slotgate holds such a pattern on.
 *
 * Reply shapes (Redis 7.0): one `[kind, name, count]` per name given, count being the client's
 * channels + patterns after it (shard channels are counted apart); an UNSUBSCRIBE without names
 * while subscribed to nothing still answers once, with a null name and 0. In RESP3 they are push
 * frames (`>3`), and the null name is `_`.
 */
import * as errors from '../errors/catalogue.js';
import { encodeArrayOfFrames, encodeBulk, encodeInteger } from '../protocol/encoder.js';
import { parseReply, type RespValue } from '../protocol/reply-parser.js';
import { reduce, type PartReply } from '../upstream/reducers.js';
import { keyHashSlot } from '../cluster/hash-slot.js';
import { hasWholeKeyspace } from '../cluster/topology-source.js';
import type { BackendNode } from '../cluster/topology-snapshot.js';
import { asPush } from '../upstream/client-subscriptions.js';
import type { SubscriberHub, SubscriptionKind } from '../upstream/subscriber-hub.js';
import type { CommandCall, CommandHandler, ConnectionState } from './command-call.js';
import { answer, commandLabel } from './fanout.js';
import type { HandlerServices } from './handler-services.js';

/** What the pub/sub commands use besides their call: the shared upstream subscriptions, and the nodes. */
export type PubsubServices = Pick<HandlerServices, 'pubsub' | 'topology'>;

export interface PubsubCommands {
  readonly subscribe: CommandHandler;
  readonly unsubscribe: CommandHandler;
  readonly numsub: CommandHandler;
  readonly numpat: CommandHandler;
  readonly publish: CommandHandler;
}

export function pubsubCommands(deps: PubsubServices): PubsubCommands {
  return {
    subscribe: (call) => call.afterEarlierReplies(() => subscribeNow(call, deps.pubsub)),
    unsubscribe: (call) => call.afterEarlierReplies(() => unsubscribeNow(call, deps.pubsub)),
    numsub: (call) => numsub(call, deps),
    numpat: (call) => numpat(call, deps),
    publish: (call) => publish(call, deps),
  };
}

const KIND: Record<string, SubscriptionKind> = {
  subscribe: 'channel',
  unsubscribe: 'channel',
  psubscribe: 'pattern',
  punsubscribe: 'pattern',
  ssubscribe: 'shard',
  sunsubscribe: 'shard',
};

const NULL_BULK = Buffer.from('$-1\r\n');
const NULL_RESP3 = Buffer.from('_\r\n');

/**
 * Confirmations are sent even under CLIENT REPLY OFF/SKIP, as Redis sends them (push frames in
 * RESP3, and in RESP2 too): they go out as a stream frame, after every earlier reply and before
 * anything later (the barrier reads nothing more until this call is answered), and the call
 * itself answers nothing.
 */
function sendConfirmations(call: CommandCall, frames: Buffer): void {
  call.streamFrame(frames);
  call.reply(NOTHING);
}

const NOTHING = Buffer.alloc(0);

function subscribeNow(call: CommandCall, hub: SubscriberHub): void {
  const name = call.spec.name;
  const kind = KIND[name]!;
  const subscriptions = call.connection.subscriptions;
  const held = subscriptions.of(kind);
  const frames: Buffer[] = [];
  // Answered once every new subscription is live upstream, so a message published after the
  // client saw the confirmation reaches it.
  let waiting = 1;
  const done = call.guard(() => {
    if (--waiting === 0) sendConfirmations(call, Buffer.concat(frames));
  });
  for (const arg of call.args.slice(1)) {
    const channel = arg.toString('latin1');
    if (!held.has(channel)) {
      held.add(channel);
      waiting++;
      hub.subscribe(subscriptions, kind, channel, done);
    }
    frames.push(confirmation(name, arg, subscriptions.count(kind), subscriptions.usesPush));
  }
  done();
}

function unsubscribeNow(call: CommandCall, hub: SubscriberHub): void {
  const name = call.spec.name;
  const kind = KIND[name]!;
  const subscriptions = call.connection.subscriptions;
  const held = subscriptions.of(kind);
  const resp3 = subscriptions.usesPush;
  const given = call.args.slice(1);
  const names = given.length > 0 ? given : [...held].map((channel) => Buffer.from(channel, 'latin1'));
  if (names.length === 0) return sendConfirmations(call, confirmation(name, null, subscriptions.count(kind), resp3));
  const frames: Buffer[] = [];
  for (const arg of names) {
    const channel = arg.toString('latin1');
    if (held.delete(channel)) hub.unsubscribe(subscriptions, kind, channel);
    frames.push(confirmation(name, arg, subscriptions.count(kind), resp3));
  }
  sendConfirmations(call, Buffer.concat(frames));
}

/** Leaves every channel, pattern and shard channel (RESET, and a client that disconnects). */
export function unsubscribeAll(connection: Pick<ConnectionState, 'subscriptions'>, hub: Pick<SubscriberHub, 'unsubscribe'>): void {
  const subscriptions = connection.subscriptions;
  for (const kind of ['channel', 'pattern', 'shard'] as const) {
    const held = subscriptions.of(kind);
    for (const channel of held) hub.unsubscribe(subscriptions, kind, channel);
    held.clear();
  }
}

/** PUBSUB NUMSUB / SHARDNUMSUB: every node's count, slotgate's upstream subscription replaced by its clients. */
function numsub(call: CommandCall, deps: PubsubServices): void {
  const kind: SubscriptionKind = call.spec.name === 'pubsub|shardnumsub' ? 'shard' : 'channel';
  const nodes = deps.topology.current.allNodes();
  if (nodes.length === 0) return call.fail(errors.SLOT_NOT_SERVED);
  const targets = nodes.map((node) => ({ node, command: call.raw, slot: null }));
  call.gather(targets, (replies) => {
    const merged = reduce('sum-pairs', { command: commandLabel(call.spec), replies });
    if (merged[0] === 0x2d) return answer(call, replies, merged);
    const hub = deps.pubsub;
    const counts = parseReply(merged) as RespValue[];
    const frames: Buffer[] = [];
    call.args.slice(2).forEach((arg, i) => {
      const channel = arg.toString('latin1');
      const onNodes = Number(counts[2 * i + 1]) - hub.upstreamCopies(kind, channel);
      frames.push(encodeBulk(arg), encodeInteger(Math.max(0, onNodes) + hub.subscriberCount(kind, channel)));
    });
    call.reply(encodeArrayOfFrames(frames));
  });
}

/** PUBSUB NUMPAT: every node's count, a pattern slotgate holds on several nodes counted once. */
function numpat(call: CommandCall, deps: PubsubServices): void {
  const nodes = deps.topology.current.allNodes();
  if (nodes.length === 0) return call.fail(errors.SLOT_NOT_SERVED);
  call.gather(nodes.map((node) => ({ node, command: call.raw, slot: null })), (replies) => {
    const merged = reduce('sum', { command: commandLabel(call.spec), replies });
    if (merged[0] !== 0x3a) return answer(call, replies, merged);
    const total = Number(merged.toString('latin1', 1, merged.length - 2));
    call.reply(encodeInteger(Math.max(0, total - deps.pubsub.extraPatternCopies())));
  });
}

/**
 * PUBLISH / SPUBLISH: the node's count of receivers with this slotgate's own upstream
 * subscriptions on it (one per channel and matching pattern) replaced by the clients of this
 * slotgate the message reaches, as one Redis counts them (README "Pub/sub").
 *
 * PUBLISH goes to the node holding this slotgate's channel subscriptions when the backend is a
 * cluster (a cluster node, replica or not, broadcasts it to every node), so the nodes' count and
 * ours are taken at the same place; other slotgates holding theirs there count once each. With
 * no link (or in front of a standalone master, which only replicates it) any master takes it.
 * SPUBLISH goes to its channel's slot master, where the shard subscription is held.
 */
function publish(call: CommandCall, deps: PubsubServices): void {
  const kind = call.spec.name === 'spublish' ? 'shard' : 'channel';
  const channel = call.args[1]!;
  const name = channel.toString('latin1');
  const hub = deps.pubsub;
  const topology = deps.topology;
  const wholeKeyspace = hasWholeKeyspace(topology.kind);
  const slot = kind === 'shard' && !wholeKeyspace ? keyHashSlot(channel) : null;
  const node = slot === null ? publishNode(deps, wholeKeyspace) : (topology.current.masterForSlot(slot) ?? null);
  if (node === null && slot === null) return call.fail(errors.SLOT_NOT_SERVED);
  // A shard channel's subscription sits on its slot's master, where SPUBLISH lands (after any
  // redirection); a classic one is counted on the node named here.
  const ours = (): number =>
    slot !== null ? (hub.heldUpstream('shard', name) ? 1 : 0) : hub.upstreamReceivers(node!.address, kind, name);
  call.gather(
    [{ node, command: call.raw, slot }],
    (replies) => answerPublish(call, replies[0]!, hub.recipients(kind, name) - ours()),
    { latency: call.spec.isWrite ? 'write' : 'other' },
  );
}

function publishNode(deps: PubsubServices, wholeKeyspace: boolean): BackendNode | null {
  const current = deps.topology.current;
  const linked = wholeKeyspace ? null : deps.pubsub.classicAddress;
  const node = linked === null ? undefined : current.nodeByAddress(linked);
  if (node && node.health === 'online') return node;
  const masters = current.masters();
  return masters.length === 0 ? null : masters[Math.floor(Math.random() * masters.length)]!;
}

function answerPublish(call: CommandCall, reply: PartReply, correction: number): void {
  if (reply.isError || reply.frame[0] !== 0x3a) return answer(call, [reply], reply.frame);
  const onNode = Number(reply.frame.toString('latin1', 1, reply.frame.length - 2));
  call.reply(encodeInteger(Math.max(0, onNode + correction)));
}

/** PING while subscribed in RESP2: `*2 pong <message or "">`, as Redis answers in that context. */
export function subscribedPing(message: Buffer | undefined): Buffer {
  return encodeArrayOfFrames([encodeBulk('pong'), encodeBulk(message ?? '')]);
}

function confirmation(word: string, name: Buffer | null, count: number, resp3: boolean): Buffer {
  const frame = encodeArrayOfFrames([encodeBulk(word), name === null ? (resp3 ? NULL_RESP3 : NULL_BULK) : encodeBulk(name), encodeInteger(count)]);
  return resp3 ? asPush(frame) : frame;
}
