import { MAX_METRIC_STEP } from '@tuneboard/hparams';
import { decodeArrays, decodeArraysTyped } from '../../pg-binary';
import type { Handle } from '../handle';

/** Reading series back, whole or downsampled from what the writer precomputed (see chunks.ts). */

export interface SeriesPoints {
  runId: string;
  key: string;
  /** Points stored in the full series. */
  pointCount: number;
  /** True when the returned points are a peak-preserving sample of the series. */
  downsampled: boolean;
  steps: number[];
  values: number[];
  wallTimes: number[];
}

/**
 * SeriesPoints as typed arrays (readMetricColumns): for callers that compute over the points rather than send
 * them on. wallTimes is null when not asked for.
 */
export interface SeriesColumns {
  runId: string;
  key: string;
  pointCount: number;
  downsampled: boolean;
  steps: Int32Array;
  values: Float64Array;
  wallTimes: Float64Array | null;
}

/** A read that could hold more points than the caller allows in memory at once. */
export class MetricReadTooLargeError extends Error {
  constructor(
    readonly series: number,
    readonly maxPoints: number,
    readonly limit: number,
  ) {
    super(
      `${series.toLocaleString('en')} series × maxPoints ${maxPoints.toLocaleString('en')} may return more than ${limit.toLocaleString('en')} points; ask for fewer runs or keys, or a smaller maxPoints`,
    );
    this.name = 'MetricReadTooLargeError';
  }
}

/** Which copy of a series answers a read; see readMetricSeries. */
type Source = 'raw' | 'raw-bucketed' | 'fine' | 'coarse' | 'coarse-bucketed';

/** Points returned per statement of a read, at most (see readMetricSeries): about 50 ms of PGlite here. */
const READ_SLICE_POINTS = 25_000;

/**
 * Statements of one read in flight at once on PostgreSQL, where a statement runs in a server process of its own
 * and the pool has connections to spare: the server works on the next slices while this thread decodes one.
 */
const POSTGRES_SLICES_IN_FLIGHT = 4;

/** One turn of the event loop, for the I/O of other requests. */
const letOthersIn = () => new Promise<void>((resolve) => setImmediate(resolve));

function slices<T>(items: readonly T[], size: number): T[][] {
  const result: T[][] = [];
  for (let i = 0; i < items.length; i += size) result.push(items.slice(i, i + size));
  return result;
}

/**
 * Reads the series for the given runs and keys, each with at most `maxPoints` points. A series that fits is
 * returned whole. A longer one is answered from what was precomputed at write time, where the data is:
 *
 * - up to 4 × maxPoints points: its points are cut into equal step buckets and each bucket keeps its minimum
 *   and maximum finite value and its first NaN/±Infinity;
 * - otherwise the finest stored summary (FINE_BLOCK, then COARSE_BLOCK, see chunks.ts) that fits in
 *   maxPoints is returned as it is — every block's extremes, so peaks and the global extremes survive;
 * - and when even the coarse summary does not fit, its points are bucketed like raw points above.
 *
 * Chunks that the step range cuts through are always read point by point. The common path (a summary as
 * it is) reads no point arrays and sorts nothing but chunk rows.
 */
export async function readMetricSeries(handle: Handle, request: SeriesRequest): Promise<SeriesPoints[]> {
  const { series, rows, from, to, withWallTimes } = await readRows(handle, request);
  const result = new Map<number, SeriesPoints>();
  for (const s of series)
    result.set(s.id, { runId: s.runId, key: s.key, pointCount: s.pointCount, downsampled: s.downsampled, steps: [], values: [], wallTimes: [] });
  for (const row of rows) {
    if (!row.steps) continue; // no chunk in the range
    const target = result.get(row.series_id)!;
    const steps = decodeArrays(row.steps);
    const values = decodeArrays(row.values);
    const wallTimes = withWallTimes ? decodeArrays(row.wall_times) : [];
    for (let i = 0; i < steps.length; i++) {
      const step = steps[i]!;
      // Whole chunks came back; drop the points of a cut chunk that lie outside the range.
      if (step < from || step > to) continue;
      target.steps.push(step);
      target.values.push(values[i]!);
      if (withWallTimes) target.wallTimes.push(wallTimes[i]!);
    }
  }
  return [...result.values()];
}

/** readMetricSeries with each series' points as typed arrays (the same points, read the same way). */
export async function readMetricColumns(handle: Handle, request: SeriesRequest): Promise<SeriesColumns[]> {
  const { series, rows, from, to, withWallTimes } = await readRows(handle, request);
  const result = new Map<number, SeriesColumns>();
  for (const s of series)
    result.set(s.id, {
      runId: s.runId,
      key: s.key,
      pointCount: s.pointCount,
      downsampled: s.downsampled,
      steps: new Int32Array(0),
      values: new Float64Array(0),
      wallTimes: withWallTimes ? new Float64Array(0) : null,
    });
  for (const row of rows) {
    if (!row.steps) continue;
    const target = result.get(row.series_id)!;
    let steps = decodeArraysTyped(row.steps, 'int4');
    let values = decodeArraysTyped(row.values, 'float8');
    let wallTimes = withWallTimes ? decodeArraysTyped(row.wall_times, 'float8') : null;
    // Whole chunks came back; drop the points of a cut chunk that lie outside the range (steps ascend).
    let lo = 0;
    let hi = steps.length;
    while (lo < hi && steps[lo]! < from) lo++;
    while (hi > lo && steps[hi - 1]! > to) hi--;
    if (lo > 0 || hi < steps.length) {
      steps = steps.slice(lo, hi);
      values = values.slice(lo, hi);
      wallTimes = wallTimes?.slice(lo, hi) ?? null;
    }
    target.steps = steps;
    target.values = values;
    target.wallTimes = wallTimes;
  }
  return [...result.values()];
}

interface SeriesRequest {
  runIds: readonly string[];
  keys?: readonly string[] | null;
  maxPoints: number;
  /** Only points with fromStep <= step <= toStep (both optional). */
  fromStep?: number | null;
  toStep?: number | null;
  /** False leaves wallTimes empty, a third less to read and send when a chart plots steps only. */
  wallTimes?: boolean;
  /** Refuse (MetricReadTooLargeError) when the matching series × maxPoints exceed this: a memory bound. */
  maxTotalPoints?: number;
}

type Row = { series_id: number; steps: Uint8Array; values: Uint8Array; wall_times: Uint8Array };

/** The read both shapes share: per series its identity, and rows of its points in PostgreSQL's binary array format. */
async function readRows(
  handle: Handle,
  request: SeriesRequest,
): Promise<{
  series: { id: number; runId: string; key: string; pointCount: number; downsampled: boolean }[];
  rows: Row[];
  from: number;
  to: number;
  withWallTimes: boolean;
}> {
  const maxPoints = Math.max(3, Math.floor(request.maxPoints));
  const withWallTimes = request.wallTimes !== false;
  const from = request.fromStep ?? 0;
  const to = request.toStep ?? MAX_METRIC_STEP;
  const series = await handle.query<{
    id: number;
    run_id: string;
    key: string;
    point_count: number;
    non_finite_count: number;
    fine_count: number;
    coarse_count: number;
    first_step: number;
    last_step: number;
  }>(
    `select id, run_id, key, point_count::float8 as point_count, non_finite_count::float8 as non_finite_count,
       fine_count::float8 as fine_count, coarse_count::float8 as coarse_count, first_step, last_step
     from metric_summaries
     where run_id = any($1::uuid[]) and ($2::text[] is null or key = any($2::text[])) and point_count > 0
     order by run_id, key`,
    [request.runIds, request.keys ?? null],
  );
  if (series.length === 0) return { series: [], rows: [], from, to, withWallTimes };
  if (request.maxTotalPoints !== undefined && series.length * maxPoints > request.maxTotalPoints)
    throw new MetricReadTooLargeError(series.length, maxPoints, request.maxTotalPoints);
  const identities = series.map((s) => ({
    id: s.id,
    runId: s.run_id,
    key: s.key,
    pointCount: Number(s.point_count),
    downsampled: Number(s.point_count) > maxPoints,
  }));

  // Per series, how many points each copy would return (upper bounds when a range cuts a chunk): kept in
  // metric_summaries for whole series, counted from the chunks for a step range (a live subscription's).
  const ranged = request.fromStep != null || request.toStep != null;
  const counts = ranged
    ? await handle.query<{ series_id: number; raw: number; fine: number; coarse: number }>(
        `select series_id, sum(point_count)::float8 as raw,
           sum(case when first_step >= $2 and last_step <= $3 then cardinality(fine_steps) else point_count end)::float8 as fine,
           sum(case when first_step >= $2 and last_step <= $3 then cardinality(coarse_steps) else point_count end)::float8 as coarse
         from metric_chunks where series_id = any($1::int4[]) and last_step >= $2 and first_step <= $3
         group by series_id`,
        [series.map((s) => s.id), from, to],
      )
    : series.map((s) => ({ series_id: s.id, raw: Number(s.point_count), fine: Number(s.fine_count), coarse: Number(s.coarse_count) }));
  const byId = new Map(series.map((s) => [s.id, s]));
  const whole: { id: number; source: Source }[] = [];
  const bucketed: { id: number; source: Source; lo: number; w: number }[] = [];
  for (const c of counts) {
    const s = byId.get(c.series_id)!;
    const lo = Math.max(s.first_step, from);
    const hi = Math.min(s.last_step, to);
    const source: Source =
      c.raw <= maxPoints || hi - lo + 1 <= maxPoints
        ? 'raw'
        : c.raw <= 4 * maxPoints
          ? 'raw-bucketed'
          : c.fine <= maxPoints
            ? 'fine'
            : c.coarse <= maxPoints
              ? 'coarse'
              : 'coarse-bucketed';
    if (!source.endsWith('-bucketed')) whole.push({ id: c.series_id, source });
    else {
      // Buckets × points kept per bucket (min, max, and the first non-finite when there are any) ≤ maxPoints.
      const perBucket = Number(s.non_finite_count) > 0 ? 3 : 2;
      const w = Math.max(1, Math.ceil((hi - lo + 1) / Math.floor(maxPoints / perBucket)));
      bucketed.push({ id: c.series_id, source, lo, w });
    }
  }

  // Arrays travel in PostgreSQL's binary format (array_send → bytea), each series' chunks concatenated in
  // step order: parsing 100,000s of numbers out of array text would cost the API more than the query.
  const copy = (column: 'steps' | 'values' | 'wall_times') =>
    column === 'wall_times' && !withWallTimes
      ? `null::float8[]`
      : `case when not (ch.first_step >= $3 and ch.last_step <= $4) or p.source like 'raw%' then ch.${column}
          when p.source = 'fine' then ch.fine_${column} else ch.coarse_${column} end`;
  const rows: Row[] = [];
  // A few series per statement: PGlite runs a statement to its end in the API's own thread, and its promise
  // settles without a turn of the event loop, so reading millions of points in one go (or in statements chained
  // through promises) would hold every other request, and /healthz, for seconds. Between slices they get a turn.
  // PostgreSQL runs them in its own processes, so there a few slices are read at once.
  const perSlice = Math.max(1, Math.floor(READ_SLICE_POINTS / maxPoints));
  const inFlight = (handle as { kind?: string }).kind === 'postgres' ? POSTGRES_SLICES_IN_FLIGHT : 1;
  const wholeSlices = slices(whole, perSlice);
  for (let i = 0; i < wholeSlices.length; i += inFlight) {
    if (rows.length > 0) await letOthersIn();
    const read = wholeSlices.slice(i, i + inFlight).map((slice) =>
      handle.query<Row>(
        // Per series a walk of the (series_id, first_step) primary key: no join, spill or sort of all chunks.
        `select p.id as series_id, a.* from unnest($1::int4[], $2::text[]) as p(id, source)
         cross join lateral (
           select string_agg(array_send(${copy('steps')}), ''::bytea order by ch.first_step) as steps,
             string_agg(array_send(${copy('values')}), ''::bytea order by ch.first_step) as values,
             string_agg(array_send(${copy('wall_times')}), ''::bytea order by ch.first_step) as wall_times
           from metric_chunks ch where ch.series_id = p.id and ch.last_step >= $3 and ch.first_step <= $4
         ) a`,
        [slice.map((w) => w.id), slice.map((w) => w.source), from, to],
      ),
    );
    for (const part of await Promise.all(read)) rows.push(...part);
  }
  for (const slice of slices(bucketed, perSlice)) {
    if (rows.length > 0) await letOthersIn();
    rows.push(
      ...(await handle.query<(typeof rows)[number]>(
        `with points as (
           select ch.series_id, u.step, u.value, u.wall_time, (u.step - p.lo) / p.w as bucket,
             (u.value > '-Infinity'::float8 and u.value < 'Infinity'::float8) as finite
           from metric_chunks ch join unnest($1::int4[], $2::text[], $5::int4[], $6::int4[]) as p(id, source, lo, w) on p.id = ch.series_id
           cross join lateral unnest(${copy('steps')}, ${copy('values')}, ${copy('wall_times')}) as u(step, value, wall_time)
           where ch.last_step >= $3 and ch.first_step <= $4 and u.step between $3 and $4
         ),
         ranked as (
           select *,
             row_number() over (partition by series_id, bucket, finite order by value, step) as low,
             row_number() over (partition by series_id, bucket, finite order by value desc, step) as high,
             row_number() over (partition by series_id, bucket, finite order by step) as earliest
           from points
         )
         select series_id, array_send(array_agg(step order by step)) as steps, array_send(array_agg(value order by step)) as values,
           array_send(array_agg(wall_time order by step)) as wall_times
         from ranked where (finite and (low = 1 or high = 1)) or (not finite and earliest = 1)
         group by series_id`,
        [slice.map((b) => b.id), slice.map((b) => b.source), from, to, slice.map((b) => b.lo), slice.map((b) => b.w)],
      )),
    );
  }

  return { series: identities, rows, from, to, withWallTimes };
}
