// ECharts options built from plain data, so what a chart shows is unit-tested without a browser.
// Long series rely on ECharts' own LTTB sampling; the API has already cut them to maxPoints, peaks kept.
import type { EChartsOption, SeriesOption } from 'echarts';
import { formatMetric } from '@/lib/metric-value';
import type { ChartPoints } from './series-points';

export interface LineSeriesInput {
  name: string;
  points: ChartPoints;
}

export interface LineChartInput {
  title: string;
  xName: string;
  logY?: boolean;
  logX?: boolean;
  series: readonly LineSeriesInput[];
  /** Vertical markers, e.g. the suggested learning rate of a range test. */
  markers?: readonly { x: number; label: string }[];
}

const axisLabel = { formatter: (value: number) => formatMetric(value) };

export function buildLineChartOption(input: LineChartInput): EChartsOption {
  const series: SeriesOption[] = input.series.map((line, index) => {
    const nonFinite = line.points.firstNonFinite;
    const markers = [
      ...(nonFinite ? [{ x: nonFinite.x, label: `${nonFinite.label} at ${formatMetric(nonFinite.x)}` }] : []),
      ...(index === 0 ? (input.markers ?? []) : []),
    ];
    return {
      type: 'line',
      name: line.name,
      data: line.points.data,
      showSymbol: line.points.data.length < 30,
      symbolSize: 5,
      sampling: 'lttb',
      connectNulls: false,
      lineStyle: { width: 1.5 },
      emphasis: { focus: 'series' },
      ...(markers.length > 0
        ? {
            markLine: {
              symbol: 'none',
              silent: true,
              lineStyle: { type: 'dashed', color: nonFinite ? '#c0392b' : '#888' },
              label: { formatter: '{b}', position: 'insideEndTop' },
              data: markers.map((m) => ({ xAxis: m.x, name: m.label })),
            },
          }
        : {}),
    };
  });
  return {
    animation: false,
    title: { text: input.title, left: 8, top: 4, textStyle: { fontSize: 13, fontWeight: 600 } },
    tooltip: { trigger: 'axis', valueFormatter: (value) => formatMetric(value as number) },
    legend: input.series.length > 1 ? { type: 'scroll', bottom: 0 } : { show: false },
    grid: { left: 56, right: 20, top: 36, bottom: input.series.length > 1 ? 56 : 36 },
    xAxis: {
      type: input.logX ? 'log' : 'value',
      name: input.xName,
      nameLocation: 'middle',
      nameGap: 24,
      scale: !input.logX,
      axisLabel,
    },
    // The title names the quantity; an axis name would sit on top of it.
    yAxis: { type: input.logY ? 'log' : 'value', scale: true, axisLabel },
    dataZoom: [{ type: 'inside', xAxisIndex: 0 }],
    series,
  };
}

export interface ScatterPoint {
  runName: string;
  x: number;
  y: number;
}

/** A vertical line per bound of a finding's rule on the x axis, labelled with the side that follows it. */
export interface BoundaryLine {
  x: number;
  label: string;
}

export function boundaryMarkLine(lines: readonly BoundaryLine[]) {
  return {
    symbol: 'none',
    silent: true,
    lineStyle: { type: 'dashed' as const, color: '#b7791f', width: 2 },
    // Above the top of the line, horizontal: along a vertical line the text would be turned sideways.
    label: { formatter: '{b}', position: 'end' as const, color: '#8a5a12' },
    data: lines.map((line) => ({ xAxis: line.x, name: line.label })),
  };
}

export function buildScatterOption(input: {
  xName: string;
  yName: string;
  logX: boolean;
  logY: boolean;
  points: readonly ScatterPoint[];
  /** A chosen finding's rule, drawn as its boundary on the x axis. */
  boundary?: readonly BoundaryLine[];
}): EChartsOption {
  // A log axis cannot place 0 or negatives; they are left out rather than drawn at a wrong place.
  const drawable = input.points.filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y) && (!input.logX || p.x > 0) && (!input.logY || p.y > 0));
  return {
    animation: false,
    tooltip: {
      trigger: 'item',
      formatter: (params) => {
        const item = params as unknown as { data: [number, number, string] };
        return `${item.data[2]}<br/>${input.xName}: ${formatMetric(item.data[0])}<br/>${input.yName}: ${formatMetric(item.data[1])}`;
      },
    },
    grid: { left: 64, right: 24, top: 24, bottom: 48 },
    xAxis: { type: input.logX ? 'log' : 'value', name: input.xName, nameLocation: 'middle', nameGap: 28, scale: true, axisLabel },
    yAxis: { type: input.logY ? 'log' : 'value', name: input.yName, scale: true, axisLabel },
    series: [
      {
        type: 'scatter',
        symbolSize: 10,
        data: drawable.map((p) => [p.x, p.y, p.runName]),
        ...(input.boundary && input.boundary.length > 0 ? { markLine: boundaryMarkLine(input.boundary) } : {}),
      },
    ],
  };
}

export interface ParallelDimension {
  name: string;
  /** Numbers get a value axis (log for rates and sizes); strings and booleans a category axis. */
  kind: 'number' | 'category';
  log?: boolean;
  categories?: string[];
}

export function buildParallelOption(input: {
  dimensions: readonly ParallelDimension[];
  rows: readonly { runName: string; values: (number | string | null)[] }[];
}): EChartsOption {
  const last = input.dimensions.length - 1;
  return {
    animation: false,
    tooltip: { trigger: 'item', formatter: (params) => String((params as unknown as { name: string }).name) },
    parallel: { left: 64, right: 96, top: 48, bottom: 32 },
    parallelAxis: input.dimensions.map((dimension, dim) => ({
      dim,
      name: dimension.name,
      type: dimension.kind === 'category' ? 'category' : dimension.log ? 'log' : 'value',
      ...(dimension.kind === 'category' ? { data: dimension.categories ?? [] } : { scale: true }),
      nameTextStyle: { fontWeight: dim === last ? 700 : 400 },
      axisLabel: dimension.kind === 'category' ? {} : axisLabel,
    })),
    // The colour follows the chosen metric (the last axis), so good and bad runs stand apart.
    visualMap: numericRange(input.rows.map((row) => row.values[last]))
      ? {
          type: 'continuous',
          dimension: last,
          ...numericRange(input.rows.map((row) => row.values[last])),
          right: 0,
          top: 'middle',
          calculable: false,
          inRange: { color: ['#d94e5d', '#eac736', '#50a3ba'] },
        }
      : undefined,
    series: [
      {
        type: 'parallel',
        lineStyle: { width: 2, opacity: 0.7 },
        data: input.rows.map((row) => ({ name: row.runName, value: row.values.map((v) => v ?? '-') })),
      },
    ],
  };
}

function numericRange(values: readonly (number | string | null | undefined)[]): { min: number; max: number } | undefined {
  const numbers = values.filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
  if (numbers.length === 0) return undefined;
  const min = Math.min(...numbers);
  const max = Math.max(...numbers);
  return { min, max: max === min ? min + 1 : max };
}

/** How many points a chart option draws, for the page's data attributes (tests and people checking a chart). */
export function countPoints(option: EChartsOption): number {
  const series = Array.isArray(option.series) ? option.series : option.series ? [option.series] : [];
  return series.reduce((sum, s) => {
    const data = (s as { data?: unknown[] }).data ?? [];
    return sum + data.filter((d) => !(Array.isArray(d) && d[1] === null)).length;
  }, 0);
}
