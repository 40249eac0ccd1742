import { validateRunConfig } from '@tuneboard/hparams';
import { describe, expect, it } from 'vitest';
import {
  getAt,
  INITIAL_CONFIG,
  issuesByPath,
  issuesFromApiProblems,
  numberFromInput,
  optimizerSettingKeys,
  parseTags,
  scheduleSettingKeys,
  setAt,
  withModelKind,
  withOptimizer,
  withSchedule,
} from './run-form-state';

describe('the run form state', () => {
  it('starts from a valid configuration', () => {
    expect(validateRunConfig(INITIAL_CONFIG).ok).toBe(true);
  });

  it('reads and writes by path without touching the original', () => {
    const next = setAt(INITIAL_CONFIG, 'model.hiddenLayers[1]', 8);
    expect(getAt(next, 'model.hiddenLayers')).toEqual([32, 8]);
    expect(getAt(INITIAL_CONFIG, 'model.hiddenLayers')).toEqual([32, 32]);
    const withPool = setAt({}, 'model.convLayers[0].pool.size', 2);
    expect(withPool).toEqual({ model: { convLayers: [{ pool: { size: 2 } }] } });
    expect(getAt(setAt(INITIAL_CONFIG, 'seed', undefined), 'seed')).toBeUndefined();
  });

  it('keeps text that is not a number so validation can name it', () => {
    expect(numberFromInput('0.01')).toBe(0.01);
    expect(numberFromInput('1e-3')).toBe(0.001);
    expect(numberFromInput('  ')).toBeUndefined();
    expect(numberFromInput('fast')).toBe('fast');
    const result = validateRunConfig(setAt(INITIAL_CONFIG, 'optimizer.learningRate', 'fast'));
    expect(result.ok).toBe(false);
    if (!result.ok) expect(issuesByPath(result.issues).get('optimizer.learningRate')?.[0]).toMatch(/must be a number/);
  });

  it('shows the schema message for an out-of-range field at its path', () => {
    const result = validateRunConfig(setAt(INITIAL_CONFIG, 'optimizer.learningRate', 20));
    expect(result.ok).toBe(false);
    if (!result.ok) expect(issuesByPath(result.issues).get('optimizer.learningRate')).toEqual(['optimizer.learningRate must be at most 10, got 20']);
  });

  it('lists each variant’s settings from the schema', () => {
    expect(optimizerSettingKeys('adam')).toEqual(['learningRate', 'beta1', 'beta2', 'epsilon', 'weightDecay']);
    expect(optimizerSettingKeys('sgd')).toEqual(['learningRate', 'weightDecay']);
    expect(scheduleSettingKeys('step')).toEqual(['stepSize', 'gamma']);
    expect(scheduleSettingKeys('constant')).toEqual([]);
  });

  it('switches optimizer, schedule and model kind to configurations that validate', () => {
    const sgd = withOptimizer(setAt(INITIAL_CONFIG, 'optimizer.beta1', 0.8), 'sgd');
    expect(sgd.optimizer).toEqual({ name: 'sgd', learningRate: 0.01 });
    for (const kind of ['constant', 'step', 'exponential', 'cosine', 'warmupCosine', 'oneCycle']) {
      expect(validateRunConfig(withSchedule(INITIAL_CONFIG, kind)).ok, kind).toBe(true);
    }
    const cnn = withModelKind(INITIAL_CONFIG, 'cnn');
    expect(getAt(cnn, 'dataset.name')).toBe('mnist');
    expect(validateRunConfig(cnn).ok).toBe(true);
    expect(validateRunConfig(withModelKind(cnn, 'mlp')).ok).toBe(true);
  });

  it('maps the API’s problem paths onto the form’s', () => {
    expect(issuesFromApiProblems([{ path: 'hparams.batchSize', message: 'm' }])).toEqual([{ path: 'batchSize', message: 'm' }]);
  });

  it('parses tags from commas and spaces, without duplicates', () => {
    expect(parseTags('baseline, sweep-1  baseline,')).toEqual(['baseline', 'sweep-1']);
  });
});
