// Early stopping, decided from the objective metric's intermediate values (per step or per epoch, the "resource"):
// ASHA, asynchronous successive halving (Li et al. 2020), and the median stopping rule (Golovin et al. 2017). Each
// decision says why, in words a person can check against the charts.

export interface Report {
  /** Steps or epochs trained when the value was reported. */
  resource: number;
  value: number;
}

export type Direction = 'minimize' | 'maximize';

export interface Explained {
  /** The metric's name and the resource's unit, for the explanation ("test.accuracy", "epoch"). */
  metric: string;
  unit: string;
}

export interface PruneDecision {
  prune: boolean;
  /** Why, in one sentence ("stopped at epoch 3: test.accuracy 0.81 below the rung's top third, 0.86"). */
  reason: string;
  /** Where it was decided, and against what. */
  resource?: number;
  value?: number;
  cutoff?: number;
  competitors?: number;
}

export interface AshaOptions extends Explained {
  direction: Direction;
  /** The first rung's resource (r in the paper). */
  minResource: number;
  /** η: a rung keeps the top 1/η of the trials that reached it. */
  reductionFactor: number;
  /** The full budget (R); no rung at or beyond it. */
  maxResource: number;
}

/** The rungs' resources: r, rη, rη², … below the full budget. */
export function ashaRungs(options: Pick<AshaOptions, 'minResource' | 'reductionFactor' | 'maxResource'>): number[] {
  const rungs: number[] = [];
  for (let r = options.minResource; r < options.maxResource && rungs.length < 64; r *= options.reductionFactor) rungs.push(r);
  return rungs;
}

/** A trial's value at a rung: its last report at or before the rung, once it has trained that far. */
function valueAt(history: readonly Report[], resource: number): number | undefined {
  let reached = false;
  let value: number | undefined;
  for (const report of history) {
    if (report.resource >= resource) reached = true;
    if (report.resource <= resource && Number.isFinite(report.value)) value = report.value;
  }
  return reached ? value : undefined;
}

const better = (direction: Direction) => (a: number, b: number) => (direction === 'maximize' ? b - a : a - b);
const fraction = (eta: number) => (eta === 2 ? 'half' : eta === 3 ? 'third' : eta === 4 ? 'quarter' : `1/${eta}`);
const number = (x: number) => (Math.abs(x) >= 1e4 || (x !== 0 && Math.abs(x) < 1e-3) ? x.toExponential(2) : String(+x.toPrecision(3)));

/**
 * ASHA's decision for a running trial, made when it reaches a rung (between rungs it goes on): it goes on if it is
 * among the best ⌊n/η⌋ (at least one) of the n trials that have reached that rung so far, itself included; with
 * fewer than η there, it goes on (nothing to compare with yet). A trial is judged once per rung, so later arrivals
 * do not stop it retroactively. `others` are the histories of the sweep's other trials; `since` is the resource of
 * the report last judged (default: the report before the newest), for callers that receive reports in batches.
 */
export function ashaDecision(history: readonly Report[], others: readonly (readonly Report[])[], options: AshaOptions, since?: number): PruneDecision {
  const rungs = ashaRungs(options);
  const last = history[history.length - 1];
  if (!last) return { prune: false, reason: `no rung reached yet (the first is at ${options.unit} ${options.minResource})` };
  const previous = since ?? history[history.length - 2]?.resource ?? -Infinity;
  const crossed = rungs.filter((rung) => rung > previous && rung <= last.resource);
  const rung = crossed[crossed.length - 1];
  if (rung === undefined) {
    const next = rungs.find((r) => r > last.resource);
    return { prune: false, reason: next === undefined ? 'past the last rung' : `between rungs (the next is at ${options.unit} ${next})` };
  }
  const own = valueAt(history, rung)!;
  const competitors = [own, ...others.flatMap((other) => valueAt(other, rung) ?? [])].sort(better(options.direction));
  const keep = Math.max(1, Math.floor(competitors.length / options.reductionFactor));
  const cutoff = competitors[keep - 1]!;
  const at = { resource: rung, value: own, cutoff, competitors: competitors.length };
  if (competitors.length < options.reductionFactor)
    return { prune: false, ...at, reason: `${competitors.length} of the ${options.reductionFactor} trials needed to compare at ${options.unit} ${rung}` };
  const kept = better(options.direction)(own, cutoff) <= 0;
  const side = options.direction === 'maximize' ? 'below' : 'above';
  return kept
    ? { prune: false, ...at, reason: `${options.metric} ${number(own)} in the top ${fraction(options.reductionFactor)} at ${options.unit} ${rung}` }
    : {
        prune: true,
        ...at,
        reason: `stopped at ${options.unit} ${rung}: ${options.metric} ${number(own)} ${side} the rung's top ${fraction(options.reductionFactor)}, ${number(cutoff)} (${competitors.length} trials)`,
      };
}

export interface MedianOptions extends Explained {
  direction: Direction;
  /** No decision until this many trials have completed (Optuna: 5). */
  startupTrials: number;
  /** No decision before this resource. */
  warmup: number;
}

/**
 * The median stopping rule: stop a trial whose best value so far is worse than the median of the completed
 * trials' values at the same resource.
 */
export function medianDecision(history: readonly Report[], completed: readonly (readonly Report[])[], options: MedianOptions): PruneDecision {
  const last = history[history.length - 1];
  if (!last || last.resource < options.warmup) return { prune: false, reason: `before the warm-up (${options.unit} ${options.warmup})` };
  const resource = last.resource;
  const peers = completed.flatMap((other) => valueAt(other, resource) ?? []).sort((a, b) => a - b);
  if (completed.length < options.startupTrials || peers.length < options.startupTrials)
    return {
      prune: false,
      resource,
      reason: `${peers.length} of the ${options.startupTrials} completed trials needed to compare at ${options.unit} ${resource}`,
    };
  const median = peers.length % 2 ? peers[(peers.length - 1) / 2]! : (peers[peers.length / 2 - 1]! + peers[peers.length / 2]!) / 2;
  const values = history.filter((report) => report.resource <= resource && Number.isFinite(report.value)).map((report) => report.value);
  const best = options.direction === 'maximize' ? Math.max(...values) : Math.min(...values);
  const at = { resource, value: best, cutoff: median, competitors: peers.length };
  const worse = options.direction === 'maximize' ? best < median : best > median;
  return worse
    ? {
        prune: true,
        ...at,
        reason: `stopped at ${options.unit} ${resource}: best ${options.metric} so far ${number(best)} ${options.direction === 'maximize' ? 'below' : 'above'} the median of ${peers.length} completed trials, ${number(median)}`,
      }
    : { prune: false, ...at, reason: `${options.metric} ${number(best)} not worse than the median, ${number(median)}` };
}
