import { describe, expect, it } from 'vitest';
import { prefersLogAxis, smoothValues, toChartPoints } from './series-points';

describe('toChartPoints', () => {
  const series = { steps: [0, 10, 20, 30], values: [1, 0.5, 'NaN', 'Infinity'] as const, wallTimes: [1000, 2000, 3000, 4000] };

  it('leaves gaps at non-finite values and marks the first one', () => {
    const points = toChartPoints({ ...series, values: [...series.values] }, { kind: 'step' });
    expect(points.data).toEqual([
      [0, 1],
      [10, 0.5],
      [20, null],
      [30, null],
    ]);
    expect(points.firstNonFinite).toEqual({ x: 20, label: 'NaN' });
  });

  it('puts epochs and seconds since the start on the x axis', () => {
    const values = [1, 1, 1, 1];
    expect(toChartPoints({ ...series, values }, { kind: 'epoch', stepsPerEpoch: 20 }).data.map(([x]) => x)).toEqual([0, 0.5, 1, 1.5]);
    expect(toChartPoints({ ...series, values }, { kind: 'time', startTime: 1000 }).data.map(([x]) => x)).toEqual([0, 1, 2, 3]);
  });

  it('drops values a log axis cannot place', () => {
    const points = toChartPoints({ steps: [0, 1], values: [0, 2], wallTimes: [0, 0] }, { kind: 'step' }, { logY: true });
    expect(points.data).toEqual([
      [0, null],
      [1, 2],
    ]);
  });
});

describe('smoothValues', () => {
  it('is debiased, so a constant series stays constant', () => {
    expect(smoothValues([2, 2, 2], 0.9).map((v) => Number(v.toFixed(10)))).toEqual([2, 2, 2]);
  });

  it('passes non-finite values through without poisoning what follows', () => {
    const smoothed = smoothValues([1, Number.NaN, 1], 0.5);
    expect(smoothed[1]).toBeNaN();
    expect(smoothed[2]).toBeCloseTo(1);
  });

  it('returns the raw values at weight 0', () => {
    expect(smoothValues([3, 1, 2], 0)).toEqual([3, 1, 2]);
  });
});

describe('prefersLogAxis', () => {
  it('uses log axes for learning rates and batch sizes, and for wide positive ranges', () => {
    expect(prefersLogAxis('optimizer.learningRate', [0.001, 0.01])).toBe(true);
    expect(prefersLogAxis('batchSize', [16, 32])).toBe(true);
    expect(prefersLogAxis('epochs', [1, 5])).toBe(false);
    expect(prefersLogAxis('params', [100, 1_000_000])).toBe(true);
    expect(prefersLogAxis('seed', [0, 5000])).toBe(false);
  });
});
