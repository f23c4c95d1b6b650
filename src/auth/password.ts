/**
 * Passwords as slotgate keeps them: only their SHA-256 digest, never the text.
 *
 * A configured password is either plain text or `#<64 hex digits>`, the SHA-256 of the
 * password as Redis ACL writes it. Checking a secret hashes it and compares the two
 * 32-byte digests with crypto.timingSafeEqual: the time taken depends neither on where
 * the first differing byte is nor on the length of either password.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

/** SHA-256 of a password: 32 bytes. */
export type PasswordDigest = Buffer & { readonly __passwordDigest: true };

const HASHED = /^#[0-9a-fA-F]{64}$/;

export function sha256(secret: Buffer | string): Buffer {
  return createHash('sha256').update(secret).digest();
}

/**
 * The digest of a configured password. Returns null when the value starts with `#` but is
 * not `#` + 64 hex digits: such a value is almost certainly a mistyped hash, and taking it as
 * a plain-text password would silently lock everyone out.
 */
export function digestOfConfiguredPassword(value: string): PasswordDigest | null {
  if (value.startsWith('#')) return HASHED.test(value) ? (Buffer.from(value.slice(1), 'hex') as PasswordDigest) : null;
  return sha256(value) as PasswordDigest;
}

/** Constant-time check of a client's secret against a stored digest. */
export function secretMatches(secret: Buffer, digest: PasswordDigest): boolean {
  return timingSafeEqual(sha256(secret), digest);
}

/**
 * Compared against when the account named by a client does not exist, so that a wrong
 * account name costs the same time as a wrong password (no probing for account names).
 */
export const NO_SUCH_ACCOUNT_DIGEST = sha256('slotgate: no such account') as PasswordDigest;
