// CommandTable.lookup and the generated table against a real redis-server: the server's error replies
// are the expected texts, and its live COMMAND reply is the expected metadata.
import { describe, expect, it } from 'vitest';
import { FALLBACK_COMMAND_TABLE } from '../../../src/commands/command-table.js';
import { GENERATED_FROM_REDIS_VERSION } from '../../../src/commands/command-table.generated.js';
import { parseRedisInteger } from '../../../src/commands/argument-bytes.js';
import { replyOrError, useStandaloneRedis } from '../../helpers/standalone-redis.js';

const redis = useStandaloneRedis();

const toBuffers = (args: readonly (string | Buffer)[]): Buffer[] => args.map((arg) => (Buffer.isBuffer(arg) ? arg : Buffer.from(arg)));

async function serverError(args: readonly (string | Buffer)[]): Promise<string> {
  const reply = await replyOrError(redis(), args);
  if (typeof reply !== 'object' || reply === null || !('error' in reply)) throw new Error(`server accepted ${String(args[0])}`);
  return (reply as { error: string }).error;
}

const long = (length: number, char = 'x') => char.repeat(length);

// [description, args] — each one the server refuses at lookup or arity time.
const REFUSED: [string, (string | Buffer)[]][] = [
  ['unknown command without args', ['nosuchcmd']],
  ['unknown command keeps the client casing', ['NoSuchCmd', 'a', 'b']],
  ['unknown command with args', ['foo', 'bar', 'baz qux']],
  ['unknown command, long name', [long(200, 'n')]],
  ['unknown command, one long arg', ['foo', long(300)]],
  ['unknown command, many args crossing 128', ['foo', ...Array.from({ length: 40 }, (_, i) => `arg${i}`)]],
  ['unknown command, arg ending exactly at the cap', ['foo', long(125), 'next']],
  ['unknown command, second arg cut', ['foo', long(100), long(100, 'y'), 'z']],
  ['unknown command, CR/LF in name and args', ['bad\r\ncmd', 'a\rb', 'c\nd']],
  ['unknown command, NUL stops an argument', ['foo', Buffer.from('ab\0cd'), 'e']],
  ['empty command name', ['', 'x']],
  ['unknown subcommand', ['OBJECT', 'nosuch', 'k']],
  ['unknown subcommand keeps its casing, container upper-cased', ['xinfo', 'NoSuch']],
  ['unknown subcommand of CONFIG', ['config', 'frobnicate']],
  ['unknown subcommand, long', ['client', long(200, 's')]],
  ['unknown subcommand of COMMAND', ['command', 'foo']],
  ['unknown subcommand of CLUSTER', ['cluster', 'foo', 'bar']],
  ['unknown subcommand with CR/LF', ['memory', 'a\r\nb']],
  ['wrong arity, fixed', ['get']],
  ['wrong arity, too many', ['GET', 'a', 'b']],
  ['wrong arity, variadic minimum', ['mset', 'a']],
  ['wrong arity, container alone', ['object']],
  ['wrong arity, CONFIG alone', ['CONFIG']],
  ['wrong arity, sub-command', ['OBJECT', 'encoding']],
  ['wrong arity, sub-command any case', ['Memory', 'USAGE']],
  ['wrong arity, CONFIG GET', ['config', 'get']],
  ['wrong arity, XINFO STREAM', ['xinfo', 'stream']],
  ['wrong arity, sub-command too many', ['object', 'help', 'extra']],
];

describe('CommandTable.lookup error texts equal the server replies', () => {
  it.each(REFUSED)('%s', async (_description, args) => {
    const lookup = FALLBACK_COMMAND_TABLE.lookup(toBuffers(args));
    // Both sides decoded alike (ioredis gives the server's error as a UTF-8 string); the exact
    // bytes are compared over raw sockets in test/integration/error-bytes.test.ts.
    expect(lookup.ok).toBe(false);
    if (!lookup.ok) expect(lookup.error.toString('utf8')).toBe(await serverError(args));
  });
});

describe('CommandTable.lookup resolves commands and sub-commands in any case', () => {
  it.each([
    [['GET', 'k'], 'get'],
    [['gEt', 'k'], 'get'],
    [['object', 'ENCODING', 'k'], 'object|encoding'],
    [['XINFO', 'stream', 's'], 'xinfo|stream'],
    [['COMMAND'], 'command'],
    [['config', 'get', 'maxmemory'], 'config|get'],
    [['CLIENT', 'no-evict', 'on'], 'client|no-evict'],
    [['script', 'load', 'return 1'], 'script|load'],
  ])('%j -> %s', async (args, name) => {
    const lookup = FALLBACK_COMMAND_TABLE.lookup(toBuffers(args));
    expect(lookup.ok && lookup.spec.name).toBe(name);
    // The server agrees these pass lookup and arity (whatever the command then answers).
    const reply = await replyOrError(redis(), ['COMMAND', 'INFO', args[0]!]);
    expect(Array.isArray(reply) && reply[0] !== null).toBe(true);
  });
});

describe('the generated table matches the live server', () => {
  it('was generated from this server version', async () => {
    const info = String(await redis().info('server'));
    expect(/redis_version:(\S+)/.exec(info)?.[1]).toBe(GENERATED_FROM_REDIS_VERSION);
  });

  it('has every command and sub-command with the server arity, flags, key positions, tips and ACL categories', async () => {
    type RawCommand = [string, number, string[], number, number, number, string[], string[], unknown[], RawCommand[]];
    const reply = (await redis().call('COMMAND')) as RawCommand[];
    const fromServer = reply.flatMap((command) => [command, ...(command[9] ?? [])]);
    const describeRaw = (raw: RawCommand) => ({
      name: raw[0],
      arity: raw[1],
      flags: [...raw[2]].sort(),
      keys: [raw[3], raw[4], raw[5]],
      acl: [...raw[6]].sort(),
      tips: [...raw[7]].sort(),
      keySpecCount: raw[8].length,
    });
    const ours = [...FALLBACK_COMMAND_TABLE.commands()].flatMap((spec) => [spec, ...(spec.subcommands?.values() ?? [])]);
    const describeOurs = ours.map((spec) => ({
      name: spec.name,
      arity: spec.arity,
      flags: [...spec.flags].sort(),
      keys: [spec.firstKey, spec.lastKey, spec.keyStep],
      acl: [...spec.aclCategories].sort(),
      tips: [...spec.tips].sort(),
      keySpecCount: spec.keySpecs.length,
    }));
    const byName = (a: { name: string }, b: { name: string }) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
    expect(describeOurs.sort(byName)).toEqual(fromServer.map(describeRaw).sort(byName));
  });
});

describe('parseRedisInteger follows the server integer rules (INCRBY is the oracle)', () => {
  it.each(['0', '1', '-1', '42', '01', '-0', '+1', ' 1', '1 ', '', '1.0', 'abc', '9223372036854775807', '9223372036854775808',
    '-9223372036854775808', '-9223372036854775809', '99999999999999999999', '12a'])('%j', async (text) => {
    const client = redis();
    await client.set('int-oracle', '0');
    const reply = await replyOrError(client, ['INCRBY', 'int-oracle', text]);
    const serverAccepts = typeof reply === 'number';
    expect(parseRedisInteger(Buffer.from(text)) !== null).toBe(serverAccepts);
    if (serverAccepts && Math.abs(reply) < Number.MAX_SAFE_INTEGER) expect(parseRedisInteger(Buffer.from(text))).toBe(reply);
  });
});
