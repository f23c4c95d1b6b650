// No secret reaches slotgate's MONITOR feed (README: passwords never appear in `MONITOR`): the feed must show what a Redis 7 MONITOR
// shows for the same commands, line by line (arguments, redactions, and which commands appear at
// all), and commands slotgate refuses (unsupported, NOPERM, disabled, protected CONFIG SET) must
// not leak what they carried either.
// The oracle is a standalone redis-server with MONITOR on. `config-set: deny` keeps any CONFIG
// SET away from the shared cluster, whatever the code under test does.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sharedClusterSeeds } from '../helpers/cluster-fixture.js';
import { tempConfigFile, type TempConfigFile } from '../helpers/config-file.js';
import { converse, plain, type Command } from '../helpers/conversation.js';
import { RawClient, startProxy, type StartedProxy } from '../helpers/slotgate.js';
import { useStandaloneRedis } from '../helpers/standalone-redis.js';

const DEFAULT_PASSWORD = 'Default#Mon1';
const READER_PASSWORD = 'Reader#Mon1';
// The secrets the commands below carry: none may appear in a feed.
const SECRETS = {
  migrate: 'Migrate#Secret1',
  acl: 'Acl#Secret1',
  requirepass: 'Requirepass#Secret1',
  masterauth: 'Masterauth#Secret1',
  masteruser: 'Masteruser#Secret1',
  tls: 'TlsKey#Secret1',
  hello: 'Hello#Secret1',
} as const;
const ACCOUNTS = `requirepass: "${DEFAULT_PASSWORD}"
config-set: deny
accounts:
  - name: reader
    password: "${READER_PASSWORD}"
    permission: read-only
`;

/** A MONITOR line without its timestamp and client: what was run, as shown. */
const shownPart = (line: string) => line.replace(/^\d+\.\d{6} \[0 [^\]]+\] /, '');

describe('MONITOR and secrets', () => {
  const oracleClient = useStandaloneRedis();
  let oraclePort: number;
  let config: TempConfigFile;
  let disabledConfig: TempConfigFile;
  let proxy: StartedProxy;
  let disabledProxy: StartedProxy;
  const run = Date.now().toString(36);
  const key = `{mon${run}}k`;

  beforeAll(async () => {
    config = tempConfigFile(ACCOUNTS);
    disabledConfig = tempConfigFile(`${ACCOUNTS}disable-command-list: [migrate, "config|set", acl, hello]\n`);
    proxy = await startProxy(sharedClusterSeeds(), ['--config', config.path]);
    disabledProxy = await startProxy(sharedClusterSeeds(), ['--config', disabledConfig.path]);
    const oracle = oracleClient();
    oraclePort = oracle.options.port!;
    await oracle.acl('SETUSER', 'reader', 'on', `>${READER_PASSWORD}`, '~*', '&*', '+@all', '-@write', '-@admin');
  });
  afterAll(async () => {
    await proxy?.close();
    await disabledProxy?.close();
    config?.remove();
    disabledConfig?.remove();
  });

  /** Runs `conversations` (one connection each) while a MONITOR on `port` watches; the lines it saw. */
  async function monitored(port: number, monitorAuth: Command | null, conversations: readonly (readonly Command[])[]): Promise<string[]> {
    const monitor = await RawClient.connect(port);
    if (monitorAuth) expect(plain(await monitor.call(...monitorAuth))).toBe('OK');
    expect(plain(await monitor.call('MONITOR'))).toBe('OK');
    const sentinel = `end-of-feed-${run}-${Math.random()}`;
    for (const conversation of conversations) await converse(port, conversation);
    const end: Command[] = monitorAuth ? [monitorAuth, ['ECHO', sentinel]] : [['ECHO', sentinel]];
    await converse(port, end);
    const lines: string[] = [];
    while (!lines.some((line) => line.includes(sentinel))) lines.push(String(plain(await monitor.next())));
    monitor.close();
    // Without the sentinel conversation (its sign-in and ECHO).
    return lines.map(shownPart).slice(0, monitorAuth ? -2 : -1);
  }

  function expectNoSecret(lines: readonly string[]): void {
    const feed = lines.join('\n');
    for (const secret of [...Object.values(SECRETS), DEFAULT_PASSWORD, READER_PASSWORD]) expect(feed).not.toContain(secret);
  }

  // Everything with a secret in it that Redis knows, as the default account sends it.
  const asDefault: Command[] = [
    ['AUTH', DEFAULT_PASSWORD],
    ['AUTH', 'default', DEFAULT_PASSWORD],
    ['HELLO', '2', 'AUTH', 'default', SECRETS.hello, 'SETNAME', 'mon-test'],
    ['MIGRATE', '127.0.0.1', '1', `${key}:none`, '0', '100', 'AUTH', SECRETS.migrate],
    ['MIGRATE', '127.0.0.1', '1', '', '0', '100', 'COPY', 'AUTH2', 'miguser', SECRETS.migrate, 'KEYS', `${key}:a`, `${key}:b`],
    ['ACL', 'SETUSER', 'carol', 'on', `>${SECRETS.acl}`, '~*'],
    ['CONFIG', 'SET', 'requirepass', SECRETS.requirepass],
    ['CONFIG', 'SET', 'maxmemory-policy', 'noeviction', 'masterauth', SECRETS.masterauth, 'MASTERUSER', SECRETS.masteruser],
    ['CONFIG', 'SET', 'tls-key-file-pass', SECRETS.tls],
    // The oracle really applied those: clear them again (hidden from MONITOR as well).
    ['CONFIG', 'SET', 'requirepass', '', 'masterauth', '', 'masteruser', ''],
    ['ACL', 'DELUSER', 'carol'],
    ['SET', key, 'v'], ['GET', key],
  ];
  // The same, from a read-only account: NOPERM for everything but AUTH, HELLO and GET.
  const asReader: Command[] = [
    ['AUTH', 'reader', READER_PASSWORD],
    ['HELLO', '2', 'AUTH', 'reader', SECRETS.hello],
    ['MIGRATE', '127.0.0.1', '1', '', '0', '100', 'AUTH2', 'miguser', SECRETS.migrate, 'KEYS', `${key}:a`],
    ['ACL', 'SETUSER', 'dan', `>${SECRETS.acl}`],
    ['CONFIG', 'SET', 'masterauth', SECRETS.masterauth],
    ['GET', key],
  ];

  it('shows what Redis 7 shows, line by line, for the default account and a read-only one', async () => {
    const viaProxy = await monitored(proxy.port, ['AUTH', DEFAULT_PASSWORD], [asDefault, asReader]);
    const viaRedis = await monitored(oraclePort, null, [asDefault, asReader]);
    expect(viaProxy).toEqual(viaRedis);
    expect(viaProxy).toContain('"HELLO" "2" "AUTH" "(redacted)" "(redacted)" "SETNAME" "mon-test"');
    expect(viaProxy).toContain('"MIGRATE" "127.0.0.1" "1" "" "0" "100" "COPY" "AUTH2" "(redacted)" "(redacted)" "KEYS" ' + `"${key}:a" "${key}:b"`);
    expectNoSecret(viaProxy);
  });

  it('shows no secret of the commands slotgate refuses: unsupported, protected CONFIG SET, NOPERM, disabled', async () => {
    const refused: Command[] = [
      ['AUTH', DEFAULT_PASSWORD],
      ['CONFIG', 'SET', 'masterauth', SECRETS.masterauth], // protected
      ['CONFIG', 'SET', 'slowlog-max-len', '1000', 'requirepass', SECRETS.requirepass], // protected, in the second pair
      ['ACL', 'SETUSER', 'erin', `>${SECRETS.acl}`], // not supported through slotgate
    ];
    const replies = await converse(proxy.port, refused);
    expect(replies.slice(1)).toEqual([
      "ERR CONFIG SET of 'masterauth' is not allowed through this proxy (protected parameter)",
      "ERR CONFIG SET of 'requirepass' is not allowed through this proxy (protected parameter)",
      expect.stringMatching(/^ERR /),
    ]);
    expectNoSecret(await monitored(proxy.port, ['AUTH', DEFAULT_PASSWORD], [refused, asReader]));
    // MIGRATE, CONFIG SET, ACL and HELLO disabled there.
    const disabledFeed = await monitored(disabledProxy.port, ['AUTH', DEFAULT_PASSWORD], [asDefault, asReader]);
    expectNoSecret(disabledFeed);
    expect(disabledFeed).toContain(`"GET" "${key}"`);
  });
});
