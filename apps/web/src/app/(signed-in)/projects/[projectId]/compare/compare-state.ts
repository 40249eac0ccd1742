// The compare page's settings live in the URL, so a comparison can be shared as it is seen.
import { X_AXIS_KINDS, type XAxisKind } from '@/charts/series-points';
import { firstParam, listParam, toQueryString, type SearchParams } from '@/lib/url-params';

export type MetricAggregate = 'last' | 'min' | 'max';

export interface CompareState {
  runIds: readonly string[];
  xAxis: XAxisKind;
  logY: boolean;
  /** Exponential-moving-average weight in [0, 0.99]; 0 draws the raw values. */
  smoothing: number;
  /** The metric the parallel coordinates and the scatter plot judge runs by. */
  targetMetric: { key: string; aggregate: MetricAggregate };
  scatterParam: string;
  /** A finding whose rule the scatter draws as a boundary. */
  boundaryFindingId: string | null;
}

/** Points per series the compare query asks for: more than a chart's width in pixels, peaks kept by the API. */
export const COMPARE_MAX_POINTS = 1000;

export const DEFAULT_TARGET = { key: 'test.accuracy', aggregate: 'max' } as const;
export const DEFAULT_SCATTER_PARAM = 'optimizer.learningRate';

export function parseCompareState(params: SearchParams): CompareState {
  const x = firstParam(params, 'x');
  const smoothing = Number(firstParam(params, 'smooth') ?? 0);
  const target = /^(.+):(last|min|max)$/.exec(firstParam(params, 'metric') ?? '');
  return {
    runIds: [...new Set(listParam(params, 'runs'))],
    xAxis: X_AXIS_KINDS.includes(x as XAxisKind) ? (x as XAxisKind) : 'step',
    logY: firstParam(params, 'log') === '1',
    smoothing: Number.isFinite(smoothing) ? Math.min(0.99, Math.max(0, smoothing)) : 0,
    targetMetric: target ? { key: target[1]!, aggregate: target[2] as MetricAggregate } : { ...DEFAULT_TARGET },
    scatterParam: firstParam(params, 'sx') || DEFAULT_SCATTER_PARAM,
    boundaryFindingId: firstParam(params, 'finding') || null,
  };
}

export function compareQueryString(state: CompareState): string {
  const target = `${state.targetMetric.key}:${state.targetMetric.aggregate}`;
  return toQueryString({
    runs: state.runIds.join(','),
    x: state.xAxis === 'step' ? undefined : state.xAxis,
    log: state.logY ? '1' : undefined,
    smooth: state.smoothing > 0 ? String(state.smoothing) : undefined,
    metric: target === `${DEFAULT_TARGET.key}:${DEFAULT_TARGET.aggregate}` ? undefined : target,
    sx: state.scatterParam === DEFAULT_SCATTER_PARAM ? undefined : state.scatterParam,
    finding: state.boundaryFindingId ?? undefined,
  });
}
