import type { RawQuery, Store } from './client';
import { decodeArrays } from './pg-binary';

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

/**
 * Validates a batch and returns one step-sorted, step-unique series per key (the later duplicate wins).
 * The usual batch (one entry per key, steps already increasing) is copied straight into typed arrays; only
 * an unsorted batch, or one naming a key twice, pays for a sort.
 */
export function prepareBatch(batch: readonly MetricColumns[], now = Date.now()): SortedSeries[] {
  const byKey = new Map<string, { columns: MetricColumns; increasing: boolean }[]>();
  batch.forEach((columns, i) => {
    const increasing = validateColumns(columns, `metrics[${i}]`);
    const entries = byKey.get(columns.key);
    if (entries) entries.push({ columns, increasing });
    else byKey.set(columns.key, [{ columns, increasing }]);
  });
  const result: SortedSeries[] = [];
  for (const [key, entries] of byKey) {
    const total = entries.reduce((sum, e) => sum + e.columns.steps.length, 0);
    if (total === 0) continue;
    if (entries.length === 1 && entries[0]!.increasing) {
      const { steps, values, wallTimes } = entries[0]!.columns;
      result.push({
        key,
        steps: Int32Array.from(steps),
        values: Float64Array.from(values),
        wallTimes: wallTimes ? Float64Array.from(wallTimes) : new Float64Array(total).fill(now),
      });
    } else result.push(sortAndDeduplicate(key, entries.map((e) => e.columns), total, now));
  }
  return result;
}

/** Throws a MetricBatchError naming the first bad element; returns whether the steps strictly increase. */
function validateColumns(columns: MetricColumns, where: string): boolean {
  const key = columns.key;
  if (typeof key !== 'string' || key.trim() === '') throw new MetricBatchError(`${where}.key must be a non-empty string`, `${where}.key`);
  if (key.length > MAX_METRIC_KEY_LENGTH)
    throw new MetricBatchError(`${where}.key is ${key.length} characters; the limit is ${MAX_METRIC_KEY_LENGTH}`, `${where}.key`);
  const { steps, values, wallTimes } = columns;
  if (steps.length !== values.length) throw new MetricBatchError(`${where} (${key}) has ${steps.length} steps but ${values.length} values`, where);
  if (wallTimes && wallTimes.length !== steps.length)
    throw new MetricBatchError(`${where} (${key}) has ${steps.length} steps but ${wallTimes.length} wall times`, where);
  let increasing = true;
  let previous = -1;
  for (let j = 0; j < steps.length; j++) {
    const step = steps[j]!;
    if (!(step >= 0 && step <= MAX_STEP && Number.isInteger(step)))
      throw new MetricBatchError(`${where}.steps[${j}] (${key}) must be a whole number from 0 to ${MAX_STEP}, got ${step}`, `${where}.steps[${j}]`);
    if (step <= previous) increasing = false;
    previous = step;
    if (typeof values[j] !== 'number') throw new MetricBatchError(`${where}.values[${j}] (${key}) must be a number`, `${where}.values[${j}]`);
    if (wallTimes && !Number.isFinite(wallTimes[j]))
      throw new MetricBatchError(`${where}.wallTimes[${j}] (${key}) must be a finite number of milliseconds`, `${where}.wallTimes[${j}]`);
  }
  return increasing;
}

function sortAndDeduplicate(key: string, parts: MetricColumns[], total: number, now: number): SortedSeries {
  const steps = new Int32Array(total);
  const values = new Float64Array(total);
  const wallTimes = new Float64Array(total);
  let n = 0;
  for (const part of parts)
    for (let j = 0; j < part.steps.length; j++, n++) {
      steps[n] = part.steps[j]!;
      values[n] = part.values[j]!;
      wallTimes[n] = part.wallTimes ? part.wallTimes[j]! : now;
    }
  // Stable sort, so among equal steps the later point comes last and wins below.
  const order = Array.from({ length: total }, (_, i) => i).sort((a, b) => steps[a]! - steps[b]! || a - b);
  const unique = order.filter((index, position) => {
    const next = order[position + 1];
    return next === undefined || steps[next] !== steps[index];
  });
  return {
    key,
    steps: Int32Array.from(unique, (i) => steps[i]!),
    values: Float64Array.from(unique, (i) => values[i]!),
    wallTimes: Float64Array.from(unique, (i) => wallTimes[i]!),
  };
}

/**
 * Each chunk also stores two coarser copies of itself, so a downsampling read never opens the point
 * arrays of a long series: per block of FINE_BLOCK (and COARSE_BLOCK) points, the block's minimum and
 * maximum finite point and its first NaN/±Infinity, in step order. A 100,000-point series thus has 4,000
 * fine and 800 coarse summary points, and a read for ≤ 1,000 points returns the coarse ones as they are.
 */
export const FINE_BLOCK = 50;
export const COARSE_BLOCK = 250;

/** Flat columns of points, growing by doubling; what one array parameter of the insert carries. */
class PointColumns {
  steps = new Int32Array(1024);
  values = new Float64Array(1024);
  wallTimes = new Float64Array(1024);
  length = 0;

  push(step: number, value: number, wallTime: number): void {
    if (this.length === this.steps.length) {
      const grow = <T extends Int32Array | Float64Array>(a: T): T => {
        const b = new (a.constructor as new (n: number) => T)(a.length * 2);
        b.set(a);
        return b;
      };
      this.steps = grow(this.steps);
      this.values = grow(this.values);
      this.wallTimes = grow(this.wallTimes);
    }
    this.steps[this.length] = step;
    this.values[this.length] = value;
    this.wallTimes[this.length] = wallTime;
    this.length++;
  }

  params(store: Pick<Store, 'arrayParam'>): unknown[] {
    return [
      store.arrayParam('int4', this.steps.subarray(0, this.length)),
      store.arrayParam('float8', this.values.subarray(0, this.length)),
      store.arrayParam('float8', this.wallTimes.subarray(0, this.length)),
    ];
  }
}

/** The rows about to be inserted, in the flat-array form that one `insert … select from unnest` takes. */
class ChunkRows {
  private series: { id: number; s: Pick<SortedSeries, 'steps' | 'values' | 'wallTimes'> }[] = [];

  add(seriesId: number, series: Pick<SortedSeries, 'steps' | 'values' | 'wallTimes'>): void {
    this.series.push({ id: seriesId, s: series });
  }

  /** Inserts the chunks; returns, per series, how many fine and coarse summary points they hold. */
  async insert(store: Pick<Store, 'arrayParam'>, query: RawQuery): Promise<Map<number, { fine: number; coarse: number }>> {
    const summaryCounts = new Map<number, { fine: number; coarse: number }>();
    if (this.series.length === 0) return summaryCounts;
    const meta = {
      seriesIds: [] as number[],
      firstSteps: [] as number[],
      lastSteps: [] as number[],
      nonFinite: [] as number[],
      minValues: [] as (number | null)[],
      minIndexes: [] as (number | null)[],
      maxValues: [] as (number | null)[],
      maxIndexes: [] as (number | null)[],
      firstNonFinite: [] as (number | null)[],
      // 1-based [lo, hi] slices of each chunk in the flat point, fine and coarse columns.
      lo: [] as number[],
      hi: [] as number[],
      fineLo: [] as number[],
      fineHi: [] as number[],
      coarseLo: [] as number[],
      coarseHi: [] as number[],
    };
    const points = new PointColumns();
    const fine = new PointColumns();
    const coarse = new PointColumns();
    for (const { id, s } of this.series) {
      const fineBefore = fine.length;
      const coarseBefore = coarse.length;
      for (let start = 0; start < s.steps.length; start += CHUNK_SIZE) {
        const end = Math.min(start + CHUNK_SIZE, s.steps.length);
        const extrema = summarise(s.values, start, end);
        meta.seriesIds.push(id);
        meta.firstSteps.push(s.steps[start]!);
        meta.lastSteps.push(s.steps[end - 1]!);
        meta.nonFinite.push(extrema.nonFinite);
        meta.minValues.push(extrema.minValue);
        meta.minIndexes.push(extrema.minIndex);
        meta.maxValues.push(extrema.maxValue);
        meta.maxIndexes.push(extrema.maxIndex);
        meta.firstNonFinite.push(extrema.firstNonFiniteIndex);
        meta.lo.push(points.length + 1);
        for (let i = start; i < end; i++) points.push(s.steps[i]!, s.values[i]!, s.wallTimes[i]!);
        meta.hi.push(points.length);
        meta.fineLo.push(fine.length + 1);
        addSummaryPoints(fine, s, start, end, FINE_BLOCK);
        meta.fineHi.push(fine.length);
        meta.coarseLo.push(coarse.length + 1);
        addSummaryPoints(coarse, s, start, end, COARSE_BLOCK);
        meta.coarseHi.push(coarse.length);
      }
      summaryCounts.set(id, { fine: fine.length - fineBefore, coarse: coarse.length - coarseBefore });
    }
    // One statement for every chunk of every series in the batch: the points (and their summaries) travel
    // as flat arrays and each chunk takes its slice, so the statement has a fixed number of parameters.
    await query(
      `insert into metric_chunks (series_id, first_step, last_step, point_count, non_finite_count, steps, values,
         wall_times, min_value, min_index, max_value, max_index, first_non_finite_index,
         fine_steps, fine_values, fine_wall_times, coarse_steps, coarse_values, coarse_wall_times)
       select c.series_id, c.first_step, c.last_step, c.hi - c.lo + 1, c.non_finite,
         ($16::int4[])[c.lo:c.hi], ($17::float8[])[c.lo:c.hi], ($18::float8[])[c.lo:c.hi],
         c.min_value, c.min_index, c.max_value, c.max_index, c.first_nf,
         ($19::int4[])[c.fine_lo:c.fine_hi], ($20::float8[])[c.fine_lo:c.fine_hi], ($21::float8[])[c.fine_lo:c.fine_hi],
         ($22::int4[])[c.coarse_lo:c.coarse_hi], ($23::float8[])[c.coarse_lo:c.coarse_hi], ($24::float8[])[c.coarse_lo:c.coarse_hi]
       from unnest($1::int4[], $2::int4[], $3::int4[], $4::int4[], $5::float8[], $6::int4[], $7::float8[], $8::int4[],
         $9::int4[], $10::int4[], $11::int4[], $12::int4[], $13::int4[], $14::int4[], $15::int4[])
         as c(series_id, first_step, last_step, non_finite, min_value, min_index, max_value, max_index, first_nf,
              lo, hi, fine_lo, fine_hi, coarse_lo, coarse_hi)`,
      [
        meta.seriesIds,
        meta.firstSteps,
        meta.lastSteps,
        meta.nonFinite,
        meta.minValues,
        meta.minIndexes,
        meta.maxValues,
        meta.maxIndexes,
        meta.firstNonFinite,
        meta.lo,
        meta.hi,
        meta.fineLo,
        meta.fineHi,
        meta.coarseLo,
        meta.coarseHi,
        ...points.params(store),
        ...fine.params(store),
        ...coarse.params(store),
      ],
    );
    return summaryCounts;
  }
}

/** Appends, per block of `block` points in [start, end), its min, max and first non-finite point in step order. */
function addSummaryPoints(target: PointColumns, s: Pick<SortedSeries, 'steps' | 'values' | 'wallTimes'>, start: number, end: number, block: number): void {
  for (let from = start; from < end; from += block) {
    const e = summarise(s.values, from, Math.min(from + block, end));
    const picked = [e.minIndex, e.maxIndex, e.firstNonFiniteIndex].filter((i): i is number => i !== null);
    // min and max are the same point when a block holds one finite value.
    for (const i of [...new Set(picked)].sort((a, b) => a - b)) {
      const at = from + i - 1;
      target.push(s.steps[at]!, s.values[at]!, s.wallTimes[at]!);
    }
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
/**
 * Who may write into a run: the worker holding its lease (`leaseToken`) or, when nobody holds it (an EXTERNAL
 * run logged by a script, a finished run), anyone allowed to write the run (`leaseToken` null).
 */
export interface RunWriter {
  leaseToken: string | null;
}

/** A batch refused because of who holds the run; nothing of it was stored. */
export class RunHeldError extends Error {
  constructor(
    message: string,
    readonly reason: 'lease-lost' | 'held-by-worker',
  ) {
    super(message);
    this.name = 'RunHeldError';
  }
}

/**
 * Checks the writer against the run's lease and keeps the run row share-locked until the batch commits, so a
 * worker finishing (or losing) the run at the same moment waits: no point lands after the run changed hands.
 */
async function lockRunForWriter(query: RawQuery, runId: string, writer: RunWriter): Promise<void> {
  const [run] = await query<{ status: string; lease_token: string | null; worker_name: string | null }>(
    `select r.status, r.lease_token, w.name as worker_name from runs r left join workers w on w.id = r.worker_id
     where r.id = $1 for share of r`,
    [runId],
  );
  if (!run) throw new RunHeldError('The run no longer exists', 'lease-lost');
  const held = run.status === 'running' && run.lease_token !== null;
  if (writer.leaseToken !== null) {
    if (!held || run.lease_token !== writer.leaseToken.toLowerCase())
      throw new RunHeldError(
        run.status === 'running'
          ? 'This worker no longer holds the run: its lease expired and the run was handed to another worker; its metrics are not stored'
          : `This worker no longer holds the run: it is ${run.status}; its metrics are not stored`,
        'lease-lost',
      );
  } else if (held) {
    throw new RunHeldError(
      `The run is being trained by worker "${run.worker_name ?? 'unknown'}"; only that worker (with its lease token) may log metrics into it until it finishes`,
      'held-by-worker',
    );
  }
}

export async function appendMetrics(
  store: Store,
  runId: string,
  batch: readonly MetricColumns[],
  writer?: RunWriter,
): Promise<{ points: number; keys: string[] }> {
  const series = prepareBatch(batch);
  if (series.length === 0) {
    if (writer) await lockRunForWriter(store.query, runId, writer);
    return { points: 0, keys: [] };
  }
  await store.transaction(async (query) => {
    if (writer) await lockRunForWriter(query, runId, writer);
    // Upserting the series rows also locks them until commit, so two writers to one series take turns.
    // Always in key order: two batches locking the same keys in different orders would deadlock.
    const rows = await query<{ id: number; key: string; last_step: number | null }>(
      `insert into metric_series (run_id, key) select $1, k from unnest($2::text[]) as k order by k
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
    const summaryCounts = await chunks.insert(store, query);
    await updateAppendedSummaries(query, appended, summaryCounts);
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

async function updateAppendedSummaries(
  query: RawQuery,
  appended: { id: number; s: SortedSeries }[],
  summaryCounts: Map<number, { fine: number; coarse: number }>,
): Promise<void> {
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
       fine_count = m.fine_count + u.fine,
       coarse_count = m.coarse_count + u.coarse,
       updated_at = now()
     from unnest($1::int4[], $2::int8[], $3::int8[], $4::int4[], $5::int4[], $6::float8[], $7::float8[], $8::float8[], $9::int8[], $10::int8[])
       as u(id, n, non_finite, first_step, last_step, last_value, min_value, max_value, fine, coarse)
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
      appended.map((a) => summaryCounts.get(a.id)!.fine),
      appended.map((a) => summaryCounts.get(a.id)!.coarse),
    ],
  );
}

/** After a merge the incremental summary may be stale (an extreme value was replaced): rebuild it from chunks. */
async function recomputeSummaries(query: RawQuery, seriesIds: number[]): Promise<void> {
  if (seriesIds.length === 0) return;
  await query(
    `update metric_series m set
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

/**
 * Reads the series for the given runs and keys, each with at most `maxPoints` points. A series that fits is
 * returned whole. A longer one is answered from what was precomputed at write time, where the data is:
 *
 * - up to 4 × maxPoints points: its points are cut into equal step buckets and each bucket keeps its minimum
 *   and maximum finite value and its first NaN/±Infinity;
 * - otherwise the finest stored summary (FINE_BLOCK, then COARSE_BLOCK, see ChunkRows) that fits in
 *   maxPoints is returned as it is — every block's extremes, so peaks and the global extremes survive;
 * - and when even the coarse summary does not fit, its points are bucketed like raw points above.
 *
 * Chunks that the step range cuts through are always read point by point. The common path (a summary as
 * it is) reads no point arrays and sorts nothing but chunk rows.
 */
/** Points returned per statement of a read, at most (see readMetricSeries): about 50 ms of PGlite here. */
const READ_SLICE_POINTS = 25_000;

/** One turn of the event loop, for the I/O of other requests. */
const letOthersIn = () => new Promise<void>((resolve) => setImmediate(resolve));

function slices<T>(items: readonly T[], size: number): T[][] {
  const result: T[][] = [];
  for (let i = 0; i < items.length; i += size) result.push(items.slice(i, i + size));
  return result;
}

export async function readMetricSeries(
  store: Store,
  request: {
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
  },
): Promise<SeriesPoints[]> {
  const maxPoints = Math.max(3, Math.floor(request.maxPoints));
  const withWallTimes = request.wallTimes !== false;
  const from = request.fromStep ?? 0;
  const to = request.toStep ?? MAX_STEP;
  const series = await store.query<{
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
     from metric_series
     where run_id = any($1::uuid[]) and ($2::text[] is null or key = any($2::text[])) and point_count > 0
     order by run_id, key`,
    [request.runIds, request.keys ?? null],
  );
  if (series.length === 0) return [];
  if (request.maxTotalPoints !== undefined && series.length * maxPoints > request.maxTotalPoints)
    throw new MetricReadTooLargeError(series.length, maxPoints, request.maxTotalPoints);
  const result = new Map<number, SeriesPoints>();
  for (const s of series) {
    const pointCount = Number(s.point_count);
    result.set(s.id, { runId: s.run_id, key: s.key, pointCount, downsampled: pointCount > maxPoints, steps: [], values: [], wallTimes: [] });
  }

  // Per series, how many points each copy would return (upper bounds when a range cuts a chunk): kept in
  // metric_series for whole series, counted from the chunks for a step range (a live subscription's).
  const ranged = request.fromStep != null || request.toStep != null;
  const counts = ranged
    ? await store.query<{ series_id: number; raw: number; fine: number; coarse: number }>(
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
  const rows: { series_id: number; steps: Uint8Array; values: Uint8Array; wall_times: Uint8Array }[] = [];
  // A few series per statement: PGlite runs a statement to its end in the API's own thread, and its promise
  // settles without a turn of the event loop, so reading millions of points in one go (or in statements chained
  // through promises) would hold every other request, and /healthz, for seconds. Between slices they get a turn.
  const perSlice = Math.max(1, Math.floor(READ_SLICE_POINTS / maxPoints));
  for (const slice of slices(whole, perSlice)) {
    if (rows.length > 0) await letOthersIn();
    rows.push(
      ...(await store.query<(typeof rows)[number]>(
        // Per series a walk of the (series_id, first_step) primary key: no join, spill or sort of all chunks.
        `select p.id as series_id, a.* from unnest($1::int4[], $2::text[]) as p(id, source)
         cross join lateral (
           select string_agg(array_send(${copy('steps')}), ''::bytea order by ch.first_step) as steps,
             string_agg(array_send(${copy('values')}), ''::bytea order by ch.first_step) as values,
             string_agg(array_send(${copy('wall_times')}), ''::bytea order by ch.first_step) as wall_times
           from metric_chunks ch where ch.series_id = p.id and ch.last_step >= $3 and ch.first_step <= $4
         ) a`,
        [slice.map((w) => w.id), slice.map((w) => w.source), from, to],
      )),
    );
  }
  for (const slice of slices(bucketed, perSlice)) {
    if (rows.length > 0) await letOthersIn();
    rows.push(
      ...(await store.query<(typeof rows)[number]>(
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
