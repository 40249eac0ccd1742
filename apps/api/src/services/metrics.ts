import {
  eventStore,
  MetricBatchError,
  MetricReadTooLargeError,
  metricStore,
  RunHeldError,
  type AppendedRange,
  type MetricColumns,
  type Run,
  type SeriesColumns,
  type SeriesPoints,
} from '@tuneboard/db';
import { canonicalId, isUuid, loadRun, readableRunIds, teamsWith } from './access';
import { badUserInput, conflict, notFound } from './errors';
import { runTopic, type RunEventMessage } from './events';
import { oneAtATime } from './fairness';
import { heardFrom, needsHeartbeat } from './runs';
import type { Scope } from './scope';

/**
 * Metrics: logging batches of points into a run, reading series back (downsampled) and following a run live.
 * The limits here bound what one call may cost; the store checks the points themselves (MetricBatchError).
 */

export const MAX_POINTS_PER_BATCH = 1_000_000;
const MAX_SERIES_PER_QUERY = 2_000;
const MAX_POINTS_PER_SERIES = 100_000;
/**
 * Series × maxPoints per operation, however many metricSeries fields (aliases) it has: what bounds the memory one
 * request can take (~50 bytes a point).
 */
const MAX_POINTS_PER_QUERY = 2_000_000;
/** Points (series × maxPoints) the series reads of an operation have taken so far, by its scope. */
const pointsRead = new WeakMap<object, number>();
/** Appended points sent to a live subscriber per event and key. */
const LIVE_POINTS = 2_000;

/** One point, as hand-written calls send them; wallTime in milliseconds since the epoch (default: now). */
export type PointInput = { key: string; step: number; value: number; wallTime?: number | null };
/** Many points of one metric as parallel columns (JSON arrays or decoded binary). */
export type SeriesInput = { key: string; steps: ArrayLike<number>; values: ArrayLike<number>; wallTimes?: ArrayLike<number> | null };

/**
 * Series of the runs the actor may read (others are left out, exactly like runs that do not exist), each with
 * at most maxPoints points. All reads of one operation (scope) share MAX_POINTS_PER_QUERY and run one at a time.
 */
export function readSeries(
  scope: Scope,
  request: { runIds: readonly string[]; keys?: readonly string[] | null; maxPoints?: number | null; wallTimes: boolean },
): Promise<SeriesPoints[]> {
  return readWithin(scope, request, metricStore.readMetricSeries);
}

/** readSeries with typed arrays, for a caller that computes over the points (metricGroups); same limits, same points. */
export function readSeriesColumns(
  scope: Scope,
  request: { runIds: readonly string[]; keys?: readonly string[] | null; maxPoints?: number | null; wallTimes: boolean },
): Promise<SeriesColumns[]> {
  return readWithin(scope, request, metricStore.readMetricColumns);
}

async function readWithin<T>(
  scope: Scope,
  request: { runIds: readonly string[]; keys?: readonly string[] | null; maxPoints?: number | null; wallTimes: boolean },
  reader: (handle: Scope['store'], request: Parameters<typeof metricStore.readMetricSeries>[1]) => Promise<T[]>,
): Promise<T[]> {
  const limit = request.maxPoints ?? 1000;
  if (limit < 3 || limit > MAX_POINTS_PER_SERIES)
    throw badUserInput(`maxPoints must be between 3 and ${MAX_POINTS_PER_SERIES}`, [{ path: 'maxPoints', message: `must be 3–${MAX_POINTS_PER_SERIES}` }]);
  if (request.runIds.length * Math.max(1, request.keys?.length ?? 1) > MAX_SERIES_PER_QUERY)
    throw badUserInput(`At most ${MAX_SERIES_PER_QUERY} series per query; ask for fewer runs or keys`, [{ path: 'runIds', message: 'too many series' }]);
  const readable = await readableRunIds(scope, request.runIds);
  if (readable.length === 0) return [];
  // Aliases read one after another, each within what the earlier ones left of the budget.
  const read = oneAtATime(scope, async () => {
    const budget = MAX_POINTS_PER_QUERY - (pointsRead.get(scope) ?? 0);
    const series = await reader(scope.store, {
      runIds: readable,
      keys: request.keys ?? null,
      maxPoints: limit,
      wallTimes: request.wallTimes,
      maxTotalPoints: budget,
    });
    pointsRead.set(scope, (pointsRead.get(scope) ?? 0) + series.length * limit);
    return series;
  });
  try {
    return await read;
  } catch (error) {
    if (error instanceof MetricReadTooLargeError)
      throw badUserInput(
        `${error.message} (a request reads at most ${MAX_POINTS_PER_QUERY.toLocaleString('en')} points, all its metricSeries fields together)`,
        [{ path: 'maxPoints', message: 'too many points for one query' }],
      );
    throw error;
  }
}

/**
 * Stores a batch given as single points and/or series into a run the actor may write, then tells live
 * subscribers. A run a worker holds takes points only with its lease token (checked in the batch's transaction).
 */
export async function logMetrics(scope: Scope, input: MetricBatchInput): Promise<{ accepted: number; run: Run }> {
  const { accepted, run } = await storeMetrics(scope, input);
  return { accepted, run: run ?? (await loadRun(scope, input.runId, 'write')) };
}

type MetricBatchInput = { runId: string; points?: readonly PointInput[] | null; series?: readonly SeriesInput[] | null; leaseToken?: string | null };

/**
 * logMetrics without answering the run (the MLflow API does not need it): `run` is the run as a heartbeat left
 * it, or null. The usual batch (a run the actor may write, series extended) is one statement; anything else takes
 * the ordinary path, whose checks and merges give the same outcome.
 */
export async function storeMetrics(scope: Scope, input: MetricBatchInput): Promise<{ accepted: number; run: Run | null }> {
  const series = input.series ?? [];
  const total = (input.points?.length ?? 0) + series.reduce((sum, s) => sum + s.steps.length, 0);
  const notify = (runId: string) => (range: AppendedRange) => scope.events.notification({ kind: 'METRICS_APPENDED', runId, ...range });
  if (scope.actor && isUuid(input.runId) && total <= MAX_POINTS_PER_BATCH) {
    const runId = canonicalId(input.runId);
    let appended = null;
    try {
      appended = await metricStore.appendToWritableRun(scope.store, runId, toColumns(input.points, series), {
        writer: { leaseToken: input.leaseToken ?? null },
        teamIds: teamsWith(scope, 'write'),
        notify: notify(runId),
      });
    } catch (error) {
      // A malformed batch, or another writer in between: the ordinary path says so, or stores it.
      if (!(error instanceof MetricBatchError) && !metricStore.isWriterRace(error)) throw error;
    }
    if (appended) {
      // A batch from an EXTERNAL run's script is a heartbeat too (and brings a lost run back).
      const heartbeat =
        input.leaseToken == null && needsHeartbeat(scope, { status: appended.run.status as Run['status'], lastSeenAt: appended.run.lastSeenAt });
      return { accepted: appended.points, run: heartbeat ? await heardFrom(scope, await loadRun(scope, runId, 'write')) : null };
    }
  }
  const run = await loadRun(scope, input.runId, 'write');
  if (total > MAX_POINTS_PER_BATCH)
    throw badUserInput(
      `A metric batch holds at most ${MAX_POINTS_PER_BATCH.toLocaleString('en')} points; this one has ${total.toLocaleString('en')}. Split it into several calls.`,
      [{ path: 'points', message: 'too many points' }],
    );
  const columns = toColumns(input.points, series);
  let accepted;
  try {
    // The METRICS_APPENDED event is sent by the batch's own transaction: one round trip less, and subscribers
    // hear of it exactly when it commits.
    accepted = await metricStore.appendMetrics(scope.store, run.id, columns, { leaseToken: input.leaseToken ?? null }, { notify: notify(run.id) });
  } catch (error) {
    if (error instanceof MetricBatchError) throw badUserInput(error.message, [{ path: error.path, message: error.message }]);
    if (error instanceof RunHeldError) throw conflict(error.message);
    throw error;
  }
  // A batch from an EXTERNAL run's script is a heartbeat too (and brings a lost run back).
  const now = input.leaseToken == null ? await heardFrom(scope, run) : null;
  return { accepted: accepted.points, run: now ?? run };
}

/** The three input shapes, as columns per key for the store. */
function toColumns(points: readonly PointInput[] | null | undefined, series: readonly SeriesInput[]): MetricColumns[] {
  const columns: MetricColumns[] = [];
  if (points?.length) {
    const byKey = new Map<string, { key: string; steps: number[]; values: number[]; wallTimes: number[] }>();
    const now = Date.now();
    for (const point of points) {
      let target = byKey.get(point.key);
      if (!target) byKey.set(point.key, (target = { key: point.key, steps: [], values: [], wallTimes: [] }));
      target.steps.push(point.step);
      target.values.push(point.value);
      target.wallTimes.push(point.wallTime ?? now);
    }
    columns.push(...byKey.values());
  }
  for (const s of series) columns.push({ key: s.key, steps: s.steps, values: s.values, wallTimes: s.wallTimes ?? null });
  return columns;
}

/** A run's events (status changes, appended metrics) as they happen; access is checked before the first one. */
export async function followRun(scope: Scope, runId: string): Promise<AsyncIterableIterator<RunEventMessage>> {
  // Events are published under the stored (lower-case) id, whatever case the client wrote.
  const run = await loadRun(scope, runId, 'read');
  return scope.events.subscribe<RunEventMessage>(runTopic(run.id));
}

/** The run an event is about, read fresh: a subscription lives long and per-request loader caches would go stale. */
export async function runOfEvent(scope: Pick<Scope, 'store'>, event: RunEventMessage): Promise<Run> {
  const run = await eventStore.runAsItIsNow(scope.store, event.runId);
  if (!run) throw notFound('Run', event.runId);
  return run;
}

/** The points an event announces (downsampled when the batch was large); none for a status change. */
export function metricsOfEvent(scope: Pick<Scope, 'store'>, event: RunEventMessage): Promise<SeriesPoints[]> | SeriesPoints[] {
  if (event.kind !== 'METRICS_APPENDED') return [];
  return metricStore.readMetricSeries(scope.store, {
    runIds: [event.runId],
    keys: event.keys.length > 0 ? event.keys : null,
    maxPoints: LIVE_POINTS,
    fromStep: event.fromStep,
    toStep: event.toStep,
  });
}
