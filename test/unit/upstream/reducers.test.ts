// Every reducer, with part replies built by hand: expected results follow from the inputs (a sum
// of the given integers, the values put back where the keys were…), never from running a reducer.
import { describe, expect, it } from 'vitest';
import { keyHashSlot } from '../../../src/cluster/hash-slot.js';
import { REDUCERS, failureOf, type PartReply, type ReduceInput } from '../../../src/upstream/reducers.js';
import { splitBySlot } from '../../../src/routing/splitter.js';
import { encodeArrayOfFrames, encodeBulk, encodeError, encodeInteger, encodeSimple, encodeValue } from '../../../src/protocol/encoder.js';
import { parseReply, RespError, type RespValue } from '../../../src/protocol/reply-parser.js';

const part = (frame: Buffer, label = '@0 master aaa'): PartReply => ({ frame, isError: frame[0] === 0x2d, label });
const parts = (...frames: Buffer[]): PartReply[] => frames.map((f, i) => part(f, `@${i} master n${i}`));
const input = (command: string, replies: PartReply[], extra: Partial<ReduceInput> = {}): ReduceInput => ({ command, replies, ...extra });
const bulks = (...values: (string | null)[]) => encodeArrayOfFrames(values.map((v) => encodeBulk(v)));
const ints = (...values: number[]) => encodeArrayOfFrames(values.map((v) => encodeInteger(v)));
const parsed = (frame: Buffer): RespValue => parseReply(frame);
const text = (v: RespValue) => (Buffer.isBuffer(v) ? v.toString() : v);

describe('failures (shared by every reducer)', () => {
  const reducerNames = Object.keys(REDUCERS) as (keyof typeof REDUCERS)[];

  it.each(reducerNames)('%s: one failed part fails the command, naming the part', (name) => {
    const replies = [part(encodeInteger(1), '@0 master n0'), part(encodeError('LOADING Redis is loading the dataset in memory'), '@1 master n1')];
    const reply = parsed(REDUCERS[name](input('DBSIZE', replies, { positions: [[0], [1]], keyCount: 2 })));
    expect(reply).toBeInstanceOf(RespError);
    expect((reply as RespError).message).toBe('ERR slotgate: DBSIZE failed on @1 master n1: LOADING Redis is loading the dataset in memory');
  });

  it.each(reducerNames)('%s: the same error from every part is the answer, as the backend said it', (name) => {
    const error = encodeError("ERR Error compiling script (new function): user_script:1: '=' expected near 'x'");
    expect(REDUCERS[name](input('SCRIPT LOAD', parts(error, Buffer.from(error)), { positions: [[0], [1]], keyCount: 2 }))).toEqual(error);
  });

  it('failureOf is null when no part failed', () => {
    expect(failureOf(input('X', parts(encodeInteger(1), encodeInteger(2))))).toBeNull();
  });
});

describe('mget', () => {
  it('puts every value back at its key position, over random splits', () => {
    const keys = Array.from({ length: 200 }, (_, i) => (i % 7 === 0 ? `{same}${i}` : `k${i * 7919}`));
    const stored = new Map(keys.filter((_, i) => i % 3 !== 0).map((k) => [k, `v(${k})`]));
    const args = [Buffer.from('MGET'), ...keys.map((k) => Buffer.from(k))];
    const split = splitBySlot(args, keys.map((_, i) => i + 1), 0);
    // What each node would answer: the values of the part's keys, in the part's order.
    const replies = split.map((p) => part(bulks(...p.args.slice(1).map((k) => stored.get(k.toString()) ?? null))));
    const reply = parsed(REDUCERS.mget(input('MGET', replies, { positions: split.map((p) => p.positions), keyCount: keys.length })));
    expect((reply as RespValue[]).map((v) => (v === null ? null : text(v)))).toEqual(keys.map((k) => stored.get(k) ?? null));
    expect(split.every((p) => p.args.slice(1).every((k) => keyHashSlot(k) === p.slot))).toBe(true);
  });

  it('a part answering something else than one value per key is a failure of that part', () => {
    const reply = parsed(REDUCERS.mget(input('MGET', [part(bulks('a'), 'slot 1 of @0'), part(bulks('b'), 'slot 2 of @1')], { positions: [[0], [1, 2]], keyCount: 3 })));
    expect((reply as RespError).message).toMatch(/^ERR slotgate: MGET failed on slot 2 of @1: unexpected reply/);
  });
});

describe('same-reply', () => {
  it('returns the common reply', () => {
    expect(REDUCERS['same-reply'](input('MSET', parts(encodeSimple('OK'), encodeSimple('OK'), encodeSimple('OK'))))).toEqual(encodeSimple('OK'));
    const sha = encodeBulk('e0e1f9fabfc9d4800c877a703b823ac0578ff8db');
    expect(REDUCERS['same-reply'](input('SCRIPT LOAD', parts(sha, Buffer.from(sha))))).toEqual(sha);
  });

  it('names the parts that disagree', () => {
    const reply = parsed(REDUCERS['same-reply'](input('FUNCTION LOAD', parts(encodeBulk('lib'), encodeBulk('lib'), encodeBulk('other')))));
    expect((reply as RespError).message).toBe('ERR slotgate: FUNCTION LOAD got different replies from @0 master n0 and @2 master n2');
  });
});

describe('sum', () => {
  it('adds the integers', () => {
    expect(parsed(REDUCERS.sum(input('DEL', parts(encodeInteger(3), encodeInteger(0), encodeInteger(4)))))).toBe(7);
  });
  it('refuses a non-integer part', () => {
    expect(parsed(REDUCERS.sum(input('DBSIZE', parts(encodeInteger(3), encodeBulk('x')))))).toBeInstanceOf(RespError);
  });
});

describe('concat and union', () => {
  it('concat keeps every element of every part, in part order', () => {
    const reply = parsed(REDUCERS.concat(input('KEYS', parts(bulks('a', 'b'), bulks(), bulks('c')))));
    expect((reply as RespValue[]).map(text)).toEqual(['a', 'b', 'c']);
  });
  it('union drops elements already seen', () => {
    const reply = parsed(REDUCERS.union(input('PUBSUB CHANNELS', parts(bulks('news', 'x'), bulks('news'), bulks('y', 'x')))));
    expect((reply as RespValue[]).map(text)).toEqual(['news', 'x', 'y']);
  });
});

describe('sum-pairs', () => {
  it('adds the counts per channel', () => {
    const reply = (counts: number[]) => encodeArrayOfFrames([encodeBulk('a'), encodeInteger(counts[0]!), encodeBulk('b'), encodeInteger(counts[1]!)]);
    const merged = parsed(REDUCERS['sum-pairs'](input('PUBSUB NUMSUB', parts(reply([1, 0]), reply([2, 5]), reply([0, 1])))));
    expect((merged as RespValue[]).map(text)).toEqual(['a', 3, 'b', 6]);
  });
});

describe('and-per-index', () => {
  it('is 1 only where every part says 1', () => {
    const merged = parsed(REDUCERS['and-per-index'](input('SCRIPT EXISTS', parts(ints(1, 1, 0), ints(1, 0, 0), ints(1, 1, 1)))));
    expect(merged).toEqual([1, 0, 0]);
  });
});

describe('random-non-null', () => {
  it('picks among the non-null replies only', () => {
    const replies = parts(encodeBulk(null), encodeBulk('k1'), encodeBulk(null), encodeBulk('k2'));
    const picks = new Set<string>();
    for (const r of [0, 0.49, 0.5, 0.99]) picks.add(text(parsed(REDUCERS['random-non-null'](input('RANDOMKEY', replies, { random: () => r })))) as string);
    expect([...picks].sort()).toEqual(['k1', 'k2']);
  });
  it('is null when every master is empty', () => {
    expect(parsed(REDUCERS['random-non-null'](input('RANDOMKEY', parts(encodeBulk(null), encodeBulk(null)))))).toBeNull();
  });
});

describe('any-ok', () => {
  const notBusy = encodeError('NOTBUSY No scripts in execution right now.');
  it('OK when one part killed something and the others had nothing to kill', () => {
    expect(REDUCERS['any-ok'](input('SCRIPT KILL', parts(notBusy, encodeSimple('OK'), notBusy)))).toEqual(encodeSimple('OK'));
  });
  it('NOTBUSY when nothing ran anywhere', () => {
    expect(REDUCERS['any-ok'](input('SCRIPT KILL', parts(notBusy, notBusy)))).toEqual(notBusy);
  });
  it('fails on another error', () => {
    const reply = parsed(REDUCERS['any-ok'](input('SCRIPT KILL', parts(notBusy, encodeError('UNKILLABLE Sorry the script already executed write commands')))));
    expect((reply as RespError).message).toMatch(/^ERR slotgate: SCRIPT KILL failed on @1 master n1: UNKILLABLE/);
  });
});

describe('same-elements', () => {
  const lib = (name: string, fns: string[]) => [Buffer.from('library_name'), Buffer.from(name), Buffer.from('functions'), fns.map((f) => [Buffer.from('name'), Buffer.from(f)])];
  it('accepts the same libraries in another order, at any depth', () => {
    const a = encodeValue([lib('l1', ['f1', 'f2']), lib('l2', ['g'])]);
    const b = encodeValue([lib('l2', ['g']), lib('l1', ['f2', 'f1'])]);
    expect(REDUCERS['same-elements'](input('FUNCTION LIST', parts(a, b)))).toEqual(a);
  });
  it('refuses different libraries', () => {
    const a = encodeValue([lib('l1', ['f1'])]);
    const b = encodeValue([lib('l1', ['f1']), lib('l2', ['g'])]);
    expect(parsed(REDUCERS['same-elements'](input('FUNCTION LIST', parts(a, b))))).toBeInstanceOf(RespError);
  });
});

describe('same-function-dump', () => {
  // Library records: opcode 0xf5 and the code as an RDB string with a 6-bit length.
  const record = (code: string) => Buffer.concat([Buffer.from([0xf5, code.length]), Buffer.from(code)]);
  const dump = (...codes: string[]) => encodeBulk(Buffer.concat([...codes.map(record), Buffer.alloc(10, 7)]));
  it('accepts the same libraries dumped in another order', () => {
    const a = dump('#!lua name=a\n', '#!lua name=b\n');
    expect(REDUCERS['same-function-dump'](input('FUNCTION DUMP', parts(a, dump('#!lua name=b\n', '#!lua name=a\n'))))).toEqual(a);
  });
  it('refuses dumps of different libraries', () => {
    const reply = parsed(REDUCERS['same-function-dump'](input('FUNCTION DUMP', parts(dump('#!lua name=a\n'), dump('#!lua name=c\n')))));
    expect(reply).toBeInstanceOf(RespError);
  });
});
