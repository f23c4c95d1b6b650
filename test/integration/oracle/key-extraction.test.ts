// getKeyIndexes against the real server: COMMAND GETKEYS is the oracle for key positions, the
// server's own error replies are the oracle for invalid numkeys, and for the few commands where
// slotgate parses more exactly than COMMAND GETKEYS, running the command shows which key it wrote.
import { describe, expect, it } from 'vitest';
import { FALLBACK_COMMAND_TABLE } from '../../../src/commands/command-table.js';
import { getKeyIndexes, isKeylessCommand } from '../../../src/commands/key-extraction.js';
import { replyOrError, useStandaloneRedis } from '../../helpers/standalone-redis.js';
import { keyNames, specFor, toBuffers, words } from '../../helpers/key-names.js';

const redis = useStandaloneRedis();


async function serverGetKeys(args: readonly string[]): Promise<string[]> {
  // COMMAND GETKEYS wants at least one argument after the name; it refuses a keyless command
  // before it checks that command's arity, so a dummy argument is harmless there.
  const probe = args.length === 1 ? [...args, 'dummy'] : args;
  const reply = await replyOrError(redis(), ['COMMAND', 'GETKEYS', ...probe]);
  if (Array.isArray(reply)) return reply.map(String);
  const error = (reply as { error: string }).error;
  if (error === 'ERR The command has no key arguments') return [];
  throw new Error(`COMMAND GETKEYS ${args.join(' ')}: ${error}`);
}

// Every data type, containers, scripts, numkeys families, keyword searches, overrides.
const AGREES_WITH_COMMAND_GETKEYS = [
  // strings, bitmaps, keyspace
  'GET k', 'get k', 'SET k v EX 10 NX GET', 'MGET a b c', 'MSET a 1 b 2 c 3', 'MSETNX a 1 b 2', 'GETEX k PERSIST',
  'GETDEL k', 'APPEND k v', 'INCRBYFLOAT k 1.5', 'SETRANGE k 0 v', 'GETRANGE k 0 -1', 'STRLEN k', 'LCS a b IDX LEN',
  'BITCOUNT k 0 -1', 'BITOP AND dest a b c', 'BITPOS k 1', 'BITFIELD k GET u8 0', 'BITFIELD_RO k GET u8 0',
  'SETBIT k 7 1', 'DEL a b c', 'UNLINK a b', 'EXISTS a b a', 'TOUCH a b', 'EXPIRE k 10 NX', 'TTL k', 'TYPE k',
  'RENAME a b', 'RENAMENX a b', 'COPY a b DB 0 REPLACE', 'MOVE k 1', 'DUMP k', 'RESTORE k 0 payload REPLACE',
  'OBJECT ENCODING k', 'object freq k', 'OBJECT IDLETIME k', 'MEMORY USAGE k SAMPLES 5', 'DEBUG OBJECT k',
  // lists
  'LPUSH k a b', 'RPOPLPUSH src dst', 'LMOVE src dst LEFT RIGHT', 'BLMOVE src dst LEFT RIGHT 0', 'BRPOPLPUSH a b 0',
  'BLPOP a b c 0', 'BRPOP a 1.5', 'LRANGE k 0 -1', 'LPOS k v RANK 1', 'LINSERT k BEFORE p v',
  'LMPOP 2 a b LEFT COUNT 2', 'lmpop 1 a right', 'BLMPOP 0 3 a b c LEFT',
  // sets
  'SADD k a b', 'SMOVE src dst m', 'SINTER a b c', 'SINTERSTORE d a b', 'SUNIONSTORE d a', 'SDIFFSTORE d a b',
  'SINTERCARD 2 a b LIMIT 5', 'SINTERCARD 1 a', 'SMISMEMBER k a b', 'SSCAN k 0 MATCH *',
  // hashes
  'HSET k f v f2 v2', 'HMGET k a b', 'HGETALL k', 'HINCRBY k f 1', 'HRANDFIELD k 2 WITHVALUES', 'HSCAN k 0',
  // sorted sets
  'ZADD k 1 a', 'ZUNIONSTORE d 2 a b WEIGHTS 1 2', 'ZINTERSTORE d 3 a b c AGGREGATE MAX', 'ZDIFFSTORE d 2 a b',
  'ZUNION 2 a b WITHSCORES', 'ZINTER 1 a', 'ZDIFF 3 a b c', 'ZINTERCARD 2 a b LIMIT 1', 'ZRANGESTORE dst src 0 -1',
  'ZMPOP 2 a b MIN COUNT 1', 'BZMPOP 1.5 2 a b MAX', 'BZPOPMIN a b 0', 'ZRANGE k 0 -1 REV', 'ZSCORE k m',
  // streams
  'XADD s * f v', 'XRANGE s - +', 'XLEN s', 'XREAD COUNT 1 BLOCK 0 STREAMS a b 0 0', 'XREAD STREAMS a $',
  'XREADGROUP GROUP g c COUNT 1 STREAMS a b > >', 'XREADGROUP GROUP g c NOACK STREAMS s >',
  'XREAD STREAMS streams streams 0 0', 'XREADGROUP GROUP streams c STREAMS streams 0', 'XINFO STREAM s FULL',
  'XINFO GROUPS s', 'XINFO CONSUMERS s g', 'XGROUP CREATE s g $ MKSTREAM', 'XGROUP DESTROY s g', 'XACK s g 1-0',
  'XCLAIM s g c 0 1-0', 'XAUTOCLAIM s g c 0 0', 'XPENDING s g', 'XTRIM s MAXLEN 10', 'XSETID s 1-0',
  // geo, hyperloglog
  'GEOADD k 0 0 m', 'GEODIST k a b', 'GEOSEARCH k FROMMEMBER m BYRADIUS 1 km', 'GEOSEARCHSTORE dst src FROMLONLAT 0 0 BYBOX 1 1 km',
  'GEORADIUS k 0 0 1 km', 'GEORADIUS k 0 0 1 km WITHDIST STORE dst', 'GEORADIUS k 0 0 1 km STOREDIST dd',
  'GEORADIUS k 0 0 1 km STORE x STOREDIST y', 'GEORADIUS_RO k 0 0 1 km', 'GEORADIUSBYMEMBER k m 1 km STORE dst',
  'GEORADIUSBYMEMBER k m 1 km COUNT 5 ASC STOREDIST dd', 'PFADD k a', 'PFCOUNT a b', 'PFMERGE d a b',
  // scripting and functions (numkeys)
  'EVAL script 2 a b arg', 'EVAL script 0', 'EVAL_RO script 1 a', 'EVALSHA 0123456789012345678901234567890123456789 1 a',
  'EVALSHA_RO 0123456789012345678901234567890123456789 2 a b', 'FCALL f 2 a b x', 'FCALL f 0 x', 'FCALL_RO f 1 a',
  // SORT, MIGRATE (overrides) in their ordinary forms
  'SORT k', 'SORT k ALPHA DESC', 'SORT k STORE dst', 'SORT k BY w_* LIMIT 0 10 GET o_* GET # STORE dst',
  'SORT k LIMIT 0 1 STORE x GET y', 'SORT k BY store STORE x', 'SORT k STORE a STORE b', 'SORT_RO k BY w_* GET #',
  'MIGRATE host 6379 k 0 5000', 'MIGRATE host 6379 k 0 5000 COPY REPLACE', "MIGRATE host 6379 '' 0 5000 KEYS a b c",
  "MIGRATE host 6379 '' 0 5000 COPY AUTH pw KEYS a", "MIGRATE host 6379 '' 0 5000 AUTH2 user pw KEYS a b",
  // keyless and pub/sub
  'PING', 'INFO server', 'DBSIZE', 'PUBLISH ch msg', 'SPUBLISH ch msg', 'CLUSTER INFO', 'CONFIG GET maxmemory',
  'CLIENT LIST', 'SCAN 0', 'KEYS *', 'RANDOMKEY', 'TIME', 'FLUSHALL', 'WAIT 0 0', 'MULTI', 'WATCH a b',
];

describe('getKeyIndexes agrees with COMMAND GETKEYS', () => {
  it.each(AGREES_WITH_COMMAND_GETKEYS)('%s', async (line) => {
    const args = words(line);
    expect(keyNames(args)).toEqual(await serverGetKeys(args));
  });
});

// Invalid numkeys / stream lists: slotgate must reply exactly what the server replies when it runs
// the command (the functions library is loaded first so FCALL reaches its numkeys check).
const SERVER_REFUSES = [
  'EVAL script 3 a b', 'EVAL script 1', 'EVAL script -1', 'EVAL script abc', 'EVAL script 99999999999999999999',
  'EVAL script 01 a', 'EVAL_RO script 2 a', 'EVALSHA 0123456789012345678901234567890123456789 5 a',
  'EVALSHA shortsha 5 a', 'EVALSHA_RO 0123456789012345678901234567890123456789 -2',
  'FCALL f 3 a', 'FCALL f -1', 'FCALL f x', 'FCALL_RO fro 2 a',
  'ZUNIONSTORE d 0 a', 'ZUNIONSTORE d 3 a', 'ZUNIONSTORE d x a', 'ZUNIONSTORE d -1 a', 'ZINTERSTORE d 2 a',
  'ZDIFFSTORE d 0 a', 'ZUNION 0 a', 'ZUNION 3 a', 'ZINTER 2 a', 'ZDIFF 2 a', 'ZINTERCARD 0 a', 'ZINTERCARD 2 a',
  'ZINTERCARD x a', 'SINTERCARD 0 a', 'SINTERCARD 3 a', 'SINTERCARD x a', 'SINTERCARD -5 a',
  'LMPOP 0 a LEFT', 'LMPOP 3 a LEFT', 'LMPOP x a LEFT', 'LMPOP 2 a b', 'LMPOP 2 a left', 'BLMPOP 0 0 a LEFT', 'BLMPOP 0 2 a LEFT',
  'BLMPOP 0 x a LEFT', 'ZMPOP 0 a MIN', 'ZMPOP 3 a MIN', 'BZMPOP 0 3 a MIN',
  'XREAD STREAMS a b c', 'XREAD COUNT 1 STREAMS a', 'XREAD STREAMS a b c d e', 'XREADGROUP GROUP g c STREAMS a b c',
];

describe('invalid numkeys and stream lists get the error the server replies', () => {
  it.each(SERVER_REFUSES)('%s', async (line) => {
    const client = redis();
    await client.call('FUNCTION', 'LOAD', 'REPLACE', [
      '#!lua name=keylib',
      "redis.register_function('f', function(keys, args) return #keys end)",
      "redis.register_function{function_name='fro', callback=function(keys, args) return #keys end, flags={'no-writes'}}",
    ].join('\n'));
    const args = words(line);
    const serverReply = await replyOrError(client, args);
    expect(serverReply).toHaveProperty('error');
    expect(keyNames(args)).toEqual(serverReply);
  });
});

describe('where slotgate parses more exactly than COMMAND GETKEYS', () => {
  it('SORT routes by the STORE destination SORT really writes, even after a STORE key named "limit"', async () => {
    const client = redis();
    await client.del('src', 'limit', 'dst');
    await client.rpush('src', '3', '1', '2');
    const args = words('SORT src STORE limit STORE dst');
    await client.call(args[0]!, ...args.slice(1));
    // The server stored into "dst" only; slotgate must report exactly the keys SORT touched.
    const written = (await Promise.all(['limit', 'dst'].map(async (key) => ((await client.exists(key)) ? key : null)))).filter(Boolean);
    expect(written).toEqual(['dst']);
    expect(keyNames(args)).toEqual(['src', ...written]);
  });

  it('GEORADIUS finds the STORE key after a STOREDIST key named "store" (the key specs mis-read it)', async () => {
    const client = redis();
    await client.del('geo', 'store', 'dst');
    await client.geoadd('geo', 13.361389, 38.115556, 'palermo');
    const args = words('GEORADIUS geo 15 37 200 km STOREDIST store STORE dst');
    await client.call(args[0]!, ...args.slice(1));
    expect(await client.exists("dst")).toBe(1); // STORE came last, so GEORADIUS wrote "dst"
    expect(keyNames(args)).toEqual(['geo', 'dst', 'store']);
    // ...where the spec-based COMMAND GETKEYS reports the keyword "STORE" itself and misses "dst":
    expect(await serverGetKeys(args)).not.toContain('dst');
  });

});

describe('NOT_KEY specs (shard channels)', () => {
  it('are not keys by default, like COMMAND GETKEYS, but can be asked for to route by slot', async () => {
    const args = toBuffers(words('SPUBLISH channel message'));
    expect(getKeyIndexes(specFor(args), args)).toEqual([]);
    expect(await serverGetKeys(words('SPUBLISH channel message'))).toEqual([]);
    expect(getKeyIndexes(specFor(args), args, { includeNotKeys: true })).toEqual([1]);
    const subscribe = toBuffers(words('SSUBSCRIBE a b c'));
    expect(getKeyIndexes(specFor(subscribe), subscribe, { includeNotKeys: true })).toEqual([1, 2, 3]);
  });
});

describe('isKeylessCommand', () => {
  it('agrees with the server on which commands have key arguments at all', async () => {
    const checked = ['get', 'ping', 'info', 'eval', 'sort', 'migrate', 'publish', 'spublish', 'object|encoding', 'object|help', 'xread', 'cluster|info', 'flushall'];
    for (const name of checked) {
      const spec = FALLBACK_COMMAND_TABLE.get(name)!;
      // COMMAND GETKEYS refuses keyless commands before it looks at the arguments.
      const parts = name.split('|');
      const probe = [...parts, 'x', 'y', 'z', 'w', 'v', 'u'].slice(0, Math.max(Math.abs(spec.arity), parts.length + 1));
      const reply = await replyOrError(redis(), ['COMMAND', 'GETKEYS', ...probe]);
      const serverSaysKeyless = (reply as { error?: string }).error === 'ERR The command has no key arguments';
      expect({ name, keyless: isKeylessCommand(spec) }).toEqual({ name, keyless: serverSaysKeyless });
    }
  });
});
