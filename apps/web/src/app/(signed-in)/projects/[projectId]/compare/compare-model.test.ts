import { describe, expect, it } from 'vitest';
import { parallelInput, scatterPoints, varyingParams, type ComparedRun } from './compare-model';

const runs: ComparedRun[] = [
  {
    id: 'a',
    name: 'a',
    status: 'SUCCEEDED',
    tags: [],
    params: { batchSize: 32, 'optimizer.name': 'adam', epochs: 3 },
    metrics: [{ key: 'test.accuracy', last: 0.8, min: 0.5, max: 0.9 }],
  },
  {
    id: 'b',
    name: 'b',
    status: 'SUCCEEDED',
    tags: [],
    params: { batchSize: 64, 'optimizer.name': 'sgd', epochs: 3 },
    metrics: [{ key: 'test.accuracy', last: 'NaN', min: null, max: null }],
  },
];

describe('compare model', () => {
  it('draws only the hyperparameters that differ', () => {
    expect(varyingParams(runs)).toEqual(['batchSize', 'optimizer.name']);
  });

  it('lays hyperparameters out against the chosen metric', () => {
    const input = parallelInput(runs, ['batchSize', 'optimizer.name'], { key: 'test.accuracy', aggregate: 'max' });
    expect(input.dimensions.map((d) => [d.name, d.kind, d.log ?? false])).toEqual([
      ['batchSize', 'number', true],
      ['optimizer.name', 'category', false],
      ['max(test.accuracy)', 'number', false],
    ]);
    expect(input.rows).toEqual([
      { runName: 'a', values: [32, 'adam', 0.9] },
      { runName: 'b', values: [64, 'sgd', null] },
    ]);
  });

  it('scatters only runs with a number on both axes', () => {
    expect(scatterPoints(runs, 'batchSize', { key: 'test.accuracy', aggregate: 'last' })).toEqual([{ runName: 'a', x: 32, y: 0.8 }]);
  });
});
