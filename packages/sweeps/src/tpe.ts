// The Tree-structured Parzen Estimator (Bergstra et al. 2011), as Optuna's default TPESampler does it (univariate,
// with its prior, bandwidth "magic clip" and trial weights): split the finished trials into the best γ(n) and the
// rest, fit a Parzen estimator to each path's values in both groups — l(x) for the good, g(x) for the rest — draw
// candidates from l and keep the one with the largest l(x)/g(x). Pruned trials count among the rest.
import { normalCdf, normalQuantile } from './normal';
import { randomConfiguration, randomValue } from './random';
import type { Rng } from './rng';
import type { CategoricalParam, Configuration, FloatParam, IntParam, ParamSpec, Scalar, SearchSpace } from './space';

export interface Trial {
  params: Readonly<Configuration>;
  /** The objective, lower is better (a maximised metric is passed negated); null for a pruned trial. */
  loss: number | null;
  state: 'complete' | 'pruned';
}

export interface TpeOptions {
  /** Random suggestions until this many trials have completed (Optuna: 10). */
  startupTrials?: number;
  /** Candidates drawn from l(x) per path (Optuna: 24). */
  candidates?: number;
  /** The prior's weight beside the observations (Optuna: 1). */
  priorWeight?: number;
}

/** γ(n): how many of n trials count as good (Optuna's default: 10 %, at most 25). */
export function goodCount(n: number): number {
  return Math.min(Math.ceil(0.1 * n), 25);
}

/** Optuna's default weights for n observations, oldest first: flat for the newest 25, ramping down before them. */
export function trialWeights(n: number): number[] {
  if (n < 25) return Array.from({ length: n }, () => 1);
  const ramp = Array.from({ length: n - 25 }, (_, i) => (n - 25 === 1 ? 1 / n : 1 / n + ((1 - 1 / n) * i) / (n - 26)));
  return [...ramp, ...Array.from({ length: 25 }, () => 1)];
}

export function tpeConfiguration(space: SearchSpace, trials: readonly Trial[], rng: Rng, options: TpeOptions = {}): Configuration {
  const startup = options.startupTrials ?? 10;
  const candidates = options.candidates ?? 24;
  const priorWeight = options.priorWeight ?? 1;
  const complete = trials.flatMap((trial, order) =>
    trial.state === 'complete' && trial.loss !== null && Number.isFinite(trial.loss) ? [{ trial, order }] : [],
  );
  if (complete.length < startup) return randomConfiguration(space, rng);
  const ranked = [...complete].sort((a, b) => a.trial.loss! - b.trial.loss! || a.order - b.order);
  const good = ranked.slice(0, goodCount(trials.length));
  const goodSet = new Set(good.map((entry) => entry.order));
  const bad = trials.flatMap((trial, order) => (goodSet.has(order) ? [] : [{ trial, order }]));
  const byAge = (list: { trial: Trial; order: number }[]) => [...list].sort((a, b) => a.order - b.order).map((entry) => entry.trial);
  const goodTrials = byAge(good);
  const badTrials = byAge(bad);

  return randomConfiguration(space, rng, (path, spec) => {
    if (spec.type === 'fixed') return spec.value;
    const below = observations(goodTrials, path, spec);
    const above = observations(badTrials, path, spec);
    if (below.values.length === 0) return randomValue(spec, rng);
    if (spec.type === 'categorical') return bestCategory(spec, below, above, priorWeight, candidates, rng);
    return bestNumber(spec, below, above, priorWeight, candidates, rng);
  });
}

interface Observations {
  values: Scalar[];
  weights: number[];
}

function observations(trials: readonly Trial[], path: string, spec: ParamSpec): Observations {
  const present = trials.filter((trial) => Object.hasOwn(trial.params, path) && fits(spec, trial.params[path]!));
  return { values: present.map((trial) => trial.params[path]!), weights: trialWeights(present.length) };
}

const fits = (spec: ParamSpec, value: Scalar) =>
  spec.type === 'categorical'
    ? spec.values.includes(value)
    : typeof value === 'number' && Number.isFinite(value) && (!('log' in spec && spec.log) || value > 0);

function bestCategory(spec: CategoricalParam, below: Observations, above: Observations, priorWeight: number, candidates: number, rng: Rng): Scalar {
  const probabilities = (obs: Observations) => {
    const mass = spec.values.map(() => priorWeight / spec.values.length);
    obs.values.forEach((value, i) => (mass[spec.values.indexOf(value)]! += obs.weights[i]!));
    const total = mass.reduce((a, b) => a + b, 0);
    return mass.map((m) => m / total);
  };
  const l = probabilities(below);
  const g = probabilities(above);
  let best = 0;
  let bestScore = -Infinity;
  for (let c = 0; c < candidates; c++) {
    let u = rng.next();
    let index = 0;
    while (index < l.length - 1 && u >= l[index]!) u -= l[index++]!;
    const score = Math.log(l[index]!) - Math.log(g[index]!);
    if (score > bestScore) [best, bestScore] = [index, score];
  }
  return spec.values[best]!;
}

/**
 * A mixture of normals truncated to [low, high], in the range's own space (log space for a log-scaled range). The
 * components are kept in order of their means, so a density sums only those within reach of the point.
 */
interface Mixture {
  mus: Float64Array;
  sigmas: Float64Array;
  weights: Float64Array;
  /** Each component's mass inside [low, high]. */
  mass: Float64Array;
  /** weight / (mass · σ · √(2π)): the density's constant factor, computed once for the candidates. */
  scale: Float64Array;
  inverseSigmas: Float64Array;
  /** The prior's place among the components, and the widest other component: the reach of a point's neighbours. */
  prior: number;
  widest: number;
  low: number;
  high: number;
}

/** Beyond this many standard deviations a component adds less than e^−32 of its peak: nothing a ratio notices. */
const REACH = 8;

function mixture(values: readonly number[], weights: readonly number[], low: number, high: number, priorWeight: number): Mixture {
  const n = values.length + 1;
  const given = new Float64Array(n);
  for (let i = 0; i < n - 1; i++) given[i] = values[i]!;
  given[n - 1] = (low + high) / 2;
  let total = priorWeight;
  for (let i = 0; i < n - 1; i++) total += weights[i]!;
  // Bandwidth: the larger gap to a neighbour (the range's ends count as neighbours), clipped to
  // [(high − low) / min(100, 1 + n), high − low]; the prior spans the whole range.
  const mus = Float64Array.from(given).sort(); // numeric sort: typed arrays need no comparator, and are fast
  const at = (k: number) => (k === 0 ? low : k === n + 1 ? high : mus[k - 1]!); // [low, sorted…, high]
  const sigmas = new Float64Array(n);
  const span = high - low;
  const minSigma = span / Math.min(100, 1 + n);
  for (let k = 0; k < n; k++) {
    let sigma = Math.max(at(k + 1) - at(k), at(k + 2) - at(k + 1));
    // Optuna's default (consider_endpoints=False): the outermost use their inner neighbour's gap, not the range's end.
    if (n >= 2 && k === 0) sigma = at(2) - at(1);
    if (n >= 2 && k === n - 1) sigma = at(n) - at(n - 1);
    sigmas[k] = Math.min(span, Math.max(minSigma, sigma));
  }
  // Each observation takes its place in the sorted order, with its weight; equal values take successive places (as
  // with any sort, which of them gets which is arbitrary, and Optuna's argsort is not stable either).
  const w = new Float64Array(n);
  const taken = new Int32Array(n);
  let prior = 0;
  for (let i = 0; i < n; i++) {
    let lo = 0;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (mus[mid]! < given[i]!) lo = mid + 1;
      else hi = mid;
    }
    const place = lo + taken[lo]!++;
    w[place] = (i === n - 1 ? priorWeight : weights[i]!) / total;
    if (i === n - 1) prior = place;
  }
  sigmas[prior] = span;
  const mass = new Float64Array(n);
  const scale = new Float64Array(n);
  const inverseSigmas = new Float64Array(n);
  let widest = 0;
  for (let i = 0; i < n; i++) {
    const mu = mus[i]!;
    const sigma = sigmas[i]!;
    if (i !== prior) widest = Math.max(widest, sigma);
    inverseSigmas[i] = 1 / sigma;
    // Far from both ends the truncation removes nothing.
    mass[i] = mu - low > REACH * sigma && high - mu > REACH * sigma ? 1 : Math.max(1e-300, normalCdf((high - mu) / sigma) - normalCdf((low - mu) / sigma));
    scale[i] = w[i]! / (mass[i]! * sigma * Math.sqrt(2 * Math.PI));
  }
  return { mus, sigmas, weights: w, mass, scale, inverseSigmas, prior, widest, low, high };
}

function sampleMixture(m: Mixture, rng: Rng): number {
  let u = rng.next();
  let i = 0;
  while (i < m.weights.length - 1 && u >= m.weights[i]!) u -= m.weights[i++]!;
  const mu = m.mus[i]!;
  const sigma = m.sigmas[i]!;
  const a = normalCdf((m.low - mu) / sigma);
  const b = normalCdf((m.high - mu) / sigma);
  if (!(b - a > 1e-12)) return Math.min(m.high, Math.max(m.low, mu));
  return Math.min(m.high, Math.max(m.low, mu + sigma * normalQuantile(a + rng.next() * (b - a))));
}

/** The first component whose mean is at least x. */
function firstAtLeast(mus: Float64Array, x: number): number {
  let lo = 0;
  let hi = mus.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (mus[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** log l(x) of a continuous point, or of the bin [x0, x1] for an integer: the prior plus the components within reach. */
function logDensity(m: Mixture, x0: number, x1?: number): number {
  const { mus, sigmas, scale, inverseSigmas, prior } = m;
  const a = x1 === undefined ? x0 : Math.max(x0, m.low);
  const b = x1 === undefined ? x0 : Math.min(x1, m.high);
  const from = firstAtLeast(mus, a - REACH * m.widest);
  const to = firstAtLeast(mus, b + REACH * m.widest);
  const term = (i: number) => {
    if (x1 === undefined) {
      const z = (x0 - mus[i]!) * inverseSigmas[i]!;
      return scale[i]! * Math.exp(-0.5 * z * z);
    }
    return (m.weights[i]! * (normalCdf((b - mus[i]!) / sigmas[i]!) - normalCdf((a - mus[i]!) / sigmas[i]!))) / m.mass[i]!;
  };
  let total = prior >= from && prior < to ? 0 : term(prior);
  for (let i = from; i < to; i++) total += term(i);
  return Math.log(Math.max(total, 1e-300));
}

function bestNumber(spec: FloatParam | IntParam, below: Observations, above: Observations, priorWeight: number, candidates: number, rng: Rng): number {
  const integer = spec.type === 'int';
  const to = (x: number) => (spec.log ? Math.log(x) : x);
  const from = (t: number) => (spec.log ? Math.exp(t) : t);
  const low = to(integer ? spec.low - 0.5 : spec.low);
  const high = to(integer ? spec.high + 0.5 : spec.high);
  const l = mixture((below.values as number[]).map(to), below.weights, low, high, priorWeight);
  const g = mixture((above.values as number[]).map(to), above.weights, low, high, priorWeight);
  let best = NaN;
  let bestScore = -Infinity;
  for (let c = 0; c < candidates; c++) {
    let x = from(sampleMixture(l, rng));
    let score: number;
    if (integer) {
      x = Math.min(spec.high, Math.max(spec.low, Math.round(x)));
      score = logDensity(l, to(x - 0.5), to(x + 0.5)) - logDensity(g, to(x - 0.5), to(x + 0.5));
    } else {
      x = Math.min(spec.high, Math.max(spec.low, x));
      score = logDensity(l, to(x)) - logDensity(g, to(x));
    }
    if (score > bestScore) [best, bestScore] = [x, score];
  }
  return best;
}
