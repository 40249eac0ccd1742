import { describe, expect, it } from 'vitest';
import { bestLearningRates, nextLearningRates, stepRate, type Trial } from './grid';

const trials = (batchSize: number, accuracyByRate: Record<string, number>): Trial[] =>
  Object.entries(accuracyByRate).map(([rate, accuracy]) => ({ batchSize, learningRate: Number(rate), accuracy }));

describe('the learning-rate ladder', () => {
  it('steps by ≈3 through 1–3–10 and prints round numbers', () => {
    expect([0.01, 0.03, 0.1, 0.3, 1, 3].map((rate) => stepRate(rate, 1))).toEqual([0.03, 0.1, 0.3, 1, 3, 10]);
    expect([0.03, 0.01, 1, 0.3].map((rate) => stepRate(rate, -1))).toEqual([0.01, 0.003, 0.3, 0.1]);
  });
});

describe('which learning rates to add next', () => {
  it('widens only the batch sizes whose best rate is at an edge, on that side', () => {
    const { add, stuck } = nextLearningRates(
      [
        ...trials(8, { 0.01: 0.9, 0.03: 0.94, 0.1: 0.93 }), // inside: nothing to add
        ...trials(128, { 0.01: 0.7, 0.03: 0.8, 0.1: 0.89 }), // largest is best: go up
        ...trials(512, { 0.01: 0.6, 0.03: 0.5, 0.1: 0.4 }), // smallest is best: go down
      ],
      10,
    );
    expect([...add]).toEqual([
      [128, [0.3]],
      [512, [0.003]],
    ]);
    expect(stuck.size).toBe(0);
  });

  it('is done when every best rate is inside its own grid, even if the grids differ', () => {
    const { add } = nextLearningRates([...trials(8, { 0.03: 0.9, 0.1: 0.95, 0.3: 0.94 }), ...trials(512, { 0.1: 0.8, 0.3: 0.85, 1: 0.84, 0.03: 0.7 })], 10);
    expect(add.size).toBe(0);
  });

  it('treats a rate that diverged as the worst, so a divergence above the best closes the grid', () => {
    const { add } = nextLearningRates(trials(32, { 0.1: 0.93, 0.3: 0.95, 1: NaN }), 10);
    expect(add.size).toBe(0);
    expect(bestLearningRates(trials(32, { 0.1: 0.93, 1: NaN })).get(32)?.learningRate).toBe(0.1);
  });

  it('refuses rates above the schema maximum and says the batch size is stuck there', () => {
    const { add, stuck } = nextLearningRates(trials(512, { 1: 0.8, 3: 0.85, 10: 0.9 }), 10);
    expect(add.size).toBe(0);
    expect(stuck.get(512)).toMatch(/largest the schema accepts \(10\)/);
    expect([...nextLearningRates(trials(512, { 1: 0.8, 3: 0.85 }), 10).add]).toEqual([[512, [10]]]);
  });

  it('widens both ways around a single rate and gives up on a batch size where every rate diverged', () => {
    const { add, stuck } = nextLearningRates([...trials(8, { 0.1: 0.9 }), ...trials(16, { 0.1: NaN, 0.3: NaN })], 10);
    expect([...add]).toEqual([[8, [0.03, 0.3]]]);
    expect(stuck.get(16)).toBe('every learning rate tried diverged');
  });
});
