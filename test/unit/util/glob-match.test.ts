import { describe, expect, it } from 'vitest';
import { globMatch } from '../../../src/util/glob-match.js';

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
