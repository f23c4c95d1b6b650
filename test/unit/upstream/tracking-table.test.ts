import { describe, expect, it } from 'vitest';
import { ClientSubscriptions } from '../../../src/upstream/client-subscriptions.js';
import { ClientTracking, type TrackingEndpoint } from '../../../src/upstream/tracking-client.js';
import { TrackingTable } from '../../../src/upstream/tracking-table.js';

/** A client connection that keeps what it is sent. */
function endpoint(id: number, protocol: 2 | 3): TrackingEndpoint & { frames: string[]; isClosed: boolean } {
  const frames: string[] = [];
  return { id, protocol, isClosed: false, frames, subscriptions: new ClientSubscriptions((f) => frames.push(f.toString('latin1')), () => protocol === 3) };
}

function tracking(owner: TrackingEndpoint, set: Partial<ClientTracking> = {}): ClientTracking {
  return Object.assign(new ClientTracking(owner), { on: true, ...set });
}

const keys = (...names: string[]) => names.map((n) => Buffer.from(n));
const push = (...names: string[]) => `>2\r\n$10\r\ninvalidate\r\n*${names.length}\r\n${names.map((n) => `$${n.length}\r\n${n}\r\n`).join('')}`;

describe('TrackingTable', () => {
  it('invalidates a key read once for each reader, then forgets it', () => {
    let sent = 0;
    const table = new TrackingTable(0, (n) => (sent += n));
    const a = endpoint(1, 3);
    const b = endpoint(2, 3);
    const ta = tracking(a);
    const tb = tracking(b);
    table.enable(ta);
    table.enable(tb);
    table.remember(ta, keys('k', 'j'));
    table.remember(tb, keys('k'));
    table.invalidate(keys('k'));
    table.invalidate(keys('k'));
    expect(a.frames).toEqual([push('k')]);
    expect(b.frames).toEqual([push('k')]);
    expect(table.keyCount).toBe(1);
    expect(table.itemCount).toBe(1);
    expect(sent).toBe(2);
  });

  it('skips clients whose tracking is off, and closed connections', () => {
    const table = new TrackingTable(0, () => undefined);
    const a = endpoint(1, 3);
    const ta = tracking(a);
    table.enable(ta);
    table.remember(ta, keys('k'));
    table.disable(ta);
    table.invalidate(keys('k'));
    expect(a.frames).toEqual([]);
  });

  it('at the limit, invalidates the oldest key before remembering a new one', () => {
    const table = new TrackingTable(2, () => undefined);
    const a = endpoint(1, 3);
    const ta = tracking(a);
    table.enable(ta);
    table.remember(ta, keys('k1', 'k2', 'k3', 'k4'));
    expect(a.frames).toEqual([push('k1'), push('k2')]);
    expect(table.keyCount).toBe(2);
  });

  it('BCAST: one push per matching prefix; no prefix ("") hears every key', () => {
    const table = new TrackingTable(0, () => undefined);
    const a = endpoint(1, 3);
    const all = endpoint(2, 3);
    table.enable(tracking(a, { bcast: true, prefixes: keys('a', 'b') }));
    table.enable(tracking(all, { bcast: true, prefixes: keys('') }));
    table.invalidate(keys('b1', 'c1', 'a1', 'a2'));
    expect(a.frames).toEqual([push('a1', 'a2'), push('b1')]);
    expect(all.frames).toEqual([push('b1', 'c1', 'a1', 'a2')]);
  });

  it('a null invalidation once until the client reads again; RESP2 redirect as a message; a broken redirect', () => {
    const table = new TrackingTable(0, () => undefined);
    const r2 = endpoint(1, 2);
    const sub = endpoint(2, 2);
    sub.subscriptions.of('channel').add('__redis__:invalidate');
    const t2 = tracking(r2, { redirectId: 2, redirect: sub });
    const r3 = endpoint(3, 3);
    const t3 = tracking(r3, { redirectId: 9, redirect: null });
    table.enable(t2);
    table.enable(t3);
    table.flushAll();
    table.flushAll();
    expect(sub.frames).toEqual(['*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n$-1\r\n']);
    expect(r3.frames).toEqual(['>2\r\n$21\r\ntracking-redir-broken\r\n:9\r\n']);
    expect(t3.brokenRedirect).toBe(true);
    t2.emptied = false; // it read something
    table.flushAll();
    expect(sub.frames).toHaveLength(2);
    expect(r2.frames).toEqual([]);
  });

  it('a RESP2 client without a redirect is sent nothing (Redis has no way either)', () => {
    const table = new TrackingTable(0, () => undefined);
    const r2 = endpoint(1, 2);
    const t = tracking(r2);
    table.enable(t);
    table.remember(t, keys('k'));
    table.invalidate(keys('k'));
    table.flushAll();
    expect(r2.frames).toEqual([]);
  });

  it('a closed connection\'s state, still named by keys it read, sends nothing and holds no connection', () => {
    const table = new TrackingTable(0, () => undefined);
    const a = endpoint(1, 3);
    const t = tracking(a, { redirectId: 2, redirect: endpoint(2, 3) });
    table.enable(t);
    table.remember(t, keys('k'));
    table.disable(t);
    t.detach();
    expect(t.redirect).toBeNull();
    expect(t.deliver(keys('k'))).toBe(0);
    table.invalidate(keys('k'));
    expect(a.frames).toEqual([]);
  });
});
