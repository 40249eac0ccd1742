// A group of runs drawn as its mean line with a band around it. The band is ECharts' stacked-area technique: an
// invisible line at the band's lower edge and, stacked on it, a filled line of height (upper − lower). All three
// series carry the group's name, so its legend entry shows and hides them together. On a log axis a stacked height
// means nothing, so there the band's edges are drawn as thin lines instead.
import type { EChartsOption, SeriesOption } from 'echarts';
import { formatMetric } from '@/lib/metric-value';

export type BandKind = 'minmax' | 'std' | 'ci';
export const BAND_KINDS: readonly BandKind[] = ['minmax', 'std', 'ci'];
export const BAND_NAMES: Record<BandKind, string> = { minmax: 'min–max', std: '± std', ci: '95 % interval' };

export interface GroupBand {
  x: readonly number[];
  mean: readonly number[];
  min: readonly number[];
  max: readonly number[];
  std: readonly (number | null)[];
  low: readonly (number | null)[];
  high: readonly (number | null)[];
}

export interface BandGroupInput {
  /** The legend's text, e.g. "batchSize=32 (n=4)". */
  name: string;
  band: GroupBand;
}

// ECharts' default palette, so the groups look like the per-run charts.
const PALETTE = ['#5470c6', '#91cc75', '#fac858', '#ee6666', '#73c0de', '#3ba272', '#fc8452', '#9a60b4', '#ea7ccc'];

/** The lower and upper edge of the chosen band at each x (null where it is undefined, e.g. one run). */
export function bandEdges(band: GroupBand, kind: BandKind): { lower: (number | null)[]; upper: (number | null)[] } {
  switch (kind) {
    case 'minmax':
      return { lower: [...band.min], upper: [...band.max] };
    case 'std':
      return {
        lower: band.mean.map((m, i) => (band.std[i] == null ? null : m - band.std[i]!)),
        upper: band.mean.map((m, i) => (band.std[i] == null ? null : m + band.std[i]!)),
      };
    case 'ci':
      return { lower: [...band.low], upper: [...band.high] };
  }
}

export function buildBandChartOption(input: {
  title: string;
  xName: string;
  logY?: boolean;
  kind: BandKind;
  groups: readonly BandGroupInput[];
  /** Vertical markers, e.g. run annotations. */
  markers?: readonly { x: number; label: string }[];
}): EChartsOption {
  const series: SeriesOption[] = input.groups.flatMap((group, index) => {
    const color = PALETTE[index % PALETTE.length]!;
    const { lower, upper } = bandEdges(group.band, input.kind);
    const x = group.band.x;
    const mean: SeriesOption = {
      type: 'line',
      name: group.name,
      data: x.map((xi, i) => [xi, group.band.mean[i]!]),
      color,
      showSymbol: x.length < 30,
      symbolSize: 5,
      lineStyle: { width: 2, color },
      z: 3,
      ...(index === 0 && input.markers?.length
        ? {
            markLine: {
              symbol: 'none',
              silent: true,
              lineStyle: { type: 'dashed', color: '#888' },
              label: { formatter: '{b}', position: 'insideEndTop' },
              data: input.markers.map((m) => ({ xAxis: m.x, name: m.label })),
            },
          }
        : {}),
    };
    const edge = { type: 'line' as const, name: group.name, color, showSymbol: false, silent: true, connectNulls: false, tooltip: { show: false } };
    if (input.logY) {
      const thin = { ...edge, lineStyle: { width: 0.8, type: 'dashed' as const, color, opacity: 0.7 } };
      return [
        { ...thin, data: x.map((xi, i) => [xi, lower[i] != null && lower[i]! > 0 ? lower[i]! : null]) },
        { ...thin, data: x.map((xi, i) => [xi, upper[i] ?? null]) },
        mean,
      ];
    }
    const stack = `band-${index}`;
    return [
      { ...edge, stack, data: x.map((xi, i) => [xi, lower[i] ?? null]), lineStyle: { opacity: 0 }, areaStyle: { opacity: 0 } },
      {
        ...edge,
        stack,
        data: x.map((xi, i) => [xi, lower[i] == null || upper[i] == null ? null : upper[i]! - lower[i]!]),
        lineStyle: { opacity: 0 },
        areaStyle: { color, opacity: 0.18 },
      },
      mean,
    ];
  });
  return {
    animation: false,
    title: { text: input.title, left: 8, top: 4, textStyle: { fontSize: 13, fontWeight: 600 } },
    tooltip: { trigger: 'axis', valueFormatter: (value) => formatMetric(value as number) },
    legend: { type: 'scroll', bottom: 0, data: input.groups.map((g) => g.name) },
    grid: { left: 56, right: 20, top: 36, bottom: 56 },
    xAxis: { type: 'value', name: input.xName, nameLocation: 'middle', nameGap: 24, scale: true, axisLabel: { formatter: (v: number) => formatMetric(v) } },
    yAxis: { type: input.logY ? 'log' : 'value', scale: true, axisLabel: { formatter: (v: number) => formatMetric(v) } },
    dataZoom: [{ type: 'inside', xAxisIndex: 0 }],
    series,
  };
}
