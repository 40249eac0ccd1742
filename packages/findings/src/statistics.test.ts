import { describe, expect, it } from 'vitest';
import {
  bestPerGroupDifference,
  bootstrapBestPerGroupDifference,
  bootstrapClusteredMeanDifference,
  bootstrapMeanDifference,
  bootstrapStratifiedDifference,
  mean,
  median,
  quantile,
  stratifiedDifference,
} from './statistics';

describe('statistics', () => {
  it('computes means, medians and quantiles by hand-checkable definitions', () => {
    expect(mean([1, 2, 3, 4])).toBe(2.5);
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([5, 5, 5, 1])).toBe(5); // ties
    expect(quantile([10, 20, 30, 40, 50], 0.25)).toBe(20);
    expect(quantile([10, 20], 0.75)).toBe(17.5);
  });

  it('bootstraps the same interval from the same data and seed, and a different one from another seed', () => {
    const a = [0.91, 0.95, 0.93, 0.97, 0.92];
    const b = [0.89, 0.9, 0.94, 0.88];
    const first = bootstrapMeanDifference(a, b, { seed: 42 });
    expect(bootstrapMeanDifference(a, b, { seed: 42 })).toEqual(first);
    expect(bootstrapMeanDifference(a, b, { seed: 43 })).not.toEqual(first);
    // The observed difference (0.936 − 0.9025 = 0.0335) lies inside its own interval.
    expect(first.low).toBeLessThan(0.0335);
    expect(first.high).toBeGreaterThan(0.0335);
  });

  it('gives a zero-width interval when neither group varies', () => {
    expect(bootstrapMeanDifference([1, 1, 1], [0.25, 0.25], { seed: 1 })).toEqual({ low: 0.75, high: 0.75 });
  });
});

describe('cluster bootstrap', () => {
  const a = [0.91, 0.95, 0.93, 0.97, 0.92];
  const b = [0.89, 0.9, 0.94, 0.88];
  const singletons = (values: number[]) => values.map((v) => [v]);

  it('with one run per configuration, is exactly the run bootstrap', () => {
    expect(bootstrapClusteredMeanDifference(singletons(a), singletons(b), { seed: 42 })).toEqual(bootstrapMeanDifference(a, b, { seed: 42 }));
  });

  it('is wider than the run bootstrap when ten seeds of each configuration are counted as ten experiments', () => {
    // Four configurations per side whose means differ, ten seeds each that barely differ: 40 runs per side.
    const seeds = (center: number) => Array.from({ length: 10 }, (_, i) => center + (i - 4.5) / 1000);
    const clustersA = [0.9, 0.95, 0.92, 0.97].map(seeds);
    const clustersB = [0.88, 0.93, 0.9, 0.95].map(seeds);
    const clustered = bootstrapClusteredMeanDifference(clustersA, clustersB, { seed: 7 });
    const naive = bootstrapMeanDifference(clustersA.flat(), clustersB.flat(), { seed: 7 });
    expect(clustered.high - clustered.low).toBeGreaterThan(2 * (naive.high - naive.low));
    // Four configurations per side cannot exclude zero here; forty "independent" runs wrongly would.
    expect(clustered.low).toBeLessThan(0);
    expect(naive.low).toBeGreaterThan(0);
  });

  it('with equal cluster sizes, converges to the bootstrap of the cluster means (NumPy reference)', () => {
    const clustersA = [
      [0.91, 0.93],
      [0.95, 0.96],
      [0.89, 0.9],
      [0.94, 0.92],
      [0.97, 0.95],
    ];
    const clustersB = [
      [0.88, 0.9],
      [0.9, 0.93],
      [0.86, 0.85],
      [0.92, 0.9],
      [0.87, 0.89],
      [0.91, 0.9],
    ];
    // python3 -c "import numpy as np; r=np.random.default_rng(1)
    // a=np.array([[0.91,0.93],[0.95,0.96],[0.89,0.9],[0.94,0.92],[0.97,0.95]]).mean(1)
    // b=np.array([[0.88,0.9],[0.9,0.93],[0.86,0.85],[0.92,0.9],[0.87,0.89],[0.91,0.9]]).mean(1)
    // n=2000000; d=a[r.integers(0,5,(n,5))].mean(1)-b[r.integers(0,6,(n,6))].mean(1); print(np.percentile(d,[2.5,97.5]))"
    // → [0.01316667 0.066] (the same with default_rng(2))
    const interval = bootstrapClusteredMeanDifference(clustersA, clustersB, { seed: 3, resamples: 200_000 });
    expect(interval.low).toBeCloseTo(0.0131667, 3);
    expect(interval.high).toBeCloseTo(0.066, 3);
  });
});

describe('matched statistics', () => {
  it('combines strata by their weights, and bootstraps a stratum without spread to its own difference', () => {
    const strata = [
      { a: [[1], [1]], b: [[0.5]], weight: 1 },
      { a: [[2, 2]], b: [[1], [1], [1]], weight: 3 },
    ];
    expect(stratifiedDifference(strata)).toBe((1 * 0.5 + 3 * 1) / 4);
    expect(bootstrapStratifiedDifference(strata, { seed: 1 })).toEqual({ low: 0.875, high: 0.875 });
  });

  it('takes the best configuration of each group, replicates averaged', () => {
    const a = [[[0.9, 0.8], [0.86]], [[0.7]]]; // bests 0.86 and 0.7
    const b = [[[0.5], [0.6, 0.7]]]; // best 0.65
    expect(bestPerGroupDifference(a, b, true)).toBeCloseTo((0.86 + 0.7) / 2 - 0.65, 12);
    expect(bestPerGroupDifference(a, b, false)).toBeCloseTo((0.85 + 0.7) / 2 - 0.5, 12);
  });

  it('bootstraps best-per-group by resampling seeds within configurations (NumPy reference)', () => {
    const a = [
      [
        [0.9, 0.92, 0.94],
        [0.93, 0.95, 0.91],
      ],
      [
        [0.88, 0.9, 0.86],
        [0.85, 0.87, 0.89],
      ],
    ];
    const b = [
      [
        [0.84, 0.86, 0.85],
        [0.83, 0.88, 0.86],
      ],
      [
        [0.8, 0.82, 0.84],
        [0.81, 0.79, 0.83],
      ],
    ];
    // python3 -c "import numpy as np; r=np.random.default_rng(1); n=1000000
    // A=np.array([[[0.9,0.92,0.94],[0.93,0.95,0.91]],[[0.88,0.9,0.86],[0.85,0.87,0.89]]])
    // B=np.array([[[0.84,0.86,0.85],[0.83,0.88,0.86]],[[0.8,0.82,0.84],[0.81,0.79,0.83]]])
    // def best(G):
    //   g,c,s=G.shape; idx=r.integers(0,s,(n,g,c,s)); m=np.take_along_axis(np.broadcast_to(G,(n,g,c,s)),idx,3).mean(3); return m.max(2).mean(1)
    // d=best(A)-best(B); print(np.percentile(d,[2.5,97.5]))"   → [0.05 0.08166667]
    const interval = bootstrapBestPerGroupDifference(a, b, true, { seed: 5, resamples: 200_000 });
    expect(interval.low).toBeCloseTo(0.05, 3);
    expect(interval.high).toBeCloseTo(0.0816667, 3);
  });
});
