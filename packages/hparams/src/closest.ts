// "Did you mean …" for mistyped keys and paths.

/** Optimal string alignment distance, case-insensitive: a swapped pair of letters counts as one edit. */
export function editDistance(a: string, b: string): number {
  const s = a.toLowerCase();
  const t = b.toLowerCase();
  // rows[i][j] = distance between the first i letters of s and the first j of t.
  const rows: number[][] = Array.from({ length: s.length + 1 }, (_, i) => Array.from({ length: t.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  const at = (i: number, j: number) => rows[i]?.[j] ?? Number.POSITIVE_INFINITY;
  for (let i = 1; i <= s.length; i++) {
    const row = rows[i] ?? [];
    for (let j = 1; j <= t.length; j++) {
      const cost = s[i - 1] === t[j - 1] ? 0 : 1;
      let best = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && s[i - 1] === t[j - 2] && s[i - 2] === t[j - 1]) {
        best = Math.min(best, at(i - 2, j - 2) + 1);
      }
      row[j] = best;
    }
  }
  return at(s.length, t.length);
}

/**
 * How many edits still look like a typo of `word` rather than a different
 * word: about one in three letters, at least one.
 */
export function typoTolerance(word: string): number {
  return Math.max(1, Math.floor(word.length / 3));
}

/** The candidate nearest to `word` within `maxDistance` edits; the first wins a tie. */
export function closestMatch(word: string, candidates: Iterable<string>, maxDistance = typoTolerance(word)): string | undefined {
  let best: string | undefined;
  let bestDistance = maxDistance + 1;
  for (const candidate of candidates) {
    const distance = editDistance(word, candidate);
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}
