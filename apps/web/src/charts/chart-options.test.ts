import { describe, expect, it } from 'vitest';
import { buildLineChartOption, buildParallelOption, buildScatterOption, countPoints } from './chart-options';

describe('chart option builders', () => {
  it('draws one sampled line per series and marks where a series went non-finite', () => {
    const option = buildLineChartOption({
      title: 'train.loss',
      xName: 'step',
      logY: true,
      series: [
        {
          name: 'a',
          points: {
            data: [
              [0, 1],
              [1, 0.5],
            ],
          },
        },
        {
          name: 'b',
          points: {
            data: [
              [0, 1],
              [1, null],
            ],
            firstNonFinite: { x: 1, label: 'NaN' },
          },
        },
      ],
    });
    const series = option.series as { type: string; sampling: string; markLine?: { data: { xAxis: number; name: string }[] } }[];
    expect(series.map((s) => [s.type, s.sampling])).toEqual([
      ['line', 'lttb'],
      ['line', 'lttb'],
    ]);
    expect(series[0]!.markLine).toBeUndefined();
    expect(series[1]!.markLine!.data).toEqual([{ xAxis: 1, name: 'NaN at 1' }]);
    expect((option.yAxis as { type: string }).type).toBe('log');
    expect(countPoints(option)).toBe(3);
  });

  it('leaves points a log scatter axis cannot place out', () => {
    const option = buildScatterOption({
      xName: 'optimizer.learningRate',
      yName: 'max(test.accuracy)',
      logX: true,
      logY: false,
      points: [
        { runName: 'a', x: 0.01, y: 0.9 },
        { runName: 'b', x: 0, y: 0.8 },
        { runName: 'c', x: 0.1, y: Number.NaN },
      ],
    });
    expect((option.series as { data: unknown[] }[])[0]!.data).toEqual([[0.01, 0.9, 'a']]);
  });

  it('gives parallel coordinates category axes for strings and colours by the metric', () => {
    const option = buildParallelOption({
      dimensions: [
        { name: 'optimizer.name', kind: 'category', categories: ['adam', 'sgd'] },
        { name: 'optimizer.learningRate', kind: 'number', log: true },
        { name: 'max(test.accuracy)', kind: 'number' },
      ],
      rows: [
        { runName: 'a', values: ['adam', 0.01, 0.9] },
        { runName: 'b', values: ['sgd', 0.1, null] },
      ],
    });
    const axes = option.parallelAxis as { type: string; data?: string[] }[];
    expect(axes.map((a) => a.type)).toEqual(['category', 'log', 'value']);
    expect(axes[0]!.data).toEqual(['adam', 'sgd']);
    expect(option.visualMap).toMatchObject({ dimension: 2, min: 0.9, max: 1.9 });
    expect((option.series as { data: { value: unknown[] }[] }[])[0]!.data[1]!.value).toEqual(['sgd', 0.1, '-']);
  });
});

describe('the compare scatter', () => {
  it('draws a chosen finding as a dashed boundary line on the x axis', () => {
    const option = buildScatterOption({
      xName: 'batchSize',
      yName: 'max(test.accuracy)',
      logX: true,
      logY: false,
      points: [{ runName: 'a', x: 16, y: 0.9 }],
      boundary: [{ x: 32, label: '← batchSize ≤ 32' }],
    });
    const [series] = option.series as { markLine?: { data: unknown[]; lineStyle: { type: string } } }[];
    expect(series!.markLine!.data).toEqual([{ xAxis: 32, name: '← batchSize ≤ 32' }]);
    expect(series!.markLine!.lineStyle.type).toBe('dashed');
    const plain = buildScatterOption({ xName: 'x', yName: 'y', logX: false, logY: false, points: [] });
    expect((plain.series as { markLine?: unknown }[])[0]!.markLine).toBeUndefined();
  });
});
