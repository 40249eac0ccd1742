import { describe, expect, it } from 'vitest';
import { buildImportanceOption, percent } from './importance-options';

type Bar = { data: { value: number; itemStyle: { color: string } }[] };
type Whiskers = {
  data: number[][];
  renderItem: (params: unknown, api: unknown) => { children: { shape: { x1: number; y1: number; x2: number; y2: number } }[] };
};

describe('the importance chart', () => {
  const bars = [
    { path: 'batchSize', share: 0.7, low: 0.55, high: 0.82, isSeed: false },
    { path: 'optimizer.learningRate', share: 0.3, low: 0.18, high: 0.44, isSeed: false },
    { path: 'seed', share: 0, low: 0, high: 0.02, isSeed: true },
  ];

  it('draws one bar per path, most important on top, seeds in grey, and a whisker from low to high', () => {
    const option = buildImportanceOption(bars, 'last(test.accuracy)');
    const yAxis = option.yAxis as { data: string[]; inverse: boolean };
    expect(yAxis.data).toEqual(['batchSize', 'optimizer.learningRate', 'seed']);
    expect(yAxis.inverse).toBe(true);
    const [bar, whiskers] = option.series as [Bar, Whiskers];
    expect(bar.data.map((d) => d.value)).toEqual([0.7, 0.3, 0]);
    expect(new Set(bar.data.map((d) => d.itemStyle.color)).size).toBe(2);
    expect(bar.data[2]!.itemStyle.color).not.toBe(bar.data[0]!.itemStyle.color);
    expect(whiskers.data).toEqual([
      [0, 0.55, 0.82],
      [1, 0.18, 0.44],
      [2, 0, 0.02],
    ]);
    // The whisker spans the interval in pixels: coord maps (share, row) to (share·100, row·10).
    const values = [1, 0.18, 0.44];
    const api = { value: (i: number) => values[i], coord: ([x, y]: number[]) => [x! * 100, y! * 10], size: () => [0, 10] };
    const [line, lowCap, highCap] = whiskers.renderItem({}, api).children;
    expect(line!.shape).toEqual({ x1: 18, y1: 10, x2: 44, y2: 10 });
    expect(lowCap!.shape.x1).toBe(18);
    expect(highCap!.shape.x1).toBe(44);
  });

  it('writes shares as percentages, keeping a decimal for small non-zero ones', () => {
    expect([percent(0.7), percent(0), percent(0.004), percent(1)]).toEqual(['70%', '0%', '0.4%', '100%']);
  });
});
