import { describe, expect, it } from 'vitest';
import type { Account } from '../../../src/auth/accounts.js';
import { commandRefusal, requiredPermission } from '../../../src/auth/command-gate.js';
import { FALLBACK_COMMAND_TABLE } from '../../../src/commands/command-table.js';

const readOnly: Account = { name: 'reader', permission: 'read-only', readPolicy: 'master' };
const readWrite: Account = { name: 'writer', permission: 'read-write', readPolicy: 'master' };
const admin: Account = { name: 'ops', permission: 'admin', readPolicy: 'master' };
const none = new Map<string, string>();

function refusal(account: Account | null, command: string, disabled = none): string | null {
  const error = commandRefusal(account, disabled, FALLBACK_COMMAND_TABLE.get(command)!);
  return error ? error.frame.toString().trim() : null;
}

describe('commandRefusal', () => {
  it('lets only AUTH, HELLO, PING and QUIT through before sign-in', () => {
    for (const command of ['auth', 'hello', 'ping', 'quit']) expect(refusal(null, command)).toBeNull();
    for (const command of ['get', 'echo', 'reset', 'client|id', 'multi']) expect(refusal(null, command)).toBe('-NOAUTH Authentication required.');
  });

  it('refuses writes and write-capable scripts to read-only accounts, with the full command name', () => {
    for (const command of ['set', 'del', 'xgroup|create', 'function|load', 'eval', 'evalsha', 'fcall', 'restore', 'migrate']) {
      expect(refusal(readOnly, command)).toBe(`-NOPERM this user has no permissions to run the '${command}' command`);
      expect(refusal(readWrite, command)).toBeNull();
      expect(refusal(admin, command)).toBeNull();
    }
    for (const command of ['get', 'eval_ro', 'evalsha_ro', 'fcall_ro', 'multi', 'exec', 'publish', 'info', 'cluster|slots', 'client|setname', 'client|id', 'keys']) {
      expect(refusal(readOnly, command)).toBeNull();
    }
  });

  it('refuses operator commands to every account below admin: Redis\'s admin flag, and the keyspace-wide ones', () => {
    const operatorCommands = [
      'monitor', 'imonitor', 'config|set', 'config|get', 'config|resetstat', 'config|rewrite', 'slowlog|reset', 'slowlog|get', 'client|kill', 'client|list',
      'client|pause', 'client|unpause', 'debug', 'acl|setuser', 'shutdown', 'latency|reset',
      'flushall', 'flushdb', 'swapdb', 'script|flush', 'script|kill', 'function|flush', 'function|delete', 'function|kill', 'function|restore',
    ];
    for (const command of operatorCommands) {
      for (const account of [readOnly, readWrite]) expect(refusal(account, command), `${account.name} ${command}`).toBe(`-NOPERM this user has no permissions to run the '${command}' command`);
      expect(refusal(admin, command), command).toBeNull();
    }
    expect(requiredPermission(FALLBACK_COMMAND_TABLE.get('script|load')!)).toBe('read-only');
    expect(requiredPermission(FALLBACK_COMMAND_TABLE.get('function|load')!)).toBe('read-write');
    expect(requiredPermission(FALLBACK_COMMAND_TABLE.get('flushall')!)).toBe('admin');
  });

  it('refuses disabled commands by their name or their container\'s, after NOAUTH and before NOPERM', () => {
    const disabled = new Map([['keys', 'keys'], ['config|set', 'config|set'], ['script', 'script'], ['set', 'set']]);
    expect(refusal(admin, 'keys', disabled)).toBe("-ERR command 'keys' is disabled");
    expect(refusal(admin, 'script|load', disabled)).toBe("-ERR command 'script' is disabled");
    expect(refusal(admin, 'config|set', disabled)).toBe("-ERR command 'config|set' is disabled");
    expect(refusal(admin, 'config|get', disabled)).toBeNull();
    expect(refusal(null, 'keys', disabled)).toBe('-NOAUTH Authentication required.');
    expect(refusal(readOnly, 'set', disabled)).toBe("-ERR command 'set' is disabled");
  });
});
