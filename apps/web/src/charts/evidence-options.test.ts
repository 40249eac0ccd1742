import { describe, expect, it } from 'vitest';
import { countPoints } from './chart-options';
import { buildEvidenceOption, mergeDuplicatePoints, SIDE_COLORS } from './evidence-options';

type Item = { value: [number | string, number, string, number, number]; symbol?: string; symbolSize?: number; label?: { show: boolean; formatter: string } };
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

  describe('exact duplicates (same configuration and seed)', () => {
    const duplicated = [
      { runName: 'a', side: 'SATISFYING' as const, x: 16, y: 0.9, cited: false, experiment: 0 },
      { runName: 'b', side: 'SATISFYING' as const, x: 16, y: 0.92, cited: false, experiment: 0 },
      { runName: 'c', side: 'SATISFYING' as const, x: 16, y: 0.91, cited: true, experiment: 0 },
      { runName: 'd', side: 'SATISFYING' as const, x: 32, y: 0.88, cited: false, experiment: 1 },
      { runName: 'e', side: 'VIOLATING' as const, x: 128, y: 0.8, cited: false, experiment: 2 },
      { runName: 'f', side: 'VIOLATING' as const, x: 128, y: 0.82, cited: false, experiment: 2 },
    ];
    const option = buildEvidenceOption({ xName: 'batchSize', yName: 'last(test.accuracy)', logX: false, points: duplicated });
    const series = option.series as Series[];
    const tooltip = (item: Item) => (option.tooltip as { formatter: (p: unknown) => string }).formatter({ value: item.value });

    it('draws one point per duplicate set, at the mean of its values, counted once in the legend', () => {
      expect(countPoints(option)).toBe(3);
      expect(series.map((s) => s.name)).toEqual(['follows the rule (2)', 'breaks the rule (1)']);
      const [three, one] = series[0]!.data;
      expect(three!.value.slice(0, 2)).toEqual([16, expect.closeTo((0.9 + 0.91 + 0.92) / 3, 12)]);
      expect(series[1]!.data[0]!.value[1]).toBeCloseTo(0.81, 12);
      // Its size and a ×n label say how many runs it is; a cited run among them keeps the diamond.
      expect(three!.label).toMatchObject({ show: true, formatter: '×3' });
      expect(three!.symbol).toBe('diamond');
      expect(three!.symbolSize).toBeGreaterThan(16);
      expect(one!.label).toBeUndefined();
      expect(one!.symbolSize).toBeUndefined();
      expect(series[1]!.data[0]!.symbolSize).toBeGreaterThan(10);
      expect(series[1]!.data[0]!.symbolSize).toBeLessThan(three!.symbolSize!);
    });

    it('names every run of a set in the tooltip', () => {
      expect(tooltip(series[0]!.data[0]!)).toBe(
        '3 runs: a, b, c (cited)<br/>same configuration and seed: counted once, at their mean<br/>batchSize: 16<br/>last(test.accuracy): 0.91',
      );
      expect(tooltip(series[0]!.data[1]!)).toBe('d<br/>batchSize: 32<br/>last(test.accuracy): 0.88');
    });

    it('keeps points without an experiment number, and equal numbers on different sides, apart', () => {
      const merged = mergeDuplicatePoints([
        { runName: 'a', side: 'SATISFYING', x: 1, y: 1, cited: false },
        { runName: 'b', side: 'SATISFYING', x: 1, y: 1, cited: false },
        { runName: 'c', side: 'SATISFYING', x: 1, y: 1, cited: false, experiment: 0 },
        { runName: 'd', side: 'VIOLATING', x: 1, y: 1, cited: false, experiment: 0 },
      ]);
      expect(merged.map((p) => p.runNames)).toEqual([['a'], ['b'], ['c'], ['d']]);
    });

    it('escapes run names in the tooltip', () => {
      const named = buildEvidenceOption({
        xName: 'x',
        yName: 'y',
        logX: false,
        points: [{ runName: '<img src=x onerror=alert(1)>', side: 'SATISFYING', x: 1, y: 1, cited: false }],
      });
      const item = (named.series as Series[])[0]!.data[0]!;
      expect((named.tooltip as { formatter: (p: unknown) => string }).formatter({ value: item.value })).not.toContain('<img');
    });
  });
});
