/**
 * SUBSCRIBE, PSUBSCRIBE, SSUBSCRIBE and their UNSUBSCRIBEs, answered by slotgate with Redis's
 * exact confirmations, while the subscriptions themselves are shared upstream by every client
 * (upstream/subscriber-hub.ts).
 *
 * PUBSUB NUMSUB / SHARDNUMSUB: the nodes' counts (clients subscribed to them directly, other
 * slotgates) summed, with slotgate's one upstream subscription per channel replaced by the
 * number of this slotgate's clients on it. PUBSUB NUMPAT needs no such fix: a pattern is counted
 * once per node whatever its subscribers, and slotgate holds each pattern once.
 *
 * Reply shapes (Redis 7.0): one `[kind, name, count]` per name given, count being the client's
 * channels + patterns after it (shard channels are counted apart); an UNSUBSCRIBE without names
 * while subscribed to nothing still answers once, with a null name and 0. In RESP3 they are push
 * frames (`>3`), and the null name is `_`.
 */
import * as errors from '../errors/catalogue.js';
import { encodeArrayOfFrames, encodeBulk, encodeInteger } from '../protocol/encoder.js';
import { parseReply, type RespValue } from '../protocol/reply-parser.js';
import { reduce } from '../upstream/reducers.js';
import { asPush } from '../upstream/client-subscriptions.js';
import type { SubscriptionKind } from '../upstream/subscriber-hub.js';
import type { CommandCall } from './command-call.js';
import { answer, commandLabel } from './fanout.js';

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

export function subscribe(call: CommandCall): void {
  const name = call.spec.name;
  const kind = KIND[name]!;
  const subscriptions = call.connection.subscriptions;
  const held = subscriptions.of(kind);
  const hub = call.proxy.pubsub;
  const frames: Buffer[] = [];
  // Answered once every new subscription is live upstream, so a message published after the
  // client saw the confirmation reaches it.
  let waiting = 1;
  const done = call.guard(() => {
    if (--waiting === 0) call.reply(Buffer.concat(frames));
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

export function unsubscribe(call: CommandCall): void {
  const name = call.spec.name;
  const kind = KIND[name]!;
  const subscriptions = call.connection.subscriptions;
  const held = subscriptions.of(kind);
  const resp3 = subscriptions.usesPush;
  const given = call.args.slice(1);
  const names = given.length > 0 ? given : [...held].map((channel) => Buffer.from(channel, 'latin1'));
  if (names.length === 0) {
    call.reply(confirmation(name, null, subscriptions.count(kind), resp3));
    return;
  }
  const frames: Buffer[] = [];
  for (const arg of names) {
    const channel = arg.toString('latin1');
    if (held.delete(channel)) call.proxy.pubsub.unsubscribe(subscriptions, kind, channel);
    frames.push(confirmation(name, arg, subscriptions.count(kind), resp3));
  }
  call.reply(Buffer.concat(frames));
}

/** Leaves every channel, pattern and shard channel (RESET, and a client that disconnects). */
export function unsubscribeAll(call: Pick<CommandCall, 'connection' | 'proxy'>): void {
  const subscriptions = call.connection.subscriptions;
  for (const kind of ['channel', 'pattern', 'shard'] as const) {
    const held = subscriptions.of(kind);
    for (const channel of held) call.proxy.pubsub.unsubscribe(subscriptions, kind, channel);
    held.clear();
  }
}

/** PUBSUB NUMSUB / SHARDNUMSUB: every node's count, slotgate's upstream subscription replaced by its clients. */
export function numsub(call: CommandCall): void {
  const kind: SubscriptionKind = call.spec.name === 'pubsub|shardnumsub' ? 'shard' : 'channel';
  const nodes = call.proxy.topology.current.allNodes();
  if (nodes.length === 0) return call.fail(errors.SLOT_NOT_SERVED);
  const targets = nodes.map((node) => ({ node, command: call.raw, slot: null }));
  call.gather(targets, (replies) => {
    const merged = reduce('sum-pairs', { command: commandLabel(call.spec), replies });
    if (merged[0] === 0x2d) return answer(call, replies, merged);
    const hub = call.proxy.pubsub;
    const counts = parseReply(merged) as RespValue[];
    const frames: Buffer[] = [];
    call.args.slice(2).forEach((arg, i) => {
      const channel = arg.toString('latin1');
      const onNodes = Number(counts[2 * i + 1]) - (hub.heldUpstream(kind, channel) ? 1 : 0);
      frames.push(encodeBulk(arg), encodeInteger(Math.max(0, onNodes) + hub.subscriberCount(kind, channel)));
    });
    call.reply(encodeArrayOfFrames(frames));
  });
}

/** PING while subscribed in RESP2: `*2 pong <message or "">`, as Redis answers in that context. */
export function subscribedPing(message: Buffer | undefined): Buffer {
  return encodeArrayOfFrames([encodeBulk('pong'), encodeBulk(message ?? '')]);
}

function confirmation(word: string, name: Buffer | null, count: number, resp3: boolean): Buffer {
  const frame = encodeArrayOfFrames([encodeBulk(word), name === null ? (resp3 ? NULL_RESP3 : NULL_BULK) : encodeBulk(name), encodeInteger(count)]);
  return resp3 ? asPush(frame) : frame;
}
