/**
 * Redis's glob matching (util.c stringmatchlen, case-sensitive), for deciding here which
 * PSUBSCRIBE patterns a PUBLISH reaches (handlers/pubsub-commands.ts counts them as Redis does).
 * Strings are latin1 (one char per byte), as the subscriber hub keys channels. A straight port,
 * with Redis's guards: nesting over 1000 is no match, and a failed `*` stops longer tries.
 */
export function globMatch(pattern: string, text: string): boolean {
  return matchFrom(pattern, 0, text, 0, { skipLonger: false }, 0);
}

function matchFrom(pattern: string, p: number, text: string, s: number, state: { skipLonger: boolean }, nesting: number): boolean {
  if (nesting > 1000) return false;
  const pEnd = pattern.length;
  const sEnd = text.length;
  while (p < pEnd && s < sEnd) {
    const c = pattern[p];
    if (c === '*') {
      while (p + 1 < pEnd && pattern[p + 1] === '*') p++;
      if (p + 1 === pEnd) return true;
      while (s < sEnd) {
        if (matchFrom(pattern, p + 1, text, s, state, nesting + 1)) return true;
        if (state.skipLonger) return false;
        s++;
      }
      state.skipLonger = true;
      return false;
    } else if (c === '?') {
      s++;
    } else if (c === '[') {
      const end = matchClass(pattern, p + 1, text[s]!);
      if (end.matched === false) return false;
      p = end.at;
      s++;
    } else {
      if (c === '\\' && pEnd - p >= 2) p++;
      if (pattern[p] !== text[s]) return false;
      s++;
    }
    p++;
    if (s === sEnd) {
      while (p < pEnd && pattern[p] === '*') p++;
      break;
    }
  }
  return p === pEnd && s === sEnd;
}

/** A `[...]` class starting after its `[`: whether `ch` matches, and where the class ends (its `]`, or the last char). */
function matchClass(pattern: string, start: number, ch: string): { matched: boolean; at: number } {
  let p = start;
  const not = pattern[p] === '^';
  if (not) p++;
  let match = false;
  for (;;) {
    const left = pattern.length - p;
    if (pattern[p] === '\\' && left >= 2) {
      p++;
      if (pattern[p] === ch) match = true;
    } else if (pattern[p] === ']') {
      break;
    } else if (left === 0) {
      p--; // an unterminated class ends at the pattern's last char, as in Redis
      break;
    } else if (left >= 3 && pattern[p + 1] === '-') {
      let lo = pattern.charCodeAt(p);
      let hi = pattern.charCodeAt(p + 2);
      if (lo > hi) [lo, hi] = [hi, lo];
      const code = ch.charCodeAt(0);
      if (code >= lo && code <= hi) match = true;
      p += 2;
    } else if (pattern[p] === ch) {
      match = true;
    }
    p++;
  }
  return { matched: not ? !match : match, at: p };
}

/**
 * Whether some string that starts with `prefix` can match `pattern` (deciding which PSUBSCRIBE
 * patterns keyspace notifications, `__keyspace@…`, can reach). The pattern is run over the prefix
 * as a set of positions (a `*` stays put or moves on); any position left means a continuation may
 * match. It errs only towards yes (a class that matches nothing, `[]`, still counts), which costs
 * an extra subscription, never a lost message.
 */
export function globMayMatchPrefix(pattern: string, prefix: string): boolean {
  let positions = starClosure(pattern, [0]);
  for (let s = 0; s < prefix.length && positions.length > 0; s++) {
    const ch = prefix[s]!;
    const next: number[] = [];
    for (const p of positions) {
      const after = stepOver(pattern, p, ch);
      if (after !== null && !next.includes(after)) next.push(after);
    }
    positions = starClosure(pattern, next);
  }
  return positions.length > 0;
}

/** Where the pattern stands after `ch` is taken at `p` (a `*` takes it and stays), or null if it cannot be. */
function stepOver(pattern: string, p: number, ch: string): number | null {
  if (p >= pattern.length) return null;
  const c = pattern[p];
  if (c === '*') return p;
  if (c === '?') return p + 1;
  if (c === '[') {
    const end = matchClass(pattern, p + 1, ch);
    return end.matched ? end.at + 1 : null;
  }
  if (c === '\\' && pattern.length - p >= 2) return pattern[p + 1] === ch ? p + 2 : null;
  return c === ch ? p + 1 : null;
}

/** `positions` plus, for each `*`, the positions after it (a `*` may match nothing). */
function starClosure(pattern: string, positions: number[]): number[] {
  const out: number[] = [];
  for (let p of positions) {
    if (!out.includes(p)) out.push(p);
    while (pattern[p] === '*') {
      p++;
      if (!out.includes(p)) out.push(p);
    }
  }
  return out;
}
