// Standard test functions for optimisers (Surjanovic & Bingham's library), as search spaces and objectives, for the
// sampler tests and the benchmark against Optuna.
import type { Rng } from './rng';
import type { Configuration, SearchSpace } from './space';

export interface TestFunction {
  name: string;
  space: SearchSpace;
  /** Lower is better. */
  evaluate(config: Configuration, rng: Rng): number;
  minimum: number;
}

export const branin: TestFunction = {
  name: 'branin',
  space: { x1: { type: 'float', low: -5, high: 10 }, x2: { type: 'float', low: 0, high: 15 } },
  evaluate(config) {
    const x1 = config.x1 as number;
    const x2 = config.x2 as number;
    const b = 5.1 / (4 * Math.PI ** 2);
    const c = 5 / Math.PI;
    const t = 1 / (8 * Math.PI);
    return (x2 - b * x1 ** 2 + c * x1 - 6) ** 2 + 10 * (1 - t) * Math.cos(x1) + 10;
  },
  minimum: 0.397887,
};

const H6_ALPHA = [1.0, 1.2, 3.0, 3.2];
const H6_A = [
  [10, 3, 17, 3.5, 1.7, 8],
  [0.05, 10, 17, 0.1, 8, 14],
  [3, 3.5, 1.7, 10, 17, 8],
  [17, 8, 0.05, 10, 0.1, 14],
];
const H6_P = [
  [1312, 1696, 5569, 124, 8283, 5886],
  [2329, 4135, 8307, 3736, 1004, 9991],
  [2348, 1451, 3522, 2883, 3047, 6650],
  [4047, 8828, 8732, 5743, 1091, 381],
].map((row) => row.map((p) => p * 1e-4));

export const hartmann6: TestFunction = {
  name: 'hartmann6',
  space: Object.fromEntries(Array.from({ length: 6 }, (_, i) => [`x${i + 1}`, { type: 'float', low: 0, high: 1 }])),
  evaluate(config) {
    const x = Array.from({ length: 6 }, (_, i) => config[`x${i + 1}`] as number);
    let sum = 0;
    for (let i = 0; i < 4; i++) {
      let inner = 0;
      for (let j = 0; j < 6; j++) inner += H6_A[i]![j]! * (x[j]! - H6_P[i]![j]!) ** 2;
      sum += H6_ALPHA[i]! * Math.exp(-inner);
    }
    return -sum;
  },
  minimum: -3.32237,
};

/** Branin observed with Gaussian noise (σ = 1): the optimiser sees noisy values; it is scored on the true ones. */
export const noisyBranin: TestFunction = {
  ...branin,
  name: 'noisy-branin',
  evaluate: (config, rng) => branin.evaluate(config, rng) + rng.normal(),
};
