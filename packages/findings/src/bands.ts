/**
 * Groups of runs drawn as one line with a band: which runs form a group (by chosen paths, or by configuration
 * without seeds, see replicates.ts), and per group the mean, extremes, standard deviation and 95 % interval of
 * the mean of a metric along a common x grid.
 *
 * Alignment: the x range every member series of every group covers, [from, to], is cut into `buckets` equal
 * buckets (one grid for all groups, so their bands line up). A run's value in a bucket is the mean of its finite
 * points there (the points are the downsampled copy the metrics store keeps: per block its minimum and maximum,
 * so the mean of a bucket is the middle of what the run did there); a run with no finite point in a bucket does
 * not count there. Per bucket and group: n runs, their mean, min, max, sample standard deviation (n − 1) and the
 * Student-t 95 % interval of the mean, mean ± t(0.975, n − 1) · s / √n; std and interval are null below 2 runs.
 * A bucket no member reaches is left out; its x is the mean x of the points that fell in it.
 */
import { configurationKey, isSeedPath } from './replicates';

type ParamValue = number | string | boolean | null;

/** How runs are grouped: by the values of chosen paths, or by their whole configuration except the seeds. */
export type Grouping = { paths: readonly string[] } | { allButSeeds: true };

export interface GroupableRun {
  id: string;
  params: Readonly<Record<string, unknown>>;
}

export interface RunGroup {
  /** Stable identity of the group (the grouping values). */
  key: string;
  /** What tells the group apart, e.g. "batchSize=32, optimizer.learningRate=0.1"; "all runs" when nothing does. */
  label: string;
  /** The grouped paths and their values in this group (null where the runs lack the path). */
  values: Record<string, ParamValue>;
  runIds: string[];
}

const scalar = (value: unknown): ParamValue =>
  typeof value === 'number' || typeof value === 'string' || typeof value === 'boolean' ? value : value == null ? null : JSON.stringify(value);

/** Paths whose value differs among the runs, seeds excluded: what tells configurations apart. */
export function varyingNonSeedPaths(runs: readonly GroupableRun[]): string[] {
  const paths = new Set(runs.flatMap((run) => Object.keys(run.params)));
  return [...paths].filter((path) => !isSeedPath(path) && new Set(runs.map((run) => JSON.stringify(scalar(run.params[path])))).size > 1).sort();
}

const formatValue = (value: ParamValue) => (typeof value === 'string' ? value : String(value));

/** The groups of `runs` under `grouping`, in the order their first run appears. */
export function groupRuns(runs: readonly GroupableRun[], grouping: Grouping): RunGroup[] {
  const shown = 'paths' in grouping ? [...grouping.paths] : varyingNonSeedPaths(runs);
  const groups = new Map<string, RunGroup>();
  for (const run of runs) {
    const values = Object.fromEntries(shown.map((path) => [path, scalar(run.params[path])]));
    const key =
      'paths' in grouping
        ? JSON.stringify(shown.map((path) => values[path]))
        : configurationKey(Object.fromEntries(Object.entries(run.params).map(([path, value]) => [path, scalar(value) ?? 'null'])) as Record<string, string>);
    let group = groups.get(key);
    if (!group) {
      const label = shown.length === 0 ? 'all runs' : shown.map((path) => `${path}=${formatValue(values[path]!)}`).join(', ');
      groups.set(key, (group = { key, label, values, runIds: [] }));
    }
    group.runIds.push(run.id);
  }
  return [...groups.values()];
}

/** One run's metric on the chosen x axis: parallel arrays, x ascending or not. */
export interface AlignedSeries {
  x: ArrayLike<number>;
  values: ArrayLike<number>;
}

export interface BandGrid {
  from: number;
  to: number;
  buckets: number;
}

/** The grid over everything the series cover, or null when none has a point. */
export function bandGrid(series: readonly AlignedSeries[], buckets: number): BandGrid | null {
  let from = Infinity;
  let to = -Infinity;
  for (const s of series)
    for (let i = 0; i < s.x.length; i++) {
      const x = s.x[i]!;
      if (x < from) from = x;
      if (x > to) to = x;
    }
  if (from > to) return null;
  return { from, to, buckets: Math.max(1, Math.floor(buckets)) };
}

export interface Band {
  x: number[];
  /** Runs with a value at each x. */
  count: number[];
  mean: number[];
  min: number[];
  max: number[];
  /** Sample standard deviation across runs; null where fewer than 2 runs have a value. */
  std: (number | null)[];
  /** The 95 % interval of the mean (Student t); null where fewer than 2 runs have a value. */
  low: (number | null)[];
  high: (number | null)[];
}

/** The band of one group's member series on `grid` (see the module comment for what each number is). */
export function groupBand(members: readonly AlignedSeries[], grid: BandGrid): Band {
  const n = grid.buckets;
  // Per bucket: the runs' bucket means as a running mean and sum of squared deviations (Welford: no
  // cancellation when the spread is tiny next to the values), their extremes, and the points' x.
  const count = new Float64Array(n);
  const means = new Float64Array(n);
  const m2 = new Float64Array(n);
  const min = new Float64Array(n).fill(Infinity);
  const max = new Float64Array(n).fill(-Infinity);
  const xSum = new Float64Array(n);
  const xCount = new Float64Array(n);
  const runSum = new Float64Array(n);
  const runCount = new Float64Array(n);
  const touched = new Int32Array(n);
  const from = grid.from;
  const span = grid.to - grid.from;
  const last = n - 1;
  for (const s of members) {
    let touchedCount = 0;
    const xs = s.x;
    const values = s.values;
    const length = xs.length;
    for (let i = 0; i < length; i++) {
      const value = values[i]!;
      if (!Number.isFinite(value)) continue;
      const x = xs[i]!;
      // The bucket of x: floor((x − from) / (to − from) · buckets), clamped to the grid.
      let b = span === 0 ? 0 : Math.floor(((x - from) / span) * n);
      if (b > last) b = last;
      else if (b < 0) b = 0;
      if (runCount[b] === 0) touched[touchedCount++] = b;
      runSum[b]! += value;
      runCount[b]! += 1;
      xSum[b]! += x;
      xCount[b]! += 1;
    }
    for (let t = 0; t < touchedCount; t++) {
      const b = touched[t]!;
      const value = runSum[b]! / runCount[b]!;
      count[b]! += 1;
      const delta = value - means[b]!;
      means[b]! += delta / count[b]!;
      m2[b]! += delta * (value - means[b]!);
      if (value < min[b]!) min[b] = value;
      if (value > max[b]!) max[b] = value;
      runSum[b] = 0;
      runCount[b] = 0;
    }
  }
  const band: Band = { x: [], count: [], mean: [], min: [], max: [], std: [], low: [], high: [] };
  for (let b = 0; b < n; b++) {
    const k = count[b]!;
    if (k === 0) continue;
    const mean = means[b]!;
    band.x.push(xSum[b]! / xCount[b]!);
    band.count.push(k);
    band.mean.push(mean);
    band.min.push(min[b]!);
    band.max.push(max[b]!);
    if (k < 2) {
      band.std.push(null);
      band.low.push(null);
      band.high.push(null);
      continue;
    }
    const std = Math.sqrt(m2[b]! / (k - 1));
    const half = studentT975(k - 1) * (std / Math.sqrt(k));
    band.std.push(std);
    band.low.push(mean - half);
    band.high.push(mean + half);
  }
  return band;
}

// scipy.stats.t.ppf(0.975, df) for df = 1…30 (python3 -c "from scipy import stats; print([float(stats.t.ppf(0.975, d)) for d in range(1, 31)])").
const T975 = [
  12.706204736174694, 4.302652729749462, 3.1824463052837078, 2.7764451051977934, 2.5705818356363146, 2.4469118511449786, 2.364624251592784, 2.306004135204166,
  2.262157162798205, 2.228138851986274, 2.200985160091639, 2.1788128296672284, 2.1603686564627913, 2.144786687917804, 2.131449545559776, 2.1199052992212546,
  2.1098155778333156, 2.1009220402410382, 2.0930240544083087, 2.085963447265864, 2.0796138447276795, 2.0738730679040254, 2.0686576104190486, 2.0638985616280245,
  2.0595385527532972, 2.0555294386428735, 2.0518305164802846, 2.0484071417952454, 2.045229642132703, 2.0422724563012378,
];
const Z975 = 1.959963984540054;

/**
 * The 0.975 quantile of Student's t with `df` degrees of freedom: the table above up to 30, beyond it the
 * Cornish–Fisher expansion around the normal quantile (within 2e-6 of SciPy from df 31 on).
 */
export function studentT975(df: number): number {
  if (df < 1) return NaN;
  if (df <= 30) return T975[Math.floor(df) - 1]!;
  const z = Z975;
  return (
    z + (z ** 3 + z) / (4 * df) + (5 * z ** 5 + 16 * z ** 3 + 3 * z) / (96 * df ** 2) + (3 * z ** 7 + 19 * z ** 5 + 17 * z ** 3 - 15 * z) / (384 * df ** 3)
  );
}

/** Mean, sample standard deviation and Student-t 95 % interval of the mean of some numbers (non-finite ones ignored). */
export function meanInterval(values: readonly number[]): { n: number; mean: number | null; std: number | null; low: number | null; high: number | null } {
  const finite = values.filter(Number.isFinite);
  const n = finite.length;
  if (n === 0) return { n, mean: null, std: null, low: null, high: null };
  const mean = finite.reduce((a, b) => a + b, 0) / n;
  if (n < 2) return { n, mean, std: null, low: null, high: null };
  const std = Math.sqrt(finite.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1));
  const half = studentT975(n - 1) * (std / Math.sqrt(n));
  return { n, mean, std, low: mean - half, high: mean + half };
}
