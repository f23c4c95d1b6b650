/**
 * What travels on the peer bus, and (with `peer-secret`) the seal that proves a peer wrote it.
 *
 * Without a secret a message is the envelope as JSON: anyone who can SPUBLISH on the bus's
 * channels directly on the cluster can forge one (clients of slotgate cannot: its reserved names
 * are refused). With a secret, a message is `{"t": <ms>, "m": <envelope JSON>, "h": <hex>}` where
 * h = HMAC-SHA256(secret, channel + "\n" + t + "\n" + m): a message without a valid MAC (forged,
 * altered, or moved to another channel) is dropped, so is one whose timestamp is more than
 * MAX_SKEW_MS away from this clock (an old one replayed), and so is one seen before within that
 * window (a recent one replayed). Every message carries a fresh request id or reply, so two
 * genuine messages never have the same MAC.
 *
 * Pure apart from the secret: the clock is passed in.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export interface Envelope {
  readonly kind: 'request' | 'reply';
  readonly id: number;
  readonly from: string;
  readonly body: unknown;
}

/** Why a message was dropped (the label of slotgate_peer_bus_messages_dropped_total). */
export type DropReason = 'malformed' | 'unsigned' | 'bad_signature' | 'stale' | 'replayed';
export const DROP_REASONS: readonly DropReason[] = ['malformed', 'unsigned', 'bad_signature', 'stale', 'replayed'];

/** How far a sealed message's timestamp may be from this clock (clock skew plus transit). */
export const MAX_SKEW_MS = 30_000;

export type Opened = { readonly ok: true; readonly envelope: Envelope } | { readonly ok: false; readonly reason: DropReason };

export class BusSeal {
  /** MAC → when it stops mattering (its timestamp leaves the window): seen messages, for replays. */
  private readonly seen = new Map<string, number>();

  /** @param secret null: messages go unsealed (no `peer-secret`). */
  constructor(private readonly secret: string | null) {}

  /** Messages remembered against replays (bounded by the traffic of one MAX_SKEW_MS window). */
  get remembered(): number {
    return this.seen.size;
  }

  seal(channel: string, envelope: Envelope, now: number): string {
    const message = JSON.stringify(envelope);
    if (this.secret === null) return message;
    return JSON.stringify({ t: now, m: message, h: this.mac(channel, now, message) });
  }

  open(channel: string, payload: Buffer, now: number): Opened {
    const value = parseJson(payload.toString('utf8'));
    if (this.secret === null) return asEnvelope(value);
    if (!isSealed(value)) return { ok: false, reason: typeof value === 'object' && value !== null && 'kind' in value ? 'unsigned' : 'malformed' };
    const expected = Buffer.from(this.mac(channel, value.t, value.m), 'hex');
    const given = Buffer.from(value.h, 'hex');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, reason: 'bad_signature' };
    if (Math.abs(now - value.t) > MAX_SKEW_MS) return { ok: false, reason: 'stale' };
    this.forgetOld(now);
    if (this.seen.has(value.h)) return { ok: false, reason: 'replayed' };
    this.seen.set(value.h, value.t + MAX_SKEW_MS);
    return asEnvelope(parseJson(value.m));
  }

  private mac(channel: string, t: number, message: string): string {
    return createHmac('sha256', this.secret!).update(`${channel}\n${t}\n${message}`).digest('hex');
  }

  /** Messages past the window are refused as stale anyway: no need to remember them. */
  private forgetOld(now: number): void {
    for (const [mac, until] of this.seen) {
      if (until >= now) break; // in insertion order, which is nearly timestamp order
      this.seen.delete(mac);
    }
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function isSealed(value: unknown): value is { t: number; m: string; h: string } {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return Number.isSafeInteger(v.t) && typeof v.m === 'string' && typeof v.h === 'string' && /^[0-9a-f]{64}$/.test(v.h);
}

function asEnvelope(value: unknown): Opened {
  if (typeof value !== 'object' || value === null) return { ok: false, reason: 'malformed' };
  const v = value as Record<string, unknown>;
  if ((v.kind !== 'request' && v.kind !== 'reply') || typeof v.id !== 'number' || typeof v.from !== 'string') return { ok: false, reason: 'malformed' };
  return { ok: true, envelope: { kind: v.kind, id: v.id, from: v.from, body: v.body } };
}
