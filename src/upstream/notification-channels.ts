/**
 * Keyspace notifications (`__keyspace@<db>__:<key>`, `__keyevent@<db>__:<event>`, with
 * `notify-keyspace-events` set) are published by the node that runs the write, to its own
 * subscribers only: unlike PUBLISH, a cluster does not broadcast them. So a subscription they can
 * reach is held on every master (subscriber-hub.ts), and only their messages are taken from there.
 */
import { globMayMatchPrefix } from '../util/glob-match.js';
import type { SubscriptionKind } from './subscriber-link.js';

const PREFIXES = ['__keyspace@', '__keyevent@'] as const;

/** A channel keyspace notifications are published on (names are latin1 strings, one char per byte). */
export function isNotificationChannel(channel: string): boolean {
  return channel.startsWith(PREFIXES[0]) || channel.startsWith(PREFIXES[1]);
}

/** Whether a subscription of `kind` to `name` can receive keyspace notifications. Shard channels never do. */
export function mayReceiveNotifications(kind: SubscriptionKind, name: string): boolean {
  if (kind === 'channel') return isNotificationChannel(name);
  if (kind === 'pattern') return PREFIXES.some((prefix) => globMayMatchPrefix(name, prefix));
  return false;
}
