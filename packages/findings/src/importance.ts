import type { RunRecord } from '@tuneboard/filter';
import { EVIDENCE_STATUSES, type FindingMetric } from './evidence';
import { configurationKey, isSeedPath, mergeDuplicates } from './replicates';
import { quantile, seededRandom } from './statistics';

/**
 * Hyperparameter importance: which paths a project's metric depends on, and how sure we are.
 *
 * A random forest of small regression trees (CART, squared error) is fitted to the runs; a path's importance is how
 * much the forest's out-of-bag error grows when that path's values are shuffled (permutation importance, Breiman
 * 2001), normalised so that the paths' shares sum to 1. The interval of each share is a percentile bootstrap over
 * configurations: the whole procedure is repeated on resamples of configurations (runs that differ only by seed stay
 * together), so ten seeds of one configuration count as one observation, not ten.
 *
 * Trees are also bagged by configuration, so a configuration is either wholly in a tree's sample or wholly out of it:
 * a seed path can only earn importance by predicting configurations the tree has never seen, which noise cannot do.
 */

type ParamValue = number | string | boolean;

/** Below these the out-of-bag error of a tree rests on two or three configurations: too noisy to rank anything. */
export const IMPORTANCE_MIN_RUNS = 20;
export const IMPORTANCE_MIN_CONFIGURATIONS = 8;
/** Cost bounds: a larger project is ranked on a seeded sample of this many runs. */
export const IMPORTANCE_MAX_RUNS = 2000;
export const IMPORTANCE_MAX_TREES = 64;
export const IMPORTANCE_MAX_RESAMPLES = 64;
/** Numeric paths with more distinct values are cut into this many quantile bins before splitting. */
const MAX_BINS = 64;
const MAX_DEPTH = 12;

/** What importance reads of a run (an evidence run has it). */
export interface ImportanceRun extends Pick<RunRecord, 'params' | 'status' | 'metrics'> {
  id: string;
}

export type PathScale = 'linear' | 'log' | 'categorical';

export interface PathImportance {
  path: string;
  /** Share of the forest's permutation importance, 0–1; the shares of all paths sum to 1 (or are all 0). */
  share: number;
  /** Percentile bootstrap interval of the share, over resamples of configurations. */
  low: number;
  high: number;
  /** linear or log (positive values spanning two decades or more) for numbers; categorical for strings, booleans, mixed. */
  scale: PathScale;
  isSeed: boolean;
  /** Runs that do not set the path (they are kept: "unset" is a value of its own). */
  missingRuns: number;
}

export interface ImportanceLimits {
  minRuns: number;
  minConfigurations: number;
  maxRuns: number;
  trees: number;
  resamples: number;
  minLeafRuns: number;
  level: number;
}

export interface Importance {
  /** Why nothing is ranked (too few runs, nothing varies…); null when paths are ranked. */
  refusal: string | null;
  paths: PathImportance[];
  /** Paths set to one value in every run used: they cannot explain anything here. */
  constantPaths: string[];
  /** Finished runs (succeeded, diverged) with a finite value of the metric, before the cost cap. */
  runsAvailable: number;
  runsUsed: number;
  configurations: number;
  /** Runs with the same configuration and seed as another, merged into one observation (their mean). */
  duplicatesMerged: number;
  excludedMissing: number;
  excludedNonFinite: number;
  /** Out-of-bag R² of the forest: how much of the metric's variance the paths explain together. Low = do not trust the ranking. */
  explainedVariance: number | null;
  limits: ImportanceLimits;
}

export interface ImportanceOptions {
  seed?: number;
  trees?: number;
  resamples?: number;
  minLeafRuns?: number;
  level?: number;
}

/** One observation: a unique experiment (configuration + seed), the mean metric of its duplicates. */
interface Observation {
  params: Readonly<Record<string, ParamValue>>;
  configuration: string;
  value: number;
}

/** Columns of small integer codes: ordered for numbers (0 = unset when any run lacks the path), arbitrary for categories. */
interface Feature {
  path: string;
  scale: PathScale;
  ordered: boolean;
  codes: Uint16Array;
  levels: number;
  missing: number;
}

interface Dataset {
  features: Feature[];
  y: Float64Array;
  /** Configuration index of each row. */
  cluster: Int32Array;
  clusters: number;
}

function metricValue(run: ImportanceRun, metric: Pick<FindingMetric, 'key' | 'aggregate'>): number | null | undefined {
  const summary = run.metrics?.[metric.key];
  return summary ? summary[metric.aggregate] : undefined;
}

export function computeImportance(
  runs: readonly ImportanceRun[],
  metric: Pick<FindingMetric, 'key' | 'aggregate'>,
  options: ImportanceOptions = {},
): Importance {
  const seed = options.seed ?? 0x1b9a7c;
  const limits: ImportanceLimits = {
    minRuns: IMPORTANCE_MIN_RUNS,
    minConfigurations: IMPORTANCE_MIN_CONFIGURATIONS,
    maxRuns: IMPORTANCE_MAX_RUNS,
    trees: clamp(options.trees ?? IMPORTANCE_MAX_TREES, 1, IMPORTANCE_MAX_TREES),
    resamples: clamp(options.resamples ?? 24, 0, IMPORTANCE_MAX_RESAMPLES),
    minLeafRuns: clamp(options.minLeafRuns ?? 3, 1, 100),
    level: options.level ?? 0.95,
  };

  let excludedMissing = 0;
  let excludedNonFinite = 0;
  const usable: { run: ImportanceRun; value: number }[] = [];
  for (const run of runs) {
    if (!(EVIDENCE_STATUSES as readonly string[]).includes(run.status)) continue;
    const value = metricValue(run, metric);
    if (value === undefined || value === null) excludedMissing++;
    else if (!Number.isFinite(value)) excludedNonFinite++;
    else usable.push({ run, value });
  }
  // Sorted by id so the result does not depend on the order the store listed the runs in.
  usable.sort((a, b) => (a.run.id < b.run.id ? -1 : a.run.id > b.run.id ? 1 : 0));
  const runsAvailable = usable.length;
  const random = seededRandom(seed);
  const sampled = runsAvailable > IMPORTANCE_MAX_RUNS ? sample(usable, IMPORTANCE_MAX_RUNS, random) : usable;

  const observations: Observation[] = mergeDuplicates(sampled.map(({ run, value }) => ({ params: run.params, value }))).map((e) => ({
    params: e.params as RunRecord['params'],
    configuration: configurationKey(e.params),
    value: e.value,
  }));
  const configurations = new Set(observations.map((o) => o.configuration)).size;

  const base = {
    runsAvailable,
    runsUsed: sampled.length,
    configurations,
    duplicatesMerged: sampled.length - observations.length,
    excludedMissing,
    excludedNonFinite,
    limits,
  };
  const refuse = (refusal: string, constantPaths: string[] = []): Importance => ({ ...base, refusal, paths: [], constantPaths, explainedVariance: null });

  const metricName = `${metric.aggregate}(${metric.key})`;
  if (sampled.length < IMPORTANCE_MIN_RUNS || configurations < IMPORTANCE_MIN_CONFIGURATIONS)
    return refuse(
      `Not enough runs to rank hyperparameters: ${sampled.length} finished run${sampled.length === 1 ? '' : 's'} with a finite ${metricName} ` +
        `in ${configurations} configuration${configurations === 1 ? '' : 's'}; importance needs at least ${IMPORTANCE_MIN_RUNS} runs ` +
        `and ${IMPORTANCE_MIN_CONFIGURATIONS} configurations (runs that differ only by seed are one configuration).`,
    );

  const { dataset, constantPaths } = encode(observations);
  if (dataset.features.length === 0) return refuse('Nothing to rank: every hyperparameter has the same value in every run used.', constantPaths);
  if (variance(dataset.y) === 0) return refuse(`Nothing to explain: ${metricName} has the same value in every run used.`, constantPaths);

  const full = forestImportance(dataset, limits.trees, limits.minLeafRuns, random);
  const resampledShares: number[][] = dataset.features.map(() => []);
  for (let b = 0; b < limits.resamples; b++) {
    const resample = resampleConfigurations(dataset, random);
    const { shares } = forestImportance(resample, Math.max(8, Math.ceil(limits.trees / 4)), limits.minLeafRuns, random);
    shares.forEach((share, f) => resampledShares[f]!.push(share));
  }
  const tail = (1 - limits.level) / 2;
  const paths: PathImportance[] = dataset.features.map((feature, f) => {
    const sorted = resampledShares[f]!.sort((a, b) => a - b);
    const share = full.shares[f]!;
    return {
      path: feature.path,
      share,
      low: sorted.length ? Math.min(share, quantile(sorted, tail)) : share,
      high: sorted.length ? Math.max(share, quantile(sorted, 1 - tail)) : share,
      scale: feature.scale,
      isSeed: isSeedPath(feature.path),
      missingRuns: feature.missing,
    };
  });
  paths.sort((a, b) => b.share - a.share || a.path.localeCompare(b.path));
  return {
    ...base,
    refusal: full.shares.every((s) => s === 0) ? `No hyperparameter predicts ${metricName} better than its mean on configurations left out of the fit.` : null,
    paths,
    constantPaths,
    explainedVariance: full.explainedVariance,
  };
}

const clamp = (value: number, low: number, high: number) => Math.min(high, Math.max(low, Math.round(value)));

function sample<T>(items: readonly T[], count: number, random: () => number): T[] {
  const copy = [...items];
  for (let i = 0; i < count; i++) {
    const j = i + Math.floor(random() * (copy.length - i));
    [copy[i], copy[j]] = [copy[j]!, copy[i]!];
  }
  return copy.slice(0, count);
}

function variance(values: Float64Array): number {
  let sum = 0;
  for (const v of values) sum += v;
  const m = sum / values.length;
  let squares = 0;
  for (const v of values) squares += (v - m) ** 2;
  return squares / values.length;
}

/** Numbers (every set value a number) are ordered codes; anything else is a category, "unset" being one more. */
function encode(observations: readonly Observation[]): { dataset: Dataset; constantPaths: string[] } {
  const paths = [...new Set(observations.flatMap((o) => Object.keys(o.params)))].sort();
  const features: Feature[] = [];
  const constantPaths: string[] = [];
  const n = observations.length;
  for (const path of paths) {
    const values = observations.map((o) => o.params[path]);
    const missing = values.filter((v) => v === undefined).length;
    const present = values.filter((v): v is ParamValue => v !== undefined);
    const distinct = new Set(present.map((v) => `${typeof v}:${String(v)}`));
    if (distinct.size + (missing > 0 ? 1 : 0) < 2) {
      constantPaths.push(path);
      continue;
    }
    const codes = new Uint16Array(n);
    if (present.every((v) => typeof v === 'number')) {
      const numbers = present as number[];
      const min = Math.min(...numbers);
      const max = Math.max(...numbers);
      const scale: PathScale = min > 0 && max / min >= 100 ? 'log' : 'linear';
      // Trees only see the order of values, so the scale changes nothing in the fit: it is reported for charts and rules.
      const edges = binEdges(numbers);
      const offset = missing > 0 ? 1 : 0;
      values.forEach((v, i) => (codes[i] = v === undefined ? 0 : offset + binOf(edges, v as number)));
      features.push({ path, scale, ordered: true, codes, levels: edges.length + offset, missing });
    } else {
      const labels = [...distinct].sort();
      const index = new Map(labels.map((label, i) => [label, i]));
      values.forEach((v, i) => (codes[i] = v === undefined ? labels.length : index.get(`${typeof v}:${String(v)}`)!));
      features.push({ path, scale: 'categorical', ordered: false, codes, levels: labels.length + (missing > 0 ? 1 : 0), missing });
    }
  }
  const clusterIds = new Map<string, number>();
  const cluster = new Int32Array(n);
  observations.forEach((o, i) => {
    if (!clusterIds.has(o.configuration)) clusterIds.set(o.configuration, clusterIds.size);
    cluster[i] = clusterIds.get(o.configuration)!;
  });
  return { dataset: { features, y: Float64Array.from(observations, (o) => o.value), cluster, clusters: clusterIds.size }, constantPaths };
}

/** Upper edges of the bins: every distinct value when there are few, else quantile cuts. */
function binEdges(values: readonly number[]): number[] {
  const distinct = [...new Set(values)].sort((a, b) => a - b);
  if (distinct.length <= MAX_BINS) return distinct;
  const sorted = [...values].sort((a, b) => a - b);
  const edges: number[] = [];
  for (let b = 1; b <= MAX_BINS; b++) {
    const edge = sorted[Math.min(sorted.length - 1, Math.ceil((b / MAX_BINS) * sorted.length) - 1)]!;
    if (edges.length === 0 || edge > edges[edges.length - 1]!) edges.push(edge);
  }
  return edges;
}

function binOf(edges: readonly number[], value: number): number {
  let lo = 0;
  let hi = edges.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (value <= edges[mid]!) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** A resample of configurations with replacement; copies keep their configuration id, so out-of-bag stays honest. */
function resampleConfigurations(data: Dataset, random: () => number): Dataset {
  const rowsOf = rowsByCluster(data);
  const rows: number[] = [];
  for (let c = 0; c < data.clusters; c++) rows.push(...rowsOf[Math.floor(random() * data.clusters)]!);
  return {
    features: data.features.map((f) => ({ ...f, codes: Uint16Array.from(rows, (r) => f.codes[r]!) })),
    y: Float64Array.from(rows, (r) => data.y[r]!),
    cluster: Int32Array.from(rows, (r) => data.cluster[r]!),
    clusters: data.clusters,
  };
}

function rowsByCluster(data: Dataset): number[][] {
  const rowsOf: number[][] = Array.from({ length: data.clusters }, () => []);
  data.cluster.forEach((c, r) => rowsOf[c]!.push(r));
  return rowsOf;
}

interface TreeNode {
  feature: number;
  /** Codes that go left (split nodes). */
  left: Uint8Array | null;
  leftChild: number;
  rightChild: number;
  value: number;
}

/** A tree as parallel arrays (feature −1 at a leaf), for the prediction loops. */
interface FlatTree {
  feature: Int32Array;
  left: (Uint8Array | null)[];
  leftChild: Int32Array;
  rightChild: Int32Array;
  value: Float64Array;
}

function flatten(nodes: readonly TreeNode[]): FlatTree {
  const m = nodes.length;
  const tree: FlatTree = {
    feature: new Int32Array(m),
    left: nodes.map((node) => node.left),
    leftChild: new Int32Array(m),
    rightChild: new Int32Array(m),
    value: new Float64Array(m),
  };
  nodes.forEach((node, k) => {
    tree.feature[k] = node.left ? node.feature : -1;
    tree.leftChild[k] = node.leftChild;
    tree.rightChild[k] = node.rightChild;
    tree.value[k] = node.value;
  });
  return tree;
}

/**
 * Fits `trees` trees, each on a bootstrap of configurations, and returns each feature's share of the summed
 * out-of-bag permutation importance (negative importances count as 0) and the forest's out-of-bag R².
 */
function forestImportance(data: Dataset, trees: number, minLeaf: number, random: () => number): { shares: number[]; explainedVariance: number | null } {
  const p = data.features.length;
  const n = data.y.length;
  // 70 % of the paths per split: a third (the textbook default) lets noise paths win too many splits with few paths.
  const tries = Math.max(1, Math.ceil(0.7 * p));
  const rowsOf = rowsByCluster(data);
  const increase = new Float64Array(p);
  let oobCount = 0;
  const oobSum = new Float64Array(n);
  const oobTimes = new Uint32Array(n);
  // Per out-of-bag row of the current tree, its base squared error and which features its path splits on: a
  // permuted feature can only change the prediction of a row whose path splits on it, so the others keep theirs.
  const baseSquared = new Float64Array(n);
  const onPath = new Uint8Array(n * p);
  const shuffled = new Int32Array(n);
  const featureCodes = data.features.map((f) => f.codes);
  const present = rowsOf.map((rows, c) => (rows.length ? c : -1)).filter((c) => c >= 0);
  for (let t = 0; t < trees; t++) {
    const drawn = new Uint8Array(data.clusters);
    const bag: number[] = [];
    // Draw as many clusters as are present (with replacement); empty clusters (absent from a resample) cannot be drawn.
    for (let i = 0; i < present.length; i++) {
      const c = present[Math.floor(random() * present.length)]!;
      drawn[c] = 1;
      bag.push(...rowsOf[c]!);
    }
    const oob: number[] = [];
    for (let r = 0; r < n; r++) if (!drawn[data.cluster[r]!]) oob.push(r);
    if (oob.length === 0) continue;
    const used = new Uint8Array(p);
    const tree = flatten(growTree(data, Int32Array.from(bag), used, { minLeaf, tries, random }));
    onPath.fill(0, 0, oob.length * p);
    let baseError = 0;
    for (let i = 0; i < oob.length; i++) {
      const r = oob[i]!;
      let k = 0;
      while (tree.feature[k]! >= 0) {
        const f = tree.feature[k]!;
        onPath[i * p + f] = 1;
        k = tree.left[k]![featureCodes[f]![r]!] ? tree.leftChild[k]! : tree.rightChild[k]!;
      }
      const prediction = tree.value[k]!;
      oobSum[r]! += prediction;
      oobTimes[r]!++;
      const squared = (data.y[r]! - prediction) ** 2;
      baseSquared[i] = squared;
      baseError += squared;
    }
    oobCount += oob.length;
    for (let f = 0; f < p; f++) {
      if (!used[f]) continue;
      // The same draws as sample(oob, oob.length, random): a Fisher–Yates shuffle of a copy.
      for (let i = 0; i < oob.length; i++) shuffled[i] = oob[i]!;
      for (let i = 0; i < oob.length; i++) {
        const j = i + Math.floor(random() * (oob.length - i));
        const swap = shuffled[i]!;
        shuffled[i] = shuffled[j]!;
        shuffled[j] = swap;
      }
      const codes = featureCodes[f]!;
      let error = 0;
      for (let i = 0; i < oob.length; i++) {
        if (!onPath[i * p + f]) {
          error += baseSquared[i]!;
          continue;
        }
        const r = oob[i]!;
        const code = codes[shuffled[i]!]!;
        let k = 0;
        while (tree.feature[k]! >= 0) {
          const g = tree.feature[k]!;
          k = tree.left[k]![g === f ? code : featureCodes[g]![r]!] ? tree.leftChild[k]! : tree.rightChild[k]!;
        }
        error += (data.y[r]! - tree.value[k]!) ** 2;
      }
      increase[f]! += error - baseError;
    }
  }
  const positive = Array.from(increase, (v) => Math.max(0, v / Math.max(1, oobCount)));
  const total = positive.reduce((a, b) => a + b, 0);
  let residual = 0;
  let spread = 0;
  let covered = 0;
  let sum = 0;
  for (let r = 0; r < n; r++) if (oobTimes[r]) (covered++, (sum += data.y[r]!));
  const meanY = sum / Math.max(1, covered);
  for (let r = 0; r < n; r++)
    if (oobTimes[r]) {
      residual += (data.y[r]! - oobSum[r]! / oobTimes[r]!) ** 2;
      spread += (data.y[r]! - meanY) ** 2;
    }
  return { shares: positive.map((v) => (total > 0 ? v / total : 0)), explainedVariance: covered > 1 && spread > 0 ? 1 - residual / spread : null };
}

interface GrowState {
  data: Dataset;
  /** The bag, partitioned in place: a node owns rows[start, end). */
  rows: Int32Array;
  nodes: TreeNode[];
  used: Uint8Array;
  minLeaf: number;
  tries: number;
  random: () => number;
  /** Scratch space reused by every node (allocating per node dominated the cost). */
  counts: Float64Array;
  sums: Float64Array;
  candidates: Int32Array;
  order: Int32Array;
  bestOrder: Int32Array;
}

function growTree(data: Dataset, bag: Int32Array, used: Uint8Array, settings: { minLeaf: number; tries: number; random: () => number }): TreeNode[] {
  const maxLevels = Math.max(2, ...data.features.map((f) => f.levels));
  const state: GrowState = {
    data,
    rows: bag,
    nodes: [],
    used,
    ...settings,
    counts: new Float64Array(maxLevels),
    sums: new Float64Array(maxLevels),
    candidates: Int32Array.from(data.features, (_, f) => f),
    order: new Int32Array(maxLevels),
    bestOrder: new Int32Array(maxLevels),
  };
  grow(state, 0, bag.length, 0);
  return state.nodes;
}

/** CART on squared error: the best split among `tries` random features, ordered codes by threshold, categories by Breiman's mean ordering. */
function grow(state: GrowState, start: number, end: number, depth: number): number {
  const { data, rows, nodes, counts, sums, order, candidates, minLeaf } = state;
  const y = data.y;
  const size = end - start;
  const index = nodes.length;
  let sum = 0;
  for (let i = start; i < end; i++) sum += y[rows[i]!]!;
  const node: TreeNode = { feature: -1, left: null, leftChild: -1, rightChild: -1, value: sum / size };
  nodes.push(node);
  if (depth >= MAX_DEPTH || size < 2 * minLeaf) return index;

  const p = candidates.length;
  const parentScore = (sum * sum) / size;
  let bestGain = 1e-12 * Math.max(1, Math.abs(parentScore));
  // The best split so far, as what its mask is made of: the mask is built once, for the winner (allocating one
  // per improvement was most of the cost of growing).
  let bestFeature = -1;
  let bestThreshold = 0;
  let bestI = 0;
  let bestPresent = 0;
  let bestLeftLarger = false;
  const bestOrder = state.bestOrder;
  let tried = 0;
  // Features in a random order until `tries` of them vary in this node (a constant one does not use up a try).
  for (let k = 0; k < p && tried < state.tries; k++) {
    const swap = k + Math.floor(state.random() * (p - k));
    const f = candidates[swap]!;
    candidates[swap] = candidates[k]!;
    candidates[k] = f;
    const feature = data.features[f]!;
    const levels = feature.levels;
    const codes = feature.codes;
    counts.fill(0, 0, levels);
    sums.fill(0, 0, levels);
    for (let i = start; i < end; i++) {
      const r = rows[i]!;
      const c = codes[r]!;
      counts[c]!++;
      sums[c]! += y[r]!;
    }
    let present = 0;
    for (let c = 0; c < levels; c++) if (counts[c]) order[present++] = c;
    if (present < 2) continue;
    tried++;
    const sorted = feature.ordered
      ? order.subarray(0, present)
      : order.subarray(0, present).sort((a, b) => sums[a]! / counts[a]! - sums[b]! / counts[b]! || a - b);
    let leftCount = 0;
    let leftSum = 0;
    for (let i = 0; i < present - 1; i++) {
      leftCount += counts[sorted[i]!]!;
      leftSum += sums[sorted[i]!]!;
      const rightCount = size - leftCount;
      if (leftCount < minLeaf || rightCount < minLeaf) continue;
      const rightSum = sum - leftSum;
      const gain = (leftSum * leftSum) / leftCount + (rightSum * rightSum) / rightCount - parentScore;
      if (gain > bestGain) {
        bestGain = gain;
        bestFeature = f;
        if (feature.ordered) bestThreshold = sorted[i]!;
        else {
          bestI = i;
          bestPresent = present;
          bestLeftLarger = leftCount > rightCount;
          bestOrder.set(sorted);
        }
      }
    }
  }
  if (bestFeature < 0) return index;
  const winner = data.features[bestFeature]!;
  const left = new Uint8Array(winner.levels);
  // Codes absent from this node (seen only out of bag) go by order for numbers (every code up to the
  // threshold), and to the larger side for categories.
  if (winner.ordered) left.fill(1, 0, bestThreshold + 1);
  else {
    if (bestLeftLarger) left.fill(1);
    for (let j = bestI + 1; j < bestPresent; j++) left[bestOrder[j]!] = 0;
    for (let j = 0; j <= bestI; j++) left[bestOrder[j]!] = 1;
  }
  const best = { feature: bestFeature, left };
  state.used[best.feature] = 1;
  const codes = winner.codes;
  // Partition rows[start, end) in place: the left child's rows first.
  let middle = start;
  for (let i = start; i < end; i++) {
    const r = rows[i]!;
    if (best.left[codes[r]!]) {
      rows[i] = rows[middle]!;
      rows[middle++] = r;
    }
  }
  node.feature = best.feature;
  node.left = best.left;
  node.leftChild = grow(state, start, middle, depth + 1);
  node.rightChild = grow(state, middle, end, depth + 1);
  return index;
}
