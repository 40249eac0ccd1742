import type { RawQuery, Store } from './client';

/**
 * The metric history: writing batches of points idempotently and reading them back downsampled.
 *
 * Points are stored as chunks of up to CHUNK_SIZE points per row (see schema/metrics.ts). Idempotency is
 * per point: (run, key, step) holds one value. A batch that only extends a series (the normal case while a
 * run trains) is inserted as new chunks; a batch that overlaps stored steps (a retry, a re-log) is merged
 * into the chunks it overlaps, the newer value winning, so a retried batch never duplicates or loses a step.
 */

export const CHUNK_SIZE = 1000;
export const MAX_STEP = 2_147_483_647;
export const MAX_METRIC_KEY_LENGTH = 200;

/** Points of one metric in columns; `wallTimes` are milliseconds since the epoch (default: now). */
export interface MetricColumns {
  key: string;
  steps: ArrayLike<number>;
  values: ArrayLike<number>;
  wallTimes?: ArrayLike<number> | null | undefined;
}

/** A batch the caller got wrong; `path` names the offending element, e.g. `points[3].step`. */
export class MetricBatchError extends Error {
  constructor(
    message: string,
    readonly path: string,
  ) {
    super(message);
    this.name = 'MetricBatchError';
  }
}

export function isFiniteValue(value: number): boolean {
  return Number.isFinite(value);
}

interface SortedSeries {
  key: string;
  steps: Int32Array;
  values: Float64Array;
  wallTimes: Float64Array;
}

/** Validates a batch and returns one step-sorted, step-unique series per key (the later duplicate wins). */
export function prepareBatch(batch: readonly MetricColumns[], now = Date.now()): SortedSeries[] {
  const byKey = new Map<string, { steps: number[]; values: number[]; wallTimes: number[] }>();
  batch.forEach((columns, i) => {
    const where = `metrics[${i}]`;
    const key = columns.key;
    if (typeof key !== 'string' || key.trim() === '') throw new MetricBatchError(`${where}.key must be a non-empty string`, `${where}.key`);
    if (key.length > MAX_METRIC_KEY_LENGTH)
      throw new MetricBatchError(`${where}.key is ${key.length} characters; the limit is ${MAX_METRIC_KEY_LENGTH}`, `${where}.key`);
    const { steps, values, wallTimes } = columns;
    if (steps.length !== values.length)
      throw new MetricBatchError(`${where} (${key}) has ${steps.length} steps but ${values.length} values`, where);
    if (wallTimes && wallTimes.length !== steps.length)
      throw new MetricBatchError(`${where} (${key}) has ${steps.length} steps but ${wallTimes.length} wall times`, where);
    let target = byKey.get(key);
    if (!target) byKey.set(key, (target = { steps: [], values: [], wallTimes: [] }));
    for (let j = 0; j < steps.length; j++) {
      const step = steps[j]!;
      if (!Number.isInteger(step) || step < 0 || step > MAX_STEP)
        throw new MetricBatchError(`${where}.steps[${j}] (${key}) must be a whole number from 0 to ${MAX_STEP}, got ${step}`, `${where}.steps[${j}]`);
      const value = values[j]!;
      if (typeof value !== 'number') throw new MetricBatchError(`${where}.values[${j}] (${key}) must be a number`, `${where}.values[${j}]`);
      const wallTime = wallTimes ? wallTimes[j]! : now;
      if (!Number.isFinite(wallTime))
        throw new MetricBatchError(`${where}.wallTimes[${j}] (${key}) must be a finite number of milliseconds`, `${where}.wallTimes[${j}]`);
      target.steps.push(step);
      target.values.push(value);
      target.wallTimes.push(wallTime);
    }
  });
  const result: SortedSeries[] = [];
  for (const [key, columns] of byKey) {
    if (columns.steps.length === 0) continue;
    const order = columns.steps.map((_, i) => i);
    // Stable sort, so among equal steps the later point comes last and wins below.
    order.sort((a, b) => columns.steps[a]! - columns.steps[b]! || a - b);
    const unique = order.filter((index, position) => {
      const next = order[position + 1];
      return next === undefined || columns.steps[next] !== columns.steps[index];
    });
    result.push({
      key,
      steps: Int32Array.from(unique, (i) => columns.steps[i]!),
      values: Float64Array.from(unique, (i) => columns.values[i]!),
      wallTimes: Float64Array.from(unique, (i) => columns.wallTimes[i]!),
    });
  }
  return result;
}

/** The rows about to be inserted, in the flat-array form that one `insert … select from unnest` takes. */
class ChunkRows {
  seriesIds: number[] = [];
  firstSteps: number[] = [];
  lastSteps: number[] = [];
  lo: number[] = [];
  hi: number[] = [];
  nonFinite: number[] = [];
  minValues: (number | null)[] = [];
  minIndexes: (number | null)[] = [];
  maxValues: (number | null)[] = [];
  maxIndexes: (number | null)[] = [];
  firstNonFinite: (number | null)[] = [];
  steps: number[] = [];
  values: number[] = [];
  wallTimes: number[] = [];

  add(seriesId: number, series: Pick<SortedSeries, 'steps' | 'values' | 'wallTimes'>): void {
    for (let start = 0; start < series.steps.length; start += CHUNK_SIZE) {
      const end = Math.min(start + CHUNK_SIZE, series.steps.length);
      const extrema = summarise(series.values, start, end);
      const base = this.steps.length; // 0-based offset of this chunk in the flat arrays
      for (let i = start; i < end; i++) {
        this.steps.push(series.steps[i]!);
        this.values.push(series.values[i]!);
        this.wallTimes.push(series.wallTimes[i]!);
      }
      this.seriesIds.push(seriesId);
      this.firstSteps.push(series.steps[start]!);
      this.lastSteps.push(series.steps[end - 1]!);
      this.lo.push(base + 1);
      this.hi.push(base + end - start);
      this.nonFinite.push(extrema.nonFinite);
      this.minValues.push(extrema.minValue);
      this.minIndexes.push(extrema.minIndex);
      this.maxValues.push(extrema.maxValue);
      this.maxIndexes.push(extrema.maxIndex);
      this.firstNonFinite.push(extrema.firstNonFiniteIndex);
    }
  }

  async insert(query: RawQuery): Promise<void> {
    if (this.seriesIds.length === 0) return;
    // One statement for every chunk of every series in the batch: the points travel as three flat arrays
    // and each chunk takes its slice, so the statement has a fixed number of parameters.
    await query(
      `insert into metric_chunks (series_id, first_step, last_step, point_count, non_finite_count, steps, values,
         wall_times, min_value, min_index, max_value, max_index, first_non_finite_index)
       select c.series_id, c.first_step, c.last_step, c.hi - c.lo + 1, c.non_finite, ($12::int4[])[c.lo:c.hi],
         ($13::float8[])[c.lo:c.hi], ($14::float8[])[c.lo:c.hi], c.min_value, c.min_index, c.max_value, c.max_index, c.first_nf
       from unnest($1::int4[], $2::int4[], $3::int4[], $4::int4[], $5::int4[], $6::int4[], $7::float8[], $8::int4[],
         $9::float8[], $10::int4[], $11::int4[])
         as c(series_id, first_step, last_step, lo, hi, non_finite, min_value, min_index, max_value, max_index, first_nf)`,
      [
        this.seriesIds,
        this.firstSteps,
        this.lastSteps,
        this.lo,
        this.hi,
        this.nonFinite,
        this.minValues,
        this.minIndexes,
        this.maxValues,
        this.maxIndexes,
        this.firstNonFinite,
        this.steps,
        this.values,
        this.wallTimes,
      ],
    );
  }
}

interface Extrema {
  nonFinite: number;
  minValue: number | null;
  minIndex: number | null; // 1-based within the range, as PostgreSQL arrays count
  maxValue: number | null;
  maxIndex: number | null;
  firstNonFiniteIndex: number | null;
}

function summarise(values: ArrayLike<number>, start: number, end: number): Extrema {
  const e: Extrema = { nonFinite: 0, minValue: null, minIndex: null, maxValue: null, maxIndex: null, firstNonFiniteIndex: null };
  for (let i = start; i < end; i++) {
    const v = values[i]!;
    if (!Number.isFinite(v)) {
      e.nonFinite++;
      e.firstNonFiniteIndex ??= i - start + 1;
      continue;
    }
    if (e.minValue === null || v < e.minValue) (e.minValue = v), (e.minIndex = i - start + 1);
    if (e.maxValue === null || v > e.maxValue) (e.maxValue = v), (e.maxIndex = i - start + 1);
  }
  return e;
}

/**
 * Stores a batch of metric points for one run. Idempotent per (run, key, step): re-sending points replaces
 * them. Returns how many distinct points the batch held.
 */
export async function appendMetrics(store: Store, runId: string, batch: readonly MetricColumns[]): Promise<{ points: number; keys: string[] }> {
  const series = prepareBatch(batch);
  if (series.length === 0) return { points: 0, keys: [] };
  await store.transaction(async (query) => {
    // Upserting the series rows also locks them until commit, so two writers to one series take turns.
    const rows = await query<{ id: number; key: string; last_step: number | null }>(
      `insert into metric_series (run_id, key) select $1, k from unnest($2::text[]) as k
       on conflict (run_id, key) do update set updated_at = now()
       returning id, key, last_step`,
      [runId, series.map((s) => s.key)],
    );
    const byKey = new Map(rows.map((row) => [row.key, row]));
    const chunks = new ChunkRows();
    const appended: { id: number; s: SortedSeries }[] = [];
    const merged: number[] = [];
    for (const s of series) {
      const row = byKey.get(s.key)!;
      if (row.last_step === null || s.steps[0]! > row.last_step) {
        chunks.add(row.id, s);
        appended.push({ id: row.id, s });
      } else {
        chunks.add(row.id, await mergeWithStored(query, row.id, s));
        merged.push(row.id);
      }
    }
    await chunks.insert(query);
    await updateAppendedSummaries(query, appended);
    await recomputeSummaries(query, merged);
  });
  return { points: series.reduce((sum, s) => sum + s.steps.length, 0), keys: series.map((s) => s.key) };
}

/** Removes the stored chunks that overlap the batch's step range and returns their points merged with it. */
async function mergeWithStored(query: RawQuery, seriesId: number, batch: SortedSeries): Promise<SortedSeries> {
  const first = batch.steps[0]!;
  const last = batch.steps[batch.steps.length - 1]!;
  const stored = await query<{ steps: number[]; values: number[]; wall_times: number[] }>(
    `delete from metric_chunks where series_id = $1 and last_step >= $2 and first_step <= $3
     returning steps, values, wall_times`,
    [seriesId, first, last],
  );
  const old = { steps: [] as number[], values: [] as number[], wallTimes: [] as number[] };
  for (const chunk of stored) {
    old.steps.push(...chunk.steps);
    old.values.push(...chunk.values.map(Number));
    old.wallTimes.push(...chunk.wall_times.map(Number));
  }
  // Stored points first, batch second: prepareBatch keeps the later of equal steps, so the batch wins.
  const [result] = prepareBatch([
    { key: batch.key, ...old },
    { key: batch.key, steps: batch.steps, values: batch.values, wallTimes: batch.wallTimes },
  ]);
  return result!;
}

async function updateAppendedSummaries(query: RawQuery, appended: { id: number; s: SortedSeries }[]): Promise<void> {
  if (appended.length === 0) return;
  const extrema = appended.map(({ s }) => summarise(s.values, 0, s.values.length));
  await query(
    `update metric_series m set
       point_count = m.point_count + u.n,
       non_finite_count = m.non_finite_count + u.non_finite,
       first_step = coalesce(m.first_step, u.first_step),
       last_step = u.last_step,
       last_value = u.last_value,
       min_value = least(m.min_value, u.min_value),
       max_value = greatest(m.max_value, u.max_value),
       updated_at = now()
     from unnest($1::int4[], $2::int8[], $3::int8[], $4::int4[], $5::int4[], $6::float8[], $7::float8[], $8::float8[])
       as u(id, n, non_finite, first_step, last_step, last_value, min_value, max_value)
     where m.id = u.id`,
    [
      appended.map((a) => a.id),
      appended.map((a) => a.s.steps.length),
      extrema.map((e) => e.nonFinite),
      appended.map((a) => a.s.steps[0]!),
      appended.map((a) => a.s.steps[a.s.steps.length - 1]!),
      appended.map((a) => a.s.values[a.s.values.length - 1]!),
      extrema.map((e) => e.minValue),
      extrema.map((e) => e.maxValue),
    ],
  );
}

/** After a merge the incremental summary may be stale (an extreme value was replaced): rebuild it from chunks. */
async function recomputeSummaries(query: RawQuery, seriesIds: number[]): Promise<void> {
  if (seriesIds.length === 0) return;
  await query(
    `update metric_series m set
       point_count = a.n, non_finite_count = a.non_finite, first_step = a.first_step, last_step = a.last_step,
       min_value = a.min_value, max_value = a.max_value, updated_at = now(),
       last_value = (select c.values[c.point_count] from metric_chunks c where c.series_id = m.id order by c.first_step desc limit 1)
     from (select series_id, sum(point_count) n, sum(non_finite_count) non_finite, min(first_step) first_step,
             max(last_step) last_step, min(min_value) min_value, max(max_value) max_value
           from metric_chunks where series_id = any($1::int4[]) group by series_id) a
     where m.id = a.series_id`,
    [seriesIds],
  );
}

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
 * Reads the series for the given runs and keys, each with at most `maxPoints` points. A longer series is cut
 * into equal step buckets and each bucket keeps its minimum and maximum finite value (and its first NaN or
 * ±Infinity), so peaks and the global extremes always survive. A chunk that lies inside one bucket
 * contributes only its precomputed extrema, so long series are not unnested point by point.
 */
export async function readMetricSeries(
  store: Store,
  request: {
    runIds: readonly string[];
    keys?: readonly string[] | null;
    maxPoints: number;
    /** Only points with fromStep <= step <= toStep (both optional). */
    fromStep?: number | null;
    toStep?: number | null;
  },
): Promise<SeriesPoints[]> {
  const maxPoints = Math.max(3, Math.floor(request.maxPoints));
  const series = await store.query<{ id: number; run_id: string; key: string; point_count: number }>(
    `select id, run_id, key, point_count::float8 as point_count from metric_series
     where run_id = any($1::uuid[]) and ($2::text[] is null or key = any($2::text[])) and point_count > 0
     order by run_id, key`,
    [request.runIds, request.keys ?? null],
  );
  if (series.length === 0) return [];
  const points = await store.query<{ series_id: number; step: number; value: number; wall_time: number }>(
    `with s as (
       select m.id, r.lo, r.hi,
         case when m.point_count <= $2 or r.hi - r.lo + 1 <= $2 then 1
              else greatest(1, ceil((r.hi - r.lo + 1)::float8
                     / (case when m.non_finite_count > 0 then $2 / 3 else $2 / 2 end)))::int
         end as w
       from metric_series m
       cross join lateral (select greatest(m.first_step, coalesce($3, 0)) as lo,
                                  least(m.last_step, coalesce($4, m.last_step)) as hi) r
       where m.id = any($1::int4[]) and r.lo <= r.hi
     ),
     c as (
       select ch.series_id, ch.steps, ch.values, ch.wall_times, ch.min_index, ch.max_index, ch.first_non_finite_index,
         s.lo, s.w, (ch.first_step - s.lo) / s.w as b0, (ch.last_step - s.lo) / s.w as b1,
         ch.first_step >= s.lo and ch.last_step <= s.hi as inside, s.hi
       from metric_chunks ch join s on s.id = ch.series_id
       where ch.last_step >= s.lo and ch.first_step <= s.hi
     ),
     candidates as (
       -- A chunk inside one bucket contributes only its precomputed extrema (and first non-finite point).
       select c.series_id, c.b0 as bucket, c.steps[i] as step, c.values[i] as value, c.wall_times[i] as wall_time
       from c cross join lateral unnest(array[c.min_index, c.max_index, c.first_non_finite_index]) as i
       where c.inside and c.b0 = c.b1 and i is not null
       union all
       -- Any other chunk is unnested point by point.
       select c.series_id, (u.step - c.lo) / c.w, u.step, u.value, u.wall_time
       from c cross join lateral unnest(c.steps, c.values, c.wall_times) as u(step, value, wall_time)
       where not (c.inside and c.b0 = c.b1) and u.step between c.lo and c.hi
     ),
     classified as (
       select *, (value > '-Infinity'::float8 and value < 'Infinity'::float8) as finite from candidates
     ),
     ranked as (
       select *,
         row_number() over (partition by series_id, bucket, finite order by value, step) as low,
         row_number() over (partition by series_id, bucket, finite order by value desc, step) as high,
         row_number() over (partition by series_id, bucket, finite order by step) as earliest
       from classified
     )
     select distinct series_id, step, value, wall_time from ranked
     where (finite and (low = 1 or high = 1)) or (not finite and earliest = 1)
     order by series_id, step`,
    [series.map((s) => s.id), maxPoints, request.fromStep ?? null, request.toStep ?? null],
  );
  const bySeries = new Map<number, SeriesPoints>();
  for (const s of series) {
    const pointCount = Number(s.point_count);
    bySeries.set(s.id, { runId: s.run_id, key: s.key, pointCount, downsampled: pointCount > maxPoints, steps: [], values: [], wallTimes: [] });
  }
  for (const p of points) {
    const target = bySeries.get(p.series_id)!;
    target.steps.push(p.step);
    target.values.push(Number(p.value));
    target.wallTimes.push(Number(p.wall_time));
  }
  return [...bySeries.values()];
}
