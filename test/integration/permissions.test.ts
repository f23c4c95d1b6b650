// The admin permission (README: *Accounts, read/write splitting, disabled commands, reload*, *Permissions*): operator commands need it, in their plain, node-targeted and
// MULTI-queued forms; read-only and read-write accounts get Redis's NOPERM. On a cluster of this
// file's own, because the admin accounts here really do flush it.
// The NOPERM texts come from the oracle: a standalone redis-server whose ACL user lacks the same
// commands gives the reply slotgate must give.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backendNodes, type BackendNodes } from '../helpers/backend-nodes.js';
import type { Cluster } from 'ioredis';
import { connectClusterClient, useDedicatedCluster } from '../helpers/cluster-fixture.js';
import { tempConfigFile, type TempConfigFile } from '../helpers/config-file.js';
import { converse, plain, type Command } from '../helpers/conversation.js';
import { RawClient, startProxy, type StartedProxy } from '../helpers/slotgate.js';
import { useStandaloneRedis } from '../helpers/standalone-redis.js';

const DEFAULT_PASSWORD = 'Default#Perm1';
const PASSWORDS = { reader: 'Reader#Perm1', writer: 'Writer#Perm1', operator: 'Operator#Perm1' } as const;
const ACCOUNTS_YAML = `requirepass: "${DEFAULT_PASSWORD}"
accounts:
  - name: reader
    password: "${PASSWORDS.reader}"
    permission: read-only
  - name: writer
    password: "${PASSWORDS.writer}"
    permission: read-write
  - name: operator
    password: "${PASSWORDS.operator}"
    permission: admin
`;
const EXECABORT = 'EXECABORT Transaction discarded because of previous errors.';
const noperm = (name: string) => `NOPERM this user has no permissions to run the '${name}' command`;

/** Operator commands in their plain form (all harmless to the oracle, which only refuses them). */
const ADMIN_COMMANDS: readonly Command[] = [
  ['MONITOR'], ['SCRIPT', 'FLUSH'], ['SCRIPT', 'KILL'], ['FUNCTION', 'FLUSH'], ['FUNCTION', 'DELETE', 'nolib'], ['FUNCTION', 'KILL'],
  ['FUNCTION', 'RESTORE', 'not-a-dump'], ['CONFIG', 'SET', 'slowlog-max-len', '100'], ['CONFIG', 'RESETSTAT'], ['CONFIG', 'REWRITE'],
  ['CONFIG', 'GET', 'slowlog-max-len'], ['SLOWLOG', 'RESET'], ['SLOWLOG', 'GET'], ['CLIENT', 'KILL', 'ID', '999999'], ['CLIENT', 'PAUSE', '1'],
  ['CLIENT', 'UNPAUSE'], ['CLIENT', 'LIST'], ['FLUSHALL'], ['FLUSHALL', 'ASYNC'], ['FLUSHDB'], ['SHUTDOWN', 'ABORT'],
  ['ACL', 'SETUSER', 'someone'], ['FAILOVER'], ['LATENCY', 'RESET'],
];
/** Operator commands the oracle cannot judge: IMONITOR is slotgate's; Redis refuses DEBUG for another reason first (enable-debug-command). */
const SLOTGATE_ONLY_ADMIN_COMMANDS: readonly [Command, string][] = [[['IMONITOR', '@0'], 'imonitor'], [['DEBUG', 'SLEEP', '0'], 'debug']];
/** The Redis ACL rule for "not admin": slotgate's rule, written as Redis ACL selectors. */
const NOT_ADMIN_ACL = ['-@admin', '-flushall', '-flushdb', '-swapdb', '-script|flush', '-script|kill', '-function|flush', '-function|delete', '-function|kill', '-function|restore'];

describe('the admin permission', () => {
  const cluster = useDedicatedCluster({ masters: 3, replicasPerMaster: 0 });
  const oracleClient = useStandaloneRedis();
  let oraclePort: number;
  let config: TempConfigFile;
  let proxy: StartedProxy;
  let backend: BackendNodes;
  let nodeId: string;
  let direct: Cluster;

  beforeAll(async () => {
    config = tempConfigFile(ACCOUNTS_YAML);
    proxy = await startProxy(cluster().seeds, ['--config', config.path]);
    backend = await backendNodes(cluster().seeds);
    nodeId = backend.masters[0]!.id;
    direct = connectClusterClient(cluster().seeds);
    const oracle = oracleClient();
    oraclePort = oracle.options.port!;
    await oracle.acl('SETUSER', 'reader', 'on', `>${PASSWORDS.reader}`, '~*', '&*', '+@all', '-@write', '-eval', '-evalsha', '-fcall', ...NOT_ADMIN_ACL);
    await oracle.acl('SETUSER', 'writer', 'on', `>${PASSWORDS.writer}`, '~*', '&*', '+@all', ...NOT_ADMIN_ACL);
  });
  afterAll(async () => {
    backend?.close();
    direct?.disconnect();
    await proxy?.close();
    config?.remove();
  });

  /** One key on every master, so a FLUSHALL/FLUSHDB that got through would show. */
  async function fillEveryMaster(tag: string): Promise<void> {
    for (let i = 0; i < 30; i++) await direct.set(`${tag}:${i}`, 'v');
    expect((await keysOnMasters()).every((n) => n > 0)).toBe(true);
  }
  const keysOnMasters = () => Promise.all(backend.masters.map((m) => m.client.dbsize()));
  const signIn = (name: keyof typeof PASSWORDS): Command => ['AUTH', name, PASSWORDS[name]];

  for (const name of ['reader', 'writer'] as const) {
    it(`gives a ${name === 'reader' ? 'read-only' : 'read-write'} account NOPERM for every operator command, as Redis does`, async () => {
      const viaProxy = await converse(proxy.port, [signIn(name), ...ADMIN_COMMANDS, ...SLOTGATE_ONLY_ADMIN_COMMANDS.map(([command]) => command), ['PING']]);
      const viaRedis = await converse(oraclePort, [signIn(name), ...ADMIN_COMMANDS, ['PING']]);
      expect(viaProxy).toEqual([...viaRedis.slice(0, -1), ...SLOTGATE_ONLY_ADMIN_COMMANDS.map(([, commandName]) => noperm(commandName)), 'PONG']);
      expect(viaProxy.slice(1, -1)).toEqual(viaProxy.slice(1, -1).map(() => expect.stringMatching(/^NOPERM this user has no permissions to run the '[a-z|]+' command$/)));
    });

    it(`refuses them to a ${name} account with a node suffix too, and lets INFO and DBSIZE through`, async () => {
      await fillEveryMaster(`node-${name}`);
      const before = await keysOnMasters();
      // Shard 1's slow log is not empty, so a SLOWLOG RESET that got through would show.
      const shard1 = backend.masters[1]!.client;
      await shard1.config('SET', 'slowlog-log-slower-than', '0');
      await shard1.ping();
      const replies = await converse(proxy.port, [
        signIn(name), ['FLUSHALL', '@0'], ['FLUSHALL', 'SYNC', '@1'], ['FLUSHDB', '@2'], ['FLUSHDB', nodeId], ['SLOWLOG', 'RESET', '@1'],
        ['SLOWLOG', 'GET', '10', '@0'], ['SLOWLOG', 'LEN', nodeId], ['CONFIG', 'GET', 'maxmemory', '@0'], ['INFO', 'server', nodeId], ['DBSIZE', '@0'],
      ]);
      expect(replies.slice(1, 9)).toEqual([
        noperm('flushall'), noperm('flushall'), noperm('flushdb'), noperm('flushdb'), noperm('slowlog|reset'), noperm('slowlog|get'), noperm('slowlog|len'), noperm('config|get'),
      ]);
      expect(replies[9]).toMatch(/^# Server\r\n/);
      expect(replies[10]).toBe(before[0]);
      expect(await keysOnMasters()).toEqual(before);
      expect(await shard1.call('SLOWLOG', 'LEN')).toBeGreaterThan(0);
      await shard1.config('SET', 'slowlog-log-slower-than', '10000');
    });

    it(`refuses them to a ${name} account while queueing in MULTI, and EXEC aborts`, async () => {
      await fillEveryMaster(`multi-${name}`);
      const before = await keysOnMasters();
      const judgedByRedis: Command[] = [...ADMIN_COMMANDS, ['FLUSHALL', '@0'], ['FLUSHDB', nodeId], ['CONFIG', 'GET', 'maxmemory', '@0']];
      const expected: [Command, string][] = [...SLOTGATE_ONLY_ADMIN_COMMANDS.map(([command, commandName]): [Command, string] => [command, noperm(commandName)])];
      for (const command of judgedByRedis) expected.push([command, (await converse(oraclePort, [signIn(name), command]))[1] as string]);
      for (const [command, refusal] of expected) {
        expect(refusal).toMatch(/^NOPERM /);
        expect(await converse(proxy.port, [signIn(name), ['MULTI'], command, ['EXEC']]), command.join(' ')).toEqual(['OK', 'OK', refusal, EXECABORT]);
      }
      expect(await keysOnMasters()).toEqual(before);
    });
  }

  it('lets an admin account run what the default account runs, in every form', async () => {
    // Same conversation, same replies (errors compared by text; other replies by kind).
    const conversation: Command[] = [
      ['SCRIPT', 'FLUSH'], ['FUNCTION', 'FLUSH'], ['FUNCTION', 'DELETE', 'nolib'], ['CONFIG', 'SET', 'slowlog-max-len', '100'], ['CONFIG', 'RESETSTAT'],
      ['CONFIG', 'GET', 'slowlog-max-len'], ['SLOWLOG', 'RESET', '@1'], ['SLOWLOG', 'GET', '1', '@0'], ['CLIENT', 'KILL', 'ID', '999999'], ['CLIENT', 'LIST'],
      ['FLUSHALL', '@0'], ['FLUSHDB', nodeId], ['FLUSHALL'], ['FLUSHDB'], ['DEBUG', 'SLEEP', '0'], ['CONFIG', 'GET', 'maxmemory', '@0'],
      ['MULTI'], ['FLUSHALL'], ['EXEC'],
    ];
    const kind = (reply: unknown) => (typeof reply === 'string' && /^[A-Z]+ /.test(reply) ? reply : 'ran');
    const asDefault = (await converse(proxy.port, [['AUTH', DEFAULT_PASSWORD], ...conversation])).map(kind);
    const asOperator = (await converse(proxy.port, [signIn('operator'), ...conversation])).map(kind);
    expect(asOperator).toEqual(asDefault);
    expect(asOperator.filter((reply) => reply.startsWith('NOPERM'))).toEqual([]);
    expect(asOperator.slice(1, 8)).toEqual(['ran', 'ran', 'ERR Library not found', 'ran', 'ran', 'ran', 'ran']);
    expect(await keysOnMasters()).toEqual([0, 0, 0]);
    for (const [account, auth] of [['default', ['AUTH', DEFAULT_PASSWORD]], ['operator', signIn('operator')]] as const) {
      for (const stream of [['MONITOR'], ['IMONITOR', '@0']]) {
        const c = await RawClient.connect(proxy.port);
        expect(plain(await c.call(...auth))).toBe('OK');
        expect(plain(await c.call(...stream)), `${account} ${stream.join(' ')}`).toBe('OK');
        c.close();
      }
    }
  });
});
