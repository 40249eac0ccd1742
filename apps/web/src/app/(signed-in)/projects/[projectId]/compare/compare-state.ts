// The compare page's settings live in the URL, so a comparison can be shared as it is seen.
import { BAND_KINDS, type BandKind } from '@/charts/band-options';
import { X_AXIS_KINDS, type XAxisKind } from '@/charts/series-points';
import { firstParam, listParam, toQueryString, type SearchParams } from '@/lib/url-params';

export type MetricAggregate = 'last' | 'min' | 'max';

export interface CompareState {
  runIds: readonly string[];
  xAxis: XAxisKind;
  /** Whether the URL names the x axis; if not, the view picks epochs for runs whose steps per epoch differ. */
  xAxisChosen: boolean;
  logY: boolean;
  /** Exponential-moving-average weight in [0, 0.99]; 0 draws the raw values. */
  smoothing: number;
  /** The metric the parallel coordinates and the scatter plot judge runs by. */
  targetMetric: { key: string; aggregate: MetricAggregate };
  scatterParam: string;
  /** Whether the URL names the scatter's x; if not, the view picks the path that varies most among the runs. */
  scatterChosen: boolean;
  /** A finding whose rule the scatter draws as a boundary. */
  boundaryFindingId: string | null;
  /** Draw groups of runs (mean and band) instead of each run: by everything but the seeds, or by chosen paths. */
  groupBy: GroupBy;
  band: BandKind;
}

export type GroupBy = null | { allButSeeds: true } | { paths: readonly string[] };

/** `group=seeds` (everything but the seeds) or `group=paths:a,b`. */
function parseGroupBy(value: string | undefined): GroupBy {
  if (value === 'seeds') return { allButSeeds: true };
  const paths = value?.startsWith('paths:') ? value.slice('paths:'.length).split(',').filter(Boolean) : [];
  return paths.length > 0 ? { paths: [...new Set(paths)] } : null;
}

function groupByParam(groupBy: GroupBy): string | undefined {
  if (!groupBy) return undefined;
  return 'allButSeeds' in groupBy ? 'seeds' : `paths:${groupBy.paths.join(',')}`;
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
    xAxisChosen: X_AXIS_KINDS.includes(x as XAxisKind),
    logY: firstParam(params, 'log') === '1',
    smoothing: Number.isFinite(smoothing) ? Math.min(0.99, Math.max(0, smoothing)) : 0,
    targetMetric: target ? { key: target[1]!, aggregate: target[2] as MetricAggregate } : { ...DEFAULT_TARGET },
    scatterParam: firstParam(params, 'sx') || DEFAULT_SCATTER_PARAM,
    scatterChosen: Boolean(firstParam(params, 'sx')),
    boundaryFindingId: firstParam(params, 'finding') || null,
    groupBy: parseGroupBy(firstParam(params, 'group')),
    band: BAND_KINDS.includes(firstParam(params, 'band') as BandKind) ? (firstParam(params, 'band') as BandKind) : 'ci',
  };
}

export function compareQueryString(state: CompareState): string {
  const target = `${state.targetMetric.key}:${state.targetMetric.aggregate}`;
  return toQueryString({
    runs: state.runIds.join(','),
    x: state.xAxisChosen || state.xAxis !== 'step' ? state.xAxis : undefined,
    log: state.logY ? '1' : undefined,
    smooth: state.smoothing > 0 ? String(state.smoothing) : undefined,
    metric: target === `${DEFAULT_TARGET.key}:${DEFAULT_TARGET.aggregate}` ? undefined : target,
    sx: state.scatterChosen || state.scatterParam !== DEFAULT_SCATTER_PARAM ? state.scatterParam : undefined,
    finding: state.boundaryFindingId ?? undefined,
    group: groupByParam(state.groupBy),
    band: state.band === 'ci' ? undefined : state.band,
  });
}
