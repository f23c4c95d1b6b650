/**
 * Accounts (README: *Accounts, read/write splitting, disabled commands, reload*, after Tencent's 管理账号): the default account, which has only a
 * password (`requirepass`; none = passwordless mode), and custom accounts with a name, a
 * password, a permission (read-only, read-write or admin) and a read routing policy.
 *
 * How a client's credentials are matched:
 *  - `AUTH <secret>`: first against the default password (which may itself contain `@`);
 *    otherwise `<secret>` is split at its FIRST `@` into `name@password` and checked
 *    against that custom account. Names are `[A-Za-z0-9_-]`, so the first `@` always ends
 *    the name and passwords may contain `@`: `reader@pa@ss` is account `reader`, password
 *    `pa@ss`.
 *  - `AUTH <name> <password>` and `HELLO 2 AUTH <name> <password>`: the named account;
 *    `default` is the default account.
 *  - Passwordless mode: connections start signed in as the default account, and only an
 *    empty secret means the default account. A non-empty secret that matches no custom
 *    account fails (Tencent's rule; plain Redis would accept it).
 *
 * An AccountDirectory is immutable: a config reload builds a new one, and sessions keep the
 * Account they signed in with, so reloads only affect new sign-ins.
 */
import { NO_SUCH_ACCOUNT_DIGEST, secretMatches, type PasswordDigest } from './password.js';

/**
 * What an account may run, each level including the one before it: `read-only` < `read-write` <
 * `admin`. Which commands need which level is decided in one place, auth/command-gate.ts.
 */
export type Permission = 'read-only' | 'read-write' | 'admin';
/**
 * Where an account's reads go: `master`, or `replica` — the slot's replicas, as long as
 * `replica-read` is on (with it off, every read goes to the master whatever the policy).
 */
export type ReadPolicy = 'master' | 'replica';

/** In increasing order of power. */
export const PERMISSIONS: readonly Permission[] = ['read-only', 'read-write', 'admin'];
export const READ_POLICIES: readonly ReadPolicy[] = ['master', 'replica'];
export const DEFAULT_ACCOUNT_NAME = 'default';
/** Tencent's rule for account names: letters, digits, `_` and `-`, at most 32. */
export const ACCOUNT_NAME_PATTERN = /^[A-Za-z0-9_-]{1,32}$/;

/** A custom account as configured (the password only as its digest). */
export interface AccountSettings {
  readonly name: string;
  readonly passwordDigest: PasswordDigest;
  readonly permission: Permission;
  readonly readPolicy: ReadPolicy;
}

/** Who a session is signed in as. Holds no secret, so it may be shown (CLIENT LIST's `user=`). */
export interface Account {
  readonly name: string;
  readonly permission: Permission;
  readonly readPolicy: ReadPolicy;
}

/** True when `granted` includes `required` (read-only < read-write < admin). */
export function permits(granted: Permission, required: Permission): boolean {
  return rank(granted) >= rank(required);
}

/** A level's place in PERMISSIONS, by comparison rather than a search (checked for every request). */
function rank(permission: Permission): number {
  return permission === 'admin' ? 2 : permission === 'read-write' ? 1 : 0;
}

/**
 * The default account can do everything, operator commands included (README: *Accounts, read/write splitting, disabled commands, reload*). Its reads follow
 * `replica-read`: with read/write splitting on, the instance's reads go to replicas, as
 * Tencent's 副本只读 does.
 */
const DEFAULT_ACCOUNT: Account = Object.freeze({ name: DEFAULT_ACCOUNT_NAME, permission: 'admin', readPolicy: 'replica' });

const AT = 0x40;

/** `name@password` → its parts, split at the first `@`; null without an `@`. */
export function splitAccountSecret(secret: Buffer): { name: string; password: Buffer } | null {
  const at = secret.indexOf(AT);
  if (at < 0) return null;
  return { name: secret.subarray(0, at).toString('utf8'), password: secret.subarray(at + 1) };
}

export class AccountDirectory {
  readonly defaultAccount: Account = DEFAULT_ACCOUNT;
  private readonly custom: ReadonlyMap<string, { account: Account; digest: PasswordDigest }>;

  /** `defaultPassword` null = passwordless mode. */
  constructor(
    private readonly defaultPassword: PasswordDigest | null,
    accounts: readonly AccountSettings[],
  ) {
    this.custom = new Map(
      accounts.map((a) => [a.name, { account: Object.freeze({ name: a.name, permission: a.permission, readPolicy: a.readPolicy }), digest: a.passwordDigest }]),
    );
  }

  /** True when the default account has no password: connections start signed in as it. */
  get passwordless(): boolean {
    return this.defaultPassword === null;
  }

  /** The account a new connection starts with: the default one in passwordless mode, else none. */
  get initialAccount(): Account | null {
    return this.defaultPassword === null ? this.defaultAccount : null;
  }

  get customAccountCount(): number {
    return this.custom.size;
  }

  /** True for `default` and every custom account (CLIENT KILL USER refuses unknown names, like Redis). */
  hasAccount(name: string): boolean {
    return name === DEFAULT_ACCOUNT_NAME || this.custom.has(name);
  }

  /** `AUTH <secret>`; null = WRONGPASS. */
  authenticateSecret(secret: Buffer): Account | null {
    if (this.defaultPassword !== null && secretMatches(secret, this.defaultPassword)) return this.defaultAccount;
    const parts = splitAccountSecret(secret);
    if (parts) return this.checkCustom(parts.name, parts.password);
    if (this.defaultPassword === null && secret.length === 0) return this.defaultAccount;
    return null;
  }

  /** `AUTH <name> <password>`, `HELLO … AUTH <name> <password>`; null = WRONGPASS. */
  authenticateUser(name: Buffer, password: Buffer): Account | null {
    const accountName = name.toString('utf8');
    if (accountName === DEFAULT_ACCOUNT_NAME) {
      if (this.defaultPassword === null) return password.length === 0 ? this.defaultAccount : null;
      return secretMatches(password, this.defaultPassword) ? this.defaultAccount : null;
    }
    return this.checkCustom(accountName, password);
  }

  private checkCustom(name: string, password: Buffer): Account | null {
    const entry = this.custom.get(name);
    // Hash and compare even for an unknown name, so the reply time does not tell names apart.
    const matches = secretMatches(password, entry?.digest ?? NO_SUCH_ACCOUNT_DIGEST);
    return matches && entry ? entry.account : null;
  }
}
