import { describe, expect, it } from 'vitest';
import { randomConfiguration } from './random';
import { createRng, type Rng } from './rng';
import type { Configuration, SearchSpace } from './space';
import { branin, hartmann6, type TestFunction } from './test-functions';
import { goodCount, tpeConfiguration, trialWeights, type Trial } from './tpe';

type Sampler = (space: SearchSpace, trials: readonly Trial[], rng: Rng) => Configuration;
const random: Sampler = (space, _trials, rng) => randomConfiguration(space, rng);
const tpe: Sampler = (space, trials, rng) => tpeConfiguration(space, trials, rng);

/** The best value found in `budget` trials of `fn` with a sampler. */
function bestOf(fn: TestFunction, sampler: Sampler, seed: number, budget: number): number {
  const rng = createRng(seed);
  const trials: Trial[] = [];
  for (let i = 0; i < budget; i++) {
    const params = sampler(fn.space, trials, rng);
    trials.push({ params, loss: fn.evaluate(params, rng), state: 'complete' });
  }
  return Math.min(...trials.map((t) => t.loss!));
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

describe('TPE', () => {
  it("weighs trials as Optuna's default does, and counts 10 % (at most 25) as good", () => {
    // python3 -c "import numpy as np; x=30; print(np.concatenate([np.linspace(1.0/x,1.0,num=x-25), np.ones(25)])[:6])"
    expect(trialWeights(30).slice(0, 6)).toEqual([0.03333333333333333, 0.275, 0.5166666666666667, 0.7583333333333333, 1, 1].map((w) => expect.closeTo(w, 12)));
    expect(trialWeights(30)).toHaveLength(30);
    expect(trialWeights(5)).toEqual([1, 1, 1, 1, 1]);
    expect([goodCount(9), goodCount(10), goodCount(11), goodCount(1_000)]).toEqual([1, 1, 2, 25]);
  });

  it('samples at random until the startup trials have completed, then reproducibly from the model', () => {
    const space: SearchSpace = { x: { type: 'float', low: 0, high: 1 } };
    const few: Trial[] = Array.from({ length: 9 }, (_, i) => ({ params: { x: i / 10 }, loss: i, state: 'complete' }));
    expect(tpeConfiguration(space, few, createRng(1))).toEqual(randomConfiguration(space, createRng(1)));
    const enough = [...few, { params: { x: 0.95 }, loss: 9, state: 'complete' as const }];
    expect(tpeConfiguration(space, enough, createRng(1))).toEqual(tpeConfiguration(space, enough, createRng(1)));
    expect(tpeConfiguration(space, enough, createRng(1))).not.toEqual(randomConfiguration(space, createRng(1)));
  });

  it('proposes near the good trials: on (x − 0.3)², after 30 trials, closer to 0.3 than random draws are', () => {
    const space: SearchSpace = { x: { type: 'float', low: 0, high: 1 } };
    const rng = createRng(11);
    const trials: Trial[] = Array.from({ length: 30 }, () => {
      const params = randomConfiguration(space, rng);
      return { params, loss: ((params.x as number) - 0.3) ** 2, state: 'complete' };
    });
    const distance = (sampler: Sampler) => median(Array.from({ length: 40 }, () => Math.abs((sampler(space, trials, rng).x as number) - 0.3)));
    expect(distance(tpe)).toBeLessThan(0.08);
    expect(distance(random)).toBeGreaterThan(0.15);
  });

  it('favours the category of the good trials, and treats pruned trials as bad', () => {
    const space: SearchSpace = { opt: { type: 'categorical', values: ['adam', 'sgd', 'rmsprop'] } };
    const trials: Trial[] = [
      ...Array.from({ length: 12 }, (_, i) => ({ params: { opt: 'adam' }, loss: 0.1 + i * 0.001, state: 'complete' as const })),
      ...Array.from({ length: 12 }, (_, i) => ({ params: { opt: 'sgd' }, loss: 0.5 + i * 0.001, state: 'complete' as const })),
      ...Array.from({ length: 12 }, () => ({ params: { opt: 'rmsprop' }, loss: null, state: 'pruned' as const })),
    ];
    const rng = createRng(5);
    const picks = Array.from({ length: 100 }, () => tpeConfiguration(space, trials, rng).opt);
    expect(picks.filter((p) => p === 'adam').length).toBeGreaterThan(90);
    expect(picks).not.toContain('rmsprop');
  });

  it('models a conditional path only from the trials where it was active', () => {
    const space: SearchSpace = {
      opt: { type: 'categorical', values: ['adam', 'momentum'] },
      momentum: { type: 'float', low: 0, high: 1, when: { path: 'opt', in: ['momentum'] } },
    };
    const rng = createRng(9);
    const trials: Trial[] = Array.from({ length: 40 }, () => {
      const params = randomConfiguration(space, rng);
      // Only momentum runs are any good, and best near momentum 0.9.
      const loss = params.opt === 'momentum' ? ((params.momentum as number) - 0.9) ** 2 : 1;
      return { params, loss, state: 'complete' };
    });
    const proposals = Array.from({ length: 30 }, () => tpeConfiguration(space, trials, rng));
    expect(proposals.every((p) => (p.opt === 'momentum') === 'momentum' in p)).toBe(true);
    const momenta = proposals.filter((p) => p.opt === 'momentum').map((p) => p.momentum as number);
    expect(momenta.length).toBeGreaterThan(25);
    expect(Math.abs(median(momenta) - 0.9)).toBeLessThan(0.1);
  });

  it('keeps integers whole and inside their range, on a log scale too', () => {
    const space: SearchSpace = { width: { type: 'int', low: 8, high: 512, log: true } };
    const rng = createRng(2);
    const trials: Trial[] = Array.from({ length: 30 }, () => {
      const params = randomConfiguration(space, rng);
      return { params, loss: Math.abs(Math.log2(params.width as number) - 6), state: 'complete' };
    });
    const widths = Array.from({ length: 40 }, () => tpeConfiguration(space, trials, rng).width as number);
    expect(widths.every((w) => Number.isInteger(w) && w >= 8 && w <= 512)).toBe(true);
    expect(median(widths)).toBeGreaterThanOrEqual(40);
    expect(median(widths)).toBeLessThanOrEqual(100);
  });

  // The bench (`npm run bench -- sweeps`) runs the full protocol (50 trials, 20 seeds, three functions, against
  // Optuna); this keeps the direction of its headline figure in CI at a smaller scale.
  it.each([branin, hartmann6])('finds a better $name optimum than random search in 50 trials (median over 10 seeds)', (fn) => {
    const seeds = Array.from({ length: 10 }, (_, i) => 1_000 + i);
    const tpeBest = median(seeds.map((seed) => bestOf(fn, tpe, seed, 50)));
    const randomBest = median(seeds.map((seed) => bestOf(fn, random, seed, 50)));
    expect(tpeBest).toBeLessThan(randomBest);
    expect(tpeBest).toBeGreaterThanOrEqual(fn.minimum - 1e-4);
  });
});
