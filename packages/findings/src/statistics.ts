/** Small, exact statistics for evidence groups (a few to a few thousand runs). */

export function mean(values: readonly number[]): number {
  let sum = 0;
  for (const v of values) sum += v;
  return sum / values.length;
}

/** Linear-interpolated quantile (the "type 7" definition of R and NumPy), q in [0, 1]. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const position = (sorted.length - 1) * q;
  const lower = Math.floor(position);
  const upper = Math.ceil(position);
  const weight = position - lower;
  return sorted[lower]! * (1 - weight) + sorted[upper]! * weight;
}

export function median(values: readonly number[]): number {
  return quantile(
    [...values].sort((a, b) => a - b),
    0.5,
  );
}

/** mulberry32: a tiny seeded generator, so the same evidence always gives the same interval. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Percentile bootstrap interval for mean(a) − mean(b): resample each group with replacement `resamples`
 * times and take the (1−level)/2 and (1+level)/2 quantiles of the differences.
 */
export function bootstrapMeanDifference(
  a: readonly number[],
  b: readonly number[],
  options: { resamples?: number; level?: number; seed?: number } = {},
): { low: number; high: number } {
  const resamples = options.resamples ?? 4000;
  const level = options.level ?? 0.95;
  const random = seededRandom(options.seed ?? 0x7b0a4d);
  const resampledMean = (values: readonly number[]) => {
    let sum = 0;
    for (let i = 0; i < values.length; i++) sum += values[Math.floor(random() * values.length)]!;
    return sum / values.length;
  };
  const differences = new Float64Array(resamples);
  for (let i = 0; i < resamples; i++) differences[i] = resampledMean(a) - resampledMean(b);
  differences.sort();
  const sorted = Array.from(differences);
  return { low: quantile(sorted, (1 - level) / 2), high: quantile(sorted, (1 + level) / 2) };
}
