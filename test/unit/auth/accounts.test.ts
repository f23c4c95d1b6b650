import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { AccountDirectory, splitAccountSecret, type AccountSettings } from '../../../src/auth/accounts.js';
import { digestOfConfiguredPassword, secretMatches, type PasswordDigest } from '../../../src/auth/password.js';

const b = (text: string) => Buffer.from(text);
const digest = (password: string) => digestOfConfiguredPassword(password)!;
const account = (name: string, password: string, permission: AccountSettings['permission'] = 'read-write'): AccountSettings => ({
  name, passwordDigest: digest(password), permission, readPolicy: 'replica',
});

describe('splitAccountSecret (AUTH <secret>)', () => {
  it('splits at the first @, so passwords may contain @', () => {
    const parts = splitAccountSecret(b('reader@pa@ss@'));
    expect(parts?.name).toBe('reader');
    expect(parts?.password.toString()).toBe('pa@ss@');
    expect(splitAccountSecret(b('@x'))?.name).toBe('');
    expect(splitAccountSecret(b('reader@'))?.password.length).toBe(0);
    expect(splitAccountSecret(b('no-at-sign'))).toBeNull();
  });
});

describe('configured passwords', () => {
  it('takes "#<sha256 hex>" as the digest, anything else as the password itself', () => {
    // FIPS 180-2 test vector: SHA-256("abc").
    const abc = 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad';
    expect(digestOfConfiguredPassword(`#${abc}`)!.toString('hex')).toBe(abc);
    expect(digestOfConfiguredPassword(`#${abc.toUpperCase()}`)!.toString('hex')).toBe(abc);
    expect(digestOfConfiguredPassword('abc')!.toString('hex')).toBe(abc);
    expect(secretMatches(b('abc'), digestOfConfiguredPassword(`#${abc}`)!)).toBe(true);
    expect(secretMatches(b(`#${abc}`), digestOfConfiguredPassword(`#${abc}`)!)).toBe(false);
  });

  it('refuses a value that starts with # but is not a SHA-256', () => {
    expect(digestOfConfiguredPassword('#abc')).toBeNull();
    expect(digestOfConfiguredPassword(`#${'g'.repeat(64)}`)).toBeNull();
    expect(digestOfConfiguredPassword(`#${'a'.repeat(65)}`)).toBeNull();
  });

  it('compares secrets of any length without throwing (digests are always 32 bytes)', () => {
    const stored = digest('short') as PasswordDigest;
    for (const secret of ['', 's', 'short', 'x'.repeat(10_000)]) expect(secretMatches(b(secret), stored)).toBe(secret === 'short');
    expect(createHash('sha256').update('short').digest().equals(stored)).toBe(true);
  });
});

describe('AccountDirectory with a default password', () => {
  // The default password looks like name@password of "reader": it must still mean the default account.
  const accounts = new AccountDirectory(digest('reader@Secret1'), [account('reader', 'Secret1', 'read-only'), account('writer', 'w@1')]);

  it('checks AUTH <secret> against the default password first, then as name@password', () => {
    expect(accounts.authenticateSecret(b('reader@Secret1'))?.name).toBe('default');
    expect(accounts.authenticateSecret(b('writer@w@1'))?.name).toBe('writer');
    expect(accounts.authenticateSecret(b('writer@w@2'))).toBeNull();
    expect(accounts.authenticateSecret(b('ghost@w@1'))).toBeNull();
    expect(accounts.authenticateSecret(b('Secret1'))).toBeNull();
    expect(accounts.authenticateSecret(b(''))).toBeNull();
  });

  it('checks AUTH <name> <password> against the named account; "default" is the default one', () => {
    expect(accounts.authenticateUser(b('default'), b('reader@Secret1'))?.name).toBe('default');
    expect(accounts.authenticateUser(b('reader'), b('Secret1'))).toEqual({ name: 'reader', permission: 'read-only', readPolicy: 'replica' });
    expect(accounts.authenticateUser(b('reader'), b('reader@Secret1'))).toBeNull();
    expect(accounts.authenticateUser(b('Reader'), b('Secret1'))).toBeNull(); // names are case-sensitive
    expect(accounts.authenticateUser(b('default'), b(''))).toBeNull();
  });

  it('starts connections signed out; the default account is admin (can do everything)', () => {
    expect(accounts.passwordless).toBe(false);
    expect(accounts.initialAccount).toBeNull();
    expect(accounts.defaultAccount.permission).toBe('admin');
  });
});

describe('AccountDirectory in passwordless mode', () => {
  const accounts = new AccountDirectory(null, [account('reader', 'Secret1', 'read-only')]);

  it('starts connections as the default account and accepts only an empty secret for it', () => {
    expect(accounts.initialAccount?.name).toBe('default');
    expect(accounts.authenticateSecret(b(''))?.name).toBe('default');
    expect(accounts.authenticateUser(b('default'), b(''))?.name).toBe('default');
    // Unlike Redis's nopass user (Tencent's rule): a non-empty secret must match a custom account.
    expect(accounts.authenticateSecret(b('anything'))).toBeNull();
    expect(accounts.authenticateUser(b('default'), b('anything'))).toBeNull();
    expect(accounts.authenticateSecret(b('reader@Secret1'))?.name).toBe('reader');
  });
});
