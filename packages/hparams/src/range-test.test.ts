import { describe, expect, it } from 'vitest';
import { mlpInput, parse } from '../test/fixtures';
import { describePath, flattenConfig, knownPaths, rangeTestCurve, rangeTestLearningRate, suggestPath, validateRunConfig, type ValidationIssue } from './index';

function issuesOf(input: unknown): ValidationIssue[] {
  const result = validateRunConfig(input);
  if (result.ok) throw new Error('expected the config to be rejected');
  return result.issues;
}

describe('lrRangeTest', () => {
  it('is absent unless asked for, so training runs are unchanged', () => {
    expect(parse(mlpInput())).not.toHaveProperty('lrRangeTest');
  });

  it('fills in its defaults', () => {
    expect(parse(mlpInput({}, { lrRangeTest: {} })).lrRangeTest).toEqual({
      startLearningRate: 1e-7,
      endLearningRate: 10,
      steps: 100,
    });
  });

  it('rejects an end learning rate that is not above the start', () => {
    expect(issuesOf(mlpInput({}, { lrRangeTest: { startLearningRate: 0.1, endLearningRate: 0.01 } }))).toEqual([
      {
        path: 'lrRangeTest.endLearningRate',
        message: 'lrRangeTest.endLearningRate 0.01 must be above lrRangeTest.startLearningRate 0.1: the range test raises the learning rate',
      },
    ]);
  });

  it('names the field for out-of-range values', () => {
    expect(issuesOf(mlpInput({}, { lrRangeTest: { steps: 1, startLearningRate: 0, endLearningRate: 20 } }))).toEqual([
      { path: 'lrRangeTest.startLearningRate', message: 'lrRangeTest.startLearningRate must be greater than 0, got 0' },
      { path: 'lrRangeTest.endLearningRate', message: 'lrRangeTest.endLearningRate must be at most 10, got 20' },
      { path: 'lrRangeTest.steps', message: 'lrRangeTest.steps must be at least 2, got 1' },
    ]);
    expect(issuesOf(mlpInput({}, { lrRangeTest: { steps: 2.5 } }))).toEqual([
      { path: 'lrRangeTest.steps', message: 'lrRangeTest.steps must be a whole number, got 2.5' },
    ]);
  });

  it('suggests the right key for a misspelled one', () => {
    expect(issuesOf(mlpInput({}, { lrRangeTest: { step: 50 } }))).toEqual([
      { path: 'lrRangeTest.step', message: 'lrRangeTest.step is not a known setting; did you mean lrRangeTest.steps?' },
    ]);
  });

  it('is part of the path vocabulary', () => {
    expect(knownPaths()).toEqual(expect.arrayContaining(['lrRangeTest.startLearningRate', 'lrRangeTest.endLearningRate', 'lrRangeTest.steps']));
    expect(describePath('lrRangeTest.steps')).toEqual({
      type: 'number',
      integer: true,
      description: 'Optimizer steps of the range test (it stops early once the loss diverges)',
    });
    expect(describePath('lrRangeTest.endLearningRate')?.description).toBe('Learning rate the range test rises to at its last step');
    expect(suggestPath('lrRangeTest.stpes')).toBe('lrRangeTest.steps');
  });

  it('flattens when present', () => {
    const flat = flattenConfig(parse(mlpInput({}, { lrRangeTest: { steps: 50 } })));
    expect(flat).toMatchObject({
      'lrRangeTest.startLearningRate': 1e-7,
      'lrRangeTest.endLearningRate': 10,
      'lrRangeTest.steps': 50,
    });
    expect(Object.keys(flattenConfig(parse(mlpInput()))).some((path) => path.startsWith('lrRangeTest'))).toBe(false);
  });
});

describe('the range test curve', () => {
  const test = { startLearningRate: 1e-4, endLearningRate: 1, steps: 500 };

  it('rises exponentially from start at step 0 to end at the last step', () => {
    expect(rangeTestLearningRate(test, 0)).toBeCloseTo(1e-4, 12);
    expect(rangeTestLearningRate(test, 499)).toBeCloseTo(1, 12);
  });

  it('previews at most 200 evenly spaced steps, both ends included', () => {
    const curve = rangeTestCurve(test);
    expect(curve).toHaveLength(200);
    expect([curve[0]!.step, curve.at(-1)!.step]).toEqual([0, 499]);
    expect(rangeTestCurve({ ...test, steps: 20 })).toHaveLength(20);
  });
});
