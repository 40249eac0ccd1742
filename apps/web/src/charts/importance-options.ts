// The importance chart: one horizontal bar per hyperparameter path (its share), the most important on top, with a
// whisker for the bootstrap interval. Seeds are drawn grey: they should explain nothing.
import type { BarSeriesOption, CustomSeriesOption, EChartsOption } from 'echarts';

export interface ImportanceBar {
  path: string;
  share: number;
  low: number;
  high: number;
  isSeed: boolean;
}

const BAR = '#3b6fb6';
const SEED = '#9aa3ad';
const WHISKER = '#1f2933';

export const percent = (share: number) => `${(share * 100).toFixed(share > 0 && share < 0.01 ? 1 : 0)}%`;

export function buildImportanceOption(bars: readonly ImportanceBar[], metricName: string): EChartsOption {
  const paths = bars.map((b) => b.path);
  const bar: BarSeriesOption = {
    type: 'bar',
    name: 'share',
    barMaxWidth: 22,
    data: bars.map((b) => ({ value: b.share, itemStyle: { color: b.isSeed ? SEED : BAR } })),
  };
  const whiskers: CustomSeriesOption = {
    type: 'custom',
    name: 'interval',
    // [category index, low, high]: a horizontal line from low to high with end caps.
    data: bars.map((b, i) => [i, b.low, b.high]),
    encode: { x: [1, 2], y: 0 },
    renderItem: (_params, api) => {
      const index = api.value(0) as number;
      const from = api.coord([api.value(1), index]);
      const to = api.coord([api.value(2), index]);
      const cap = ((api.size?.([0, 1]) as number[] | undefined)?.[1] ?? 20) * 0.25;
      const style = { stroke: WHISKER, lineWidth: 1.5 };
      return {
        type: 'group',
        children: [
          { type: 'line', shape: { x1: from[0], y1: from[1], x2: to[0], y2: to[1] }, style },
          { type: 'line', shape: { x1: from[0], y1: from[1]! - cap, x2: from[0], y2: from[1]! + cap }, style },
          { type: 'line', shape: { x1: to[0], y1: to[1]! - cap, x2: to[0], y2: to[1]! + cap }, style },
        ],
      };
    },
    z: 3,
  };
  return {
    animation: false,
    grid: { left: 8, right: 24, top: 28, bottom: 28, containLabel: true },
    title: { text: `Importance for ${metricName}`, left: 'center', textStyle: { fontSize: 13 } },
    tooltip: {
      trigger: 'axis',
      axisPointer: { type: 'shadow' },
      formatter: (items: unknown) => {
        const index = (items as { dataIndex: number }[])[0]?.dataIndex ?? 0;
        const b = bars[index]!;
        return `${b.path}: ${percent(b.share)} (95% interval ${percent(b.low)}–${percent(b.high)})${b.isSeed ? ' · seed' : ''}`;
      },
    },
    xAxis: {
      type: 'value',
      min: 0,
      max: 1,
      name: 'share of importance',
      nameLocation: 'middle',
      nameGap: 24,
      axisLabel: { formatter: (v: number) => percent(v) },
    },
    yAxis: { type: 'category', data: paths, inverse: true, axisLabel: { width: 180, overflow: 'truncate' } },
    series: [bar, whiskers],
  };
}
