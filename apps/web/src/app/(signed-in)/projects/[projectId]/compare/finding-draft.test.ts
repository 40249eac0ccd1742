import { describe, expect, it } from 'vitest';
import type { ComparedRun } from './compare-model';
import { parseCompareState } from './compare-state';
import { findingDraftFromCompare, sharedScope, suggestRule } from './finding-draft';

const run = (id: string, batchSize: number, accuracy: number, extra: Record<string, unknown> = {}): ComparedRun => ({
  id,
  name: id,
  status: 'SUCCEEDED',
  tags: [],
  params: { batchSize, 'dataset.name': 'mnist', 'model.kind': 'cnn', ...extra },
  metrics: [{ key: 'test.accuracy', last: accuracy, min: accuracy, max: accuracy }],
});

describe('a finding drafted from the compare view', () => {
  it('splits the scatter axis where the runs differ most, the better side satisfying the rule', () => {
    const points = [
      { x: 16, y: 0.9 },
      { x: 32, y: 0.91 },
      { x: 128, y: 0.7 },
      { x: 256, y: 0.72 },
    ];
    expect(suggestRule(points, 'batchSize', 'HIGHER')).toBe('batchSize <= 32');
    expect(suggestRule(points, 'batchSize', 'LOWER')).toBe('batchSize >= 128');
    expect(suggestRule([{ x: 0.01, y: 1 }], 'optimizer.learningRate', 'HIGHER')).toBe('optimizer.learningRate <= 0.01');
    expect(suggestRule([], 'batchSize', 'HIGHER')).toBe('');
  });

  it('writes a hyperparameter named like a run field quoted, so the rule tests the hyperparameter', () => {
    expect(suggestRule([{ x: 3, y: 1 }], 'status', 'HIGHER')).toBe('["status"] <= 3');
  });

  it('scopes to the dataset and model kind the runs share', () => {
    expect(sharedScope([run('a', 16, 0.9), run('b', 64, 0.8)])).toBe('dataset.name = "mnist" and model.kind = "cnn"');
    expect(sharedScope([run('a', 16, 0.9), run('b', 64, 0.8, { 'model.kind': 'mlp' })])).toBe('dataset.name = "mnist"');
  });

  it('takes the metric, the scatter hyperparameter and the compared runs from the compare state', () => {
    const state = parseCompareState({ runs: 'a,b,c', sx: 'batchSize', metric: 'test.accuracy:last' });
    const draft = findingDraftFromCompare([run('a', 16, 0.9), run('b', 32, 0.92), run('c', 128, 0.7)], state);
    expect(draft).toMatchObject({
      rule: 'batchSize <= 32',
      scope: 'dataset.name = "mnist" and model.kind = "cnn"',
      metricKey: 'test.accuracy',
      aggregate: 'LAST',
      direction: 'HIGHER',
      severity: 'ADVICE',
      citedRunIds: ['a', 'b', 'c'],
    });
  });
});
