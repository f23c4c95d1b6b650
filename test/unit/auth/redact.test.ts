import { describe, expect, it } from 'vitest';
import { redactSecrets } from '../../../src/auth/redact.js';
import { useStandaloneRedis } from '../commands/standalone-redis.js';

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

describe('redactSecrets against Redis 7 (its SLOWLOG shows what it redacts)', () => {
  const oracle = useStandaloneRedis();
  // Every call site of Redis's redactClientCommandArgument, each as Redis would log it.
  const commands: string[][] = [
    ['AUTH', 'auth-pw'], ['auth', 'someone', 'auth-pw'],
    ['HELLO', '2', 'AUTH', 'default', 'hello-pw', 'SETNAME', 'app'], ['hello', '2', 'SETNAME', 'auth', 'AUTH', 'default', 'hello-pw'],
    ['MIGRATE', '127.0.0.1', '1', 'nokey', '0', '100', 'AUTH', 'migrate-pw'],
    ['MIGRATE', '127.0.0.1', '1', '', '0', '100', 'COPY', 'AUTH2', 'miguser', 'migrate-pw', 'KEYS', 'a', 'b'],
    ['ACL', 'SETUSER', 'carol', 'on', '>carol-pw', '~*', '+@all'], ['acl', 'setuser', 'carol'], ['ACL', 'SETUSER', 'dan', '>dan-pw', 'not-a-rule'],
    ['CONFIG', 'SET', 'masterauth', 'master-pw', 'maxmemory-policy', 'allkeys-lru', 'MasterUser', 'master-user'],
    ['config', 'set', 'RequirePass', 'require-pw'], ['CONFIG', 'SET', 'requirepass', ''], ['CONFIG', 'SET', 'slowlog-max-len', '128'],
    ['CONFIG', 'SET', 'nosuchparameter', 'value'], ['SET', 'auth', 'value'],
  ];

  it('hides exactly the arguments Redis hides', async () => {
    const redis = oracle();
    await redis.config('SET', 'slowlog-log-slower-than', '0');
    await redis.call('SLOWLOG', 'RESET');
    for (const command of commands) await redis.call(command[0]!, ...command.slice(1)).catch(() => undefined);
    // Once requirepass was set this connection stays signed in; the CONFIG SET after it cleared it.
    const entries = (await redis.call('SLOWLOG', 'GET', '100')) as [number, number, number, string[]][];
    const logged = entries.map((entry) => entry[3]).reverse().filter((args) => args[0]!.toLowerCase() !== 'slowlog');
    expect(logged).toEqual(commands.map((command) => shown(...command)));
  });

  it('also hides the TLS key passphrases, which Redis 7.0 still shows', () => {
    expect(shown('CONFIG', 'SET', 'tls-key-file-pass', 'k', 'tls-client-key-file-pass', 'c', 'tls-port', '0')).toEqual([
      'CONFIG', 'SET', 'tls-key-file-pass', '(redacted)', 'tls-client-key-file-pass', '(redacted)', 'tls-port', '0',
    ]);
  });
});
