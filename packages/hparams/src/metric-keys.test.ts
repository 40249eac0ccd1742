import { describe, expect, it } from 'vitest';
import { isMetricKey, isMetricStep, MAX_METRIC_KEY_LENGTH, MAX_METRIC_STEP, metricKeyProblem } from './metric-keys';

describe('metric keys and steps', () => {
  it('takes any non-blank key up to the length limit, as written', () => {
    expect(isMetricKey('train.loss')).toBe(true);
    expect(isMetricKey('val loss ')).toBe(true);
    expect(isMetricKey('k'.repeat(MAX_METRIC_KEY_LENGTH))).toBe(true);
    expect(metricKeyProblem('')).toBe('must be a non-empty string');
    expect(metricKeyProblem('  ')).toBe('must be a non-empty string');
    expect(metricKeyProblem(42)).toBe('must be a non-empty string');
    expect(metricKeyProblem('k'.repeat(201))).toBe('is 201 characters; the limit is 200');
  });

  it('takes whole steps from 0 to 2^31 − 1', () => {
    expect([0, 1, MAX_METRIC_STEP].every(isMetricStep)).toBe(true);
    expect([-1, 1.5, MAX_METRIC_STEP + 1, Number.NaN, Number.POSITIVE_INFINITY].some(isMetricStep)).toBe(false);
  });
});
