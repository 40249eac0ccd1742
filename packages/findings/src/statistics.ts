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
  return percentileInterval(differences, level);
}

/** The percentile interval of bootstrap replicates (type-7 quantiles, as above). */
function percentileInterval(replicates: Float64Array, level: number): { low: number; high: number } {
  replicates.sort();
  const sorted = Array.from(replicates);
  return { low: quantile(sorted, (1 - level) / 2), high: quantile(sorted, (1 + level) / 2) };
}

interface BootstrapOptions {
  resamples?: number;
  level?: number;
  seed?: number;
}

/** Clusters as (sum, count) pairs, so a resampled cluster adds its whole sum and size at once. */
function clusterSums(clusters: readonly (readonly number[])[]): { sums: Float64Array; counts: Float64Array } {
  const sums = new Float64Array(clusters.length);
  const counts = new Float64Array(clusters.length);
  clusters.forEach((values, i) => {
    let sum = 0;
    for (const v of values) sum += v;
    sums[i] = sum;
    counts[i] = values.length;
  });
  return { sums, counts };
}

/** Draws clusters.length clusters with replacement and returns the mean over all the runs they hold. */
function resampledClusterMean(clusters: { sums: Float64Array; counts: Float64Array }, random: () => number): number {
  const k = clusters.sums.length;
  let sum = 0;
  let count = 0;
  for (let i = 0; i < k; i++) {
    const c = Math.floor(random() * k);
    sum += clusters.sums[c]!;
    count += clusters.counts[c]!;
  }
  return sum / count;
}

/** mean over every run of the clusters: the statistic the cluster bootstrap resamples. */
export function pooledMean(clusters: readonly (readonly number[])[]): number {
  let sum = 0;
  let count = 0;
  for (const values of clusters) {
    for (const v of values) sum += v;
    count += values.length;
  }
  return sum / count;
}

/**
 * Cluster (configuration) bootstrap for mean(a) − mean(b), where a and b are lists of clusters (the replicate runs
 * of one configuration: runs that differ only in their seeds). Each resample draws, within each side and
 * independently, as many clusters as the side has, with replacement, and takes the mean over every run of the
 * drawn clusters (a cluster drawn twice counts its runs twice); the interval is the percentile interval of the
 * differences. Runs of one configuration are not independent observations: resampling runs would treat ten seeds
 * of one configuration as ten experiments and give too narrow an interval.
 *
 * With one run per cluster this draws exactly the same random numbers as bootstrapMeanDifference and gives the same
 * interval; with equal cluster sizes it is the ordinary bootstrap of the cluster means.
 */
export function bootstrapClusteredMeanDifference(
  a: readonly (readonly number[])[],
  b: readonly (readonly number[])[],
  options: BootstrapOptions = {},
): { low: number; high: number } {
  const resamples = options.resamples ?? 4000;
  const random = seededRandom(options.seed ?? 0x7b0a4d);
  const ca = clusterSums(a);
  const cb = clusterSums(b);
  const differences = new Float64Array(resamples);
  for (let i = 0; i < resamples; i++) differences[i] = resampledClusterMean(ca, random) - resampledClusterMean(cb, random);
  return percentileInterval(differences, options.level ?? 0.95);
}

/** One stratum of a matched comparison: the clusters on each side, and the stratum's weight in the combination. */
export interface Stratum {
  a: readonly (readonly number[])[];
  b: readonly (readonly number[])[];
  weight: number;
}

/** Σ weight·(pooledMean(a) − pooledMean(b)) / Σ weight over strata with both sides present. */
export function stratifiedDifference(strata: readonly Stratum[]): number {
  let total = 0;
  let weights = 0;
  for (const s of strata) {
    total += s.weight * (pooledMean(s.a) - pooledMean(s.b));
    weights += s.weight;
  }
  return total / weights;
}

/**
 * Cluster bootstrap of stratifiedDifference: in every resample, each stratum's clusters are redrawn with replacement
 * within each side (as in bootstrapClusteredMeanDifference), and the strata are combined with their fixed weights.
 */
export function bootstrapStratifiedDifference(strata: readonly Stratum[], options: BootstrapOptions = {}): { low: number; high: number } {
  const resamples = options.resamples ?? 4000;
  const random = seededRandom(options.seed ?? 0x7b0a4d);
  const prepared = strata.map((s) => ({ a: clusterSums(s.a), b: clusterSums(s.b), weight: s.weight }));
  let weights = 0;
  for (const s of prepared) weights += s.weight;
  const differences = new Float64Array(resamples);
  for (let i = 0; i < resamples; i++) {
    let total = 0;
    for (const s of prepared) total += s.weight * (resampledClusterMean(s.a, random) - resampledClusterMean(s.b, random));
    differences[i] = total / weights;
  }
  return percentileInterval(differences, options.level ?? 0.95);
}

/**
 * "Best per group": groups are lists of configurations, each a list of its replicate runs' values. A group's best is
 * its best configuration's mean (max when higher is better, min when lower); the statistic is the mean of side a's
 * group bests minus the mean of side b's.
 */
export function bestPerGroupDifference(
  a: readonly (readonly (readonly number[])[])[],
  b: readonly (readonly (readonly number[])[])[],
  higherIsBetter: boolean,
): number {
  const best = (group: readonly (readonly number[])[]) => {
    let value = higherIsBetter ? -Infinity : Infinity;
    for (const configuration of group) {
      const m = mean(configuration);
      if (higherIsBetter ? m > value : m < value) value = m;
    }
    return value;
  };
  return mean(a.map(best)) - mean(b.map(best));
}

/**
 * Bootstrap of bestPerGroupDifference that resamples seeds within configurations: each configuration's runs are
 * redrawn with replacement, its mean recomputed, and each group's best chosen again from the resampled means (so the
 * interval includes the luck of picking the best of several noisy configurations). Configurations with one run do not
 * vary; groups are not resampled (they are the levels the rule compares, not a sample).
 */
export function bootstrapBestPerGroupDifference(
  a: readonly (readonly (readonly number[])[])[],
  b: readonly (readonly (readonly number[])[])[],
  higherIsBetter: boolean,
  options: BootstrapOptions = {},
): { low: number; high: number } {
  const resamples = options.resamples ?? 4000;
  const random = seededRandom(options.seed ?? 0x7b0a4d);
  const resampledBestMean = (groups: readonly (readonly (readonly number[])[])[]) => {
    let total = 0;
    for (const group of groups) {
      let best = higherIsBetter ? -Infinity : Infinity;
      for (const values of group) {
        const n = values.length;
        let sum = 0;
        for (let j = 0; j < n; j++) sum += values[Math.floor(random() * n)]!;
        const m = sum / n;
        if (higherIsBetter ? m > best : m < best) best = m;
      }
      total += best;
    }
    return total / groups.length;
  };
  const differences = new Float64Array(resamples);
  for (let i = 0; i < resamples; i++) differences[i] = resampledBestMean(a) - resampledBestMean(b);
  return percentileInterval(differences, options.level ?? 0.95);
}
