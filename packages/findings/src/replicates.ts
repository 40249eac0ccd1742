/**
 * Replicates: which runs are the same experiment. Two runs with the same configuration and the same seed are
 * duplicates (one observation, not two); runs whose configurations differ only in their seeds are replicates of one
 * configuration (a cluster). Statistics over runs resample clusters, not runs, so that ten seeds of one
 * configuration are not counted as ten independent experiments (pseudo-replication).
 */

type ParamValue = number | string | boolean;

/** A path names a seed when its last segment is, or ends in, "seed" (`seed`, `data.seed`, `random_seed`, `initSeed`). */
export function isSeedPath(path: string): boolean {
  const last = path.slice(path.lastIndexOf('.') + 1);
  return /(^|_|-)seed$/i.test(last) || /[a-z0-9]Seed$/.test(last);
}

/** Normalised text of one value: 2 and 2.0 are one number; strings and booleans keep their type. */
function normalisedValue(value: ParamValue): string {
  if (typeof value === 'number') return Object.is(value, -0) ? 'n:0' : `n:${value}`;
  return typeof value === 'string' ? `s:${JSON.stringify(value)}` : `b:${value}`;
}

function keyOf(params: Readonly<Record<string, ParamValue>>, keep: (path: string) => boolean): string {
  return Object.keys(params)
    .filter(keep)
    .sort()
    .map((path) => `${JSON.stringify(path)}=${normalisedValue(params[path]!)}`)
    .join('\u0000');
}

/** The configuration without its seeds: runs with equal keys are replicates of one configuration. */
export function configurationKey(params: Readonly<Record<string, ParamValue>>): string {
  return keyOf(params, (path) => !isSeedPath(path));
}

/** The whole configuration, seeds included: runs with equal keys are duplicates of one experiment. */
export function experimentKey(params: Readonly<Record<string, ParamValue>>): string {
  return keyOf(params, () => true);
}

/** One experiment: the runs sharing an experimentKey, as one observation with the mean of their values. */
export interface MergedExperiment {
  key: string;
  params: Readonly<Record<string, ParamValue>>;
  value: number;
  runCount: number;
}

/**
 * Exact duplicates merged into one observation each, in experiment-key order: neither the order runs arrive in nor
 * which duplicate came first (a rerun's new ids) changes the list, so seeded resampling over it is reproducible.
 */
export function mergeDuplicates(runs: readonly { params: Readonly<Record<string, ParamValue>>; value: number }[]): MergedExperiment[] {
  const byKey = new Map<string, { params: Readonly<Record<string, ParamValue>>; sum: number; count: number }>();
  for (const { params, value } of runs) {
    const key = experimentKey(params);
    const entry = byKey.get(key);
    if (entry) {
      entry.sum += value;
      entry.count++;
    } else byKey.set(key, { params, sum: value, count: 1 });
  }
  return [...byKey.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([key, e]) => ({ key, params: e.params, value: e.sum / e.count, runCount: e.count }));
}
