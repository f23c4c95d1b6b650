import { describe, expect, it } from 'vitest';
import { redactSecrets } from '../../../src/auth/redact.js';

const shown = (...args: string[]) => redactSecrets(args.map((a) => Buffer.from(a))).map((a) => a.toString());

describe('redactSecrets (MONITOR, logs)', () => {
  it('hides every argument of AUTH', () => {
    expect(shown('AUTH', 'pw')).toEqual(['AUTH', '(redacted)']);
    expect(shown('auth', 'user', 'pw')).toEqual(['auth', '(redacted)', '(redacted)']);
  });

  it('hides HELLO\'s AUTH user and password, not its client name', () => {
    expect(shown('HELLO', '2', 'AUTH', 'u', 'pw', 'SETNAME', 'app')).toEqual(['HELLO', '2', 'AUTH', '(redacted)', '(redacted)', 'SETNAME', 'app']);
    // A client named "auth" does not shift what is hidden.
    expect(shown('hello', '2', 'SETNAME', 'auth', 'auth', 'u', 'pw')).toEqual(['hello', '2', 'SETNAME', 'auth', 'auth', '(redacted)', '(redacted)']);
  });

  it('hides MIGRATE\'s AUTH / AUTH2 credentials, not its keys', () => {
    expect(shown('MIGRATE', 'h', '6379', '', '0', '5000', 'COPY', 'AUTH', 'keys', 'KEYS', 'a', 'b')).toEqual([
      'MIGRATE', 'h', '6379', '', '0', '5000', 'COPY', 'AUTH', '(redacted)', 'KEYS', 'a', 'b',
    ]);
    expect(shown('MIGRATE', 'h', '6379', 'auth', '0', '5000', 'AUTH2', 'u', 'pw')).toEqual(['MIGRATE', 'h', '6379', 'auth', '0', '5000', 'AUTH2', '(redacted)', '(redacted)']);
  });

  it('returns other commands unchanged (the same array)', () => {
    const args = [Buffer.from('SET'), Buffer.from('auth'), Buffer.from('pw')];
    expect(redactSecrets(args)).toBe(args);
  });
});

describe('redactSecrets beyond Redis 7.0', () => {
  it('also hides the TLS key passphrases, which Redis 7.0 still shows', () => {
    expect(shown('CONFIG', 'SET', 'tls-key-file-pass', 'k', 'tls-client-key-file-pass', 'c', 'tls-port', '0')).toEqual([
      'CONFIG', 'SET', 'tls-key-file-pass', '(redacted)', 'tls-client-key-file-pass', '(redacted)', 'tls-port', '0',
    ]);
  });
});
