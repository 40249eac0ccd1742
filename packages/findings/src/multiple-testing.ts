/**
 * Multiple testing: when many candidate effects are tested at once, some small p-values are luck. Benjamini and
 * Hochberg (1995) control the false discovery rate — the expected share of false ones among those declared — at q.
 */

/**
 * Benjamini–Hochberg adjusted p-values (q-values), in the input's order: for the i-th smallest of m p-values,
 * min over j ≥ i of p(j)·m/j, at most 1. Declaring every candidate with q ≤ α controls the false discovery rate at α
 * (for independent or positively dependent tests). The same figures as SciPy's `false_discovery_control(p, method='bh')`.
 */
export function benjaminiHochberg(pValues: readonly number[]): number[] {
  const m = pValues.length;
  for (const p of pValues) if (!(p >= 0 && p <= 1)) throw new RangeError(`A p-value must be between 0 and 1, not ${p}`);
  const order = pValues.map((p, i) => [p, i] as const).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const adjusted = new Array<number>(m);
  let running = 1;
  for (let rank = m; rank >= 1; rank--) {
    const [p, index] = order[rank - 1]!;
    running = Math.min(running, (p * m) / rank);
    adjusted[index] = running;
  }
  return adjusted;
}
