/**
 * The options a running slotgate can change without a restart (README: *Accounts, read/write splitting, disabled commands, reload*): the accounts,
 * disable-command-list, read routing and slotgate's own slow log. Resolved and validated here, at start and on
 * every reload alike; any error rejects the whole configuration.
 *
 * Passwords are turned into SHA-256 digests here and the text is dropped. Error messages
 * name the option and the account, never a password.
 */
import { ACCOUNT_NAME_PATTERN, DEFAULT_ACCOUNT_NAME, PERMISSIONS, READ_POLICIES, type AccountSettings, type Permission, type ReadPolicy } from '../auth/accounts.js';
import { digestOfConfiguredPassword, type PasswordDigest } from '../auth/password.js';
import type { ReadRoutingSettings } from '../routing/replica-reads.js';
import { ConfigError } from './config-error.js';
import { toInt, toList, toSize } from './option-values.js';
import { FILE_ONLY_OPTIONS, type FileOnlyOptionName, type OptionName } from './options.js';

export interface ReloadableSettings {
  /** Digest of the default account's password; null = passwordless mode. */
  readonly requirepass: PasswordDigest | null;
  readonly accounts: readonly AccountSettings[];
  /** Lower-case full command names (`keys`, `config|set`). */
  readonly disabledCommands: readonly string[];
  readonly readRouting: ReadRoutingSettings;
  /** slotgate's own slow log (observability/slow-command-log.ts): µs (negative: off), and how many entries it keeps. */
  readonly slowlog: { readonly slowerThanMicros: number; readonly maxLen: number };
}

/** The file-only (structured) options as found in the config file, not yet checked. */
export type FileOnlyValues = Partial<Record<FileOnlyOptionName, unknown>>;

/**
 * Takes the file-only options out of a parsed config file (yargs must not see them: it
 * would flatten the `node-zones` map into dotted flags), and checks what yargs cannot:
 * `requirepass` must be a YAML string, or `0x1F` would silently become the password "31".
 */
export function takeFileOnlyOptions(doc: Record<string, unknown>, sink: FileOnlyValues): Record<string, unknown> {
  const rest: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(doc)) {
    if (Object.hasOwn(FILE_ONLY_OPTIONS, key)) sink[key as FileOnlyOptionName] = value;
    else rest[key] = value;
  }
  for (const secret of ['requirepass', 'backend-password', 'sentinel-password', 'peer-secret']) {
    if (rest[secret] !== undefined && rest[secret] !== null && typeof rest[secret] !== 'string') {
      throw new ConfigError(`option ${secret}: must be a string (quote it in YAML)`);
    }
  }
  return rest;
}

export function resolveReloadableSettings(get: (name: OptionName) => unknown, fileOnly: FileOnlyValues): ReloadableSettings {
  const replicaRead = toBoolean('replica-read', get('replica-read'), false);
  const readLocalNodeOnly = toBoolean('read-local-node-only', get('read-local-node-only'), false);
  const zone = optionalString('zone', get('zone'));
  if (readLocalNodeOnly && !replicaRead) throw new ConfigError('option read-local-node-only: needs replica-read on (it chooses among replicas)');
  if (readLocalNodeOnly && zone === null) throw new ConfigError("option read-local-node-only: needs zone, this proxy's zone");
  return {
    requirepass: defaultPassword(get('requirepass')),
    accounts: parseAccounts(fileOnly.accounts, replicaRead),
    disabledCommands: parseDisabledCommands(get('disable-command-list')),
    readRouting: { replicaRead, readLocalNodeOnly, zone, nodeZones: parseNodeZones(fileOnly['node-zones']), maxReplicaLag: toSize('max-replica-lag', get('max-replica-lag') ?? 0) },
    slowlog: {
      slowerThanMicros: toInt('slowlog-log-slower-than', get('slowlog-log-slower-than') ?? 10_000, -1_000_000_000, 1_000_000_000, 'a number of microseconds'),
      maxLen: toInt('slowlog-max-len', get('slowlog-max-len') ?? 128, 0, 100_000),
    },
  };
}

const TRUE_WORDS = new Set(['true', 'yes', 'on', '1']);
const FALSE_WORDS = new Set(['false', 'no', 'off', '0']);

/** true/false, and Redis's yes/no (`read-local-node-only: yes`). */
export function toBoolean(name: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined || value === null) return fallback;
  if (typeof value === 'boolean') return value;
  const word = String(value).trim().toLowerCase();
  if (TRUE_WORDS.has(word)) return true;
  if (FALSE_WORDS.has(word)) return false;
  throw new ConfigError(`option ${name}: '${String(value)}' is not yes/no (or true/false)`);
}

function optionalString(name: string, value: unknown): string | null {
  if (value === undefined || value === null || value === '') return null;
  const text = String(value).trim();
  if (!/^\S+$/.test(text)) throw new ConfigError(`option ${name}: '${text}' must be one word`);
  return text;
}

function defaultPassword(value: unknown): PasswordDigest | null {
  if (value === undefined || value === null || value === '') return null;
  const digest = digestOfConfiguredPassword(String(value));
  if (!digest) throw new ConfigError('option requirepass: starts with "#" but is not "#" followed by 64 hex digits (a SHA-256)');
  return digest;
}

const ACCOUNT_KEYS = new Set(['name', 'password', 'permission', 'read-policy']);

function parseAccounts(value: unknown, replicaRead: boolean): AccountSettings[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new ConfigError('option accounts: expected a list of accounts (name, password, permission, read-policy)');
  const seen = new Set<string>();
  return value.map((entry: unknown, index): AccountSettings => {
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
      throw new ConfigError(`option accounts[${index}]: expected a mapping with name, password, permission, read-policy`);
    }
    const fields = entry as Record<string, unknown>;
    const name = fields.name;
    if (typeof name !== 'string' || !ACCOUNT_NAME_PATTERN.test(name)) {
      throw new ConfigError(`option accounts[${index}]: name must be 1-32 letters, digits, '_' or '-'`);
    }
    const where = `option accounts[${index}] (${name})`;
    for (const key of Object.keys(fields)) {
      if (!ACCOUNT_KEYS.has(key)) throw new ConfigError(`${where}: unknown key '${key}' (expected name, password, permission, read-policy)`);
    }
    if (name === DEFAULT_ACCOUNT_NAME) throw new ConfigError(`${where}: '${DEFAULT_ACCOUNT_NAME}' is the default account; set its password with requirepass`);
    if (seen.has(name)) throw new ConfigError(`${where}: the name is used twice`);
    seen.add(name);
    if (typeof fields.password !== 'string' || fields.password === '') {
      throw new ConfigError(`${where}: password is required and must be a non-empty string (quote it in YAML)`);
    }
    const passwordDigest = digestOfConfiguredPassword(fields.password);
    if (!passwordDigest) throw new ConfigError(`${where}: password starts with "#" but is not "#" followed by 64 hex digits (a SHA-256)`);
    const permission = oneOf<Permission>(`${where}: permission`, fields.permission, PERMISSIONS);
    if (permission === undefined) throw new ConfigError(`${where}: permission is required (${PERMISSIONS.join(', ')})`);
    // Omitted, the read policy follows replica-read, like the default account's.
    const readPolicy = oneOf<ReadPolicy>(`${where}: read-policy`, fields['read-policy'], READ_POLICIES);
    if (readPolicy === 'replica' && !replicaRead) throw new ConfigError(`${where}: read-policy replica needs replica-read on`);
    return { name, passwordDigest, permission, readPolicy: readPolicy ?? 'replica' };
  });
}

function oneOf<T extends string>(what: string, value: unknown, allowed: readonly T[]): T | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string' && (allowed as readonly string[]).includes(value)) return value as T;
  throw new ConfigError(`${what}: '${String(value)}' is not one of ${allowed.join(', ')}`);
}

function parseDisabledCommands(value: unknown): string[] {
  const names = toList(value).map((name) => name.toLowerCase());
  // Each name is checked against the backend's own command table once it is read (config/reload.ts
  // checkDisabledCommands): a module's commands are not in the table slotgate was built with.
  return [...new Set(names)];
}

const NODE_ID = /^[0-9a-f]{40}$/;
const HOST_PORT = /^.+:\d{1,5}$/;

function parseNodeZones(value: unknown): ReadonlyMap<string, string> {
  const zones = new Map<string, string>();
  if (value === undefined || value === null) return zones;
  if (typeof value !== 'object' || Array.isArray(value)) throw new ConfigError('option node-zones: expected a mapping of "host:port" or node id → zone');
  for (const [node, zone] of Object.entries(value as Record<string, unknown>)) {
    if (!NODE_ID.test(node) && !HOST_PORT.test(node)) throw new ConfigError(`option node-zones: '${node}' is neither host:port nor a 40-hex node id`);
    if ((typeof zone !== 'string' && typeof zone !== 'number') || !/^\S+$/.test(String(zone))) {
      throw new ConfigError(`option node-zones: the zone of '${node}' must be one word`);
    }
    zones.set(node, String(zone));
  }
  return zones;
}
