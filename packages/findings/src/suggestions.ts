import { formatField, formatLiteral } from '@tuneboard/filter';
import { EVIDENCE_STATUSES, type FindingMetric } from './evidence';
import type { ImportanceRun } from './importance';
import { benjaminiHochberg } from './multiple-testing';
import { configurationKey, isSeedPath, mergeDuplicates } from './replicates';
import { mean, seededRandom } from './statistics';

/**
 * Suggested findings: single-path rules (`batchSize <= 32`, `optimizer.name = "adam"`) whose satisfying
 * configurations do better on the metric than the violating ones, found by scanning every path of the project.
 *
 * The unit is the configuration (the mean of its seeds, exact duplicates counted once), so ten seeds do not make a
 * rule ten times surer. Each candidate gets a two-sided permutation p-value for the difference of configuration
 * means; the candidates are corrected together with Benjamini–Hochberg (scanning many rules makes some look good by
 * luck); a survivor must also have a standardised effect of at least `minEffectSize` and `minConfigurationsPerSide`
 * configurations on each side. Of the survivors on one path, the one with the largest effect is proposed.
 */

type ParamValue = number | string | boolean;

export const SUGGESTION_DEFAULTS = {
  /** False discovery rate across every candidate tested. */
  fdr: 0.05,
  /** |difference of means| / pooled standard deviation of configuration means (Cohen's d). */
  minEffectSize: 0.5,
  minConfigurationsPerSide: 3,
  permutations: 4999,
  /** Numeric paths with more distinct values are cut at this many quantiles. */
  maxThresholdsPerPath: 8,
  maxConfigurations: 2000,
} as const;

export interface SuggestionOptions {
  seed?: number;
  fdr?: number;
  minEffectSize?: number;
  minConfigurationsPerSide?: number;
  permutations?: number;
}

export interface SuggestedFinding {
  /** Filter-language rule, e.g. batchSize <= 32. */
  rule: string;
  path: string;
  title: string;
  statement: string;
  /** Mean over satisfying configurations − mean over violating ones, signed so that > 0 favours the rule. */
  difference: number;
  effectSize: number;
  pValue: number;
  /** Benjamini–Hochberg adjusted p-value across every candidate tested. */
  qValue: number;
  satisfying: { configurations: number; runs: number; mean: number };
  violating: { configurations: number; runs: number; mean: number };
}

export interface FindingSuggestions {
  suggestions: SuggestedFinding[];
  /** Candidate rules tested (with enough configurations on both sides): the size of the correction. */
  candidatesTested: number;
  configurations: number;
  runsUsed: number;
  /** Why nothing could be tested; null otherwise (an empty list with no refusal means nothing survived). */
  refusal: string | null;
  settings: { fdr: number; minEffectSize: number; minConfigurationsPerSide: number; permutations: number };
}

interface Configuration {
  params: Readonly<Record<string, ParamValue>>;
  value: number;
  runs: number;
}

interface Candidate {
  path: string;
  op: '<=' | '>' | '=';
  value: ParamValue;
  /** Configuration indices on the satisfying side (the others that set the path violate it). */
  satisfying: number[];
  violating: number[];
}

const formatNumber = (value: number) =>
  Math.abs(value) >= 1e4 || (Math.abs(value) < 1e-3 && value !== 0) ? value.toExponential(2) : String(Number(value.toPrecision(3)));

export function suggestFindings(runs: readonly ImportanceRun[], metric: FindingMetric, options: SuggestionOptions = {}): FindingSuggestions {
  const settings = {
    fdr: options.fdr ?? SUGGESTION_DEFAULTS.fdr,
    minEffectSize: options.minEffectSize ?? SUGGESTION_DEFAULTS.minEffectSize,
    minConfigurationsPerSide: options.minConfigurationsPerSide ?? SUGGESTION_DEFAULTS.minConfigurationsPerSide,
    permutations: options.permutations ?? SUGGESTION_DEFAULTS.permutations,
  };
  const random = seededRandom(options.seed ?? 0x5eed5);
  const configurations = configurationsOf(runs, metric);
  const runsUsed = configurations.reduce((sum, c) => sum + c.runs, 0);
  const base = { candidatesTested: 0, configurations: configurations.length, runsUsed, settings };
  const minimum = 2 * settings.minConfigurationsPerSide;
  if (configurations.length < minimum)
    return {
      ...base,
      suggestions: [],
      refusal: `Not enough configurations to suggest findings: ${configurations.length} with a finite ${metric.aggregate}(${metric.key}); a rule needs ${settings.minConfigurationsPerSide} on each side.`,
    };

  const candidates = candidatesOf(configurations, settings.minConfigurationsPerSide);
  const sign = metric.direction === 'higher' ? 1 : -1;
  // A threshold is tested in both orientations (<= and >): the same split with its sides swapped, whose two-sided
  // p-value is the same test, so it is drawn once and shared (both still count in the correction).
  const splitPValues = new Map<string, number>();
  const tested = candidates.map((candidate) => {
    const a = candidate.satisfying.map((i) => configurations[i]!.value);
    const b = candidate.violating.map((i) => configurations[i]!.value);
    const raw = mean(a) - mean(b);
    const split = candidate.op === '=' ? null : `${candidate.path}\u0000${String(candidate.value)}`;
    let pValue = split === null ? undefined : splitPValues.get(split);
    if (pValue === undefined) {
      pValue = permutationPValue(a, b, settings.permutations, random);
      if (split !== null) splitPValues.set(split, pValue);
    }
    return { candidate, difference: sign * raw, effectSize: sign * cohensD(a, b), pValue };
  });
  const qValues = benjaminiHochberg(tested.map((t) => t.pValue));
  const bestByPath = new Map<string, SuggestedFinding>();
  tested.forEach((t, i) => {
    const q = qValues[i]!;
    if (q > settings.fdr || t.difference <= 0 || t.effectSize < settings.minEffectSize) return;
    const suggestion = describe(t.candidate, configurations, metric, { ...t, qValue: q });
    const best = bestByPath.get(t.candidate.path);
    if (!best || suggestion.effectSize > best.effectSize) bestByPath.set(t.candidate.path, suggestion);
  });
  const suggestions = [...bestByPath.values()].sort((x, y) => x.qValue - y.qValue || y.effectSize - x.effectSize || x.rule.localeCompare(y.rule));
  return {
    ...base,
    candidatesTested: tested.length,
    suggestions,
    refusal: tested.length === 0 ? 'No rule splits the configurations with enough on both sides.' : null,
  };
}

/** Finished runs with a finite metric, duplicates (same configuration and seed) merged, then seeds averaged. */
function configurationsOf(runs: readonly ImportanceRun[], metric: Pick<FindingMetric, 'key' | 'aggregate'>): Configuration[] {
  const finished: { params: Record<string, ParamValue>; value: number }[] = [];
  for (const run of runs) {
    if (!(EVIDENCE_STATUSES as readonly string[]).includes(run.status)) continue;
    const value = run.metrics?.[metric.key]?.[metric.aggregate];
    if (value !== undefined && value !== null && Number.isFinite(value)) finished.push({ params: run.params, value });
  }
  const byConfiguration = new Map<string, { params: Record<string, ParamValue>; values: number[]; runs: number }>();
  // In key order, not first-seen order: a rerun's duplicates (new ids) must not reorder what the permutations draw.
  const byKey = ([a]: [string, unknown], [b]: [string, unknown]) => (a < b ? -1 : a > b ? 1 : 0);
  for (const e of mergeDuplicates(finished)) {
    const key = configurationKey(e.params);
    const entry = byConfiguration.get(key) ?? { params: e.params as Record<string, ParamValue>, values: [], runs: 0 };
    entry.values.push(e.value);
    entry.runs += e.runCount;
    byConfiguration.set(key, entry);
  }
  return [...byConfiguration.entries()]
    .sort(byKey)
    .map(([, c]) => c)
    .slice(0, SUGGESTION_DEFAULTS.maxConfigurations)
    .map((c) => ({ params: c.params, value: mean(c.values), runs: c.runs }));
}

function candidatesOf(configurations: readonly Configuration[], minSide: number): Candidate[] {
  const paths = [...new Set(configurations.flatMap((c) => Object.keys(c.params)))].filter((p) => !isSeedPath(p)).sort();
  const candidates: Candidate[] = [];
  for (const path of paths) {
    const setting = configurations.map((c, i) => [i, c.params[path]] as const).filter((e): e is readonly [number, ParamValue] => e[1] !== undefined);
    const keep = (c: Candidate) => c.satisfying.length >= minSide && c.violating.length >= minSide && candidates.push(c);
    if (setting.every(([, v]) => typeof v === 'number')) {
      const distinct = [...new Set(setting.map(([, v]) => v as number))].sort((a, b) => a - b);
      const cuts = distinct.slice(0, -1);
      const chosen =
        cuts.length <= SUGGESTION_DEFAULTS.maxThresholdsPerPath
          ? cuts
          : [
              ...new Set(
                Array.from(
                  { length: SUGGESTION_DEFAULTS.maxThresholdsPerPath },
                  (_, k) => cuts[Math.floor(((k + 0.5) * cuts.length) / SUGGESTION_DEFAULTS.maxThresholdsPerPath)]!,
                ),
              ),
            ];
      for (const raw of chosen) {
        const cut = readableCut(raw, distinct[distinct.indexOf(raw) + 1]!);
        const low = setting.filter(([, v]) => (v as number) <= cut).map(([i]) => i);
        const high = setting.filter(([, v]) => (v as number) > cut).map(([i]) => i);
        // Both orientations; the test is two-sided and only the favoured one survives.
        keep({ path, op: '<=', value: cut, satisfying: low, violating: high });
        keep({ path, op: '>', value: cut, satisfying: high, violating: low });
      }
    } else {
      const values = [...new Map(setting.map(([, v]) => [`${typeof v}:${String(v)}`, v])).values()];
      if (values.length < 2) continue;
      for (const value of values) {
        const same = (v: ParamValue) => typeof v === typeof value && v === value;
        keep({
          path,
          op: '=',
          value,
          satisfying: setting.filter(([, v]) => same(v)).map(([i]) => i),
          violating: setting.filter(([, v]) => !same(v)).map(([i]) => i),
        });
      }
    }
  }
  return candidates;
}

/**
 * A threshold people can read that splits the same way: the cut itself when it is short (32, 0.03), else the
 * shortest number at or above it and below the next value seen (0.0027883… → 0.003 when the next is 0.0031).
 */
export function readableCut(cut: number, next: number): number {
  if (Number(cut.toPrecision(3)) === cut) return cut;
  for (let digits = 1; digits <= 15; digits++) {
    const step = 10 ** (Math.floor(Math.log10(Math.abs(cut))) - digits + 1);
    const rounded = Number((Math.ceil(cut / step) * step).toPrecision(digits));
    if (rounded >= cut && rounded < next) return rounded;
  }
  return cut;
}

/** Cohen's d with the pooled standard deviation; 0 when both sides are constant and equal, ±Infinity when only the means differ. */
function cohensD(a: readonly number[], b: readonly number[]): number {
  const ma = mean(a);
  const mb = mean(b);
  const ss = (xs: readonly number[], m: number) => xs.reduce((s, x) => s + (x - m) ** 2, 0);
  const pooled = Math.sqrt((ss(a, ma) + ss(b, mb)) / (a.length + b.length - 2));
  if (pooled === 0) return ma === mb ? 0 : (ma - mb) * Infinity;
  return (ma - mb) / pooled;
}

/** Two-sided permutation p-value of the difference of means: (1 + permutations at least as extreme) / (1 + permutations). */
function permutationPValue(a: readonly number[], b: readonly number[], permutations: number, random: () => number): number {
  // |mean(a) − mean(b)| is symmetric in the sides: draw the smaller one, fewer draws per permutation.
  if (a.length > b.length) return permutationPValue(b, a, permutations, random);
  const pooled = Float64Array.from([...a, ...b]);
  const total = pooled.reduce((s, x) => s + x, 0);
  const n = a.length;
  const m = pooled.length;
  const observed = Math.abs(mean(a) - mean(b));
  const tolerance = 1e-12 * Math.max(1, Math.abs(observed));
  let extreme = 0;
  for (let k = 0; k < permutations; k++) {
    // A partial Fisher–Yates shuffle: the first n slots are a random subset for side a.
    let sumA = 0;
    for (let i = 0; i < n; i++) {
      const j = i + Math.floor(random() * (m - i));
      const t = pooled[i]!;
      pooled[i] = pooled[j]!;
      pooled[j] = t;
      sumA += pooled[i]!;
    }
    if (Math.abs(sumA / n - (total - sumA) / (m - n)) >= observed - tolerance) extreme++;
  }
  return (1 + extreme) / (1 + permutations);
}

function describe(
  candidate: Candidate,
  configurations: readonly Configuration[],
  metric: FindingMetric,
  figures: { difference: number; effectSize: number; pValue: number; qValue: number },
): SuggestedFinding {
  const rule = `${formatField({ kind: 'param', path: candidate.path })} ${candidate.op} ${formatLiteral(candidate.value)}`;
  const side = (indices: number[]) => ({
    configurations: indices.length,
    runs: indices.reduce((s, i) => s + configurations[i]!.runs, 0),
    mean: mean(indices.map((i) => configurations[i]!.value)),
  });
  const satisfying = side(candidate.satisfying);
  const violating = side(candidate.violating);
  const metricName = `${metric.aggregate}(${metric.key})`;
  return {
    rule,
    path: candidate.path,
    title: `${rule} for a ${metric.direction === 'higher' ? 'higher' : 'lower'} ${metricName}`,
    statement:
      `Suggested by Tuneboard: configurations with ${rule} have a mean ${metricName} of ${formatNumber(satisfying.mean)} against ` +
      `${formatNumber(violating.mean)} (${satisfying.configurations} vs ${violating.configurations} configurations, ${satisfying.runs} vs ${violating.runs} runs; ` +
      `permutation p = ${formatNumber(figures.pValue)}, ${formatNumber(figures.qValue)} after correcting for every rule tested).`,
    ...figures,
    satisfying,
    violating,
  };
}
