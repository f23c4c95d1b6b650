import { describe, expect, it } from 'vitest';
import { encodeArrayOfFrames, encodeBulk, encodeInteger } from '../../../src/protocol/encoder.js';
import { mergeNewestFirst, mergeSlowlogReplies, slowlogCount } from '../../../src/upstream/slowlog-merge.js';

/** A slow log entry frame as Redis 7 writes it. */
function entry(id: number, time: number, micros: number, command: string): Buffer {
  return encodeArrayOfFrames([
    encodeInteger(id),
    encodeInteger(time),
    encodeInteger(micros),
    encodeArrayOfFrames(command.split(' ').map((a) => encodeBulk(a))),
    encodeBulk('127.0.0.1:5000'),
    encodeBulk(''),
  ]);
}
const part = (label: string, entries: Buffer[]) => ({ frame: encodeArrayOfFrames(entries), isError: false, label });

describe('mergeNewestFirst', () => {
  it('takes the count newest of newest-first lists; ties keep list order, then each list\'s order', () => {
    const lists = [[9, 5, 5], [7, 5], [], [8]];
    const merged = mergeNewestFirst(lists, (t) => t, 5);
    expect(merged.map((p) => [p.item, p.list])).toEqual([[9, 0], [8, 3], [7, 1], [5, 0], [5, 0]]);
    expect(mergeNewestFirst(lists, (t) => t, -1)).toHaveLength(6);
    expect(mergeNewestFirst(lists, (t) => t, 0)).toEqual([]);
  });
});

describe('mergeSlowlogReplies', () => {
  const a = [entry(3, 1700000010, 20000, 'get a'), entry(2, 1700000005, 15000, 'get b')];
  const b = [entry(3, 1700000008, 30000, 'set c 1'), entry(1, 1700000001, 11000, 'del d')];

  it('merges the masters\' entries newest first, each entry byte for byte as its node wrote it', () => {
    const merged = mergeSlowlogReplies('SLOWLOG GET', [part('@0', a), part('@1', b)], 3);
    expect(merged).toEqual(encodeArrayOfFrames([a[0]!, b[0]!, a[1]!]));
    expect(mergeSlowlogReplies('SLOWLOG GET', [part('@0', a), part('@1', b)], -1)).toEqual(encodeArrayOfFrames([a[0]!, b[0]!, a[1]!, b[1]!]));
    expect(mergeSlowlogReplies('SLOWLOG GET', [part('@0', []), part('@1', [])], 10).toString()).toBe('*0\r\n');
  });

  it('fails with the part that failed or answered something else, never a partial log', () => {
    const failed = { frame: Buffer.from('-ERR boom\r\n'), isError: true, label: '@1 master x' };
    expect(mergeSlowlogReplies('SLOWLOG GET', [part('@0', a), failed], 3).toString()).toMatch(/^-ERR .*@1 master x.*boom/);
    const odd = { frame: Buffer.from(':1\r\n'), isError: false, label: '@2 master y' };
    expect(mergeSlowlogReplies('SLOWLOG GET', [part('@0', a), odd], 3).toString()).toMatch(/^-ERR .*@2 master y.*unexpected reply/);
    const notEntry = part('@1', [encodeInteger(5)]);
    expect(mergeSlowlogReplies('SLOWLOG GET', [part('@0', a), notEntry], 3).toString()).toMatch(/^-ERR .*@1.*unexpected reply/);
  });
});

describe('slowlogCount', () => {
  const args = (...rest: string[]) => ['SLOWLOG', 'GET', ...rest].map((s) => Buffer.from(s));
  it('is 10 by default, the count given, and every entry for a negative one', () => {
    expect(slowlogCount(args())).toBe(10);
    expect(slowlogCount(args('3'))).toBe(3);
    expect(slowlogCount(args('0'))).toBe(0);
    expect(slowlogCount(args('-1'))).toBe(-1);
  });
});
