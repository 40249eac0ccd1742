import { configurationKey, isSeedPath } from './replicates';
import { bestPerGroupDifference, bootstrapBestPerGroupDifference, bootstrapStratifiedDifference, stratifiedDifference, type Stratum } from './statistics';

/**
 * Matched evidence: comparisons of like with like, beside the pooled one. Pooling every run on each side of a rule
 * mixes in whatever else differs between the sides (a finding about batch size gets credit for learning rates that
 * suit small batches); these compare runs that differ only in the rule's paths (stratified), the best of each level
 * of the rule's paths (the protocol papers use: the best learning rate for each batch size), and flag a best value
 * that sits at the edge of the explored range.
 */

type ParamValue = number | string | boolean;
export type Side = 'satisfying' | 'violating';

/** One experiment: a run, or duplicate runs (same configuration and seed) merged into the mean of their values. */
export interface Observation {
  /** The runs merged into this observation, the representative (smallest id) first. */
  runIds: string[];
  side: Side;
  value: number;
  params: Readonly<Record<string, ParamValue>>;
  /** configurationKey(params): observations with equal keys are seeds of one configuration (a cluster). */
  configuration: string;
}

export interface Interval {
  low: number;
  high: number;
  level: number;
}

export interface StratifiedComparison {
  /** Weighted mean over strata of mean(satisfying) − mean(violating), oriented so > 0 favours the finding. */
  difference: number | null;
  interval: Interval | null;
  /** Strata (configurations equal but for the rule's paths) with both sides present: the ones compared. */
  strataCompared: number;
  /** Strata with only one side: nothing to compare them with. */
  strataOneSided: number;
  satisfying: { configurationCount: number; runCount: number };
  violating: { configurationCount: number; runCount: number };
  disagreement: string | null;
}

export interface RuleGroupBest {
  /** The rule's paths and their values in this group, e.g. "batchSize = 8". */
  label: string;
  side: Side;
  /** The best configuration's mean over its replicates. */
  value: number;
  /** The runs of the best configuration. */
  runIds: string[];
  /** The best configuration's values of the other varying hyperparameters, e.g. "optimizer.learningRate = 0.1". */
  setting: string;
  configurationCount: number;
  runCount: number;
}

export interface BestPerGroupComparison {
  /** mean of the satisfying groups' bests − mean of the violating groups' bests, oriented so > 0 favours the finding. */
  difference: number | null;
  /** Seeds resampled within configurations; null when no configuration has two runs (no seed noise to measure). */
  interval: Interval | null;
  groups: RuleGroupBest[];
  disagreement: string | null;
}

export interface EdgeOfRange {
  path: string;
  edge: 'min' | 'max';
  value: number;
  message: string;
}

const LEVEL = 0.95;

export const formatNumber = (value: number) =>
  Math.abs(value) >= 1e4 || (Math.abs(value) < 1e-3 && value !== 0) ? value.toExponential(2) : String(Number(value.toPrecision(3)));

const signed = (value: number) => `${value >= 0 ? '+' : ''}${formatNumber(value)}`;

/** Orients a raw (satisfying − violating) interval so that positive favours the finding. */
const orient = (raw: { low: number; high: number }, sign: 1 | -1): Interval =>
  sign > 0 ? { low: raw.low, high: raw.high, level: LEVEL } : { low: -raw.high, high: -raw.low, level: LEVEL };

/** Clusters of a side: each configuration's values, sorted by key and value so the input order does not matter. */
export function clustersOf(observations: readonly Observation[]): number[][] {
  const byConfiguration = new Map<string, number[]>();
  for (const o of observations) {
    let values = byConfiguration.get(o.configuration);
    if (!values) byConfiguration.set(o.configuration, (values = []));
    values.push(o.value);
  }
  return [...byConfiguration].sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)).map(([, values]) => values.sort((a, b) => a - b));
}

const without = (params: Readonly<Record<string, ParamValue>>, paths: ReadonlySet<string>) =>
  Object.fromEntries(Object.entries(params).filter(([path]) => !paths.has(path)));

/**
 * Stratified comparison: a stratum is a configuration with the rule's paths (and seeds) removed, so its runs differ
 * only in the rule's paths and their seeds. In each stratum with both sides present, the difference of the sides' run
 * means; strata combined by a weighted mean with weight min(satisfying configurations, violating configurations) — a
 * stratum with one configuration on a side says as little as that side. Interval: cluster bootstrap within each
 * stratum and side, weights fixed.
 */
export function stratifiedComparison(observations: readonly Observation[], rulePaths: readonly string[], sign: 1 | -1, seed?: number): StratifiedComparison {
  const paths = new Set(rulePaths);
  const strata = new Map<string, { satisfying: Observation[]; violating: Observation[] }>();
  for (const o of observations) {
    const key = configurationKey(without(o.params, paths));
    let stratum = strata.get(key);
    if (!stratum) strata.set(key, (stratum = { satisfying: [], violating: [] }));
    stratum[o.side].push(o);
  }
  const compared: Stratum[] = [];
  const counts = { satisfying: { configurationCount: 0, runCount: 0 }, violating: { configurationCount: 0, runCount: 0 } };
  let oneSided = 0;
  for (const [, stratum] of [...strata].sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0))) {
    if (stratum.satisfying.length === 0 || stratum.violating.length === 0) {
      oneSided++;
      continue;
    }
    const a = clustersOf(stratum.satisfying);
    const b = clustersOf(stratum.violating);
    compared.push({ a, b, weight: Math.min(a.length, b.length) });
    counts.satisfying.configurationCount += a.length;
    counts.satisfying.runCount += stratum.satisfying.length;
    counts.violating.configurationCount += b.length;
    counts.violating.runCount += stratum.violating.length;
  }
  if (compared.length === 0) return { difference: null, interval: null, strataCompared: 0, strataOneSided: oneSided, ...counts, disagreement: null };
  const raw = bootstrapStratifiedDifference(compared, { level: LEVEL, ...(seed !== undefined ? { seed } : {}) });
  return {
    difference: sign * stratifiedDifference(compared),
    interval: orient(raw, sign),
    strataCompared: compared.length,
    strataOneSided: oneSided,
    ...counts,
    disagreement: null,
  };
}

function ruleGroups(observations: readonly Observation[], rulePaths: readonly string[]) {
  const groups = new Map<string, { label: string; side: Side; values: Record<string, ParamValue>; observations: Observation[] }>();
  for (const o of observations) {
    const values = Object.fromEntries(rulePaths.map((path) => [path, o.params[path]!]));
    const key = `${o.side}\u0000${configurationKey(values)}`;
    let group = groups.get(key);
    if (!group)
      groups.set(
        key,
        (group = { label: rulePaths.map((path) => `${path} = ${JSON.stringify(values[path])}`).join(', '), side: o.side, values, observations: [] }),
      );
    group.observations.push(o);
  }
  // Satisfying levels first, then in the order of the rule's values (numbers numerically: 8 before 16).
  const order = (x: ParamValue, y: ParamValue) => (typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y)));
  return [...groups.values()].sort(
    (x, y) =>
      (x.side === y.side ? 0 : x.side === 'satisfying' ? -1 : 1) || rulePaths.reduce((result, path) => result || order(x.values[path]!, y.values[path]!), 0),
  );
}

/** The paths whose values differ between configurations, other than the rule's and the seeds. */
function varyingPaths(observations: readonly Observation[], rulePaths: ReadonlySet<string>): Map<string, ParamValue[]> {
  const values = new Map<string, Set<ParamValue>>();
  for (const o of observations)
    for (const [path, value] of Object.entries(o.params)) {
      if (rulePaths.has(path) || isSeedPath(path)) continue;
      let set = values.get(path);
      if (!set) values.set(path, (set = new Set()));
      set.add(value);
    }
  const varying = new Map<string, ParamValue[]>();
  for (const [path, set] of [...values].sort(([x], [y]) => x.localeCompare(y))) if (set.size > 1) varying.set(path, [...set]);
  return varying;
}

/**
 * "Best per group": for each level of the rule's paths (each batch size), the best configuration (best over the
 * other hyperparameters, its replicates averaged); then mean of the satisfying levels' bests − mean of the violating
 * levels' bests. Interval: seeds resampled within configurations, the best re-chosen in every resample.
 */
export function bestPerGroupComparison(
  observations: readonly Observation[],
  rulePaths: readonly string[],
  direction: 'higher' | 'lower',
  seed?: number,
): BestPerGroupComparison {
  const sign = direction === 'higher' ? 1 : -1;
  const higher = direction === 'higher';
  const varying = varyingPaths(observations, new Set(rulePaths));
  const groups = ruleGroups(observations, rulePaths).map((group) => {
    const byConfiguration = new Map<string, Observation[]>();
    for (const o of group.observations) {
      let list = byConfiguration.get(o.configuration);
      if (!list) byConfiguration.set(o.configuration, (list = []));
      list.push(o);
    }
    const configurations = [...byConfiguration].sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)).map(([, list]) => list);
    let best = configurations[0]!;
    let bestValue = mean(best);
    for (const configuration of configurations.slice(1)) {
      const value = mean(configuration);
      if (higher ? value > bestValue : value < bestValue) [best, bestValue] = [configuration, value];
    }
    const summary: RuleGroupBest = {
      label: group.label,
      side: group.side,
      value: bestValue,
      runIds: best.flatMap((o) => o.runIds),
      setting: [...varying.keys()]
        .filter((path) => best[0]!.params[path] !== undefined)
        .map((path) => `${path} = ${JSON.stringify(best[0]!.params[path])}`)
        .join(', '),
      configurationCount: configurations.length,
      runCount: group.observations.length,
    };
    return { summary, values: configurations.map((list) => list.map((o) => o.value).sort((a, b) => a - b)), best };
  });
  const sides = (side: Side) => groups.filter((g) => g.summary.side === side);
  const [a, b] = [sides('satisfying'), sides('violating')];
  const summaries = groups.map((g) => g.summary);
  if (a.length === 0 || b.length === 0) return { difference: null, interval: null, groups: summaries, disagreement: null };
  const difference =
    sign *
    bestPerGroupDifference(
      a.map((g) => g.values),
      b.map((g) => g.values),
      higher,
    );
  const seedNoise = groups.some((g) => g.values.some((values) => values.length > 1));
  const raw = seedNoise
    ? bootstrapBestPerGroupDifference(
        a.map((g) => g.values),
        b.map((g) => g.values),
        higher,
        { level: LEVEL, ...(seed !== undefined ? { seed } : {}) },
      )
    : null;
  return { difference, interval: raw ? orient(raw, sign) : null, groups: summaries, disagreement: null };
}

function mean(observations: readonly Observation[]): number {
  let sum = 0;
  for (const o of observations) sum += o.value;
  return sum / observations.length;
}

/**
 * Edge of range: a numeric hyperparameter (not the rule's, not a seed) with at least three explored values whose best
 * configuration, in every level of the rule's paths (at least two levels), sits at the smallest (or largest) value
 * explored across all counted runs. The optimum may lie outside the grid, and the levels' bests (hence the matched
 * comparison) may move once it is explored.
 */
export function edgeOfRange(observations: readonly Observation[], rulePaths: readonly string[], groups: readonly RuleGroupBest[]): EdgeOfRange[] {
  if (groups.length < 2) return [];
  const byRun = new Map(observations.flatMap((o) => o.runIds.map((id) => [id, o] as const)));
  const bestParams = groups.map((g) => byRun.get(g.runIds[0]!)!.params);
  const flags: EdgeOfRange[] = [];
  const levels = rulePaths.join(', ');
  for (const [path, values] of varyingPaths(observations, new Set(rulePaths))) {
    if (values.length < 3 || !values.every((v) => typeof v === 'number')) continue;
    const numbers = values as number[];
    const [low, high] = [Math.min(...numbers), Math.max(...numbers)];
    const chosen = bestParams.map((params) => params[path]);
    for (const [edge, value, word] of [
      ['max', high, 'largest'],
      ['min', low, 'smallest'],
    ] as const)
      if (chosen.every((v) => v === value))
        flags.push({
          path,
          edge,
          value,
          message: `The best ${path} is the ${word} tried (${formatNumber(value)}) for every ${levels}: explore further before trusting this.`,
        });
  }
  return flags;
}

const excludesZero = (interval: Interval | null) => interval !== null && (interval.low > 0 || interval.high < 0);

/**
 * Says when a matched comparison (named like "stratified comparison") disagrees with the pooled one: their differences have opposite signs, or one
 * interval excludes zero and the other does not. Null when they agree or either is missing.
 */
export function disagreement(
  pooled: { difference: number | null; interval: Interval | null },
  matched: { difference: number | null; interval: Interval | null },
  name: string,
): string | null {
  if (pooled.difference === null || matched.difference === null) return null;
  const describe = (c: { difference: number | null; interval: Interval | null }) =>
    `${signed(c.difference!)}${c.interval ? `, interval ${formatNumber(c.interval.low)} to ${formatNumber(c.interval.high)}` : ''}`;
  const both = `the pooled comparison (${describe(pooled)}) and the ${name} (${describe(matched)})`;
  if (Math.sign(pooled.difference) * Math.sign(matched.difference) < 0)
    return `Simpson's paradox warning: ${both} point in opposite directions. What differs between the groups besides the rule may be driving the pooled result.`;
  if (matched.interval && pooled.interval && excludesZero(pooled.interval) !== excludesZero(matched.interval)) {
    const [sure, unsure] = excludesZero(pooled.interval) ? ['pooled comparison', name] : [name, 'pooled comparison'];
    return `Simpson's paradox warning: ${both} disagree: the ${sure}'s interval excludes zero, the ${unsure}'s does not.`;
  }
  return null;
}
