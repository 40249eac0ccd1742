/**
 * How the study widens its learning-rate grid: pure functions, no I/O (tested in grid.test.ts).
 *
 * Learning rates live on the 1–3–10 ladder (… 0.01, 0.03, 0.1, 0.3, 1, 3, 10 …), each ≈3× the one before. A batch
 * size whose best learning rate is the smallest or largest it has tried gets the next rung on that side, so the
 * grid grows only where the optimum may lie beyond it.
 */

/** One configuration's outcome: the mean over its seeds of the metric (NaN when every seed diverged). */
export interface Trial {
  batchSize: number;
  learningRate: number;
  /** Mean final test accuracy over the seeds; NaN or missing values count as the worst possible. */
  accuracy: number;
}

/** The rung of the 1–3–10 ladder nearest to a rate: 0 for 1, 1 for 3, 2 for 10, -1 for 0.3, -2 for 0.1 … */
function rung(rate: number): number {
  return Math.round(2 * Math.log10(rate));
}

/** The rate at a rung of the ladder, rounded so 3 × 0.01 prints as 0.03. */
function rateAt(rung: number): number {
  return Number(((rung % 2 === 0 ? 1 : 3) * 10 ** Math.floor(rung / 2)).toPrecision(6));
}

/** The next rate on the ladder above (direction 1) or below (direction -1) a rate. */
export function stepRate(rate: number, direction: 1 | -1): number {
  return rateAt(rung(rate) + direction);
}

/** The best learning rate of each batch size (highest mean accuracy; a non-finite mean never wins). */
export function bestLearningRates(trials: readonly Trial[]): Map<number, Trial> {
  const best = new Map<number, Trial>();
  for (const trial of trials) {
    const current = best.get(trial.batchSize);
    const score = Number.isFinite(trial.accuracy) ? trial.accuracy : -Infinity;
    const currentScore = current && Number.isFinite(current.accuracy) ? current.accuracy : -Infinity;
    if (!current || score > currentScore) best.set(trial.batchSize, trial);
  }
  return best;
}

export interface Widening {
  /** Learning rates to train next, per batch size (only the batch sizes that need more). */
  add: Map<number, number[]>;
  /** Batch sizes whose best rate is at an edge the grid cannot move past, and why. */
  stuck: Map<number, string>;
}

/**
 * For each batch size whose best learning rate is the smallest or largest it tried, the next rate on that side —
 * unless it is above the largest learning rate the hyperparameter schema accepts (then the batch size is stuck).
 * An empty `add` means every batch size's best rate is inside its grid, or stuck: the search is over.
 */
export function nextLearningRates(trials: readonly Trial[], maxLearningRate: number): Widening {
  const add = new Map<number, number[]>();
  const stuck = new Map<number, string>();
  for (const [batchSize, best] of bestLearningRates(trials)) {
    if (!Number.isFinite(best.accuracy)) {
      stuck.set(batchSize, 'every learning rate tried diverged');
      continue;
    }
    const tried = trials.filter((t) => t.batchSize === batchSize).map((t) => t.learningRate);
    const next: number[] = [];
    // With one rate tried, it is both the smallest and the largest: widen on both sides.
    if (best.learningRate === Math.min(...tried)) next.push(stepRate(best.learningRate, -1));
    if (best.learningRate === Math.max(...tried)) {
      const above = stepRate(best.learningRate, 1);
      if (above <= maxLearningRate) next.push(above);
      else stuck.set(batchSize, `its best learning rate ${best.learningRate} is the largest the schema accepts (${maxLearningRate})`);
    }
    if (next.length > 0) add.set(batchSize, next);
  }
  return { add, stuck };
}
