// Sealed peer-bus messages (peer-secret): forged, altered, moved, stale and replayed ones are refused.
import { describe, expect, it } from 'vitest';
import { BusSeal, MAX_SKEW_MS, type Envelope } from '../../../src/peers/bus-seal.js';

const envelope: Envelope = { kind: 'request', id: 3, from: '127.0.0.1:6380/5', body: { op: 'list', filter: {} } };
const CHANNEL = '{slotgate}:bus:requests';
const NOW = 1_800_000_000_000;

describe('bus seal', () => {
  it('without a secret: the envelope as JSON, checked for shape only', () => {
    const seal = new BusSeal(null);
    const text = seal.seal(CHANNEL, envelope, NOW);
    expect(JSON.parse(text)).toEqual(envelope);
    expect(seal.open(CHANNEL, Buffer.from(text), NOW)).toEqual({ ok: true, envelope });
    expect(seal.open(CHANNEL, Buffer.from('{"kind":"other"}'), NOW)).toEqual({ ok: false, reason: 'malformed' });
    expect(seal.open(CHANNEL, Buffer.from('nonsense'), NOW)).toEqual({ ok: false, reason: 'malformed' });
  });

  it('with a secret: a sealed message opens once, on its channel, within the window', () => {
    const sender = new BusSeal('s3cret');
    const receiver = new BusSeal('s3cret');
    const text = sender.seal(CHANNEL, envelope, NOW);
    expect(text).not.toContain('s3cret');
    expect(receiver.open(CHANNEL, Buffer.from(text), NOW + 100)).toEqual({ ok: true, envelope });
    expect(receiver.open(CHANNEL, Buffer.from(text), NOW + 200)).toEqual({ ok: false, reason: 'replayed' });
    expect(new BusSeal('s3cret').open('{slotgate}:bus:replies:x', Buffer.from(text), NOW)).toEqual({ ok: false, reason: 'bad_signature' });
    expect(new BusSeal('s3cret').open(CHANNEL, Buffer.from(text), NOW + MAX_SKEW_MS + 1)).toEqual({ ok: false, reason: 'stale' });
    expect(new BusSeal('s3cret').open(CHANNEL, Buffer.from(text), NOW - MAX_SKEW_MS - 1)).toEqual({ ok: false, reason: 'stale' });
  });

  it('refuses unsigned, altered and other-secret messages', () => {
    const receiver = new BusSeal('s3cret');
    expect(receiver.open(CHANNEL, Buffer.from(JSON.stringify(envelope)), NOW)).toEqual({ ok: false, reason: 'unsigned' });
    const sealed = JSON.parse(new BusSeal('s3cret').seal(CHANNEL, envelope, NOW)) as { t: number; m: string; h: string };
    const altered = { ...sealed, m: sealed.m.replace('list', 'kill') };
    expect(receiver.open(CHANNEL, Buffer.from(JSON.stringify(altered)), NOW)).toEqual({ ok: false, reason: 'bad_signature' });
    const retimed = { ...sealed, t: sealed.t + 1 };
    expect(receiver.open(CHANNEL, Buffer.from(JSON.stringify(retimed)), NOW)).toEqual({ ok: false, reason: 'bad_signature' });
    const other = new BusSeal('other').seal(CHANNEL, envelope, NOW);
    expect(receiver.open(CHANNEL, Buffer.from(other), NOW)).toEqual({ ok: false, reason: 'bad_signature' });
    expect(receiver.open(CHANNEL, Buffer.from('{"t":1,"m":"x","h":"zz"}'), NOW)).toEqual({ ok: false, reason: 'malformed' });
  });

  it('forgets replays once they are stale anyway', () => {
    const receiver = new BusSeal('s3cret');
    const sender = new BusSeal('s3cret');
    for (let i = 0; i < 5; i++) receiver.open(CHANNEL, Buffer.from(sender.seal(CHANNEL, { ...envelope, id: i }, NOW)), NOW);
    receiver.open(CHANNEL, Buffer.from(sender.seal(CHANNEL, { ...envelope, id: 99 }, NOW + 2 * MAX_SKEW_MS)), NOW + 2 * MAX_SKEW_MS);
    expect(receiver.remembered).toBe(1);
  });
});
