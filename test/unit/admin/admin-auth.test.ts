import { describe, expect, it } from 'vitest';
import { Writable } from 'node:stream';
import pino from 'pino';
import { AdminToken, warnIfAdminExposed } from '../../../src/admin/admin-auth.js';

describe('AdminToken', () => {
  const token = new AdminToken('s3cret-Token');

  it('admits exactly "Bearer <token>"', () => {
    expect(token.matches('Bearer s3cret-Token')).toBe(true);
    expect(token.matches('bearer s3cret-Token')).toBe(true); // the scheme is case-insensitive (RFC 7235)
    expect(token.matches('Bearer s3cret-token')).toBe(false);
    expect(token.matches('Bearer s3cret-Token-and-more')).toBe(false);
    expect(token.matches('Bearer s')).toBe(false);
    expect(token.matches('Basic s3cret-Token')).toBe(false);
    expect(token.matches('s3cret-Token')).toBe(false);
    expect(token.matches(undefined)).toBe(false);
  });

  it('requires nothing when the token is empty', () => {
    const none = new AdminToken('');
    expect(none.required).toBe(false);
    expect(none.matches(undefined)).toBe(true);
  });
});

describe('warnIfAdminExposed', () => {
  function logged(host: string, tokenValue: string): string {
    let out = '';
    const logger = pino({ level: 'info' }, new Writable({ write: (chunk, _e, cb) => ((out += String(chunk)), cb()) }));
    warnIfAdminExposed(logger, host, tokenValue);
    return out;
  }

  it('warns when the admin port listens beyond loopback without a token, never printing a token', () => {
    expect(logged('0.0.0.0', '')).toContain('"level":40');
    expect(logged('127.0.0.1', '')).toBe('');
    expect(logged('::1', '')).toBe('');
    expect(logged('0.0.0.0', 'tok-value')).toBe('');
  });
});
