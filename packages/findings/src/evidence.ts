import { evaluate, formatExpression, referencedParamPaths, type Expr, type RunRecord } from '@tuneboard/filter';
import { bootstrapMeanDifference, mean, median } from './statistics';

/**
 * A finding's evidence, computed from runs rather than asserted: the finished in-scope runs split into those
 * that satisfy the rule and those that violate it, the metric compared between the groups with a seeded
 * bootstrap interval, a status, the runs that contest it, and other hyperparameters that also differ
 * between the groups (possible confounders).
 */

/** Each group needs this many runs with a finite metric before a finding can be supported or contested. */
export const MIN_RUNS_PER_GROUP = 3;
/** Statuses whose runs count as evidence. Failed and cancelled runs say nothing about the metric. */
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
  runCount: number;
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
  /** mean(satisfying) − mean(violating), signed so that > 0 favours the finding; null without both groups. */
  difference: number | null;
  interval: { low: number; high: number; level: number } | null;
  /** Violating runs whose metric beats the best satisfying run. */
  contestingRunIds: string[];
  confounders: Confounder[];
  points: EvidencePoint[];
  /** In-scope runs not finished yet (queued, running) or not evidence (failed, cancelled). */
  notFinished: number;
  minRunsPerGroup: number;
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

function summarise(points: EvidencePoint[], metric: FindingMetric, excludedNonFinite: number, excludedMissing: number): GroupSummary {
  const values = points.map((p) => p.value);
  let best: GroupSummary['best'] = null;
  for (const p of points) if (!best || better(metric)(p.value, best.value)) best = { runId: p.runId, value: p.value };
  return {
    runCount: points.length,
    mean: values.length ? mean(values) : null,
    median: values.length ? median(values) : null,
    best,
    excludedNonFinite,
    excludedMissing,
  };
}

const formatNumber = (value: number) =>
  Math.abs(value) >= 1e4 || (Math.abs(value) < 1e-3 && value !== 0) ? value.toExponential(2) : String(Number(value.toPrecision(3)));

export function computeEvidence(finding: FindingSpec, runs: readonly EvidenceRun[], options: { seed?: number } = {}): Evidence {
  const cited = new Set(finding.citedRunIds ?? []);
  const groups: Record<Group, EvidencePoint[]> = { satisfying: [], violating: [] };
  const excluded = { satisfying: { nonFinite: 0, missing: 0 }, violating: { nonFinite: 0, missing: 0 } };
  const rulePaths = referencedParamPaths(finding.rule);
  const inGroup = new Map<string, { group: Group; run: EvidenceRun }>();
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
    groups[group].push({ runId: run.id, group, value, cited: cited.has(run.id), ruleParams });
    inGroup.set(run.id, { group, run });
  }

  const satisfying = summarise(groups.satisfying, finding.metric, excluded.satisfying.nonFinite, excluded.satisfying.missing);
  const violating = summarise(groups.violating, finding.metric, excluded.violating.nonFinite, excluded.violating.missing);
  const sign = finding.metric.direction === 'higher' ? 1 : -1;
  const both = groups.satisfying.length > 0 && groups.violating.length > 0;
  const difference = both ? sign * (satisfying.mean! - violating.mean!) : null;
  const level = 0.95;
  const raw = both
    ? bootstrapMeanDifference(
        // Sorted, so the interval depends on the values only, not on the order the runs were listed in.
        groups.satisfying.map((p) => p.value).sort((a, b) => a - b),
        groups.violating.map((p) => p.value).sort((a, b) => a - b),
        { level, ...(options.seed !== undefined ? { seed: options.seed } : {}) },
      )
    : null;
  // Orient the interval like the difference: positive = on the finding's side.
  const interval = raw ? (sign > 0 ? { low: raw.low, high: raw.high, level } : { low: -raw.high, high: -raw.low, level }) : null;
  const contestingRunIds = satisfying.best ? groups.violating.filter((p) => better(finding.metric)(p.value, satisfying.best!.value)).map((p) => p.runId) : [];

  const enough = groups.satisfying.length >= MIN_RUNS_PER_GROUP && groups.violating.length >= MIN_RUNS_PER_GROUP;
  const status: ComputedStatus = !enough ? 'proposed' : contestingRunIds.length > 0 || interval!.low <= 0 ? 'contested' : 'supported';

  const metricName = `${finding.metric.aggregate}(${finding.metric.key})`;
  const rule = formatExpression(finding.rule);
  const excludedNote = (() => {
    const nonFinite = excluded.satisfying.nonFinite + excluded.violating.nonFinite;
    const missing = excluded.satisfying.missing + excluded.violating.missing;
    const parts = [];
    if (nonFinite)
      parts.push(
        `${nonFinite} run${nonFinite > 1 ? 's' : ''} whose ${metricName} is NaN or infinite (${excluded.satisfying.nonFinite} satisfying, ${excluded.violating.nonFinite} violating)`,
      );
    if (missing) parts.push(`${missing} run${missing > 1 ? 's' : ''} that never logged ${finding.metric.key}`);
    return parts.length ? ` Excluded: ${parts.join('; ')}.` : '';
  })();
  let verdict: string;
  if (!enough) {
    verdict =
      `Not enough evidence yet: ${groups.satisfying.length} finished run${groups.satisfying.length === 1 ? '' : 's'} satisfy ${rule} and ` +
      `${groups.violating.length} violate it; each side needs ${MIN_RUNS_PER_GROUP}.` +
      excludedNote;
  } else {
    const direction = finding.metric.direction === 'higher' ? 'higher' : 'lower';
    const diff = sign * difference!; // raw mean difference, satisfying − violating
    const comparison =
      `Runs with ${rule} have a mean ${metricName} of ${formatNumber(satisfying.mean!)} against ${formatNumber(violating.mean!)} ` +
      `(difference ${diff >= 0 ? '+' : ''}${formatNumber(diff)}, 95% interval ${formatNumber(sign > 0 ? interval!.low : -interval!.high)} to ${formatNumber(sign > 0 ? interval!.high : -interval!.low)}; ` +
      `${groups.satisfying.length} vs ${groups.violating.length} runs; ${direction} is better).`;
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
    contestingRunIds,
    confounders: findConfounders([...inGroup.values()], new Set(rulePaths)),
    points: [...groups.satisfying, ...groups.violating],
    notFinished,
    minRunsPerGroup: MIN_RUNS_PER_GROUP,
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
      if (rulePaths.has(path)) continue;
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
