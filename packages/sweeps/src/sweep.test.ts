import { describe, expect, it } from 'vitest';
import { bestTrial, nextStep, validateSweep, type SweepDefinition, type SweepTrial } from './sweep';
import { branin } from './test-functions';

const mnist: SweepDefinition = {
  space: {
    'optimizer.name': { type: 'categorical', values: ['adam', 'sgd'] },
    'optimizer.learningRate': { type: 'float', low: 1e-4, high: 1, log: true, grid: 3 },
    batchSize: { type: 'categorical', values: [16, 64] },
  },
  objective: { metric: 'test.accuracy', aggregate: 'last', direction: 'maximize' },
  method: 'grid',
  budget: { maxRuns: 20, maxParallel: 2 },
  seed: 7,
};

/** Runs a sweep to its end, answering each suggestion at once with `evaluate`. */
function runSweep(definition: SweepDefinition, evaluate: (params: SweepTrial['params']) => number, options = {}): SweepTrial[] {
  const trials: SweepTrial[] = [];
  for (;;) {
    const step = nextStep(definition, trials, options);
    if (step.kind !== 'suggestion') return trials;
    trials.push({ index: step.index, params: step.params, state: 'complete', objective: evaluate(step.params) });
  }
}

describe('validateSweep', () => {
  it('accepts a complete definition', () => {
    expect(validateSweep(mnist)).toEqual([]);
  });

  it('lists every problem at its path, the space included', () => {
    const issues = validateSweep({
      space: { lr: { type: 'float', low: 1, high: 0.1 } },
      objective: { metric: ' ', aggregate: 'mean' as never, direction: 'up' as never },
      method: 'bayes' as never,
      budget: { maxRuns: 0, maxParallel: 1.5, maxWallTimeSeconds: -1 },
      earlyStopping: { kind: 'asha', unit: 'epoch', minResource: 3, reductionFactor: 1, maxResource: 3 },
      seed: 0.5,
    });
    expect(issues.map((issue) => issue.path)).toEqual([
      'space.lr.high',
      'objective.metric',
      'objective.aggregate',
      'objective.direction',
      'method',
      'budget.maxRuns',
      'budget.maxParallel',
      'budget.maxWallTimeSeconds',
      'seed',
      'earlyStopping.reductionFactor',
      'earlyStopping.maxResource',
    ]);
  });

  it('refuses a grid larger than the budget, and an empty grid', () => {
    expect(validateSweep({ ...mnist, budget: { maxRuns: 11, maxParallel: 1 } })).toEqual([
      { path: 'budget.maxRuns', message: 'The grid has 12 configurations; the budget allows 11 runs.' },
    ]);
    expect(validateSweep({ ...mnist, space: { lr: { type: 'float', low: 0, high: 1 } } })[0]!.path).toBe('space.lr.grid');
  });
});

describe('nextStep', () => {
  it('walks the whole grid once, in a seeded order, then says it is done', () => {
    const trials = runSweep(mnist, () => 0.9);
    expect(trials).toHaveLength(12);
    expect(new Set(trials.map((t) => JSON.stringify(t.params))).size).toBe(12);
    expect(trials.map((t) => t.index)).toEqual([...Array(12).keys()]);
    expect(runSweep(mnist, () => 0.9).map((t) => t.params)).toEqual(trials.map((t) => t.params));
    expect(runSweep({ ...mnist, seed: 8 }, () => 0.9).map((t) => t.params)).not.toEqual(trials.map((t) => t.params));
    expect(nextStep(mnist, trials)).toEqual({ kind: 'done', reason: 'the grid is exhausted' });
  });

  it('waits while every parallel slot is busy, and stops at the run and time budgets', () => {
    const running: SweepTrial[] = [0, 1].map((index) => ({ index, params: {}, state: 'running', objective: null }));
    expect(nextStep(mnist, running)).toEqual({ kind: 'wait', reason: '2 of 2 parallel runs are running' });
    const random = { ...mnist, method: 'random' as const, budget: { maxRuns: 3, maxParallel: 3, maxWallTimeSeconds: 60 } };
    expect(runSweep(random, () => 0.5)).toHaveLength(3);
    expect(nextStep(random, [], { elapsedSeconds: 60 })).toEqual({ kind: 'done', reason: 'the time budget of 60 s is spent' });
  });

  it('never proposes what a policy forbids: the grid skips it, random draws again', () => {
    const forbidden = (params: SweepTrial['params']) => ((params.batchSize as number) > 32 ? 'keep batch size ≤ 32 (finding F-1)' : undefined);
    const grid = runSweep(mnist, () => 0.9, { forbidden });
    expect(grid).toHaveLength(6);
    expect(grid.every((t) => t.params.batchSize === 16)).toBe(true);
    expect(nextStep(mnist, grid, { forbidden })).toEqual({ kind: 'done', reason: 'the grid is exhausted (6 configurations a policy forbids were skipped)' });
    const random = runSweep({ ...mnist, method: 'random', budget: { maxRuns: 10, maxParallel: 1 } }, () => 0.9, { forbidden });
    expect(random.every((t) => t.params.batchSize === 16)).toBe(true);
    expect(nextStep({ ...mnist, method: 'random' }, [], { forbidden: () => 'everything is forbidden' })).toMatchObject({
      kind: 'done',
      reason: expect.stringMatching(/narrow the space/),
    });
  });

  it('reproduces a random sweep from its seed, each trial from its own index', () => {
    const random = { ...mnist, method: 'random' as const };
    const first = runSweep(random, () => 0.5);
    expect(runSweep(random, () => 0.5)).toEqual(first);
    // Suggestion 5 is the same whether or not the trials before it finished with other values.
    const other = runSweep(random, (p) => (p.batchSize as number) / 100);
    expect(other[5]!.params).toEqual(first[5]!.params);
  });

  it("optimises with TPE towards the objective's direction, learning from the project's other runs too", () => {
    const definition: SweepDefinition = {
      space: branin.space,
      objective: { metric: 'loss', aggregate: 'min', direction: 'minimize' },
      method: 'tpe',
      budget: { maxRuns: 40, maxParallel: 1 },
      seed: 3,
    };
    const value = (p: SweepTrial['params']) => branin.evaluate(p, { next: () => 0, normal: () => 0, int: () => 0 });
    const tpe = bestTrial(definition, runSweep(definition, value))!;
    const random = bestTrial(definition, runSweep({ ...definition, method: 'random' }, value))!;
    expect(tpe.objective!).toBeLessThan(random.objective!);
    // Maximising the negated function is the same search.
    const negated = runSweep({ ...definition, objective: { ...definition.objective, direction: 'maximize' } }, (p) => -value(p));
    expect(bestTrial({ ...definition, objective: { ...definition.objective, direction: 'maximize' } }, negated)!.objective).toBeCloseTo(-tpe.objective!, 10);
    // With history from the project, TPE skips its random start-up.
    const history = runSweep({ ...definition, method: 'random', budget: { maxRuns: 20, maxParallel: 1 } }, value).map((t) => ({
      params: t.params,
      objective: t.objective,
      state: 'complete' as const,
    }));
    const informed = nextStep(definition, [], { history });
    const blind = nextStep({ ...definition, method: 'random' }, []);
    expect(informed).not.toEqual(blind);
  });

  it('picks the best complete trial by direction, ignoring pruned and failed ones', () => {
    const trials: SweepTrial[] = [
      { index: 0, params: { a: 1 }, state: 'complete', objective: 0.8 },
      { index: 1, params: { a: 2 }, state: 'pruned', objective: 0.99 },
      { index: 2, params: { a: 3 }, state: 'complete', objective: 0.9 },
      { index: 3, params: { a: 4 }, state: 'failed', objective: null },
    ];
    expect(bestTrial(mnist, trials)!.index).toBe(2);
    expect(bestTrial({ ...mnist, objective: { ...mnist.objective, direction: 'minimize' } }, trials)!.index).toBe(0);
    expect(bestTrial(mnist, [])).toBeUndefined();
  });
});
