import { describe, expect, it } from 'vitest';
import { bootstrapMeanDifference, mean, median, quantile } from './statistics';

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
