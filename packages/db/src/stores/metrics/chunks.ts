import type { Store } from '../../client';
import type { SortedSeries } from './batch';

/**
 * How the point history is laid out: chunks of up to CHUNK_SIZE step-sorted points per row of metric_chunks
 * (see schema/metrics.ts), each with its extrema and two coarser copies computed here, at write time.
 */

export const CHUNK_SIZE = 1000;

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
export class ChunkRows {
  private series: { id: number; s: Pick<SortedSeries, 'steps' | 'values' | 'wallTimes'> }[] = [];

  add(seriesId: number, series: Pick<SortedSeries, 'steps' | 'values' | 'wallTimes'>): void {
    this.series.push({ id: seriesId, s: series });
  }

  /**
   * The insert of every chunk, as one statement (CHUNK_INSERT, parameters $1–$24) for the caller to run alone or
   * inside a larger one; and, per series, how many fine and coarse summary points the chunks hold.
   */
  statement(store: Pick<Store, 'arrayParam'>): { params: unknown[]; summaryCounts: Map<number, { fine: number; coarse: number }> } | null {
    if (this.series.length === 0) return null;
    const summaryCounts = new Map<number, { fine: number; coarse: number }>();
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
    return {
      params: [
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
      summaryCounts,
    };
  }
}

/** Inserts the chunks ChunkRows.statement lays out (its parameters are $1–$24). */
export const CHUNK_INSERT = chunkInsert();

/**
 * CHUNK_INSERT with the series id of a chunk taken from `seriesId` (an expression over `c.series_id`, the number
 * ChunkRows.add was given) and the tables `join` names: for a statement that creates the series rows itself.
 */
export function chunkInsert(seriesId = 'c.series_id', join = ''): string {
  return `insert into metric_chunks (series_id, first_step, last_step, point_count, non_finite_count, steps, values,
    wall_times, min_value, min_index, max_value, max_index, first_non_finite_index,
    fine_steps, fine_values, fine_wall_times, coarse_steps, coarse_values, coarse_wall_times)
  select ${seriesId}, c.first_step, c.last_step, c.hi - c.lo + 1, c.non_finite,
    ($16::int4[])[c.lo:c.hi], ($17::float8[])[c.lo:c.hi], ($18::float8[])[c.lo:c.hi],
    c.min_value, c.min_index, c.max_value, c.max_index, c.first_nf,
    ($19::int4[])[c.fine_lo:c.fine_hi], ($20::float8[])[c.fine_lo:c.fine_hi], ($21::float8[])[c.fine_lo:c.fine_hi],
    ($22::int4[])[c.coarse_lo:c.coarse_hi], ($23::float8[])[c.coarse_lo:c.coarse_hi], ($24::float8[])[c.coarse_lo:c.coarse_hi]
  from unnest($1::int4[], $2::int4[], $3::int4[], $4::int4[], $5::float8[], $6::int4[], $7::float8[], $8::int4[],
    $9::int4[], $10::int4[], $11::int4[], $12::int4[], $13::int4[], $14::int4[], $15::int4[])
    as c(series_id, first_step, last_step, non_finite, min_value, min_index, max_value, max_index, first_nf,
         lo, hi, fine_lo, fine_hi, coarse_lo, coarse_hi) ${join}`;
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

export interface Extrema {
  nonFinite: number;
  minValue: number | null;
  minIndex: number | null; // 1-based within the range, as PostgreSQL arrays count
  maxValue: number | null;
  maxIndex: number | null;
  firstNonFiniteIndex: number | null;
}

export function summarise(values: ArrayLike<number>, start: number, end: number): Extrema {
  const e: Extrema = { nonFinite: 0, minValue: null, minIndex: null, maxValue: null, maxIndex: null, firstNonFiniteIndex: null };
  for (let i = start; i < end; i++) {
    const v = values[i]!;
    if (!Number.isFinite(v)) {
      e.nonFinite++;
      e.firstNonFiniteIndex ??= i - start + 1;
      continue;
    }
    if (e.minValue === null || v < e.minValue) ((e.minValue = v), (e.minIndex = i - start + 1));
    if (e.maxValue === null || v > e.maxValue) ((e.maxValue = v), (e.maxIndex = i - start + 1));
  }
  return e;
}
