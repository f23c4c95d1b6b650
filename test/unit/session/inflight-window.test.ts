import { describe, expect, it } from 'vitest';
import { inflightWindow } from '../../../src/session/read-gate.js';

const MB = 1024 * 1024;

describe('inflightWindow (replies a client may owe)', () => {
  it('is client-max-inflight while replies are small', () => {
    expect(inflightWindow(8, 1024)).toBe(1024);
    expect(inflightWindow(8, 16)).toBe(16);
  });

  it('keeps about 4 MB of replies in flight when they are big', () => {
    expect(inflightWindow(1 * MB, 1024)).toBe(4);
    expect(inflightWindow(64 * 1024, 1024)).toBe(64);
  });

  it('always lets one request through, however big its replies', () => {
    expect(inflightWindow(512 * MB, 1024)).toBe(1);
    expect(inflightWindow(0, 1024)).toBe(1024);
  });
});
