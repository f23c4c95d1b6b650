import { describe, expect, it } from 'vitest';
import { globMatch, globMayMatchPrefix } from '../../../src/util/glob-match.js';
import { mayReceiveNotifications } from '../../../src/upstream/notification-channels.js';

describe('globMatch (Redis stringmatchlen)', () => {
  it.each([
    ['news.*', 'news.tech', true],
    ['news.*', 'news', false],
    ['*', '', false], // Redis's loop never starts on an empty string
    ['h?llo', 'hello', true],
    ['h?llo', 'hllo', false],
    ['h[ae]llo', 'hallo', true],
    ['h[^e]llo', 'hello', false],
    ['h[a-b]llo', 'hbllo', true],
    ['h[b-a]llo', 'hallo', true], // a reversed range, as Redis takes it
    ['h\\*llo', 'h*llo', true],
    ['h\\*llo', 'hello', false],
    ['a*b*c', 'aXbYc', true],
    ['a*b*c', 'aXbY', false],
    ['[abc', 'c', true], // an unterminated class ends at the last char
    ['ab**', 'ab', true],
  ])('%s against %s: %s', (pattern, text, expected) => {
    expect(globMatch(pattern, text)).toBe(expected);
  });

  it('gives up on a pathological pattern quickly, as Redis does', () => {
    expect(globMatch('a*'.repeat(30) + 'b', 'a'.repeat(60))).toBe(false);
  });
});

describe('globMayMatchPrefix: can a channel starting with the prefix match?', () => {
  it.each([
    ['*', true],
    ['__key*', true],
    ['__keyspace@0__:*', true],
    ['__keyspace@*__:foo', true],
    ['__key?pace@0__:*', true],
    ['__[k]eyspace@*', true],
    ['[_]_keyspace@', true], // exactly the prefix
    ['\\_\\_keyspace@*', true],
    ['?*', true],
    ['news.*', false],
    ['__keyevent@*', false],
    ['__keyspace', false], // shorter than the prefix, no star
    ['__[^k]eyspace@*', false],
    ['_\\*keyspace@*', false],
  ])('%s: %s', (pattern, expected) => {
    expect(globMayMatchPrefix(pattern, '__keyspace@')).toBe(expected);
  });

  it('never says no where a channel with the prefix matches (random patterns against a brute force)', () => {
    let seed = 7;
    const random = (n: number): number => ((seed = (seed * 1103515245 + 12345) % 2147483648), seed % n);
    const atoms = ['a', 'b', '*', '?', '[ab]', '[^a]', '\\a', '[a-b]'];
    const suffixes = ['', 'a', 'b', 'c', 'ab', 'ba', 'abc', 'bca', 'aab'];
    for (let i = 0; i < 3000; i++) {
      let pattern = '';
      for (let n = 1 + random(5); n > 0; n--) pattern += atoms[random(atoms.length)];
      const prefix = ['a', 'ab', 'ba', 'bb'][random(4)]!;
      const somewhere = suffixes.some((suffix) => globMatch(pattern, prefix + suffix));
      if (somewhere) expect(globMayMatchPrefix(pattern, prefix), `${pattern} / ${prefix}`).toBe(true);
    }
  });
});

describe('mayReceiveNotifications', () => {
  it.each([
    ['pattern', '*', true],
    ['pattern', '__key*__:*', true],
    ['pattern', '__keyevent@0__:*', true],
    ['pattern', 'news.*', false],
    ['channel', '__keyevent@0__:set', true],
    ['channel', '__keyspace@0__:foo', true],
    ['channel', 'news', false],
    ['shard', '__keyevent@0__:set', false],
  ] as const)('%s %s: %s', (kind, name, expected) => {
    expect(mayReceiveNotifications(kind, name)).toBe(expected);
  });
});
