import { describe, expect, it } from 'vitest';
import { countPoints } from './chart-options';
import { buildEvidenceOption, SIDE_COLORS } from './evidence-options';

type Item = { value: [number | string, number, string, number]; symbol?: string };
type Series = { name: string; itemStyle: { color: string }; data: Item[]; markLine?: { data: { xAxis: number; name: string }[] } };

describe('the evidence chart', () => {
  const points = [
    { runName: 'a', side: 'SATISFYING' as const, x: 16, y: 0.9, cited: true },
    { runName: 'b', side: 'SATISFYING' as const, x: 32, y: 0.88, cited: false },
    { runName: 'c', side: 'VIOLATING' as const, x: 128, y: 0.8, cited: false },
    { runName: 'no x', side: 'VIOLATING' as const, x: undefined, y: 0.7, cited: false },
  ];

  it('colours runs by side, marks cited runs and draws the rule boundary on a log axis', () => {
    const option = buildEvidenceOption({
      xName: 'batchSize',
      yName: 'max(test.accuracy)',
      logX: true,
      points,
      boundary: [{ x: 32, label: '← batchSize ≤ 32' }],
    });
    const series = option.series as Series[];
    expect(series.map((s) => [s.name, s.itemStyle.color])).toEqual([
      ['follows the rule (2)', SIDE_COLORS.SATISFYING],
      ['breaks the rule (1)', SIDE_COLORS.VIOLATING],
    ]);
    expect(series[0]!.data.map((d) => [d.value[0], d.symbol ?? 'circle'])).toEqual([
      [16, 'diamond'],
      [32, 'circle'],
    ]);
    expect(series[0]!.markLine!.data).toEqual([{ xAxis: 32, name: '← batchSize ≤ 32' }]);
    expect(series[1]!.markLine).toBeUndefined();
    expect((option.xAxis as { type: string }).type).toBe('log');
    expect(countPoints(option)).toBe(3);
  });

  it('falls back to a linear axis when a value cannot sit on a log one', () => {
    const option = buildEvidenceOption({
      xName: 'model.dropout',
      yName: 'y',
      logX: true,
      points: [{ runName: 'z', side: 'SATISFYING', x: 0, y: 1, cited: false }],
    });
    expect((option.xAxis as { type: string }).type).toBe('value');
  });

  it('puts a categorical rule on a category axis without a boundary', () => {
    const option = buildEvidenceOption({
      xName: 'optimizer.name',
      yName: 'y',
      logX: false,
      points: [
        { runName: 'a', side: 'SATISFYING', x: 'adam', y: 1, cited: false },
        { runName: 'b', side: 'VIOLATING', x: 'sgd', y: 0.5, cited: false },
      ],
      boundary: [{ x: 1, label: 'ignored' }],
    });
    expect(option.xAxis).toMatchObject({ type: 'category', data: ['adam', 'sgd'] });
    expect((option.series as Series[])[0]!.markLine).toBeUndefined();
  });
});
