/**
 * One client's CLIENT TRACKING state, as in Redis's client struct (flags CLIENT_TRACKING,
 * _BCAST, _OPTIN, _OPTOUT, _CACHING, _NOLOOP, _BROKEN_REDIR, the redirect id and the prefixes),
 * and how an invalidation reaches it, byte for byte as Redis's sendTrackingMessage writes it:
 *  - to a RESP3 connection (the client's own, or the one it redirects to): a push,
 *    `>2 $10 invalidate *n <keys>` (`_` instead of the keys: flush everything);
 *  - to a RESP2 connection it redirects to that is in Pub/Sub mode: a `message` on
 *    `__redis__:invalidate` (the flush's keys are `$-1`);
 *  - to a RESP2 connection otherwise: nothing (Redis has no way either);
 *  - when the redirect connection is gone: `>2 $21 tracking-redir-broken :<id>` to a RESP3 client.
 * Frames go through the connection's subscriptions (upstream/client-subscriptions.ts), the path
 * Pub/Sub messages take: after every reply owed so far, so an invalidation that arrives while a
 * read of the same key is in flight reaches the client after that read's reply.
 */
import { encodeBulk, encodeInteger } from '../protocol/encoder.js';
import type { ClientSubscriptions } from './client-subscriptions.js';

export interface TrackingEndpoint {
  readonly id: number;
  readonly protocol: 2 | 3;
  readonly subscriptions: ClientSubscriptions;
  readonly isClosed: boolean;
}

const PUSH_HEADER = Buffer.from('>2\r\n$10\r\ninvalidate\r\n');
const MESSAGE_HEADER = Buffer.from('*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n');
const RESP3_NULL = Buffer.from('_\r\n');
const RESP2_NULL = Buffer.from('$-1\r\n');
const BROKEN_HEADER = Buffer.from('>2\r\n$21\r\ntracking-redir-broken\r\n');

function keysArray(keys: readonly Buffer[]): Buffer[] {
  const parts: Buffer[] = [Buffer.from(`*${keys.length}\r\n`)];
  for (const key of keys) parts.push(encodeBulk(key));
  return parts;
}

/** What a closed connection's tracking state points at: nothing is ever sent to it. */
const DETACHED: TrackingEndpoint = {
  id: 0,
  protocol: 3,
  isClosed: true,
  get subscriptions(): ClientSubscriptions {
    throw new Error('a closed connection has no subscriptions');
  },
};

export class ClientTracking {
  on = false;
  bcast = false;
  optin = false;
  optout = false;
  noloop = false;
  /** CLIENT CACHING YES (OPTIN) / NO (OPTOUT) given for the next command. */
  caching = false;
  brokenRedirect = false;
  /** 0: no redirect. */
  redirectId = 0;
  redirect: TrackingEndpoint | null = null;
  /**
   * A null invalidation went out and the client has read nothing since: its cache is empty, so
   * another null one (the same FLUSHALL reported by every master) would say nothing new.
   */
  emptied = false;
  /** BCAST prefixes, sorted (Redis keeps them in a radix tree: invalidations go out in that order). */
  prefixes: Buffer[] = [];

  constructor(private owner: TrackingEndpoint) {}

  /**
   * The connection closed: keys it read may still name this object in the table until they are
   * invalidated or evicted (Redis forgets them lazily too), so it lets go of the connections.
   */
  detach(): void {
    this.owner = DETACHED;
    this.redirect = null;
  }

  /** Sends one invalidation of `keys` (null: everything); returns how many frames went out (0 or 1). */
  deliver(keys: readonly Buffer[] | null): number {
    if (keys === null) {
      if (this.emptied) return 0;
      this.emptied = true;
    }
    let target = this.owner;
    if (this.redirectId !== 0) {
      const redirect = this.redirect;
      if (redirect === null || redirect.isClosed) {
        this.brokenRedirect = true;
        if (this.owner.protocol !== 3 || this.owner.isClosed) return 0;
        this.owner.subscriptions.writeFrame(Buffer.concat([BROKEN_HEADER, encodeInteger(this.redirectId)]));
        return 1;
      }
      target = redirect;
    }
    if (target.isClosed) return 0;
    let header: Buffer;
    if (target.protocol === 3) header = PUSH_HEADER;
    else if (this.redirectId !== 0 && target.subscriptions.active) header = MESSAGE_HEADER;
    else return 0;
    const body = keys === null ? [target.protocol === 3 ? RESP3_NULL : RESP2_NULL] : keysArray(keys);
    target.subscriptions.writeFrame(Buffer.concat([header, ...body]));
    return 1;
  }

  /**
   * BCAST: the keys of one node's invalidation that match each prefix, one frame per prefix
   * with matches (all of them, without prefixes). Returns the frames sent.
   */
  deliverBroadcast(keys: readonly Buffer[]): number {
    if (this.prefixes.length === 0) return this.deliver(keys);
    let sent = 0;
    for (const prefix of this.prefixes) {
      const matching = keys.filter((key) => key.length >= prefix.length && key.compare(prefix, 0, prefix.length, 0, prefix.length) === 0);
      if (matching.length > 0) sent += this.deliver(matching);
    }
    return sent;
  }

  /** CLIENT LIST flags, Redis's letters: t (tracking), R (redirect client gone), B (BCAST). */
  get flagLetters(): string {
    return `t${this.brokenRedirect ? 'R' : ''}${this.bcast ? 'B' : ''}`;
  }

  /** Whether a read now should be remembered (default mode, OPTIN with CACHING YES, OPTOUT without CACHING NO). */
  get remembersReads(): boolean {
    if (!this.on || this.bcast) return false;
    if (this.optin) return this.caching;
    if (this.optout) return !this.caching;
    return true;
  }
}
