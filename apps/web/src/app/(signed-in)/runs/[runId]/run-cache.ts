// How a live run event lands in the Apollo cache: the event's run (a small fragment: status, timings, outcome,
// summaries) is written onto the normalized Run, and its appended points are merged into the series the run page
// already holds. Nothing is refetched; the page re-renders from the cache.
import type { ApolloCache } from '@apollo/client';
import { RunLiveFragmentDoc, RunPageDocument, type RunEventsSubscription, type RunPageQuery, type RunPageQueryVariables } from '@/graphql/generated/graphql';
import { appendPoints, seriesByKey, type SeriesData } from './live-series';

export type RunEvent = RunEventsSubscription['runEvents'];
type SeriesRow = RunPageQuery['metricSeries'][number];

/** The page's series with `batch` merged in (a step already held is replaced, never duplicated); same order, new keys last. */
export function mergeSeries(page: RunPageQuery, runId: string, batch: readonly SeriesData[]): RunPageQuery {
  if (batch.length === 0) return page;
  const merged = appendPoints(seriesByKey(page.metricSeries), batch);
  const held = new Map(page.metricSeries.map((row) => [row.key, row]));
  const metricSeries = [...merged.values()].map((s): SeriesRow => ({
    // Keeps __typename (which the cache added) for rows it held; new rows name it themselves.
    ...(held.get(s.key) ?? ({ __typename: 'MetricSeries' } as unknown as SeriesRow)),
    runId,
    key: s.key,
    steps: s.steps,
    values: s.values,
    wallTimes: s.wallTimes,
  }));
  return { ...page, metricSeries };
}

/**
 * Applies one event to the cached run page. Returns false when the page's query is not in the cache yet (the
 * caller keeps the event and applies it once the page is loaded).
 */
export function applyRunEvent(cache: ApolloCache, variables: RunPageQueryVariables, event: RunEvent): boolean {
  cache.writeFragment({ fragment: RunLiveFragmentDoc, id: cache.identify({ __typename: 'Run', id: event.run.id }), data: event.run });
  if (event.kind !== 'METRICS_APPENDED') return cache.readQuery({ query: RunPageDocument, variables }) !== null;
  return mergeIntoPage(cache, variables, event.metrics);
}

/** Merges series (from an event, or from the one catch-up read) into the cached page; false if it is not cached. */
export function mergeIntoPage(cache: ApolloCache, variables: RunPageQueryVariables, batch: readonly SeriesData[]): boolean {
  let found = false;
  cache.updateQuery({ query: RunPageDocument, variables }, (page) => {
    if (!page) return undefined;
    found = true;
    return mergeSeries(page, String(variables.id), batch);
  });
  return found;
}
