// redactSecrets against Redis 7 itself: its SLOWLOG shows the arguments it redacts.
import { describe, expect, it } from 'vitest';
import { redactSecrets } from '../../../src/auth/redact.js';
import { useStandaloneRedis } from '../../helpers/standalone-redis.js';

const shown = (...args: string[]) => redactSecrets(args.map((a) => Buffer.from(a))).map((a) => a.toString());

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
});
