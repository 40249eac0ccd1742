import type { LineSeriesOption } from 'echarts';
import { describe, expect, it } from 'vitest';
import { bandEdges, buildBandChartOption, type GroupBand } from './band-options';

const band: GroupBand = { x: [0, 10], mean: [2, 3], min: [1, 2], max: [4, 5], std: [1, null], low: [0.5, null], high: [3.5, null] };

describe('group bands', () => {
  it('takes the chosen band’s edges, undefined where fewer than 2 runs', () => {
    expect(bandEdges(band, 'minmax')).toEqual({ lower: [1, 2], upper: [4, 5] });
    expect(bandEdges(band, 'std')).toEqual({ lower: [1, null], upper: [3, null] });
    expect(bandEdges(band, 'ci')).toEqual({ lower: [0.5, null], upper: [3.5, null] });
  });

  it('draws each group as a lower edge, a stacked filled height and a mean line under one legend name', () => {
    const option = buildBandChartOption({
      title: 'train.loss',
      xName: 'step',
      kind: 'minmax',
      groups: [
        { name: 'batchSize=32 (n=4)', band },
        { name: 'batchSize=128 (n=2)', band },
      ],
    });
    const series = option.series as LineSeriesOption[];
    expect(series).toHaveLength(6);
    expect((option.legend as { data: string[] }).data).toEqual(['batchSize=32 (n=4)', 'batchSize=128 (n=2)']);
    const [lower, height, mean] = series;
    expect([lower!.name, height!.name, mean!.name]).toEqual(['batchSize=32 (n=4)', 'batchSize=32 (n=4)', 'batchSize=32 (n=4)']);
    expect(lower!.stack).toBe('band-0');
    expect(height!.stack).toBe('band-0');
    expect(series[4]!.stack).toBe('band-1');
    expect(lower!.data).toEqual([
      [0, 1],
      [10, 2],
    ]);
    expect(height!.data).toEqual([
      [0, 3],
      [10, 3],
    ]);
    expect(height!.areaStyle).toBeDefined();
    expect(mean!.data).toEqual([
      [0, 2],
      [10, 3],
    ]);
    expect(mean!.stack).toBeUndefined();
  });

  it('draws annotation markers once, on the first group’s mean line', () => {
    const option = buildBandChartOption({
      title: 'loss',
      xName: 'step',
      kind: 'ci',
      groups: [
        { name: 'a', band },
        { name: 'b', band },
      ],
      markers: [{ x: 5, label: 'run-a: lr drop' }],
    });
    const series = option.series as LineSeriesOption[];
    expect(series.filter((s) => s.markLine).map((s) => s.markLine!.data)).toEqual([[{ xAxis: 5, name: 'run-a: lr drop' }]]);
    expect(series[2]!.markLine).toBeDefined();
  });

  it('draws unstacked edges on a log axis, leaving out what it cannot show', () => {
    const option = buildBandChartOption({ title: 'loss', xName: 'step', logY: true, kind: 'std', groups: [{ name: 'g', band }] });
    const series = option.series as LineSeriesOption[];
    expect(series.every((s) => s.stack === undefined)).toBe(true);
    expect(series[0]!.data).toEqual([
      [0, 1],
      [10, null],
    ]);
  });
});
