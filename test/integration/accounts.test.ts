// Accounts and sign-in and disable-command-list (README: *Accounts, read/write splitting, disabled commands, reload*) through slotgate.
// Where Redis has the same rule, the oracle is a real standalone redis-server configured the same
// way (requirepass, and ACL users standing in for slotgate's accounts): both get the same bytes and
// must give the same replies. Where slotgate follows Tencent instead of Redis (name@password,
// passwordless mode, PING before AUTH, disabled commands), the README's texts are checked directly.
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Cluster } from 'ioredis';
import { connectClusterClient, sharedClusterSeeds } from '../helpers/cluster-fixture.js';
import { tempConfigFile, type TempConfigFile } from '../helpers/config-file.js';
import { converse, plain, repliesUntilClose, type Command } from '../helpers/conversation.js';
import { RawClient, startProxy, type StartedProxy } from '../helpers/slotgate.js';
import { useStandaloneRedis } from '../helpers/standalone-redis.js';

// The default password reads like `reader@<reader's password>`: AUTH with it must sign in as
// the DEFAULT account (checked first), not as reader.
const DEFAULT_PASSWORD = 'reader@Default#1';
const READER_PASSWORD = 'Default#1';
const WRITER_PASSWORD = 'pa@ss:Writer#1'; // an @ inside: name@password splits at the FIRST @
const HASHED_PASSWORD = 'Hashed#Pass1';
const sha256hex = (text: string) => createHash('sha256').update(text).digest('hex');

const ACCOUNTS_YAML = `
accounts:
  - name: reader
    password: "${READER_PASSWORD}"
    permission: read-only
    read-policy: master
  - name: writer
    password: "${WRITER_PASSWORD}"
    permission: read-write
  - name: hashed
    password: "#${sha256hex(HASHED_PASSWORD)}"
    permission: read-only
`;

function resp(...args: string[]): string {
  return `*${args.length}\r\n` + args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('');
}

describe('accounts and sign-in', () => {
  const oracleClient = useStandaloneRedis();
  let oraclePort: number;
  let config: TempConfigFile;
  let proxy: StartedProxy;
  let direct: Cluster;
  const run = Date.now().toString(36);
  const key = `{acct${run}}k`;

  beforeAll(async () => {
    config = tempConfigFile(`requirepass: "${DEFAULT_PASSWORD}"\n${ACCOUNTS_YAML}`);
    proxy = await startProxy(sharedClusterSeeds(), ['--config', config.path]);
    direct = connectClusterClient(sharedClusterSeeds());
    await direct.set(key, 'original');
    // The oracle: the same default password; ACL users with the same rights as the accounts.
    const oracle = oracleClient();
    oraclePort = oracle.options.port!;
    await oracle.acl('SETUSER', 'reader', 'on', `>${READER_PASSWORD}`, '~*', '&*', '+@all', '-@write', '-eval', '-evalsha', '-fcall', '-config|set');
    await oracle.acl('SETUSER', 'writer', 'on', `>${WRITER_PASSWORD}`, '~*', '&*', '+@all');
    await oracle.set(key, 'original');
    await oracle.config('SET', 'requirepass', DEFAULT_PASSWORD); // this connection stays signed in
  });
  afterAll(async () => {
    direct?.disconnect();
    await proxy?.close();
    config?.remove();
  });

  /** The same conversation with slotgate and with the oracle must give the same replies. */
  async function expectSameAsRedis(commands: readonly Command[]): Promise<unknown[]> {
    const viaProxy = await converse(proxy.port, commands);
    expect(viaProxy).toEqual(await converse(oraclePort, commands));
    return viaProxy;
  }

  it('refuses everything but AUTH, HELLO, PING and QUIT before sign-in, with Redis texts', async () => {
    const replies = await expectSameAsRedis([
      ['GET', key], ['SET', key, 'x'], ['CLIENT', 'ID'], ['MULTI'], ['ECHO', 'hi'], ['HELLO', '2'], ['HELLO'],
      ['NOSUCHCOMMAND'], ['GET'], // lookup errors come first, as in Redis
      ['AUTH', 'wrong'], ['AUTH', 'reader', 'wrong'], ['AUTH', 'ghost', READER_PASSWORD], ['AUTH', 'a', 'b', 'c'],
      ['HELLO', '2', 'AUTH', 'reader', 'wrong'], ['HELLO', '2', 'AUTH', 'default', READER_PASSWORD],
      ['GET', key],
    ]);
    expect(replies[0]).toBe('NOAUTH Authentication required.');
    expect(replies[9]).toBe('WRONGPASS invalid username-password pair or user is disabled.');
    // README (*Signing in*): "Until then only `AUTH`, `HELLO`, `PING` and `QUIT` work". Unlike Redis,
    // PING is answered before sign-in; QUIT works as everywhere; RESET, which Redis also allows, is refused.
    expect(await converse(proxy.port, [['PING'], ['PING', 'x'], ['RESET'], ['GET', key], ['QUIT']])).toEqual([
      'PONG', 'x', 'NOAUTH Authentication required.', 'NOAUTH Authentication required.', 'OK',
    ]);
    // and nothing reached the cluster
    expect(await direct.get(key)).toBe('original');
  });

  it('checks AUTH <secret> against the default password first, even when it contains @', async () => {
    // "reader@Default#1" is the default password AND reader's name@password: default wins, so SET works.
    const replies = await expectSameAsRedis([['AUTH', DEFAULT_PASSWORD], ['SET', `${key}:d`, 'v'], ['GET', `${key}:d`]]);
    expect(replies).toEqual(['OK', 'OK', 'v']);
    expect(await converse(proxy.port, [['AUTH', 'default', DEFAULT_PASSWORD], ['SET', `${key}:d`, 'w']])).toEqual(['OK', 'OK']);
  });

  it('signs custom accounts in with name@password (split at the first @) and with AUTH name password', async () => {
    const WRONG = 'WRONGPASS invalid username-password pair or user is disabled.';
    // writer's password holds an @: "writer@pa@ss:Writer#1" is writer + "pa@ss:Writer#1".
    expect(await converse(proxy.port, [['AUTH', `writer@${WRITER_PASSWORD}`], ['SET', `${key}:w`, '1']])).toEqual(['OK', 'OK']);
    expect(await converse(proxy.port, [['AUTH', 'writer', WRITER_PASSWORD], ['INCR', `${key}:w`]])).toEqual(['OK', 2]);
    expect(await converse(proxy.port, [['AUTH', `reader@${READER_PASSWORD}x`], ['AUTH', 'writer@pa'], ['AUTH', `ghost@${READER_PASSWORD}`], ['AUTH', `@${READER_PASSWORD}`], ['GET', key]])).toEqual([
      WRONG, WRONG, WRONG, WRONG, 'NOAUTH Authentication required.',
    ]);
    // A password stored as "#<sha256>": the plain password works, the hash itself does not.
    expect(await converse(proxy.port, [['AUTH', `hashed@${sha256hex(HASHED_PASSWORD)}`], ['AUTH', `hashed@${HASHED_PASSWORD}`], ['GET', key]])).toEqual([
      WRONG, 'OK', 'original',
    ]);
    // Real clients: ioredis sends AUTH <password>, or AUTH <username> <password>.
    const asWriter = proxy.client({ password: `writer@${WRITER_PASSWORD}` });
    expect(await asWriter.set(`${key}:io`, 'x')).toBe('OK');
    const asReader = proxy.client({ username: 'reader', password: READER_PASSWORD });
    expect(await asReader.get(key)).toBe('original');
    await expect(asReader.set(key, 'x')).rejects.toThrow("NOPERM this user has no permissions to run the 'set' command");
  });

  it('keeps a failed AUTH from changing who the connection is, and RESET signs out, as Redis does', async () => {
    await expectSameAsRedis([
      ['AUTH', 'reader', READER_PASSWORD], ['AUTH', 'writer', 'wrong'], ['SET', key, 'x'], ['GET', key],
      ['RESET'], ['GET', key], ['AUTH', 'writer', WRITER_PASSWORD], ['SET', `${key}:r`, 'y'],
    ]);
  });

  it('supports HELLO 2|3 AUTH name password (and SETNAME after sign-in), refuses HELLO 4 before signing in', async () => {
    const c = await RawClient.connect(proxy.port);
    const hello = plain(await c.call('HELLO', '2', 'AUTH', 'reader', READER_PASSWORD, 'SETNAME', 'app-1')) as unknown[];
    expect(hello.slice(0, 2)).toEqual(['server', 'redis']);
    expect(plain(await c.call('CLIENT', 'GETNAME'))).toBe('app-1');
    expect(plain(await c.call('SET', key, 'x'))).toBe("NOPERM this user has no permissions to run the 'set' command");
    expect(plain(await c.call('HELLO', '2', 'AUTH', 'default', DEFAULT_PASSWORD))).toEqual(expect.arrayContaining(['proto', 2]));
    expect(plain(await c.call('SET', `${key}:hello`, 'x'))).toBe('OK');
    c.close();
    expect(await converse(proxy.port, [['HELLO', '4', 'AUTH', 'default', DEFAULT_PASSWORD], ['GET', key]])).toEqual([
      'NOPROTO unsupported protocol version',
      'NOAUTH Authentication required.',
    ]);
    const [hello3, set] = await converse(proxy.port, [['HELLO', '3', 'AUTH', 'default', DEFAULT_PASSWORD], ['SET', `${key}:hello3`, 'x']]);
    expect(hello3).toEqual(expect.arrayContaining(['proto', 3]));
    expect(set).toBe('OK');
  });

  it('gives read-only accounts NOPERM for every kind of write, exactly as a Redis ACL user without @write', async () => {
    const k = (suffix: string) => `${key}:${suffix}`;
    const writes: Command[] = [
      ['SET', key, 'changed'], ['APPEND', key, 'x'], ['INCR', k('n')], ['SETRANGE', key, '0', 'x'], ['MSET', key, '1', k('b'), '2'],
      ['HSET', k('h'), 'f', 'v'], ['HINCRBY', k('h'), 'f', '1'], ['LPUSH', k('l'), 'a'], ['RPOP', k('l')], ['LMOVE', k('l'), k('l2'), 'LEFT', 'RIGHT'],
      ['SADD', k('s'), 'a'], ['SPOP', k('s')], ['ZADD', k('z'), '1', 'a'], ['ZPOPMIN', k('z')], ['XADD', k('x'), '*', 'f', 'v'],
      ['XGROUP', 'CREATE', k('x'), 'g', '$', 'MKSTREAM'], ['PFADD', k('p'), 'a'], ['GEOADD', k('g'), '13.36', '38.11', 'P'],
      ['SETBIT', k('bits'), '7', '1'], ['BITOP', 'AND', k('dst'), key], ['DEL', key], ['UNLINK', key], ['EXPIRE', key, '10'],
      ['PERSIST', key], ['RENAME', key, k('renamed')], ['COPY', key, k('copy')], ['SORT', key, 'STORE', k('sorted')],
      ['FLUSHALL'], ['FLUSHDB'], ['EVAL', 'return 1', '0'], ['EVALSHA', 'e0e1f9fabfc9d4800c877a703b823ac0578ff8db', '0'],
      ['FCALL', 'nosuchfunction', '0'], ['FUNCTION', 'FLUSH'], ['CONFIG', 'SET', 'maxmemory', '0'],
    ];
    const replies = await expectSameAsRedis([['AUTH', 'reader', READER_PASSWORD], ...writes]);
    expect(replies.slice(1)).toEqual(writes.map(() => expect.stringMatching(/^NOPERM this user has no permissions to run the '[a-z|]+' command$/)));
    // Reads, read-only scripts and keyless reads still work.
    expect(await converse(proxy.port, [['AUTH', 'reader', READER_PASSWORD], ['GET', key], ['EXISTS', key], ['EVAL_RO', 'return 7', '0'], ['STRLEN', key]])).toEqual([
      'OK', 'original', 1, 7, 8,
    ]);
    // None of the writes reached the cluster.
    expect(await direct.get(key)).toBe('original');
    for (const name of ['h', 'l', 's', 'z', 'x', 'copy', 'n', 'p', 'g', 'bits', 'dst', 'renamed', 'sorted', 'l2']) expect(await direct.exists(k(name)), name).toBe(0);
  });

  it('refuses a read-only account\'s writes inside MULTI at queue time, and EXEC aborts', async () => {
    const replies = await expectSameAsRedis([['AUTH', 'reader', READER_PASSWORD], ['MULTI'], ['GET', key], ['SET', key, 'x'], ['EXEC'], ['GET', key]]);
    expect(replies).toEqual([
      'OK', 'OK', 'QUEUED', "NOPERM this user has no permissions to run the 'set' command",
      'EXECABORT Transaction discarded because of previous errors.', 'original',
    ]);
    const metrics = await proxy.handle.context.metrics.registry.getSingleMetricAsString('slotgate_proxy_errors_total');
    expect(metrics).toMatch(/kind="noperm"} [1-9]/);
    expect(metrics).toMatch(/kind="auth"} [1-9]/);
  });

  it('shows AUTH and HELLO in MONITOR with their secrets redacted, successful or not', async () => {
    const monitor = await RawClient.connect(proxy.port);
    expect(plain(await monitor.call('AUTH', DEFAULT_PASSWORD))).toBe('OK');
    expect(plain(await monitor.call('MONITOR'))).toBe('OK');
    const sentinel = `end-of-monitor-test-${run}`;
    await converse(proxy.port, [
      ['AUTH', `writer@${WRITER_PASSWORD}`], ['AUTH', 'reader', `${READER_PASSWORD}x`], ['HELLO', '2', 'AUTH', 'reader', READER_PASSWORD, 'SETNAME', 'mon'],
      ['AUTH', DEFAULT_PASSWORD], ['ECHO', sentinel],
    ]);
    const lines: string[] = [];
    while (!lines.some((line) => line.includes(sentinel))) lines.push(String(plain(await monitor.next())));
    monitor.close();
    const feed = lines.join('\n');
    for (const secret of [WRITER_PASSWORD, READER_PASSWORD, DEFAULT_PASSWORD, 'writer@', 'pa@ss']) expect(feed).not.toContain(secret);
    expect(feed).toContain('"AUTH" "(redacted)"');
    expect(feed).toContain('"AUTH" "(redacted)" "(redacted)"');
    expect(feed).toContain('"HELLO" "2" "AUTH" "(redacted)" "(redacted)" "SETNAME" "mon"');
  });

  it('limits requests before sign-in like Redis (10 arguments, 16 KB each), and not after', async () => {
    const tooManyArgs = resp('MSET', ...Array.from({ length: 10 }, (_, i) => `${key}:${i}`));
    expect(await repliesUntilClose(proxy.port, tooManyArgs)).toEqual(await repliesUntilClose(oraclePort, tooManyArgs));
    const bigBulk = `*3\r\n$3\r\nSET\r\n$${key.length}\r\n${key}\r\n$${16 * 1024 + 1}\r\n`;
    const viaProxy = await repliesUntilClose(proxy.port, bigBulk);
    expect(viaProxy).toEqual(await repliesUntilClose(oraclePort, bigBulk));
    expect(viaProxy).toEqual(['ERR Protocol error: unauthenticated bulk length']);
    // AUTH pipelined in the same write lifts the limits for the very next command, as in Redis.
    const signedIn = resp('AUTH', 'writer', WRITER_PASSWORD) + resp('MSET', ...Array.from({ length: 12 }, (_, i) => `${key}:m${i % 6}`)) + resp('SET', `${key}:big`, 'v'.repeat(20_000)) + resp('STRLEN', `${key}:big`) + resp('QUIT');
    const expected = ['OK', 'OK', 'OK', 20_000, 'OK'];
    expect(await repliesUntilClose(proxy.port, signedIn)).toEqual(expected);
    expect(await repliesUntilClose(oraclePort, signedIn)).toEqual(expected);
  });
});

describe('passwordless mode', () => {
  let config: TempConfigFile;
  let proxy: StartedProxy;
  const run = Date.now().toString(36);

  beforeAll(async () => {
    config = tempConfigFile(ACCOUNTS_YAML);
    proxy = await startProxy(sharedClusterSeeds(), ['--config', config.path]);
  });
  afterAll(async () => {
    await proxy?.close();
    config?.remove();
  });

  it('starts connections as the default account and fails a non-empty secret that matches no account', async () => {
    const WRONG = 'WRONGPASS invalid username-password pair or user is disabled.';
    const k = `{nopass${run}}k`;
    expect(await converse(proxy.port, [['SET', k, 'v'], ['HELLO', '2'], ['AUTH', 'anything'], ['AUTH', 'default', 'anything'], ['SET', k, 'w']])).toEqual([
      'OK', expect.arrayContaining(['server', 'redis']), WRONG, WRONG, 'OK',
    ]);
    expect(await converse(proxy.port, [['AUTH', ''], ['AUTH', 'default', ''], ['GET', k]])).toEqual(['OK', 'OK', 'w']);
    expect(await converse(proxy.port, [['AUTH', `reader@${READER_PASSWORD}`], ['GET', k], ['SET', k, 'x'], ['AUTH', 'writer', WRITER_PASSWORD], ['SET', k, 'y']])).toEqual([
      'OK', 'w', "NOPERM this user has no permissions to run the 'set' command", 'OK', 'OK',
    ]);
    // No unauthenticated-client limits: the connection is signed in from the start.
    expect(await repliesUntilClose(proxy.port, resp('MSET', ...Array.from({ length: 12 }, (_, i) => `${k}${i % 6}`)) + resp('QUIT'))).toEqual(['OK', 'OK']);
  });
});

describe('disable-command-list', () => {
  let proxy: StartedProxy;
  let listProxy: StartedProxy;
  let config: TempConfigFile;
  let direct: Cluster;
  let nodeId: string;
  const run = Date.now().toString(36);
  const key = `{disabled${run}}k`;

  beforeAll(async () => {
    proxy = await startProxy(sharedClusterSeeds(), ['--disable-command-list', 'keys,FlushAll, del ,config|set', '--requirepass', DEFAULT_PASSWORD]);
    config = tempConfigFile('disable-command-list:\n  - hgetall\n  - "eval,evalsha"\n');
    listProxy = await startProxy(sharedClusterSeeds(), ['--config', config.path]);
    direct = connectClusterClient(sharedClusterSeeds());
    await direct.set(key, 'kept');
    await direct.hset(`${key}:h`, 'f', 'v');
    nodeId = String(await direct.nodes('master')[0]!.call('CLUSTER', 'MYID'));
  });
  afterAll(async () => {
    direct?.disconnect();
    await proxy?.close();
    await listProxy?.close();
    config?.remove();
  });

  it('answers disabled commands with an error, any case, node suffix or not, and sends nothing to the cluster', async () => {
    const replies = await converse(proxy.port, [
      ['KEYS', '*'], // before sign-in: NOAUTH comes first, the configuration is not revealed
      ['AUTH', DEFAULT_PASSWORD],
      ['KEYS', '*'], ['keys', `${key}*`], ['KEYS', '*', '@0'], ['KEYS', '*', nodeId],
      ['FLUSHALL'], ['flushall', 'ASYNC'], ['DEL', key], ['CONFIG', 'SET', 'maxmemory', '0'], ['GET', key],
    ]);
    expect(replies).toEqual([
      'NOAUTH Authentication required.', 'OK',
      "ERR command 'keys' is disabled", "ERR command 'keys' is disabled", "ERR command 'keys' is disabled", "ERR command 'keys' is disabled",
      "ERR command 'flushall' is disabled", "ERR command 'flushall' is disabled", "ERR command 'del' is disabled",
      "ERR command 'config|set' is disabled", 'kept',
    ]);
    expect(await direct.get(key)).toBe('kept'); // FLUSHALL and DEL did not run
    const metrics = await proxy.handle.context.metrics.registry.getSingleMetricAsString('slotgate_proxy_errors_total');
    expect(metrics).toMatch(/kind="disabled"} 8/);
  });

  it('aborts a transaction in which a disabled command was queued', async () => {
    expect(await converse(proxy.port, [['AUTH', DEFAULT_PASSWORD], ['MULTI'], ['SET', key, 'changed'], ['DEL', key], ['EXEC'], ['GET', key]])).toEqual([
      'OK', 'OK', 'QUEUED', "ERR command 'del' is disabled", 'EXECABORT Transaction discarded because of previous errors.', 'kept',
    ]);
  });

  it('takes the list from a YAML list in the config file too', async () => {
    expect(await converse(listProxy.port, [['HGETALL', `${key}:h`], ['EVAL', 'return 1', '0'], ['EVALSHA', 'e0e1f9fabfc9d4800c877a703b823ac0578ff8db', '0'], ['HGET', `${key}:h`, 'f']])).toEqual([
      "ERR command 'hgetall' is disabled", "ERR command 'eval' is disabled", "ERR command 'evalsha' is disabled", 'v',
    ]);
  });
});
