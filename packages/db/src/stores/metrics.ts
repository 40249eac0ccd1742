import { inArray } from 'drizzle-orm';
import { metricSeries, type MetricSeriesRow } from '../schema/metrics';
import type { Handle } from './handle';

/** Metric points and the per-run summaries kept beside them. */

/** The summaries (latest, min, max per key) of these runs, by key. */
export async function summariesOfRuns(handle: Handle, runIds: readonly string[]): Promise<MetricSeriesRow[]> {
  if (runIds.length === 0) return [];
  return handle.db
    .select()
    .from(metricSeries)
    .where(inArray(metricSeries.runId, [...runIds]))
    .orderBy(metricSeries.key);
}
