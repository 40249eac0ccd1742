import { evaluate, formatExpression, referencedParamPaths, type Expr, type RunRecord } from '@tuneboard/filter';
import {
  bestPerGroupComparison,
  clustersOf,
  disagreement,
  edgeOfRange,
  formatNumber,
  stratifiedComparison,
  type BestPerGroupComparison,
  type EdgeOfRange,
  type Interval,
  type Observation,
  type StratifiedComparison,
} from './matched';
import { configurationKey, experimentKey, isSeedPath } from './replicates';
import { bootstrapClusteredMeanDifference, mean, median } from './statistics';

/**
 * A finding's evidence, computed from runs rather than asserted: the finished in-scope runs split into those
 * that satisfy the rule and those that violate it, the metric compared between the groups with a seeded
 * bootstrap interval, a status, the runs that contest it, and other hyperparameters that also differ
 * between the groups (possible confounders).
 */

/**
 * Each side needs this many configurations (runs that differ only in their seeds count as one) with a finite metric
 * before a finding can be supported or contested: ten seeds of one configuration are one experiment, not ten.
 */
export const MIN_CONFIGURATIONS_PER_GROUP = 3;
/** Statuses whose runs count as evidence. Failed, cancelled and pruned (early-stopped) runs have partial histories. */
export const EVIDENCE_STATUSES = ['succeeded', 'diverged'] as const;

export interface FindingMetric {
  key: string;
  /** Which summary of the metric's history: the final value (last), or its best (min / max). */
  aggregate: 'last' | 'min' | 'max';
  direction: 'higher' | 'lower';
}

export interface FindingSpec {
  rule: Expr;
  /** Which runs the finding speaks about; null = every run of the project. */
  scope: Expr | null;
  metric: FindingMetric;
  citedRunIds?: readonly string[];
}

export interface EvidenceRun extends RunRecord {
  id: string;
}

export type Group = 'satisfying' | 'violating';
export type ComputedStatus = 'proposed' | 'supported' | 'contested';

export interface GroupSummary {
  /** Runs counted, duplicates (same configuration and seed) counted once. */
  runCount: number;
  /** Distinct configurations (runs that differ only in their seeds are one): the unit the interval resamples. */
  configurationCount: number;
  /** Runs merged into another run with the same configuration and seed (the merged run's value is their mean). */
  duplicateRuns: number;
  mean: number | null;
  median: number | null;
  best: { runId: string; value: number } | null;
  /** Runs of the group left out because their metric is NaN/±Infinity (diverged) or was never logged. */
  excludedNonFinite: number;
  excludedMissing: number;
}

export interface EvidencePoint {
  runId: string;
  group: Group;
  value: number;
  cited: boolean;
  /** The values of the hyperparameters the rule reads, for the evidence chart's x axis. */
  ruleParams: Record<string, number | string | boolean>;
  /** Points with the same number are exact duplicates (same side, configuration and seed): one observation. */
  experiment: number;
}

export interface Confounder {
  path: string;
  satisfying: string;
  violating: string;
  /** 0–1: how differently the path is set in the two groups (for ranking). */
  strength: number;
}

export interface Evidence {
  status: ComputedStatus;
  verdict: string;
  satisfying: GroupSummary;
  violating: GroupSummary;
  /** mean(satisfying) − mean(violating) over runs, signed so that > 0 favours the finding; null without both groups. */
  difference: number | null;
  /** Cluster bootstrap: configurations resampled, not runs. */
  interval: Interval | null;
  /** Matched comparisons: runs that differ only in the rule's paths, and the best configuration per level of them. */
  stratified: StratifiedComparison;
  bestPerGroup: BestPerGroupComparison;
  /** Hyperparameters whose best value sits at the edge of the explored range for every level of the rule's paths. */
  edgeOfRange: EdgeOfRange[];
  /** Violating runs whose metric beats the best satisfying run. */
  contestingRunIds: string[];
  confounders: Confounder[];
  points: EvidencePoint[];
  /** In-scope runs not finished yet (queued, running) or not evidence (failed, cancelled, pruned). */
  notFinished: number;
  minConfigurationsPerGroup: number;
}

function metricValue(run: RunRecord, metric: FindingMetric): number | undefined | null {
  const summary = run.metrics?.[metric.key];
  if (!summary) return undefined;
  return summary[metric.aggregate] ?? undefined;
}

/**
 * Whether a finding speaks about a run: the run is in its scope and has every hyperparameter its rule reads.
 * A CNN kernel-size rule says nothing about an MLP, which has no kernel size: it neither follows nor breaks it.
 */
export function findingCovers(finding: Pick<FindingSpec, 'rule' | 'scope'>, run: RunRecord): boolean {
  return evaluate(finding.scope, run) && referencedParamPaths(finding.rule).every((path) => run.params[path] !== undefined);
}

const better = (metric: FindingMetric) => (a: number, b: number) => (metric.direction === 'higher' ? a > b : a < b);

function summarise(observations: Observation[], metric: FindingMetric, excludedNonFinite: number, excludedMissing: number): GroupSummary {
  const values = observations.map((o) => o.value);
  let best: GroupSummary['best'] = null;
  for (const o of observations) if (!best || better(metric)(o.value, best.value)) best = { runId: o.runIds[0]!, value: o.value };
  return {
    runCount: observations.length,
    configurationCount: new Set(observations.map((o) => o.configuration)).size,
    duplicateRuns: observations.reduce((sum, o) => sum + o.runIds.length - 1, 0),
    mean: values.length ? mean(values) : null,
    median: values.length ? median(values) : null,
    best,
    excludedNonFinite,
    excludedMissing,
  };
}

/**
 * Duplicates (same side, same configuration and seed) merged into one observation: the mean of their values (sorted
 * first, so the order runs were listed in does not change the sum), the smallest run id as its representative.
 */
function mergeDuplicates(members: readonly { group: Group; run: EvidenceRun; value: number }[]): Observation[] {
  const byExperiment = new Map<string, { group: Group; runs: EvidenceRun[]; values: number[] }>();
  for (const { group, run, value } of members) {
    const key = `${group}\u0000${experimentKey(run.params)}`;
    let entry = byExperiment.get(key);
    if (!entry) byExperiment.set(key, (entry = { group, runs: [], values: [] }));
    entry.runs.push(run);
    entry.values.push(value);
  }
  return [...byExperiment.values()].map(({ group, runs, values }) => {
    const runIds = runs.map((r) => r.id).sort();
    return {
      runIds,
      side: group,
      value: mean(values.sort((a, b) => a - b)),
      params: runs[0]!.params,
      configuration: configurationKey(runs[0]!.params),
    };
  });
}

const plural = (count: number, word: string) => `${count} ${word}${count === 1 ? '' : 's'}`;
/** "3 configurations (12 runs)": what a side holds, in the unit the evidence counts. */
const sideCount = (summary: GroupSummary) => `${plural(summary.configurationCount, 'configuration')} (${plural(summary.runCount, 'run')})`;

export function computeEvidence(finding: FindingSpec, runs: readonly EvidenceRun[], options: { seed?: number } = {}): Evidence {
  const cited = new Set(finding.citedRunIds ?? []);
  const points: EvidencePoint[] = [];
  const excluded = { satisfying: { nonFinite: 0, missing: 0 }, violating: { nonFinite: 0, missing: 0 } };
  const rulePaths = referencedParamPaths(finding.rule);
  const members: { group: Group; run: EvidenceRun; value: number }[] = [];
  // Keyed as mergeDuplicates keys observations, so the chart can draw each one once.
  const experiments = new Map<string, number>();
  let notFinished = 0;

  for (const run of runs) {
    if (!findingCovers(finding, run)) continue;
    if (!(EVIDENCE_STATUSES as readonly string[]).includes(run.status)) {
      notFinished++;
      continue;
    }
    const group: Group = evaluate(finding.rule, run) ? 'satisfying' : 'violating';
    const value = metricValue(run, finding.metric);
    if (value === undefined || value === null) {
      excluded[group].missing++;
      continue;
    }
    if (!Number.isFinite(value)) {
      excluded[group].nonFinite++;
      continue;
    }
    const ruleParams: EvidencePoint['ruleParams'] = {};
    for (const path of rulePaths) if (run.params[path] !== undefined) ruleParams[path] = run.params[path]!;
    const key = `${group}\u0000${experimentKey(run.params)}`;
    if (!experiments.has(key)) experiments.set(key, experiments.size);
    points.push({ runId: run.id, group, value, cited: cited.has(run.id), ruleParams, experiment: experiments.get(key)! });
    members.push({ group, run, value });
  }
  points.sort((x, y) => (x.group === y.group ? 0 : x.group === 'satisfying' ? -1 : 1));

  const observations = mergeDuplicates(members);
  const sides: Record<Group, Observation[]> = {
    satisfying: observations.filter((o) => o.side === 'satisfying'),
    violating: observations.filter((o) => o.side === 'violating'),
  };
  const satisfying = summarise(sides.satisfying, finding.metric, excluded.satisfying.nonFinite, excluded.satisfying.missing);
  const violating = summarise(sides.violating, finding.metric, excluded.violating.nonFinite, excluded.violating.missing);
  const sign = finding.metric.direction === 'higher' ? 1 : -1;
  const both = sides.satisfying.length > 0 && sides.violating.length > 0;
  const difference = both ? sign * (satisfying.mean! - violating.mean!) : null;
  const level = 0.95;
  const seed = options.seed !== undefined ? { seed: options.seed } : {};
  const raw = both ? bootstrapClusteredMeanDifference(clustersOf(sides.satisfying), clustersOf(sides.violating), { level, ...seed }) : null;
  // Orient the interval like the difference: positive = on the finding's side.
  const interval = raw ? (sign > 0 ? { low: raw.low, high: raw.high, level } : { low: -raw.high, high: -raw.low, level }) : null;
  const contestingRunIds = satisfying.best
    ? sides.violating.filter((o) => better(finding.metric)(o.value, satisfying.best!.value)).flatMap((o) => o.runIds)
    : [];

  const pooled = { difference, interval };
  const stratified = stratifiedComparison(observations, rulePaths, sign, options.seed);
  stratified.disagreement = disagreement(pooled, stratified, 'stratified comparison');
  const bestPerGroup = bestPerGroupComparison(observations, rulePaths, finding.metric.direction, options.seed);
  bestPerGroup.disagreement = disagreement(pooled, bestPerGroup, 'best-per-group comparison');

  const enough = satisfying.configurationCount >= MIN_CONFIGURATIONS_PER_GROUP && violating.configurationCount >= MIN_CONFIGURATIONS_PER_GROUP;
  const status: ComputedStatus = !enough ? 'proposed' : contestingRunIds.length > 0 || interval!.low <= 0 ? 'contested' : 'supported';

  const metricName = `${finding.metric.aggregate}(${finding.metric.key})`;
  const rule = formatExpression(finding.rule);
  const excludedNote = (() => {
    const nonFinite = excluded.satisfying.nonFinite + excluded.violating.nonFinite;
    const missing = excluded.satisfying.missing + excluded.violating.missing;
    const duplicates = satisfying.duplicateRuns + violating.duplicateRuns;
    const parts = [];
    if (nonFinite)
      parts.push(
        `${nonFinite} run${nonFinite > 1 ? 's' : ''} whose ${metricName} is NaN or infinite (${excluded.satisfying.nonFinite} satisfying, ${excluded.violating.nonFinite} violating)`,
      );
    if (missing) parts.push(`${missing} run${missing > 1 ? 's' : ''} that never logged ${finding.metric.key}`);
    const excludedText = parts.length ? ` Excluded: ${parts.join('; ')}.` : '';
    const duplicateText = duplicates
      ? ` Counted once: ${plural(duplicates, 'duplicate run')} (same configuration and seed as another run; their values averaged).`
      : '';
    return excludedText + duplicateText;
  })();
  let verdict: string;
  if (!enough) {
    verdict =
      `Not enough evidence yet: ${sideCount(satisfying)} satisfy ${rule} and ${sideCount(violating)} violate it; ` +
      `each side needs ${MIN_CONFIGURATIONS_PER_GROUP} configurations (runs that differ only in their seeds count as one).` +
      excludedNote;
  } else {
    const direction = finding.metric.direction === 'higher' ? 'higher' : 'lower';
    const diff = sign * difference!; // raw mean difference, satisfying − violating
    const comparison =
      `Runs with ${rule} have a mean ${metricName} of ${formatNumber(satisfying.mean!)} against ${formatNumber(violating.mean!)} ` +
      `(difference ${diff >= 0 ? '+' : ''}${formatNumber(diff)}, 95% interval ${formatNumber(sign > 0 ? interval!.low : -interval!.high)} to ${formatNumber(sign > 0 ? interval!.high : -interval!.low)}; ` +
      `${sideCount(satisfying)} vs ${sideCount(violating)}; ${direction} is better).`;
    if (status === 'supported') verdict = `Supported. ${comparison}`;
    else if (contestingRunIds.length > 0)
      verdict = `Contested: ${contestingRunIds.length} violating run${contestingRunIds.length > 1 ? 's' : ''} beat${contestingRunIds.length > 1 ? '' : 's'} the best satisfying run (${formatNumber(satisfying.best!.value)}). ${comparison}`;
    else verdict = `Contested: the interval ${interval!.high < 0 ? 'lies on the other side of zero' : 'includes zero'}. ${comparison}`;
    verdict += excludedNote;
  }

  return {
    status,
    verdict,
    satisfying,
    violating,
    difference,
    interval,
    stratified,
    bestPerGroup,
    edgeOfRange: edgeOfRange(observations, rulePaths, bestPerGroup.groups),
    contestingRunIds,
    confounders: findConfounders(
      members.map(({ group, run }) => ({ group, run })),
      new Set(rulePaths),
    ),
    points,
    notFinished,
    minConfigurationsPerGroup: MIN_CONFIGURATIONS_PER_GROUP,
  };
}

/**
 * Hyperparameters, other than the rule's own, set differently in the two groups: if the satisfying runs also
 * had a lower learning rate, the rule may be getting credit for it.
 */
export function findConfounders(members: { group: Group; run: EvidenceRun }[], rulePaths: ReadonlySet<string>, limit = 5): Confounder[] {
  const byPath = new Map<string, Record<Group, (number | string | boolean)[]>>();
  for (const { group, run } of members)
    for (const [path, value] of Object.entries(run.params)) {
      // Seeds differ between runs by design: they are noise, not a setting that could take the rule's credit.
      if (rulePaths.has(path) || isSeedPath(path)) continue;
      let values = byPath.get(path);
      if (!values) byPath.set(path, (values = { satisfying: [], violating: [] }));
      values[group].push(value);
    }
  const confounders: Confounder[] = [];
  for (const [path, values] of byPath) {
    if (values.satisfying.length === 0 || values.violating.length === 0) continue;
    if (values.satisfying.every((v) => typeof v === 'number') && values.violating.every((v) => typeof v === 'number')) {
      const a = median(values.satisfying as number[]);
      const b = median(values.violating as number[]);
      if (a === b) continue;
      const all = [...values.satisfying, ...values.violating] as number[];
      const spread = Math.max(...all) - Math.min(...all);
      confounders.push({
        path,
        satisfying: `median ${formatNumber(a)}`,
        violating: `median ${formatNumber(b)}`,
        strength: spread > 0 ? Math.abs(a - b) / spread : 0,
      });
    } else {
      // Categorical: total variation distance between the two groups' value frequencies.
      const frequencies = (list: (number | string | boolean)[]) => {
        // Count whole runs, then divide once: summing 1/n n times is not exactly 1 in floating point.
        const counts = new Map<string, number>();
        for (const v of list) counts.set(String(v), (counts.get(String(v)) ?? 0) + 1);
        for (const [key, count] of counts) counts.set(key, count / list.length);
        return counts;
      };
      const fa = frequencies(values.satisfying);
      const fb = frequencies(values.violating);
      let distance = 0;
      for (const key of new Set([...fa.keys(), ...fb.keys()])) distance += Math.abs((fa.get(key) ?? 0) - (fb.get(key) ?? 0)) / 2;
      if (distance < 1e-9) continue;
      const describe = (f: Map<string, number>) =>
        [...f]
          .sort((x, y) => y[1] - x[1])
          .map(([value, share]) => `${value} ${Math.round(share * 100)}%`)
          .join(', ');
      confounders.push({ path, satisfying: describe(fa), violating: describe(fb), strength: distance });
    }
  }
  return confounders.sort((x, y) => y.strength - x.strength || x.path.localeCompare(y.path)).slice(0, limit);
}
