import { describe, expect, it } from 'vitest';
import type { Account } from '../../../src/auth/accounts.js';
import { commandRefusal } from '../../../src/auth/command-gate.js';
import { getCommandSpec } from '../../../src/commands/command-table.js';

const readOnly: Account = { name: 'reader', permission: 'read-only', readPolicy: 'master' };
const readWrite: Account = { name: 'writer', permission: 'read-write', readPolicy: 'master' };
const none = new Map<string, string>();

function refusal(account: Account | null, command: string, disabled = none): string | null {
  const error = commandRefusal(account, disabled, getCommandSpec(command)!);
  return error ? error.frame.toString().trim() : null;
}

describe('commandRefusal', () => {
  it('lets only AUTH, HELLO, PING and QUIT through before sign-in', () => {
    for (const command of ['auth', 'hello', 'ping', 'quit']) expect(refusal(null, command)).toBeNull();
    for (const command of ['get', 'echo', 'reset', 'client|id', 'multi']) expect(refusal(null, command)).toBe('-NOAUTH Authentication required.');
  });

  it('refuses writes, write-capable scripts and CONFIG SET to read-only accounts, with the full command name', () => {
    for (const command of ['set', 'del', 'flushall', 'xgroup|create', 'function|load', 'eval', 'evalsha', 'fcall', 'config|set']) {
      expect(refusal(readOnly, command)).toBe(`-NOPERM this user has no permissions to run the '${command}' command`);
      expect(refusal(readWrite, command)).toBeNull();
    }
    for (const command of ['get', 'eval_ro', 'evalsha_ro', 'fcall_ro', 'multi', 'exec', 'config|get', 'publish']) expect(refusal(readOnly, command)).toBeNull();
  });

  it('refuses disabled commands by their name or their container\'s, after NOAUTH and before NOPERM', () => {
    const disabled = new Map([['keys', 'keys'], ['config|set', 'config|set'], ['script', 'script'], ['set', 'set']]);
    expect(refusal(readWrite, 'keys', disabled)).toBe("-ERR command 'keys' is disabled");
    expect(refusal(readWrite, 'script|load', disabled)).toBe("-ERR command 'script' is disabled");
    expect(refusal(readWrite, 'config|set', disabled)).toBe("-ERR command 'config|set' is disabled");
    expect(refusal(readWrite, 'config|get', disabled)).toBeNull();
    expect(refusal(null, 'keys', disabled)).toBe('-NOAUTH Authentication required.');
    expect(refusal(readOnly, 'set', disabled)).toBe("-ERR command 'set' is disabled");
  });
});
