import { describe, expect, it } from 'vitest';
import { cosineRate, exponentialDecayRate, learningRateAt, learningRateCurve, oneCycleRate, stepDecayRate, warmupCosineRate, type RunConfig } from './index';

function withSchedule(schedule: RunConfig['schedule'], learningRate = 0.1): Pick<RunConfig, 'optimizer' | 'schedule'> {
  return { optimizer: { name: 'sgd', learningRate, weightDecay: 0 }, schedule };
}

describe('constant', () => {
  it('is the learning rate everywhere', () => {
    const config = withSchedule({ kind: 'constant' });
    expect([0, 50, 100, 500].map((step) => learningRateAt(config, step, 100))).toEqual([0.1, 0.1, 0.1, 0.1]);
  });
});

describe('step decay: lr · gamma^floor(step / stepSize)', () => {
  const params = { stepSize: 10, gamma: 0.5 };
  it('holds within a step and halves at its end', () => {
    expect(stepDecayRate(0.1, params, 0)).toBe(0.1);
    expect(stepDecayRate(0.1, params, 9)).toBe(0.1);
    expect(stepDecayRate(0.1, params, 10)).toBe(0.05);
    expect(stepDecayRate(0.1, params, 25)).toBeCloseTo(0.025, 15);
  });
  it('clamps past the end of the run', () => {
    const config = withSchedule({ kind: 'step', ...params });
    expect(learningRateAt(config, 1000, 30)).toBeCloseTo(0.0125, 15); // 0.1 · 0.5³
  });
});

describe('exponential: lr · gamma^step', () => {
  it('multiplies by gamma each step', () => {
    expect(exponentialDecayRate(0.1, { gamma: 0.9 }, 0)).toBe(0.1);
    expect(exponentialDecayRate(0.1, { gamma: 0.9 }, 2)).toBeCloseTo(0.081, 15);
  });
  it('clamps past the end of the run', () => {
    const config = withSchedule({ kind: 'exponential', gamma: 0.9 });
    expect(learningRateAt(config, 10, 5)).toBeCloseTo(0.1 * 0.9 ** 5, 15);
  });
});

describe('cosine from lr to minLearningRate over totalSteps', () => {
  const params = { minLearningRate: 0.01 };
  it('starts at lr, is halfway at the middle and ends at the minimum', () => {
    expect(cosineRate(0.1, params, 0, 100)).toBeCloseTo(0.1, 15);
    expect(cosineRate(0.1, params, 50, 100)).toBeCloseTo(0.055, 15);
    expect(cosineRate(0.1, params, 100, 100)).toBeCloseTo(0.01, 15);
    // 0.01 + 0.09 · (1 + cos(π/4)) / 2 = 0.0868198…
    expect(cosineRate(0.1, params, 25, 100)).toBeCloseTo(0.0868198052, 9);
  });
  it('clamps past the end of the run', () => {
    expect(learningRateAt(withSchedule({ kind: 'cosine', ...params }), 150, 100)).toBeCloseTo(0.01, 15);
  });
});

describe('warmup then cosine', () => {
  const params = { warmupSteps: 10, minLearningRate: 0 };
  it('rises linearly from 0 to lr, then follows the cosine to the minimum', () => {
    expect(warmupCosineRate(0.1, params, 0, 110)).toBe(0);
    expect(warmupCosineRate(0.1, params, 5, 110)).toBeCloseTo(0.05, 15);
    expect(warmupCosineRate(0.1, params, 10, 110)).toBeCloseTo(0.1, 15); // warmup end = peak
    expect(warmupCosineRate(0.1, params, 60, 110)).toBeCloseTo(0.05, 15); // halfway through the cosine
    expect(warmupCosineRate(0.1, params, 110, 110)).toBeCloseTo(0, 15);
  });
  it('without warmup is the plain cosine', () => {
    expect(warmupCosineRate(0.1, { warmupSteps: 0, minLearningRate: 0 }, 0, 100)).toBeCloseTo(0.1, 15);
    expect(warmupCosineRate(0.1, { warmupSteps: 0, minLearningRate: 0 }, 50, 100)).toBeCloseTo(0.05, 15);
  });
});

describe('one cycle (PyTorch OneCycleLR, cosine annealing)', () => {
  const params = { pctStart: 0.3, divFactor: 25, finalDivFactor: 1e4 };
  it('starts at lr / divFactor, peaks at pctStart · total and ends at lr / (divFactor · finalDivFactor)', () => {
    expect(oneCycleRate(0.1, params, 0, 1000)).toBeCloseTo(0.004, 15); // 0.1 / 25
    expect(oneCycleRate(0.1, params, 150, 1000)).toBeCloseTo(0.052, 15); // halfway up: (0.004 + 0.1) / 2
    expect(oneCycleRate(0.1, params, 300, 1000)).toBeCloseTo(0.1, 15);
    expect(oneCycleRate(0.1, params, 650, 1000)).toBeCloseTo((0.1 + 4e-7) / 2, 15); // halfway down
    expect(oneCycleRate(0.1, params, 1000, 1000)).toBeCloseTo(4e-7, 18); // 0.1 / (25 · 10⁴)
  });
  it('clamps past the end of the run', () => {
    expect(learningRateAt(withSchedule({ kind: 'oneCycle', ...params }), 5000, 1000)).toBeCloseTo(4e-7, 18);
  });
  it('never goes above the learning rate', () => {
    const config = withSchedule({ kind: 'oneCycle', ...params });
    for (const { learningRate } of learningRateCurve(config, 997)) expect(learningRate).toBeLessThanOrEqual(0.1 + 1e-15);
  });
});

describe('learningRateCurve', () => {
  it('samples evenly from step 0 to the last step', () => {
    const curve = learningRateCurve(withSchedule({ kind: 'cosine', minLearningRate: 0 }), 1000);
    expect(curve).toHaveLength(200);
    expect(curve[0]).toEqual({ step: 0, learningRate: 0.1 });
    expect(curve.at(-1)?.step).toBe(1000);
    expect(curve.at(-1)?.learningRate).toBeCloseTo(0, 15);
    expect(curve.every((point, i) => i === 0 || point.step > (curve[i - 1]?.step ?? -1))).toBe(true);
  });
  it('has one point per step when the run is shorter than the preview', () => {
    const curve = learningRateCurve(withSchedule({ kind: 'constant' }), 50);
    expect(curve.map((point) => point.step)).toEqual(Array.from({ length: 51 }, (_, i) => i));
  });
  it('takes a number of points', () => {
    expect(learningRateCurve(withSchedule({ kind: 'constant' }), 1000, 11).map((point) => point.step)).toEqual([
      0, 100, 200, 300, 400, 500, 600, 700, 800, 900, 1000,
    ]);
  });
});
