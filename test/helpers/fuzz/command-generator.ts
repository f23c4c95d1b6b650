// Random, mostly well-formed commands for the differential fuzz test (test/integration/command-fuzz.test.ts),
// drawn from slotgate's command table (src/commands/command-table.ts): which commands exist, their arity
// (for the wrong-arity mutations) and flags come from the table; the argument grammars below add the
// option words of each command's documentation, so most commands get past the syntax check and reach
// the data. Keys come from a pool that spans many hash slots plus hash-tagged groups of one slot each,
// so multi-key commands both succeed (same slot) and cross slots.
import { FALLBACK_COMMAND_TABLE, type CommandSpec } from '../../../src/commands/command-table.js';
import { Random } from './random.js';

export type Arg = string | Buffer;

export interface FuzzCommand {
  /** Full name in the command table: `get`, `xgroup|create`. */
  readonly name: string;
  readonly spec: CommandSpec;
  readonly args: Buffer[];
  /** Every pool key the generator put into the command (a superset of the keys it touches). */
  readonly keys: Buffer[];
  /** How the arguments were broken on purpose, if they were: for the failure report. */
  readonly mutation: string | undefined;
}

export interface KeyPool {
  /** Every key, for the final dataset comparison. */
  readonly all: readonly Buffer[];
  /** Hash-tagged groups: the keys of one group share one slot. */
  readonly sameSlotGroups: readonly (readonly Buffer[])[];
}

/** `run` makes the keys unique to this run: the cluster is shared with the other test files. */
export function keyPool(run: string): KeyPool {
  const plain = Array.from({ length: 12 }, (_, i) => Buffer.from(`fz:${run}:${i}`));
  const groupA = [...Array.from({ length: 4 }, (_, i) => Buffer.from(`{fz:${run}:a}${i}`)), Buffer.concat([Buffer.from(`{fz:${run}:a}`), Buffer.from([0xff, 0x00, 0x0d, 0x0a])])];
  const groupB = Array.from({ length: 4 }, (_, i) => Buffer.from(`{fz:${run}:b}${i}`));
  return { all: [...plain, ...groupA, ...groupB], sameSlotGroups: [groupA, groupB] };
}

/** The ACL categories whose commands are fuzzed (the data types, generic key commands, scripts). */
export const FUZZED_CATEGORIES = ['@string', '@bitmap', '@list', '@set', '@sortedset', '@hash', '@stream', '@hyperloglog', '@geo', '@keyspace', '@scripting'];
/** Containers whose key-related sub-commands are fuzzed too. */
const FUZZED_CONTAINERS = ['object', 'xgroup', 'xinfo'];

/**
 * Commands of those categories that are not generated, and why. A command added to the table that
 * is neither here nor in GRAMMARS fails the coverage check in the test.
 */
export const EXCLUDED: Readonly<Record<string, string>> = {
  dbsize: 'counts the whole keyspace, and the cluster is shared with the other test files',
  flushall: 'would wipe the keys of the test files running at the same time on the shared cluster',
  flushdb: 'would wipe the keys of the test files running at the same time on the shared cluster',
  randomkey: 'random, and over the whole shared keyspace (other test files\' keys)',
  migrate: 'talks to another server; nothing to compare',
  move: 'a cluster has only database 0: the standalone oracle would move the key out of sight',
  swapdb: 'a cluster has only database 0 (and slotgate refuses it)',
  'restore-asking': 'cluster-internal (slot migration), refused by slotgate',
  pfselftest: 'a slow self-test of the server, refused by slotgate',
  'object|help': 'help text only',
  'xgroup|help': 'help text only',
  'xinfo|help': 'help text only',
  // Not data commands, listed so the reasons are in one place (they are outside FUZZED_CATEGORIES):
  // blocking with long timeouts (BLPOP … 0) would stall the run: blocking commands are generated with
  // 10 ms timeouts only; MONITOR/SUBSCRIBE change the connection's protocol; DEBUG/SHUTDOWN/admin,
  // server and CLUSTER commands are per node or refused by slotgate; MULTI/EXEC/WATCH change how every
  // later reply looks and have their own tests (transactions across slots are refused on purpose).
};

/** Commands whose replies are times: compared by class (-2 missing, -1 no expiry, >= 0 set). */
export const TIME_REPLIES = new Set(['ttl', 'pttl', 'expiretime', 'pexpiretime']);
/**
 * Writes that legitimately leave the two sides' keys different: the test resyncs (deletes) their keys
 * on both sides afterwards, and pipelined runs (which cannot resync) leave them out.
 */
export const RESYNC_AFTER: ReadonlyMap<string, string> = new Map([
  ['spop', 'random: which members SPOP takes differs between the servers'],
  ['pfdebug', 'refused by slotgate, while Redis converts the HyperLogLog to its dense encoding'],
]);
/** Commands slotgate parses or takes apart itself (split, fanned out, numkeys), fuzzed more often. */
const PROXY_HANDLED = new Set(['mget', 'mset', 'msetnx', 'del', 'unlink', 'exists', 'touch', 'keys', 'scan', 'eval', 'evalsha', 'fcall', 'sort', 'georadius', 'xread', 'xreadgroup', 'zunionstore', 'lmpop', 'sintercard']);
/** Commands slotgate splits across slots (README "Split across slots"); all others must be refused across slots. */
export const SPLIT_COMMANDS = new Set(['mget', 'mset', 'del', 'unlink', 'exists', 'touch']);

const ASCII_WORDS = ['a', 'b', 'c', 'x', 'hello', 'foo bar'];
const NUMBERS = ['0', '1', '2', '3', '-1', '10', '42', '-7', '007', '1.5', '-0.25', '3.0e2', '0x10', ' 1'];
const EXTREMES = ['9223372036854775807', '-9223372036854775808', '9223372036854775808', '18446744073709551616', '1e308', '1e400', 'inf', '-inf', '+inf', 'nan'];
const BINARY = [Buffer.from([0xff, 0xfe, 0x00]), Buffer.from([0x80]), Buffer.from([0x00]), Buffer.from('\r\n'), Buffer.from([0xc3, 0x28]), Buffer.from('é€')];
const SCRIPTS = [
  'return 1',
  'return KEYS',
  'return ARGV',
  "return redis.call('GET', KEYS[1])",
  "return redis.call('SET', KEYS[1], ARGV[1])",
  "return redis.call('INCR', KEYS[1])",
  "return redis.call('DEL', unpack(KEYS))",
  "return {KEYS[1], ARGV[1], 3, false, {1, 'x'}}",
  "return redis.status_reply('FINE')",
  "return redis.error_reply('MYERR custom failure')",
  'return 3.99',
  'return (',
];

export class Gen {
  readonly keys: Buffer[] = [];
  constructor(
    readonly rng: Random,
    private readonly pool: KeyPool,
    /** Set when this command's keys must all come from one hash-tag group. */
    private readonly slotGroup: readonly Buffer[] | undefined,
  ) {}

  /** A key from the pool (from the command's group when it has one). */
  k = (): Buffer => {
    const key = this.rng.pick(this.slotGroup ?? this.pool.all);
    this.keys.push(key);
    return key;
  };
  ks = (min: number, max: number): Buffer[] => Array.from({ length: this.rng.int(min, max) }, this.k);
  /** Any value: text, numbers, extremes, empty, binary and non-UTF-8 bytes, long strings. */
  v = (): Arg => {
    const r = this.rng.next();
    if (r < 0.3) return this.rng.pick(ASCII_WORDS);
    if (r < 0.55) return this.rng.pick(NUMBERS);
    if (r < 0.65) return this.rng.pick(EXTREMES);
    if (r < 0.72) return '';
    if (r < 0.85) return this.rng.pick(BINARY);
    if (r < 0.92) return Buffer.from(Array.from({ length: this.rng.int(1, 12) }, () => this.rng.int(0, 255)));
    return 'v'.repeat(this.rng.pick([65, 200, 3000]));
  };
  vs = (min: number, max: number): Arg[] => Array.from({ length: this.rng.int(min, max) }, this.v);
  /** Members and fields: a small set, so they collide, plus a few odd ones. */
  m = (): Arg => (this.rng.chance(0.85) ? this.rng.pick(['a', 'b', 'c', 'd', 'e', '1', '2', '3']) : this.v());
  ms = (min: number, max: number): Arg[] => Array.from({ length: this.rng.int(min, max) }, this.m);
  /** Indexes and offsets: small (never large enough to make a server allocate much), sometimes junk. */
  i = (): Arg => (this.rng.chance(0.85) ? String(this.rng.int(-4, 12)) : this.rng.pick(['x', '1.5', '', '9223372036854775807', '-9223372036854775808', '99999999999999999999']));
  /** Counts. */
  n = (): Arg => (this.rng.chance(0.85) ? String(this.rng.int(0, 6)) : this.rng.pick(['-1', '-3', 'x', '0', '1000', '9223372036854775807']));
  /** Integer increments. */
  inc = (): Arg => (this.rng.chance(0.8) ? String(this.rng.int(-100, 100)) : this.rng.pick(EXTREMES.concat(['x', '1.5', ''])));
  /** Floats. */
  f = (): Arg => (this.rng.chance(0.7) ? this.rng.pick(['1.5', '-2', '0', '3', '0.1', '1e3', '-1e-3']) : this.rng.pick(EXTREMES.concat(['x', '', '1.2.3'])));
  /** Relative expiry in seconds: never a small positive value, so nothing expires while the run lasts. */
  ttl = (): Arg => this.rng.pick(['100000', '3600', '86400', '0', '-1', '-100', 'x', '9223372036854775807', '1.5']);
  ttlMs = (): Arg => this.rng.pick(['100000000', '3600000', '0', '-5', 'x', '9223372036854775807']);
  /** Absolute expiry: far future or the past (the key is deleted at once). */
  at = (): Arg => this.rng.pick(['4102444800', '1', '0', '-1', 'x']);
  atMs = (): Arg => this.rng.pick(['4102444800000', '1', '0', 'x']);
  /** Blocking timeouts: 10 ms, never 0 (forever), sometimes invalid. */
  timeout = (): Arg => this.rng.pick(['0.01', '0.01', '0.01', '-1', 'x']);
  score = (): Arg => (this.rng.chance(0.8) ? this.rng.pick(['1', '2', '2.5', '-1', '0', '10', '100']) : this.rng.pick(['inf', '-inf', '+inf', 'nan', 'x', '', '1e400']));
  scoreRange = (): Arg => this.rng.pick(['-inf', '+inf', '0', '1', '(1', '2.5', '(10', '100', 'x', '[1']);
  lex = (): Arg => this.rng.pick(['-', '+', '[a', '(b', '[c', '(e', 'a', '[', '']);
  id = (): Arg => this.rng.pick(['0', '0-0', '0-1', '1', '1-1', '1-2', '2-0', '3-5', '7', '5-*', '-', '+', 'x', '18446744073709551615-18446744073709551615']);
  /** IDs for XADD: explicit ones only (`*` would be the server's clock, different on each side). */
  addId = (): Arg => this.rng.pick(['1-1', '1-2', '2', '2-0', '3-5', '5-*', '7', '9-9', '0-0', '0-1', 'x', '1']);
  lon = (): Arg => this.rng.pick(['13.361389', '15.087269', '-73.9', '0', '180', '200', 'x']);
  lat = (): Arg => this.rng.pick(['38.115556', '37.502669', '40.7', '0', '85.05112878', '91', 'x']);
  unit = (): Arg => this.w('m', 'km', 'ft', 'mi', 'parsec');
  group = (): Arg => this.rng.pick(['g1', 'g2', 'nogroup']);
  consumer = (): Arg => this.rng.pick(['c1', 'c2', 'c3']);
  bitType = (): Arg => this.rng.pick(['u8', 'i8', 'u1', 'i16', 'u63', 'i64', 'u64', 'i65', 'x8']);
  bitOffset = (): Arg => this.rng.pick(['0', '1', '7', '8', '100', '#1', '#3', '-1', 'x', '4294967296']);
  /** One of the words, in random letter case (command parsing is case-insensitive). */
  w = (...words: string[]): string => this.case(this.rng.pick(words));
  case = (word: string): string => {
    const r = this.rng.next();
    if (r < 0.6) return word.toUpperCase();
    if (r < 0.85) return word.toLowerCase();
    return [...word].map((c) => (this.rng.chance(0.5) ? c.toUpperCase() : c.toLowerCase())).join('');
  };
  opt = (p: number, make: () => Arg[]): Arg[] => (this.rng.chance(p) ? make() : []);
  /** A numkeys argument: the real count, sometimes off by one, zero, negative or not a number. */
  numkeys = (count: number): Arg => (this.rng.chance(0.9) ? String(count) : this.rng.pick([String(count + 1), String(count - 1), '0', '-1', 'x']));
  /** Pairs (e.g. field value) repeated. */
  pairs = (min: number, max: number, a: () => Arg, b: () => Arg): Arg[] => Array.from({ length: this.rng.int(min, max) }, () => [a(), b()]).flat();
  script = (): string => this.rng.pick(SCRIPTS);
}

type Grammar = (g: Gen) => Arg[];

const scanOptions = (g: Gen): Arg[] => [...g.opt(0.4, () => [g.w('match'), g.rng.pick(['*', 'a*', '?', '[ab]*', '*\\*'])]), ...g.opt(0.4, () => [g.w('count'), g.n()])];
const expireOptions = (g: Gen): Arg[] => g.opt(0.3, () => [g.w('nx', 'xx', 'gt', 'lt')]);
const keysWithNumkeys = (g: Gen, min: number, max: number): Arg[] => {
  const keys = g.ks(min, max);
  return [g.numkeys(keys.length), ...keys];
};
const zsetAggregate = (g: Gen, keyCount: () => number): Arg[] => [
  ...g.opt(0.3, () => [g.w('weights'), ...Array.from({ length: keyCount() }, g.f)]),
  ...g.opt(0.3, () => [g.w('aggregate'), g.w('sum', 'min', 'max', 'avg')]),
];
const zsetMultiKey = (withScores: boolean, store: boolean): Grammar => (g) => {
  const dest = store ? [g.k()] : [];
  const keys = g.ks(1, 4);
  return [...dest, g.numkeys(keys.length), ...keys, ...zsetAggregate(g, () => keys.length), ...(withScores ? g.opt(0.4, () => [g.w('withscores')]) : [])];
};
const limit = (g: Gen): Arg[] => g.opt(0.3, () => [g.w('limit'), g.i(), g.n()]);
const geoOptions = (g: Gen): Arg[] => [
  ...g.opt(0.3, () => [g.w('withcoord')]),
  ...g.opt(0.3, () => [g.w('withdist')]),
  ...g.opt(0.2, () => [g.w('withhash')]),
  ...g.opt(0.3, () => [g.w('count'), g.n(), ...g.opt(0.3, () => [g.w('any')])]),
  ...g.opt(0.3, () => [g.w('asc', 'desc')]),
];
const geoFrom = (g: Gen): Arg[] => (g.rng.chance(0.5) ? [g.w('frommember'), g.m()] : [g.w('fromlonlat'), g.lon(), g.lat()]);
const geoBy = (g: Gen): Arg[] => (g.rng.chance(0.5) ? [g.w('byradius'), g.f(), g.unit()] : [g.w('bybox'), g.f(), g.f(), g.unit()]);
const bitfieldOps = (g: Gen, readOnly: boolean): Arg[] =>
  Array.from({ length: g.rng.int(1, 3) }, () => {
    if (readOnly) return [g.w('get'), g.bitType(), g.bitOffset()];
    const op = g.rng.int(0, 3);
    if (op === 0) return [g.w('get'), g.bitType(), g.bitOffset()];
    if (op === 1) return [g.w('set'), g.bitType(), g.bitOffset(), g.inc()];
    if (op === 2) return [g.w('incrby'), g.bitType(), g.bitOffset(), g.inc()];
    return [g.w('overflow'), g.w('wrap', 'sat', 'fail', 'bad')];
  }).flat();
const streamsClause = (g: Gen): Arg[] => {
  const keys = g.ks(1, 3);
  return [g.w('streams'), ...keys, ...keys.map(() => g.rng.pick(['0', '0-0', '1-1', '$', '>', '2']))];
};
const trimStrategy = (g: Gen): Arg[] => [g.w('maxlen', 'minid'), ...g.opt(0.4, () => [g.rng.pick(['=', '~'])]), g.rng.pick(['0', '1', '2', '5', '1-1', '-1', 'x']), ...g.opt(0.1, () => [g.w('limit'), g.n()])];
const sortOptions = (g: Gen, store: boolean): Arg[] => [
  // No GET and no BY other than nosort: Redis Cluster itself refuses them ("GET option of SORT denied
  // in Cluster mode"), so they would only compare Redis Cluster with standalone Redis.
  ...g.opt(0.2, () => [g.w('by'), 'nosort']),
  ...g.opt(0.3, () => [g.w('limit'), g.i(), g.n()]),
  ...g.opt(0.3, () => [g.w('asc', 'desc')]),
  ...g.opt(0.4, () => [g.w('alpha')]),
  ...(store ? g.opt(0.4, () => [g.w('store'), g.k()]) : []),
];

/** Arguments after the command name (and sub-command), by full command name. */
export const GRAMMARS: Readonly<Record<string, Grammar>> = {
  // strings
  append: (g) => [g.k(), g.v()],
  decr: (g) => [g.k()],
  decrby: (g) => [g.k(), g.inc()],
  get: (g) => [g.k()],
  getdel: (g) => [g.k()],
  getex: (g) => [g.k(), ...g.opt(0.7, () => g.rng.pick<() => Arg[]>([() => [g.w('ex'), g.ttl()], () => [g.w('px'), g.ttlMs()], () => [g.w('exat'), g.at()], () => [g.w('pxat'), g.atMs()], () => [g.w('persist')]])())],
  getrange: (g) => [g.k(), g.i(), g.i()],
  substr: (g) => [g.k(), g.i(), g.i()],
  getset: (g) => [g.k(), g.v()],
  incr: (g) => [g.k()],
  incrby: (g) => [g.k(), g.inc()],
  incrbyfloat: (g) => [g.k(), g.f()],
  lcs: (g) => [g.k(), g.k(), ...g.opt(0.3, () => [g.w('len')]), ...g.opt(0.3, () => [g.w('idx')]), ...g.opt(0.2, () => [g.w('minmatchlen'), g.n()]), ...g.opt(0.2, () => [g.w('withmatchlen')])],
  mget: (g) => g.ks(1, 6),
  mset: (g) => g.pairs(1, 5, g.k, g.v),
  msetnx: (g) => g.pairs(1, 4, g.k, g.v),
  psetex: (g) => [g.k(), g.ttlMs(), g.v()],
  set: (g) => [
    g.k(),
    g.v(),
    ...g.opt(0.3, () => [g.w('nx', 'xx')]),
    ...g.opt(0.2, () => [g.w('get')]),
    ...g.opt(0.3, () => g.rng.pick<() => Arg[]>([() => [g.w('ex'), g.ttl()], () => [g.w('px'), g.ttlMs()], () => [g.w('exat'), g.at()], () => [g.w('pxat'), g.atMs()], () => [g.w('keepttl')]])()),
  ],
  setex: (g) => [g.k(), g.ttl(), g.v()],
  setnx: (g) => [g.k(), g.v()],
  setrange: (g) => [g.k(), g.rng.pick(['0', '1', '5', '20', '-1', 'x', '536870912']), g.v()],
  strlen: (g) => [g.k()],
  // bitmaps
  bitcount: (g) => [g.k(), ...g.opt(0.5, () => [g.i(), g.i(), ...g.opt(0.4, () => [g.w('byte', 'bit', 'nibble')])])],
  bitfield: (g) => [g.k(), ...bitfieldOps(g, false)],
  bitfield_ro: (g) => [g.k(), ...bitfieldOps(g, true)],
  bitop: (g) => [g.w('and', 'or', 'xor', 'not', 'nand'), g.k(), ...g.ks(1, 3)],
  bitpos: (g) => [g.k(), g.rng.pick(['0', '1', '2', 'x']), ...g.opt(0.5, () => [g.i(), ...g.opt(0.5, () => [g.i(), ...g.opt(0.4, () => [g.w('byte', 'bit')])])])],
  getbit: (g) => [g.k(), g.bitOffset()],
  setbit: (g) => [g.k(), g.bitOffset(), g.rng.pick(['0', '1', '1', '2', 'x'])],
  // lists
  blmove: (g) => [g.k(), g.k(), g.w('left', 'right'), g.w('left', 'right', 'up'), g.timeout()],
  blmpop: (g) => [g.timeout(), ...keysWithNumkeys(g, 1, 3), g.w('left', 'right', 'up'), ...g.opt(0.4, () => [g.w('count'), g.n()])],
  blpop: (g) => [...g.ks(1, 3), g.timeout()],
  brpop: (g) => [...g.ks(1, 3), g.timeout()],
  brpoplpush: (g) => [g.k(), g.k(), g.timeout()],
  lindex: (g) => [g.k(), g.i()],
  linsert: (g) => [g.k(), g.w('before', 'after', 'middle'), g.m(), g.v()],
  llen: (g) => [g.k()],
  lmove: (g) => [g.k(), g.k(), g.w('left', 'right'), g.w('left', 'right', 'up')],
  lmpop: (g) => [...keysWithNumkeys(g, 1, 3), g.w('left', 'right', 'up'), ...g.opt(0.4, () => [g.w('count'), g.n()])],
  lpop: (g) => [g.k(), ...g.opt(0.4, () => [g.n()])],
  rpop: (g) => [g.k(), ...g.opt(0.4, () => [g.n()])],
  lpos: (g) => [g.k(), g.m(), ...g.opt(0.3, () => [g.w('rank'), g.i()]), ...g.opt(0.3, () => [g.w('count'), g.n()]), ...g.opt(0.2, () => [g.w('maxlen'), g.n()])],
  lpush: (g) => [g.k(), ...g.ms(1, 4)],
  rpush: (g) => [g.k(), ...g.ms(1, 4)],
  lpushx: (g) => [g.k(), ...g.ms(1, 3)],
  rpushx: (g) => [g.k(), ...g.ms(1, 3)],
  lrange: (g) => [g.k(), g.i(), g.i()],
  lrem: (g) => [g.k(), g.i(), g.m()],
  lset: (g) => [g.k(), g.i(), g.v()],
  ltrim: (g) => [g.k(), g.i(), g.i()],
  rpoplpush: (g) => [g.k(), g.k()],
  // sets
  sadd: (g) => [g.k(), ...g.ms(1, 5)],
  scard: (g) => [g.k()],
  sdiff: (g) => g.ks(1, 3),
  sdiffstore: (g) => [g.k(), ...g.ks(1, 3)],
  sinter: (g) => g.ks(1, 3),
  sinterstore: (g) => [g.k(), ...g.ks(1, 3)],
  sintercard: (g) => [...keysWithNumkeys(g, 1, 3), ...g.opt(0.3, () => [g.w('limit'), g.n()])],
  sismember: (g) => [g.k(), g.m()],
  smembers: (g) => [g.k()],
  smismember: (g) => [g.k(), ...g.ms(1, 3)],
  smove: (g) => [g.k(), g.k(), g.m()],
  spop: (g) => [g.k(), ...g.opt(0.5, () => [g.n()])],
  srandmember: (g) => [g.k(), ...g.opt(0.6, () => [g.rng.pick(['0', '1', '3', '-3', '100', 'x'])])],
  srem: (g) => [g.k(), ...g.ms(1, 3)],
  sscan: (g) => [g.k(), g.rng.pick(['0', '0', 'x', '-1']), ...scanOptions(g)],
  sunion: (g) => g.ks(1, 3),
  sunionstore: (g) => [g.k(), ...g.ks(1, 3)],
  // sorted sets
  bzmpop: (g) => [g.timeout(), ...keysWithNumkeys(g, 1, 3), g.w('min', 'max', 'mid'), ...g.opt(0.4, () => [g.w('count'), g.n()])],
  bzpopmax: (g) => [...g.ks(1, 3), g.timeout()],
  bzpopmin: (g) => [...g.ks(1, 3), g.timeout()],
  zadd: (g) => [g.k(), ...g.opt(0.2, () => [g.w('nx', 'xx')]), ...g.opt(0.2, () => [g.w('gt', 'lt')]), ...g.opt(0.2, () => [g.w('ch')]), ...g.opt(0.1, () => [g.w('incr')]), ...g.pairs(1, 4, g.score, g.m)],
  zcard: (g) => [g.k()],
  zcount: (g) => [g.k(), g.scoreRange(), g.scoreRange()],
  zdiff: zsetMultiKey(true, false),
  zdiffstore: zsetMultiKey(false, true),
  zincrby: (g) => [g.k(), g.score(), g.m()],
  zinter: zsetMultiKey(true, false),
  zinterstore: zsetMultiKey(false, true),
  zintercard: (g) => [...keysWithNumkeys(g, 1, 3), ...g.opt(0.3, () => [g.w('limit'), g.n()])],
  zlexcount: (g) => [g.k(), g.lex(), g.lex()],
  zmpop: (g) => [...keysWithNumkeys(g, 1, 3), g.w('min', 'max', 'mid'), ...g.opt(0.4, () => [g.w('count'), g.n()])],
  zmscore: (g) => [g.k(), ...g.ms(1, 3)],
  zpopmax: (g) => [g.k(), ...g.opt(0.4, () => [g.n()])],
  zpopmin: (g) => [g.k(), ...g.opt(0.4, () => [g.n()])],
  zrandmember: (g) => [g.k(), ...g.opt(0.6, () => [g.rng.pick(['0', '1', '3', '-3', 'x']), ...g.opt(0.4, () => [g.w('withscores')])])],
  zrange: (g) => {
    const by = g.rng.pick(['', 'byscore', 'bylex']);
    const bound = by === 'byscore' ? g.scoreRange : by === 'bylex' ? g.lex : g.i;
    return [g.k(), bound(), bound(), ...(by ? [g.w(by)] : []), ...g.opt(0.3, () => [g.w('rev')]), ...(by ? limit(g) : []), ...g.opt(0.3, () => [g.w('withscores')])];
  },
  zrangebylex: (g) => [g.k(), g.lex(), g.lex(), ...limit(g)],
  zrevrangebylex: (g) => [g.k(), g.lex(), g.lex(), ...limit(g)],
  zrangebyscore: (g) => [g.k(), g.scoreRange(), g.scoreRange(), ...g.opt(0.3, () => [g.w('withscores')]), ...limit(g)],
  zrevrangebyscore: (g) => [g.k(), g.scoreRange(), g.scoreRange(), ...g.opt(0.3, () => [g.w('withscores')]), ...limit(g)],
  zrangestore: (g) => {
    const by = g.rng.pick(['', 'byscore', 'bylex']);
    const bound = by === 'byscore' ? g.scoreRange : by === 'bylex' ? g.lex : g.i;
    return [g.k(), g.k(), bound(), bound(), ...(by ? [g.w(by)] : []), ...g.opt(0.3, () => [g.w('rev')]), ...(by ? limit(g) : [])];
  },
  zrank: (g) => [g.k(), g.m()],
  zrevrank: (g) => [g.k(), g.m()],
  zrem: (g) => [g.k(), ...g.ms(1, 3)],
  zremrangebylex: (g) => [g.k(), g.lex(), g.lex()],
  zremrangebyrank: (g) => [g.k(), g.i(), g.i()],
  zremrangebyscore: (g) => [g.k(), g.scoreRange(), g.scoreRange()],
  zrevrange: (g) => [g.k(), g.i(), g.i(), ...g.opt(0.3, () => [g.w('withscores')])],
  zscan: (g) => [g.k(), g.rng.pick(['0', '0', 'x', '-1']), ...scanOptions(g)],
  zscore: (g) => [g.k(), g.m()],
  zunion: zsetMultiKey(true, false),
  zunionstore: zsetMultiKey(false, true),
  // hashes
  hdel: (g) => [g.k(), ...g.ms(1, 3)],
  hexists: (g) => [g.k(), g.m()],
  hget: (g) => [g.k(), g.m()],
  hgetall: (g) => [g.k()],
  hincrby: (g) => [g.k(), g.m(), g.inc()],
  hincrbyfloat: (g) => [g.k(), g.m(), g.f()],
  hkeys: (g) => [g.k()],
  hlen: (g) => [g.k()],
  hmget: (g) => [g.k(), ...g.ms(1, 3)],
  hmset: (g) => [g.k(), ...g.pairs(1, 3, g.m, g.v)],
  hrandfield: (g) => [g.k(), ...g.opt(0.6, () => [g.rng.pick(['0', '1', '3', '-3', 'x']), ...g.opt(0.4, () => [g.w('withvalues')])])],
  hscan: (g) => [g.k(), g.rng.pick(['0', '0', 'x', '-1']), ...scanOptions(g)],
  hset: (g) => [g.k(), ...g.pairs(1, 4, g.m, g.v)],
  hsetnx: (g) => [g.k(), g.m(), g.v()],
  hstrlen: (g) => [g.k(), g.m()],
  hvals: (g) => [g.k()],
  // streams
  xack: (g) => [g.k(), g.group(), ...Array.from({ length: g.rng.int(1, 3) }, g.id)],
  xadd: (g) => [g.k(), ...g.opt(0.15, () => [g.w('nomkstream')]), ...g.opt(0.2, () => trimStrategy(g)), g.addId(), ...g.pairs(1, 3, g.m, g.v)],
  xautoclaim: (g) => [g.k(), g.group(), g.consumer(), g.rng.pick(['0', '0', '-1', 'x']), g.id(), ...g.opt(0.3, () => [g.w('count'), g.n()]), ...g.opt(0.3, () => [g.w('justid')])],
  xclaim: (g) => [g.k(), g.group(), g.consumer(), g.rng.pick(['0', '0', '-1', 'x']), ...Array.from({ length: g.rng.int(1, 3) }, g.id), ...g.opt(0.2, () => [g.w('retrycount'), g.n()]), ...g.opt(0.2, () => [g.w('force')]), ...g.opt(0.3, () => [g.w('justid')])],
  xdel: (g) => [g.k(), ...Array.from({ length: g.rng.int(1, 3) }, g.id)],
  'xgroup|create': (g) => [g.k(), g.group(), g.rng.pick(['0', '$', '1-1', 'x']), ...g.opt(0.5, () => [g.w('mkstream')]), ...g.opt(0.2, () => [g.w('entriesread'), g.n()])],
  'xgroup|createconsumer': (g) => [g.k(), g.group(), g.consumer()],
  'xgroup|delconsumer': (g) => [g.k(), g.group(), g.consumer()],
  'xgroup|destroy': (g) => [g.k(), g.group()],
  'xgroup|setid': (g) => [g.k(), g.group(), g.rng.pick(['0', '$', '1-1', 'x']), ...g.opt(0.2, () => [g.w('entriesread'), g.n()])],
  'xinfo|consumers': (g) => [g.k(), g.group()],
  'xinfo|groups': (g) => [g.k()],
  'xinfo|stream': (g) => [g.k()],
  xlen: (g) => [g.k()],
  xpending: (g) => [g.k(), g.group(), ...g.opt(0.5, () => [...g.opt(0.3, () => [g.w('idle'), g.n()]), g.id(), g.id(), g.n(), ...g.opt(0.4, () => [g.consumer()])])],
  xrange: (g) => [g.k(), g.id(), g.id(), ...g.opt(0.3, () => [g.w('count'), g.n()])],
  xrevrange: (g) => [g.k(), g.id(), g.id(), ...g.opt(0.3, () => [g.w('count'), g.n()])],
  xread: (g) => [...g.opt(0.3, () => [g.w('count'), g.n()]), ...g.opt(0.2, () => [g.w('block'), '10']), ...streamsClause(g)],
  xreadgroup: (g) => [g.w('group'), g.group(), g.consumer(), ...g.opt(0.3, () => [g.w('count'), g.n()]), ...g.opt(0.2, () => [g.w('block'), '10']), ...g.opt(0.2, () => [g.w('noack')]), ...streamsClause(g)],
  xsetid: (g) => [g.k(), g.id(), ...g.opt(0.2, () => [g.w('entriesadded'), g.n()]), ...g.opt(0.2, () => [g.w('maxdeletedid'), g.id()])],
  xtrim: (g) => [g.k(), ...trimStrategy(g)],
  // HyperLogLog
  pfadd: (g) => [g.k(), ...g.ms(0, 4)],
  pfcount: (g) => g.ks(1, 3),
  pfmerge: (g) => [g.k(), ...g.ks(0, 3)],
  // slotgate refuses PFDEBUG (a documented refusal); Redis answers it.
  pfdebug: (g) => [g.w('getreg', 'encoding', 'todense'), g.k()],
  // geo
  geoadd: (g) => [g.k(), ...g.opt(0.2, () => [g.w('nx', 'xx')]), ...g.opt(0.2, () => [g.w('ch')]), ...Array.from({ length: g.rng.int(1, 3) }, () => [g.lon(), g.lat(), g.m()]).flat()],
  geodist: (g) => [g.k(), g.m(), g.m(), ...g.opt(0.5, () => [g.unit()])],
  geohash: (g) => [g.k(), ...g.ms(0, 3)],
  geopos: (g) => [g.k(), ...g.ms(0, 3)],
  georadius: (g) => [g.k(), g.lon(), g.lat(), g.f(), g.unit(), ...geoOptions(g), ...g.opt(0.2, () => [g.w('store'), g.k()]), ...g.opt(0.2, () => [g.w('storedist'), g.k()])],
  georadius_ro: (g) => [g.k(), g.lon(), g.lat(), g.f(), g.unit(), ...geoOptions(g)],
  georadiusbymember: (g) => [g.k(), g.m(), g.f(), g.unit(), ...geoOptions(g), ...g.opt(0.2, () => [g.w('store'), g.k()]), ...g.opt(0.2, () => [g.w('storedist'), g.k()])],
  georadiusbymember_ro: (g) => [g.k(), g.m(), g.f(), g.unit(), ...geoOptions(g)],
  geosearch: (g) => [g.k(), ...geoFrom(g), ...geoBy(g), ...geoOptions(g)],
  geosearchstore: (g) => [g.k(), g.k(), ...geoFrom(g), ...geoBy(g), ...g.opt(0.3, () => [g.w('asc', 'desc')]), ...g.opt(0.3, () => [g.w('count'), g.n()]), ...g.opt(0.3, () => [g.w('storedist')])],
  // generic key commands
  copy: (g) => [g.k(), g.k(), ...g.opt(0.2, () => [g.w('db'), '0']), ...g.opt(0.4, () => [g.w('replace')])],
  del: (g) => g.ks(1, 5),
  unlink: (g) => g.ks(1, 5),
  exists: (g) => g.ks(1, 5),
  touch: (g) => g.ks(1, 5),
  dump: (g) => [g.k()],
  expire: (g) => [g.k(), g.ttl(), ...expireOptions(g)],
  pexpire: (g) => [g.k(), g.ttlMs(), ...expireOptions(g)],
  expireat: (g) => [g.k(), g.at(), ...expireOptions(g)],
  pexpireat: (g) => [g.k(), g.atMs(), ...expireOptions(g)],
  expiretime: (g) => [g.k()],
  pexpiretime: (g) => [g.k()],
  ttl: (g) => [g.k()],
  pttl: (g) => [g.k()],
  persist: (g) => [g.k()],
  type: (g) => [g.k()],
  rename: (g) => [g.k(), g.k()],
  renamenx: (g) => [g.k(), g.k()],
  // Not a payload Redis accepts: the checksum check is what both sides must agree on.
  restore: (g) => [g.k(), g.rng.pick(['0', '-1', 'x']), g.rng.pick(['', 'junk', '\x00\x01']), ...g.opt(0.3, () => [g.w('replace')])],
  sort: (g) => [g.k(), ...sortOptions(g, true)],
  sort_ro: (g) => [g.k(), ...sortOptions(g, false)],
  'object|encoding': (g) => [g.k()],
  'object|freq': (g) => [g.k()],
  'object|idletime': (g) => [g.k()],
  'object|refcount': (g) => [g.k()],
  // KEYS and SCAN: patterns always name this run's keys (the cluster is shared); see the test's SCAN walk.
  keys: () => [],
  scan: () => [],
  // scripts (every script is loaded on both sides before the run, so EVALSHA finds it everywhere)
  eval: (g) => [g.script(), ...keysWithNumkeys(g, 0, 3), ...g.vs(0, 2)],
  eval_ro: (g) => [g.script(), ...keysWithNumkeys(g, 0, 3), ...g.vs(0, 2)],
  evalsha: (g) => [scriptSha(g), ...keysWithNumkeys(g, 0, 3), ...g.vs(0, 2)],
  evalsha_ro: (g) => [scriptSha(g), ...keysWithNumkeys(g, 0, 3), ...g.vs(0, 2)],
  // No function library is loaded (libraries are cluster-wide state shared with other test files):
  // FCALL exercises the numkeys and lookup errors.
  fcall: (g) => [g.rng.pick(['nosuchfunction', '']), ...keysWithNumkeys(g, 0, 2), ...g.vs(0, 1)],
  fcall_ro: (g) => [g.rng.pick(['nosuchfunction', '']), ...keysWithNumkeys(g, 0, 2), ...g.vs(0, 1)],
};

/** Set by the test once the scripts are loaded: sha1 of each script in SCRIPTS. */
export const scriptShas: string[] = [];
export const FUZZ_SCRIPTS: readonly string[] = SCRIPTS;

function scriptSha(g: Gen): string {
  return g.rng.chance(0.85) && scriptShas.length > 0 ? g.rng.pick(scriptShas) : g.rng.pick(['ffffffffffffffffffffffffffffffffffffffff', 'notasha']);
}

/** Every command and fuzzed sub-command of the fuzzed families in the command table. */
export function fuzzableSpecs(): CommandSpec[] {
  const specs: CommandSpec[] = [];
  for (const spec of FALLBACK_COMMAND_TABLE.commands()) {
    if (FUZZED_CONTAINERS.includes(spec.name)) specs.push(...(spec.subcommands?.values() ?? []));
    else if (spec.aclCategories.some((c) => FUZZED_CATEGORIES.includes(c))) specs.push(spec);
  }
  return specs;
}

export interface GeneratorOptions {
  /**
   * Pipelined runs cannot resync diverged keys between commands, so there a write that slotgate must
   * refuse across slots (anything but the split commands) only gets keys of one hash-tag group, and
   * the RESYNC_AFTER commands are left out.
   */
  readonly crossSlotWrites: boolean;
}

export class CommandGenerator {
  private readonly specs: CommandSpec[];

  constructor(
    private readonly rng: Random,
    private readonly pool: KeyPool,
    private readonly options: GeneratorOptions,
    /** Builds the KEYS and SCAN patterns: this run's keys only. */
    private readonly patterns: readonly string[],
  ) {
    this.specs = fuzzableSpecs().filter((spec) => GRAMMARS[spec.name] !== undefined && EXCLUDED[spec.name] === undefined);
    if (!options.crossSlotWrites) this.specs = this.specs.filter((spec) => !RESYNC_AFTER.has(spec.name));
    this.proxyHandled = this.specs.filter((spec) => PROXY_HANDLED.has(spec.name));
  }

  private readonly proxyHandled: CommandSpec[];

  next(): FuzzCommand {
    // The commands slotgate itself takes apart (split, fanned out, numkeys-parsed) get more turns.
    const spec = this.rng.chance(0.25) ? this.rng.pick(this.proxyHandled) : this.rng.pick(this.specs);
    const sameSlot = this.rng.chance(0.4) || (!this.options.crossSlotWrites && spec.isWrite && !SPLIT_COMMANDS.has(spec.name)) || (!this.options.crossSlotWrites && spec.name.startsWith('eval'));
    const g = new Gen(this.rng, this.pool, sameSlot ? this.rng.pick(this.pool.sameSlotGroups) : undefined);
    const nameArgs = spec.parent ? [g.case(spec.parent.name), g.case(spec.name.slice(spec.name.indexOf('|') + 1))] : [g.case(spec.name)];
    let rest: Arg[];
    if (spec.name === 'keys') rest = [this.rng.pick(this.patterns)];
    else if (spec.name === 'scan') {
      // Cursor 0 starts a walk (the test follows it to the end); the others are invalid cursors.
      rest = [
        this.rng.pick(['0', '0', '0', '0', 'x', '-1', '18446744073709551616']),
        g.w('match'),
        this.rng.pick(this.patterns),
        ...g.opt(0.4, () => [g.w('count'), this.rng.pick(['100', '1000', '1000', '0'])]),
        ...g.opt(0.3, () => [g.w('type'), g.w('string', 'list', 'set', 'zset', 'hash', 'stream', 'nosuchtype')]),
      ];
    } else rest = GRAMMARS[spec.name]!(g);
    let mutation: string | undefined;
    if (this.rng.chance(0.2)) {
      const kind = this.rng.int(0, 4);
      const total = nameArgs.length + rest.length;
      if (kind === 0 && rest.length > 0) {
        const drop = Math.min(rest.length, this.rng.int(1, 2));
        rest = rest.slice(0, rest.length - drop);
        mutation = `dropped the last ${drop} argument(s)`;
      } else if (kind === 1) {
        // The table's arity, broken by one: one argument too few (or too many for a fixed arity).
        const arity = Math.abs(spec.arity);
        const target = spec.arity > 0 && this.rng.chance(0.5) ? arity + 1 : arity - 1;
        while (nameArgs.length + rest.length < target) rest.push(g.v());
        rest = rest.slice(0, Math.max(0, target - nameArgs.length));
        mutation = `arity ${target} (table: ${spec.arity}, was ${total})`;
      } else if (kind === 2) {
        rest = [...rest, g.k()];
        mutation = 'appended a key';
      } else if (kind === 3 && g.keys.length > 0) {
        // A key the command already names, again at the end: `MSET a 1 b 2 a` (odd pairs, repeated key).
        const key = this.rng.pick(g.keys);
        g.keys.push(key);
        rest = [...rest, key];
        mutation = 'appended a key it already names';
      } else {
        rest = [...rest, ...g.vs(1, 2)];
        mutation = 'appended value(s)';
      }
    }
    const args = [...nameArgs, ...rest].map((a) => (typeof a === 'string' ? Buffer.from(a) : a));
    return { name: spec.name, spec, args, keys: g.keys, mutation };
  }
}
