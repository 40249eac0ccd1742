'use client';
// The compare view's groups: runs grouped by configuration (everything but the seeds, or chosen paths), each group
// drawn as its mean with a band (min–max, ± std or the 95 % interval of the mean). The API computes the bands from
// the downsampled series (metricGroups); this only draws them.
import { useQuery } from '@apollo/client/react';
import { Chart } from '@/charts/chart';
import { BAND_KINDS, BAND_NAMES, buildBandChartOption, type BandKind } from '@/charts/band-options';
import type { XAxisKind } from '@/charts/series-points';
import { MetricGroupsDocument, type SeriesAlignment } from '@/graphql/generated/graphql';
import { ErrorNotice, Loading } from '../../../../status-views';
import type { GroupBy } from './compare-state';

const ALIGNMENT: Record<XAxisKind, SeriesAlignment> = { step: 'STEP', epoch: 'EPOCH', time: 'WALL_TIME' };
const BUCKETS = 200;

/** The "Group by" and band choosers; `paths` are the hyperparameters that vary among the compared runs. */
export function GroupByControl({
  groupBy,
  band,
  paths,
  onChange,
}: {
  groupBy: GroupBy;
  band: BandKind;
  paths: readonly string[];
  onChange: (patch: { groupBy?: GroupBy; band?: BandKind }) => void;
}) {
  const mode = !groupBy ? 'none' : 'allButSeeds' in groupBy ? 'seeds' : 'paths';
  const chosen = groupBy && 'paths' in groupBy ? groupBy.paths : [];
  const toggle = (path: string, on: boolean) => {
    const next = on ? [...chosen, path] : chosen.filter((p) => p !== path);
    onChange({ groupBy: next.length > 0 ? { paths: next } : null });
  };
  return (
    <>
      <label>
        group by{' '}
        <select
          aria-label="group by"
          value={mode}
          onChange={(e) => {
            const value = e.target.value;
            onChange({ groupBy: value === 'seeds' ? { allButSeeds: true } : value === 'paths' ? { paths: paths.slice(0, 1) } : null });
          }}
        >
          <option value="none">none (each run)</option>
          <option value="seeds">everything but seeds</option>
          <option value="paths" disabled={paths.length === 0}>
            chosen paths
          </option>
        </select>
      </label>
      {mode === 'paths' && (
        <span role="group" aria-label="group paths">
          {paths.map((path) => (
            <label key={path} className="check">
              <input type="checkbox" checked={chosen.includes(path)} onChange={(e) => toggle(path, e.target.checked)} /> {path}
            </label>
          ))}
        </span>
      )}
      {mode !== 'none' && (
        <label>
          band{' '}
          <select aria-label="band" value={band} onChange={(e) => onChange({ band: e.target.value as BandKind })}>
            {BAND_KINDS.map((kind) => (
              <option key={kind} value={kind}>
                {BAND_NAMES[kind]}
              </option>
            ))}
          </select>
        </label>
      )}
    </>
  );
}

export function GroupCharts({
  projectId,
  runIds,
  groupBy,
  band,
  xAxis,
  xName,
  logY,
  keyOrder,
  markersFor,
}: {
  projectId: string;
  runIds: readonly string[];
  groupBy: NonNullable<GroupBy>;
  band: BandKind;
  xAxis: XAxisKind;
  xName: string;
  logY: boolean;
  /** The order the per-run charts use, so switching to groups keeps each chart in its place. */
  keyOrder: readonly string[];
  /** Annotation markers for a metric's chart, on this x axis. */
  markersFor?: (key: string) => { x: number; label: string }[];
}) {
  const { data, error, refetch, loading } = useQuery(MetricGroupsDocument, {
    variables: {
      projectId,
      runIds: [...runIds],
      groupBy: 'allButSeeds' in groupBy ? { allButSeeds: true } : { paths: [...groupBy.paths] },
      alignment: ALIGNMENT[xAxis],
      buckets: BUCKETS,
    },
  });
  if (error) return <ErrorNotice error={error} retry={() => void refetch()} />;
  if (!data || loading) return <Loading what="the groups" />;
  const groups = data.metricGroups.groups;
  const keys = [...new Set(groups.flatMap((g) => g.series.map((s) => s.key)))].sort(
    (a, b) => (keyOrder.indexOf(a) + 1 || Infinity) - (keyOrder.indexOf(b) + 1 || Infinity) || a.localeCompare(b),
  );
  return (
    <section className="chart-grid" aria-label="Metrics by group" data-group-count={groups.length}>
      {keys.map((key) => {
        const drawn = groups.flatMap((group) => {
          const band = group.series.find((s) => s.key === key);
          return band ? [{ name: `${group.label} (n=${group.count})`, band }] : [];
        });
        const markers = markersFor?.(key) ?? [];
        return (
          <div key={key} data-group-chart={key} data-groups={drawn.length} data-band={band} data-markers={markers.length}>
            <Chart label={key} option={buildBandChartOption({ title: key, xName, logY, kind: band, groups: drawn, markers })} />
          </div>
        );
      })}
    </section>
  );
}
