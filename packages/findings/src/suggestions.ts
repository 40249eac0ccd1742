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
 *
 * Interactions: a rule is also tested within each level of another path with few levels (`batchSize <= 32` where
 * `optimizer.name = "sgd"`). Such a scoped candidate claims two things — the rule helps within the level, and its
 * effect there differs from its effect at the other levels — so its p-value is the larger of the two tests'
 * (an intersection–union test); it joins the same Benjamini–Hochberg family. See docs/statistics.md.
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
  /** A path scopes rules on other paths when it has 2 to this many values. */
  maxScopeLevels: 5,
  /**
   * Scoped candidates whose effects could make them survive (favoured within the scope, effect and interaction both
   * at least minEffectSize) get permutation tests, the strongest interactions first, at most this many; the others are
   * counted in the correction with p = 1 (conservative: a larger p never lowers another candidate's q).
   */
  maxScopedPermuted: 32,
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
  /** Filter-language scope the rule is proposed within ('' for the whole project). */
  scope: string;
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
  /** For a scoped rule: the same difference among the configurations outside the scope (< 0: it reverses there). */
  outsideDifference: number | null;
}

export interface FindingSuggestions {
  suggestions: SuggestedFinding[];
  /** Candidate rules tested (with enough configurations on both sides): the size of the correction. */
  candidatesTested: number;
  /** Of those, rules tested within one level of another path. */
  scopedCandidatesTested: number;
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
  const base = { candidatesTested: 0, scopedCandidatesTested: 0, configurations: configurations.length, runsUsed, settings };
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
  // Tested after the single-path candidates, so those draw the same permutations as without scoping.
  const scoped = testScoped(scopedCandidatesOf(configurations, settings.minConfigurationsPerSide), configurations, sign, settings, random);
  const qValues = benjaminiHochberg([...tested.map((t) => t.pValue), ...scoped.map((t) => t.pValue)]);
  const survives = (t: { difference: number; effectSize: number }, q: number) =>
    q <= settings.fdr && t.difference > 0 && t.effectSize >= settings.minEffectSize;
  const bestByPath = new Map<string, SuggestedFinding>();
  tested.forEach((t, i) => {
    const q = qValues[i]!;
    if (!survives(t, q)) return;
    const suggestion = describe(t.candidate, configurations, metric, { ...t, qValue: q });
    const best = bestByPath.get(t.candidate.path);
    if (!best || suggestion.effectSize > best.effectSize) bestByPath.set(t.candidate.path, suggestion);
  });
  const bestScoped = new Map<string, SuggestedFinding>();
  scoped.forEach((t, i) => {
    const q = qValues[tested.length + i]!;
    if (!survives(t, q) || t.interactionSize < settings.minEffectSize) return;
    const suggestion = describeScoped(t, configurations, metric, q);
    // One per rule path and scope: at two levels of the scope path, opposite rules can both hold (batch sizes ≤ 32 with sgd, > 32 with adam).
    const key = `${t.candidate.path}\u0000${suggestion.scope}`;
    const best = bestScoped.get(key);
    if (!best || suggestion.effectSize > best.effectSize) bestScoped.set(key, suggestion);
  });
  // Where the rule's effect reverses outside the scope, the unscoped rule would advise the harm: propose the scoped one instead.
  for (const scopedBest of bestScoped.values()) if (scopedBest.outsideDifference! < 0) bestByPath.delete(scopedBest.path);
  const suggestions = [...bestByPath.values(), ...bestScoped.values()].sort(
    (x, y) => x.qValue - y.qValue || y.effectSize - x.effectSize || x.rule.localeCompare(y.rule) || x.scope.localeCompare(y.scope),
  );
  return {
    ...base,
    candidatesTested: tested.length + scoped.length,
    scopedCandidatesTested: scoped.length,
    suggestions,
    refusal: tested.length + scoped.length === 0 ? 'No rule splits the configurations with enough on both sides.' : null,
  };
}

interface ScopedCandidate {
  /** The rule's sides among the configurations inside the scope. */
  candidate: Candidate;
  scopePath: string;
  scopeValue: ParamValue;
  /** The rule's sides among the configurations outside it (the scope path set to another value). */
  outside: { satisfying: number[]; violating: number[] };
}

interface ScopedTest {
  candidate: Candidate;
  scoped: ScopedCandidate;
  /** Within the scope, signed so that > 0 favours the rule. */
  difference: number;
  effectSize: number;
  outsideDifference: number;
  /** (difference − outsideDifference) / pooled within-cell standard deviation. */
  interactionSize: number;
  /** max(within-scope p, interaction p): the intersection–union test of both claims; 1 when not permuted. */
  pValue: number;
  /** Null when not tested (not promising, or the within-scope p already above the FDR). */
  withinPValue: number | null;
  interactionPValue: number | null;
}

const satisfies = (candidate: Pick<Candidate, 'op' | 'value'>, v: ParamValue) =>
  candidate.op === '='
    ? typeof v === typeof candidate.value && v === candidate.value
    : candidate.op === '<='
      ? (v as number) <= (candidate.value as number)
      : (v as number) > (candidate.value as number);

/** Each single-path candidate within each level of another path with 2 to maxScopeLevels values, with enough configurations in all four cells. */
function scopedCandidatesOf(configurations: readonly Configuration[], minSide: number): ScopedCandidate[] {
  const paths = [...new Set(configurations.flatMap((c) => Object.keys(c.params)))].filter((p) => !isSeedPath(p)).sort();
  const scoped: ScopedCandidate[] = [];
  for (const scopePath of paths) {
    const levels = [
      ...new Map(
        configurations.flatMap((c) => (c.params[scopePath] === undefined ? [] : [c.params[scopePath]!])).map((v) => [`${typeof v}:${String(v)}`, v]),
      ).values(),
    ];
    if (levels.length < 2 || levels.length > SUGGESTION_DEFAULTS.maxScopeLevels) continue;
    for (const level of levels) {
      const same = (v: ParamValue | undefined) => v !== undefined && typeof v === typeof level && v === level;
      const inside = configurations.flatMap((c, i) => (same(c.params[scopePath]) ? [i] : []));
      const outside = configurations.flatMap((c, i) => (c.params[scopePath] !== undefined && !same(c.params[scopePath]) ? [i] : []));
      for (const local of candidatesOf(
        inside.map((i) => configurations[i]!),
        minSide,
      )) {
        if (local.path === scopePath) continue;
        const setting = outside.filter((i) => configurations[i]!.params[local.path] !== undefined);
        // A category's values must be comparable outside: a numeric rule needs numbers there too.
        if (local.op !== '=' && setting.some((i) => typeof configurations[i]!.params[local.path] !== 'number')) continue;
        const out = {
          satisfying: setting.filter((i) => satisfies(local, configurations[i]!.params[local.path]!)),
          violating: setting.filter((i) => !satisfies(local, configurations[i]!.params[local.path]!)),
        };
        if (out.satisfying.length < minSide || out.violating.length < minSide) continue;
        const candidate = { ...local, satisfying: local.satisfying.map((k) => inside[k]!), violating: local.violating.map((k) => inside[k]!) };
        scoped.push({ candidate, scopePath, scopeValue: level, outside: out });
      }
    }
  }
  return scoped;
}

function testScoped(
  scoped: readonly ScopedCandidate[],
  configurations: readonly Configuration[],
  sign: number,
  settings: { fdr: number; minEffectSize: number; permutations: number },
  random: () => number,
): ScopedTest[] {
  const valuesOf = (indices: readonly number[]) => indices.map((i) => configurations[i]!.value);
  const tests: ScopedTest[] = scoped.map((sc) => {
    const a = valuesOf(sc.candidate.satisfying);
    const b = valuesOf(sc.candidate.violating);
    const oa = valuesOf(sc.outside.satisfying);
    const ob = valuesOf(sc.outside.violating);
    const difference = sign * (mean(a) - mean(b));
    const outsideDifference = sign * (mean(oa) - mean(ob));
    const cells = [a, b, oa, ob];
    const within = cells.reduce((sum, xs) => {
      const m = mean(xs);
      return sum + xs.reduce((s, x) => s + (x - m) ** 2, 0);
    }, 0);
    const spread = Math.sqrt(within / (cells.reduce((n, xs) => n + xs.length, 0) - 4));
    const gap = difference - outsideDifference;
    const interactionSize = spread === 0 ? (gap === 0 ? 0 : gap * Infinity) : gap / spread;
    return {
      candidate: sc.candidate,
      scoped: sc,
      difference,
      effectSize: sign * cohensD(a, b),
      outsideDifference,
      interactionSize,
      pValue: 1,
      withinPValue: null,
      interactionPValue: null,
    };
  });
  const promising = tests
    .filter((t) => t.difference > 0 && t.effectSize >= settings.minEffectSize && t.interactionSize >= settings.minEffectSize)
    .sort((x, y) => y.interactionSize - x.interactionSize || x.candidate.path.localeCompare(y.candidate.path))
    .slice(0, SUGGESTION_DEFAULTS.maxScopedPermuted);
  for (const t of promising) {
    const { candidate, outside } = t.scoped;
    // Both tests stop once p is sure to exceed the FDR (the candidate cannot survive; see stopAbove).
    t.withinPValue = permutationPValue(valuesOf(candidate.satisfying), valuesOf(candidate.violating), settings.permutations, random, settings.fdr);
    t.interactionPValue =
      t.withinPValue > settings.fdr
        ? null
        : interactionPValue(
            [valuesOf(candidate.satisfying), valuesOf(candidate.violating), valuesOf(outside.satisfying), valuesOf(outside.violating)],
            settings.permutations,
            random,
            settings.fdr,
          );
    t.pValue = Math.max(t.withinPValue, t.interactionPValue ?? 1);
  }
  return tests;
}

/**
 * Residuals of the additive fit value ~ 1 + satisfies + inside (least squares) for the four cells
 * [inside satisfying, inside violating, outside satisfying, outside violating], in that order, concatenated.
 */
export function additiveResiduals(cells: readonly (readonly number[])[]): number[] {
  const rows = cells.flatMap((xs, c) => xs.map((y) => ({ y, s: c % 2 === 0 ? 1 : 0, g: c < 2 ? 1 : 0 })));
  // Normal equations X'X β = X'y with X = [1, s, g].
  const n = rows.length;
  const ss = rows.reduce((t, r) => t + r.s, 0);
  const sg = rows.reduce((t, r) => t + r.g, 0);
  const ssg = rows.reduce((t, r) => t + r.s * r.g, 0);
  const sy = rows.reduce((t, r) => t + r.y, 0);
  const sys = rows.reduce((t, r) => t + r.y * r.s, 0);
  const syg = rows.reduce((t, r) => t + r.y * r.g, 0);
  const beta = solve3(
    [
      [n, ss, sg],
      [ss, ss, ssg],
      [sg, ssg, sg],
    ],
    [sy, sys, syg],
  );
  return rows.map((r) => r.y - (beta[0]! + beta[1]! * r.s + beta[2]! * r.g));
}

function solve3(m: number[][], v: number[]): number[] {
  const a = m.map((row, i) => [...row, v[i]!]);
  for (let col = 0; col < 3; col++) {
    let pivot = col;
    for (let r = col + 1; r < 3; r++) if (Math.abs(a[r]![col]!) > Math.abs(a[pivot]![col]!)) pivot = r;
    [a[col], a[pivot]] = [a[pivot]!, a[col]!];
    for (let r = 0; r < 3; r++) {
      if (r === col) continue;
      const f = a[r]![col]! / a[col]![col]!;
      for (let k = col; k < 4; k++) a[r]![k]! -= f * a[col]![k]!;
    }
  }
  return a.map((row, i) => row[3]! / row[i]!);
}

/**
 * Two-sided permutation p-value of the interaction contrast (inside satisfying − inside violating) − (outside
 * satisfying − outside violating), by Freedman and Lane (1983): the residuals of the additive fit are permuted and
 * the contrast recomputed. The additive fit's own contrast is exactly 0, so the contrast of the values is that of
 * the residuals, and under no interaction the residuals are (approximately) exchangeable.
 */
export function interactionPValue(cells: readonly (readonly number[])[], permutations: number, random: () => number, stopAbove = 1): number {
  const residuals = Float64Array.from(additiveResiduals(cells));
  const weights = Float64Array.from(cells.flatMap((xs, c) => xs.map(() => ((c === 0 || c === 3 ? 1 : -1) as number) / xs.length)));
  const m = residuals.length;
  const contrast = () => {
    let sum = 0;
    for (let i = 0; i < m; i++) sum += residuals[i]! * weights[i]!;
    return sum;
  };
  const observed = Math.abs(contrast());
  const tolerance = 1e-12 * Math.max(1, observed);
  let extreme = 0;
  for (let k = 0; k < permutations; k++) {
    for (let i = m - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      const t = residuals[i]!;
      residuals[i] = residuals[j]!;
      residuals[j] = t;
    }
    if (Math.abs(contrast()) >= observed - tolerance) extreme++;
    if ((1 + extreme) / (1 + permutations) > stopAbove) break;
  }
  return (1 + extreme) / (1 + permutations);
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

/**
 * Two-sided permutation p-value of the difference of means: (1 + permutations at least as extreme) / (1 + permutations).
 * `stopAbove`: once the p-value is sure to exceed it, stop and return that partial count's p (a lower bound above it).
 * Used with the FDR for scoped candidates: one with p above the FDR cannot survive Benjamini–Hochberg, and its exact p
 * changes neither which candidates survive nor the q-values of those that do (they rank below it).
 */
function permutationPValue(a: readonly number[], b: readonly number[], permutations: number, random: () => number, stopAbove = 1): number {
  // |mean(a) − mean(b)| is symmetric in the sides: draw the smaller one, fewer draws per permutation.
  if (a.length > b.length) return permutationPValue(b, a, permutations, random, stopAbove);
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
    if ((1 + extreme) / (1 + permutations) > stopAbove) break;
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
    scope: '',
    outsideDifference: null,
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

function describeScoped(t: ScopedTest, configurations: readonly Configuration[], metric: FindingMetric, qValue: number): SuggestedFinding {
  const base = describe(t.candidate, configurations, metric, { difference: t.difference, effectSize: t.effectSize, pValue: t.pValue, qValue });
  const field = formatField({ kind: 'param', path: t.scoped.scopePath });
  const scope = `${field} = ${formatLiteral(t.scoped.scopeValue)}`;
  const metricName = `${metric.aggregate}(${metric.key})`;
  const outside = t.outsideDifference < 0 ? `it reverses (${formatNumber(t.outsideDifference)})` : `it is ${formatNumber(t.outsideDifference)}`;
  return {
    ...base,
    scope,
    outsideDifference: t.outsideDifference,
    title: `${base.rule} where ${scope} for a ${metric.direction === 'higher' ? 'higher' : 'lower'} ${metricName}`,
    statement:
      `Suggested by Tuneboard: where ${scope}, configurations with ${base.rule} have a mean ${metricName} of ${formatNumber(base.satisfying.mean)} against ` +
      `${formatNumber(base.violating.mean)} (${base.satisfying.configurations} vs ${base.violating.configurations} configurations, ${base.satisfying.runs} vs ${base.violating.runs} runs); ` +
      `where ${field} is set otherwise ${outside}. Permutation p = ${formatNumber(t.withinPValue!)} within the scope and ${formatNumber(t.interactionPValue!)} ` +
      `for the difference between the two, ${formatNumber(qValue)} after correcting for every rule tested.`,
  };
}
