// The evidence chart of a finding: every counted run's metric against the rule's hyperparameter, one colour
// per side of the rule, cited runs drawn as diamonds, the rule's boundary as a dashed line. Exact duplicates (same
// configuration and seed) are one point at their mean, larger and marked ×n, as the statistics count them once.
import type { EChartsOption, ScatterSeriesOption } from 'echarts';
import { formatMetric } from '@/lib/metric-value';
import { boundaryMarkLine, type BoundaryLine } from './chart-options';

export type EvidenceSide = 'SATISFYING' | 'VIOLATING';

export interface EvidenceChartPoint {
  runName: string;
  side: EvidenceSide;
  /** The run's value of the x hyperparameter; a string or boolean for a categorical rule. */
  x: number | string | boolean | null | undefined;
  y: number;
  cited: boolean;
  /** Points of one side with the same number are exact duplicates (the API's EvidencePoint.experiment). */
  experiment?: number;
}

/** One drawn point: a run, or a set of exact duplicates at the mean of their values. */
export interface MergedEvidencePoint {
  runNames: string[];
  side: EvidenceSide;
  x: number | string | boolean;
  y: number;
  /** Whether the author cited any of the runs. */
  cited: boolean;
}

/**
 * Exact duplicates merged, in the order they first appear: the mean of their values (summed in sorted order, as the
 * evidence does), every run's name. Points without an experiment number stay single.
 */
export function mergeDuplicatePoints(points: readonly (EvidenceChartPoint & { x: number | string | boolean })[]): MergedEvidencePoint[] {
  const merged = new Map<string, { point: MergedEvidencePoint; values: number[] }>();
  points.forEach((p, index) => {
    const key = p.experiment === undefined ? `single:${index}` : `${p.side}:${p.experiment}`;
    const entry = merged.get(key);
    if (entry) {
      entry.point.runNames.push(p.runName);
      entry.point.cited ||= p.cited;
      entry.values.push(p.y);
    } else merged.set(key, { point: { runNames: [p.runName], side: p.side, x: p.x, y: p.y, cited: p.cited }, values: [p.y] });
  });
  return [...merged.values()].map(({ point, values }) => ({
    ...point,
    y: values.length === 1 ? values[0]! : values.sort((a, b) => a - b).reduce((sum, v) => sum + v, 0) / values.length,
  }));
}

/** "3 runs: a, b, c" for a duplicate set; the run's name for one run. */
export function runsLabel(runNames: readonly string[]): string {
  return runNames.length === 1 ? runNames[0]! : `${runNames.length} runs: ${runNames.join(', ')}`;
}

/** Run names are the user's text; the tooltip is HTML. */
const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** Larger for more duplicates, so a set of five does not look like one run; capped so it does not hide its neighbours. */
const duplicateSize = (count: number, base: number) => Math.min(base + 4 * Math.sqrt(count - 1), base + 12);

export const SIDE_COLORS: Record<EvidenceSide, string> = { SATISFYING: '#1e8e4e', VIOLATING: '#c0392b' };
const SIDE_NAMES: Record<EvidenceSide, string> = { SATISFYING: 'follows the rule', VIOLATING: 'breaks the rule' };

export interface EvidenceChartInput {
  xName: string;
  yName: string;
  logX: boolean;
  points: readonly EvidenceChartPoint[];
  boundary?: readonly BoundaryLine[];
}

export function buildEvidenceOption(input: EvidenceChartInput): EChartsOption {
  const placed = mergeDuplicatePoints(
    input.points.filter((p): p is EvidenceChartPoint & { x: number | string | boolean } => p.x !== null && p.x !== undefined && Number.isFinite(p.y)),
  );
  const numeric = placed.every((p) => typeof p.x === 'number');
  // A log axis cannot place 0 or negatives; fall back to a linear one rather than drop runs from the evidence.
  const logX = numeric && input.logX && placed.every((p) => (p.x as number) > 0);
  const categories = numeric ? [] : [...new Set(placed.map((p) => String(p.x)))].sort();
  const series: ScatterSeriesOption[] = (['SATISFYING', 'VIOLATING'] as const).map((side, index) => {
    const points = placed.filter((p) => p.side === side);
    return {
      type: 'scatter',
      name: `${SIDE_NAMES[side]} (${points.length})`,
      itemStyle: { color: SIDE_COLORS[side], opacity: 0.85 },
      symbolSize: 10,
      data: points.map((p) => {
        const count = p.runNames.length;
        return {
          value: [numeric ? (p.x as number) : String(p.x), p.y, runsLabel(p.runNames), p.cited ? 1 : 0, count],
          ...(p.cited ? { symbol: 'diamond', itemStyle: { borderColor: '#1d232b', borderWidth: 2 } } : {}),
          ...(p.cited || count > 1 ? { symbolSize: duplicateSize(count, p.cited ? 16 : 10) } : {}),
          ...(count > 1 ? { label: { show: true, position: 'right' as const, formatter: `×${count}`, color: '#1d232b', fontSize: 11 } } : {}),
        };
      }),
      ...(index === 0 && numeric && input.boundary && input.boundary.length > 0 ? { markLine: boundaryMarkLine(input.boundary) } : {}),
    };
  });
  return {
    animation: false,
    tooltip: {
      trigger: 'item',
      formatter: (params) => {
        const [x, y, name, cited, count] = (params as unknown as { value: [number | string, number, string, number, number] }).value;
        const xText = typeof x === 'number' ? formatMetric(x) : x;
        const duplicates = count > 1 ? '<br/>same configuration and seed: counted once, at their mean' : '';
        return `${escapeHtml(name)}${cited ? ' (cited)' : ''}${duplicates}<br/>${input.xName}: ${xText}<br/>${input.yName}: ${formatMetric(y)}`;
      },
    },
    legend: { bottom: 0 },
    grid: { left: 64, right: 32, top: 32, bottom: 64 },
    xAxis: numeric
      ? {
          type: logX ? 'log' : 'value',
          name: input.xName,
          nameLocation: 'middle',
          nameGap: 28,
          scale: !logX,
          axisLabel: { formatter: (v: number) => formatMetric(v) },
        }
      : { type: 'category', data: categories, name: input.xName, nameLocation: 'middle', nameGap: 28 },
    yAxis: { type: 'value', name: input.yName, scale: true, axisLabel: { formatter: (v: number) => formatMetric(v) } },
    series,
  };
}
