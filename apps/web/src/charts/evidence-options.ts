// The evidence chart of a finding: every counted run's metric against the rule's hyperparameter, one colour
// per side of the rule, cited runs drawn as diamonds, the rule's boundary as a dashed line.
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
}

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
  const placed = input.points.filter((p) => p.x !== null && p.x !== undefined && Number.isFinite(p.y));
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
      data: points.map((p) => ({
        value: [numeric ? (p.x as number) : String(p.x), p.y, p.runName, p.cited ? 1 : 0],
        ...(p.cited ? { symbol: 'diamond', symbolSize: 16, itemStyle: { borderColor: '#1d232b', borderWidth: 2 } } : {}),
      })),
      ...(index === 0 && numeric && input.boundary && input.boundary.length > 0 ? { markLine: boundaryMarkLine(input.boundary) } : {}),
    };
  });
  return {
    animation: false,
    tooltip: {
      trigger: 'item',
      formatter: (params) => {
        const [x, y, name, cited] = (params as unknown as { value: [number | string, number, string, number] }).value;
        const xText = typeof x === 'number' ? formatMetric(x) : x;
        return `${name}${cited ? ' (cited)' : ''}<br/>${input.xName}: ${xText}<br/>${input.yName}: ${formatMetric(y)}`;
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
