import { describe, expect, it } from 'vitest';
import { formatMetric, metricNumber } from './metric-value';

describe('metric values', () => {
  it('reads the API strings for non-finite values as numbers', () => {
    expect(metricNumber('NaN')).toBeNaN();
    expect(metricNumber('Infinity')).toBe(Infinity);
    expect(metricNumber('-Infinity')).toBe(-Infinity);
    expect(metricNumber(0.25)).toBe(0.25);
    expect(metricNumber(null)).toBeNull();
  });

  it('formats compactly', () => {
    expect(formatMetric(0.000123)).toBe('1.23e-4');
    expect(formatMetric(0.123456)).toBe('0.1235');
    expect(formatMetric(1218)).toBe('1218');
    expect(formatMetric(Number.NaN)).toBe('NaN');
    expect(formatMetric(-Infinity)).toBe('−∞');
    expect(formatMetric(null)).toBe('');
  });
});
