/**
 * "Did you mean …?" for names the user typed that match nothing (a flag, a config-file key, a
 * SLOTGATE_* variable): the closest known name, when it is close enough to be a likely typo.
 */

/** Farther than this many edits from every candidate, a name gets no suggestion. */
const MAX_SUGGESTION_DISTANCE = 3;

/** The candidate closest to `typed` by edit distance, or null when none is within 3 edits. */
export function closestName(typed: string, candidates: Iterable<string>): string | null {
  let best: string | null = null;
  let bestDistance = MAX_SUGGESTION_DISTANCE + 1;
  for (const candidate of candidates) {
    const distance = editDistance(typed, candidate);
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

/** Levenshtein distance (insertions, deletions, substitutions), one row at a time. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}
