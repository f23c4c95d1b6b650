// A client's CLIENT LIST line from plain data.
import { describe, expect, it } from 'vitest';
import { ClientState, clientFlags, clientRecordOf, type LiveFigures } from '../../../src/session/client-state.js';

const none = { monitor: false, subscribed: false, transaction: false, blocked: false, tracking: '', closing: false, noEvict: false, noTouch: false };

describe('client state', () => {
  it('shows Redis flag letters in Redis order, N for none', () => {
    expect(clientFlags(none)).toBe('N');
    expect(clientFlags({ ...none, blocked: true, noTouch: true, subscribed: true })).toBe('PbT');
    expect(clientFlags({ ...none, monitor: true, transaction: true, closing: true, noEvict: true })).toBe('Oxce');
    expect(clientFlags({ ...none, blocked: true, tracking: 'tB', closing: true })).toBe('btBc');
  });

  it('makes the record from the state and the live figures', () => {
    const state = new ClientState(7);
    state.name = 'worker';
    state.db = 2;
    state.lastCommand = 'get';
    state.protocol = 3;
    const live: LiveFigures = {
      addr: '127.0.0.1:5000', laddr: '127.0.0.1:6380', fd: 12, flags: 'N', sub: 1, psub: 0, ssub: 2,
      qbuf: 10, oll: 3, omem: 20, reading: false, runningCommand: null, network: 'tcp', proxy: 'p',
    };
    const record = clientRecordOf(state, live, state.createdAt + 2500);
    expect(record).toMatchObject({ id: 7, name: 'worker', db: 2, age: 2, cmd: 'get', resp: 3, totMem: 30, events: 'w', user: 'default', multi: -1 });
    expect(clientRecordOf(state, { ...live, reading: true, omem: 0, runningCommand: 'client|list' }).events).toBe('r');
    expect(clientRecordOf(state, { ...live, runningCommand: 'client|list' }).cmd).toBe('client|list');
  });

  it('counts idle seconds from the last input on the monotonic clock', () => {
    const state = new ClientState(8);
    const live = { addr: 'a', laddr: 'b', fd: 1, flags: 'N', sub: 0, psub: 0, ssub: 0, qbuf: 0, oll: 0, omem: 0, reading: false, runningCommand: null, network: 'tcp', proxy: 'p' } as LiveFigures;
    state.lastInteractionAt = 10_000;
    expect(clientRecordOf(state, live, Date.now(), 13_999).idle).toBe(3);
    expect(clientRecordOf(state, live, Date.now(), 10_500).idle).toBe(0);
  });
});
