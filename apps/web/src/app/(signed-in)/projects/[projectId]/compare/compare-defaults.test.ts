import { describe, expect, it } from 'vitest';
import { mostVaryingNumericPath, stepsPerEpochDiffer, type ComparedRun } from './compare-model';

const run = (id: string, params: Record<string, unknown>): ComparedRun => ({ id, name: id, status: 'SUCCEEDED', tags: [], params, metrics: [] });

describe('compare defaults for a sweep', () => {
  it('puts on the scatter the numeric path that varies most, never one every run shares, and seeds last', () => {
    const runs = [
      run('a', { 'optimizer.learningRate': 0.1, batchSize: 8, seed: 1, epochs: 3 }),
      run('b', { 'optimizer.learningRate': 0.1, batchSize: 32, seed: 2, epochs: 3 }),
      run('c', { 'optimizer.learningRate': 0.01, batchSize: 128, seed: 3, epochs: 3 }),
      run('d', { 'optimizer.learningRate': 0.01, batchSize: 512, seed: 4, epochs: 3 }),
    ];
    expect(mostVaryingNumericPath(runs, 'optimizer.learningRate')).toBe('batchSize');
    // Same learning rate everywhere: the default path is not kept just because it is the default.
    const sameRate = runs.map((r) => ({ ...r, params: { ...r.params, 'optimizer.learningRate': 0.1 } }));
    expect(mostVaryingNumericPath(sameRate, 'optimizer.learningRate')).toBe('batchSize');
    // A tie goes to the preferred path; only seeds varying gives the seed.
    expect(
      mostVaryingNumericPath(
        runs.slice(0, 3).map((r, i) => ({ ...r, params: { ...r.params, batchSize: [8, 8, 32][i] } })),
        'optimizer.learningRate',
      ),
    ).toBe('optimizer.learningRate');
    expect(mostVaryingNumericPath([run('a', { seed: 1, epochs: 3 }), run('b', { seed: 2, epochs: 3 })])).toBe('seed');
    expect(mostVaryingNumericPath([run('a', { epochs: 3 }), run('b', { epochs: 3 })])).toBeUndefined();
  });

  it('switches to epochs only when the runs train different numbers of steps per epoch', () => {
    const perEpoch = new Map([
      ['a', 1250],
      ['b', 313],
      ['c', 1250],
    ]);
    expect(stepsPerEpochDiffer(perEpoch, ['a', 'b'])).toBe(true);
    expect(stepsPerEpochDiffer(perEpoch, ['a', 'c'])).toBe(false);
    expect(stepsPerEpochDiffer(perEpoch, ['a', 'x'])).toBe(false);
  });
});
