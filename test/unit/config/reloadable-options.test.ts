// The reloadable options (accounts, disable-command-list, read routing) as resolveConfig reads them
// from flags, SLOTGATE_* variables and the YAML file, and the errors that reject a config.
import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, resolveConfig, buildCli, type SlotgateConfig } from '../../../src/config/config.js';
import { checkDisabledCommands } from '../../../src/config/reload.js';
import { CommandCatalog, CommandTable } from '../../../src/commands/command-table.js';
import { GENERATED_COMMANDS } from '../../../src/commands/command-table.generated.js';
import { tempConfigFile, type TempConfigFile } from '../../helpers/config-file.js';

const files: TempConfigFile[] = [];
afterEach(() => {
  for (const f of files.splice(0)) f.remove();
});

function fromYaml(yaml: string, flags: string[] = [], env: NodeJS.ProcessEnv = {}) {
  const file = tempConfigFile(yaml);
  files.push(file);
  return resolveConfig(['--cluster', '127.0.0.1:7000', '--config', file.path, ...flags], env).reloadable;
}

function errorOf(yaml: string, flags: string[] = []): string {
  try {
    fromYaml(yaml, flags);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('the config was accepted');
}

const sha256 = (text: string) => createHash('sha256').update(text).digest();

describe('reloadable options', () => {
  it('has safe defaults: passwordless, no accounts, nothing disabled, every read on masters, Redis\'s slow log settings', () => {
    expect(fromYaml('')).toEqual({
      requirepass: null,
      accounts: [],
      disabledCommands: [],
      readRouting: { replicaRead: false, readLocalNodeOnly: false, zone: null, nodeZones: new Map(), maxReplicaLag: 0 },
      slowlog: { slowerThanMicros: 10_000, maxLen: 128 },
    });
  });

  it('reads the slow log options: negative turns it off; a bad one is refused', () => {
    expect(fromYaml('slowlog-log-slower-than: -1\nslowlog-max-len: 0\n').slowlog).toEqual({ slowerThanMicros: -1, maxLen: 0 });
    expect(() => fromYaml('slowlog-max-len: -3\n')).toThrow(/option slowlog-max-len/);
    expect(() => fromYaml('slowlog-log-slower-than: soon\n')).toThrow(/option slowlog-log-slower-than/);
  });

  it('reads the example of the issue, keeping only password digests', () => {
    const settings = fromYaml(`
requirepass: "Default#Pass1"
replica-read: true
read-local-node-only: false
zone: az1
node-zones:
  "127.0.0.1:7001": az1
  0123456789abcdef0123456789abcdef01234567: az2
disable-command-list: "keys,flushall"
accounts:
  - name: reader
    password: "Reader#Pass1"
    permission: read-only
    read-policy: replica
  - name: hashed
    password: "#${sha256('Hashed#1').toString('hex')}"
    permission: read-write
  - name: ops
    password: "Ops#Pass1"
    permission: admin
`);
    expect(settings.requirepass).toEqual(sha256('Default#Pass1'));
    expect(settings.accounts).toEqual([
      { name: 'reader', passwordDigest: sha256('Reader#Pass1'), permission: 'read-only', readPolicy: 'replica' },
      { name: 'hashed', passwordDigest: sha256('Hashed#1'), permission: 'read-write', readPolicy: 'replica' },
      { name: 'ops', passwordDigest: sha256('Ops#Pass1'), permission: 'admin', readPolicy: 'replica' },
    ]);
    expect(settings.disabledCommands).toEqual(['keys', 'flushall']);
    expect(settings.readRouting).toEqual({
      replicaRead: true,
      readLocalNodeOnly: false,
      zone: 'az1',
      nodeZones: new Map([['127.0.0.1:7001', 'az1'], ['0123456789abcdef0123456789abcdef01234567', 'az2']]),
      maxReplicaLag: 0,
    });
    expect(JSON.stringify(settings)).not.toContain('Pass1');
  });

  it('accepts yes/no and true/false from the file, flags and SLOTGATE_* variables (flags win)', () => {
    expect(fromYaml('replica-read: yes\n').readRouting.replicaRead).toBe(true);
    expect(fromYaml('replica-read: "off"\n').readRouting.replicaRead).toBe(false);
    expect(fromYaml('replica-read: yes\n', ['--no-replica-read']).readRouting.replicaRead).toBe(false);
    expect(fromYaml('', ['--replica-read']).readRouting.replicaRead).toBe(true);
    expect(fromYaml('', ['--replica-read=no']).readRouting.replicaRead).toBe(false);
    expect(fromYaml('', [], { SLOTGATE_REPLICA_READ: 'yes', SLOTGATE_DISABLE_COMMAND_LIST: 'KEYS, Flushdb' })).toMatchObject({
      readRouting: { replicaRead: true },
      disabledCommands: ['keys', 'flushdb'],
    });
    expect(fromYaml('disable-command-list: [keys, "eval,evalsha", config|set]\n').disabledCommands).toEqual(['keys', 'eval', 'evalsha', 'config|set']);
    expect(errorOf('replica-read: maybe\n')).toBe("option replica-read: 'maybe' is not yes/no (or true/false)");
  });

  it('rejects accounts it cannot use, naming the account but never the password', () => {
    const accountYaml = (fields: string) => `replica-read: no\naccounts:\n  - ${fields.trim().split('\n').join('\n    ')}\n`;
    const cases: [string, string][] = [
      ['name: reader\npassword: "Secret#1"', 'option accounts[0] (reader): permission is required (read-only, read-write, admin)'],
      ['name: reader\npassword: "Secret#1"\npermission: superuser', "option accounts[0] (reader): permission: 'superuser' is not one of read-only, read-write, admin"],
      ['name: reader\npassword: "Secret#1"\npermission: read-only\nread-policy: replica', 'option accounts[0] (reader): read-policy replica needs replica-read on'],
      ['name: reader\npermission: read-only', 'option accounts[0] (reader): password is required and must be a non-empty string (quote it in YAML)'],
      ['name: reader\npassword: 12345678\npermission: read-only', 'option accounts[0] (reader): password is required and must be a non-empty string (quote it in YAML)'],
      ['name: reader\npassword: "#Secret#1"\npermission: read-only', 'option accounts[0] (reader): password starts with "#" but is not "#" followed by 64 hex digits (a SHA-256)'],
      ['name: default\npassword: "Secret#1"\npermission: read-only', "option accounts[0] (default): 'default' is the default account; set its password with requirepass"],
      ['name: "re@der"\npassword: "Secret#1"\npermission: read-only', "option accounts[0]: name must be 1-32 letters, digits, '_' or '-'"],
      ['name: reader\npassword: "Secret#1"\npermission: read-only\nrole: x', "option accounts[0] (reader): unknown key 'role' (expected name, password, permission, read-policy)"],
    ];
    for (const [fields, message] of cases) {
      expect(errorOf(accountYaml(fields)), fields).toBe(message);
      expect(message).not.toContain('Secret');
    }
    expect(errorOf('accounts:\n  - {name: a, password: "x1", permission: read-only}\n  - {name: a, password: "x2", permission: read-only}\n')).toBe(
      'option accounts[1] (a): the name is used twice',
    );
    expect(errorOf('accounts: reader\n')).toBe('option accounts: expected a list of accounts (name, password, permission, read-policy)');
  });

  it('checks disable-command-list against the instance\'s command table, a module\'s commands included', () => {
    const withTypo = { reloadable: fromYaml('disable-command-list: "keys,flushal"\n') } as SlotgateConfig;
    const catalog = new CommandCatalog();
    expect(() => checkDisabledCommands(catalog, withTypo)).toThrow(ConfigError);
    expect(() => checkDisabledCommands(catalog, withTypo)).toThrow(/'flushal' is not a Redis command/);
    // A module command: unknown to the table slotgate was built with, known once the backend's is read.
    const withModule = { reloadable: fromYaml('disable-command-list: "ft.search"\n') } as SlotgateConfig;
    expect(() => checkDisabledCommands(catalog, withModule)).toThrow(/'ft.search' is not a Redis command/);
    catalog.install(new CommandTable([...GENERATED_COMMANDS, { ...GENERATED_COMMANDS.find((c) => c.name === 'get')!, name: 'ft.search' }], 'with a module'));
    expect(() => checkDisabledCommands(catalog, withModule)).not.toThrow();
  });

  it('rejects the rest of what would silently misbehave', () => {
    expect(errorOf('requirepass: 0x1F\n')).toMatch(/option requirepass: must be a string \(quote it in YAML\)/);
    expect(errorOf('requirepass: "#abc"\n')).toBe('option requirepass: starts with "#" but is not "#" followed by 64 hex digits (a SHA-256)');
    expect(errorOf('read-local-node-only: yes\nzone: az1\n')).toBe('option read-local-node-only: needs replica-read on (it chooses among replicas)');
    expect(errorOf('replica-read: yes\nread-local-node-only: yes\n')).toBe("option read-local-node-only: needs zone, this proxy's zone");
    expect(errorOf('node-zones:\n  not-a-node: az1\n')).toBe("option node-zones: 'not-a-node' is neither host:port nor a 40-hex node id");
    expect(errorOf('node-zones:\n  "h:1": [a, b]\n')).toBe("option node-zones: the zone of 'h:1' must be one word");
    expect(errorOf('node-zones: [a]\n')).toBe('option node-zones: expected a mapping of "host:port" or node id → zone');
  });

  it('documents accounts with a worked example in --help', async () => {
    const help = await buildCli([]).getHelp();
    for (const text of ['--requirepass', '--disable-command-list', '--replica-read', '--read-local-node-only', '--zone', 'accounts:', 'permission: read-only', 'AUTH reader@Reader#Pass1', 'node-zones']) {
      expect(help).toContain(text);
    }
  });
});
