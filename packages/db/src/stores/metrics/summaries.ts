import { eq, inArray } from 'drizzle-orm';
import type { RawQuery } from '../../client';
import { metricSummaries, type MetricSummaryRow } from '../../schema/metrics';
import type { Handle } from '../handle';
import type { SortedSeries } from './batch';
import { summarise } from './chunks';

/**
 * The per-series summaries (metric_summaries: latest, min, max and counts per run and key) that run tables,
 * filters and findings read instead of the point history, and how the writer keeps them current.
 */

/** The summaries of these runs, by key. */
export async function summariesOfRuns(handle: Handle, runIds: readonly string[]): Promise<MetricSummaryRow[]> {
  if (runIds.length === 0) return [];
  return handle.db
    .select()
    .from(metricSummaries)
    .where(inArray(metricSummaries.runId, [...runIds]))
    .orderBy(metricSummaries.key);
}

/** Forgets every metric of a run, summaries and points (its chunks go with their summary row). */
export async function deleteMetricsOfRun(handle: Handle, runId: string): Promise<void> {
  await handle.db.delete(metricSummaries).where(eq(metricSummaries.runId, runId));
}

/**
 * The summary rows of these (run, key) series, created empty where missing, each locked until the transaction
 * commits. Always in (run, key) order: two batches locking the same series in different orders would deadlock.
 * A run id must be given in its stored (lower-case) form: rows come back keyed by it.
 */
export async function ensureSummaryRows(
  query: RawQuery,
  series: readonly { runId: string; key: string }[],
): Promise<{ id: number; run_id: string; key: string; last_step: number | null }[]> {
  return query(
    `insert into metric_summaries (run_id, key) select r, k from unnest($1::uuid[], $2::text[]) as u(r, k) order by r, k
     on conflict (run_id, key) do update set updated_at = now()
     returning id, run_id, key, last_step`,
    [series.map((s) => s.runId), series.map((s) => s.key)],
  );
}

/**
 * After an append that only extended its series: the update that folds the batch into their summaries, its
 * parameters numbered from `$${first}` (so that it can run inside a larger statement). Null when nothing was appended.
 */
export function appendedSummariesUpdate(
  appended: { id: number; s: SortedSeries }[],
  summaryCounts: Map<number, { fine: number; coarse: number }>,
  first = 1,
): { text: string; params: unknown[] } | null {
  if (appended.length === 0) return null;
  const extrema = appended.map(({ s }) => summarise(s.values, 0, s.values.length));
  const types = ['int4', 'int8', 'int8', 'int4', 'int4', 'float8', 'float8', 'float8', 'int8', 'int8'];
  const unnest = types.map((type, i) => `$${first + i}::${type}[]`).join(', ');
  return {
    text: `update metric_summaries m set
       point_count = m.point_count + u.n,
       non_finite_count = m.non_finite_count + u.non_finite,
       first_step = coalesce(m.first_step, u.first_step),
       last_step = u.last_step,
       last_value = u.last_value,
       min_value = least(m.min_value, u.min_value),
       max_value = greatest(m.max_value, u.max_value),
       fine_count = m.fine_count + u.fine,
       coarse_count = m.coarse_count + u.coarse,
       updated_at = now()
     from unnest(${unnest})
       as u(id, n, non_finite, first_step, last_step, last_value, min_value, max_value, fine, coarse)
     where m.id = u.id`,
    params: [
      appended.map((a) => a.id),
      appended.map((a) => a.s.steps.length),
      extrema.map((e) => e.nonFinite),
      appended.map((a) => a.s.steps[0]!),
      appended.map((a) => a.s.steps[a.s.steps.length - 1]!),
      appended.map((a) => a.s.values[a.s.values.length - 1]!),
      extrema.map((e) => e.minValue),
      extrema.map((e) => e.maxValue),
      appended.map((a) => summaryCounts.get(a.id)!.fine),
      appended.map((a) => summaryCounts.get(a.id)!.coarse),
    ],
  };
}

/** After a merge the incremental summary may be stale (an extreme value was replaced): rebuild it from chunks. */
export async function recomputeSummaries(query: RawQuery, seriesIds: number[]): Promise<void> {
  if (seriesIds.length === 0) return;
  await query(
    `update metric_summaries m set
       point_count = a.n, non_finite_count = a.non_finite, first_step = a.first_step, last_step = a.last_step,
       min_value = a.min_value, max_value = a.max_value, fine_count = a.fine, coarse_count = a.coarse, updated_at = now(),
       last_value = (select c.values[c.point_count] from metric_chunks c where c.series_id = m.id order by c.first_step desc limit 1)
     from (select series_id, sum(point_count) n, sum(non_finite_count) non_finite, min(first_step) first_step,
             max(last_step) last_step, min(min_value) min_value, max(max_value) max_value,
             sum(cardinality(fine_steps)) fine, sum(cardinality(coarse_steps)) coarse
           from metric_chunks where series_id = any($1::int4[]) group by series_id) a
     where m.id = a.series_id`,
    [seriesIds],
  );
}
