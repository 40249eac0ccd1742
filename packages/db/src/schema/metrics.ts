import { sql } from 'drizzle-orm';
import { bigint, check, doublePrecision, integer, pgTable, primaryKey, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { timestampColumn } from './columns';
import { runs } from './runs';

// One row per (run, metric key): the run's latest/min/max, so run tables never touch the point history.
// min/max are over finite values only; a NaN or ±Infinity point (a diverging run produces them) is kept in
// the history and counted in `nonFiniteCount`, so it cannot hide the real minimum.
export const metricSeries = pgTable(
  'metric_series',
  {
    id: integer('id').primaryKey().generatedAlwaysAsIdentity(),
    runId: uuid('run_id')
      .notNull()
      .references(() => runs.id, { onDelete: 'cascade' }),
    key: text('key').notNull(),
    pointCount: bigint('point_count', { mode: 'number' }).notNull().default(0),
    nonFiniteCount: bigint('non_finite_count', { mode: 'number' }).notNull().default(0),
    firstStep: integer('first_step'),
    lastStep: integer('last_step'),
    lastValue: doublePrecision('last_value'),
    minValue: doublePrecision('min_value'),
    maxValue: doublePrecision('max_value'),
    updatedAt: timestampColumn('updated_at').notNull().defaultNow(),
  },
  (t) => [uniqueIndex('metric_series_run_key_idx').on(t.runId, t.key)],
);

// The point history, stored as chunks of up to CHUNK_SIZE points sorted by step, one row per chunk.
// One row per point caps ingestion near 150–200k points/s on PostgreSQL; chunks of arrays written with
// `unnest` go an order of magnitude faster, and their precomputed extrema let reads downsample without
// scanning points. Steps are unique within a series (enforced by the writer, see metric-store.ts).
export const metricChunks = pgTable(
  'metric_chunks',
  {
    seriesId: integer('series_id')
      .notNull()
      .references(() => metricSeries.id, { onDelete: 'cascade' }),
    firstStep: integer('first_step').notNull(),
    lastStep: integer('last_step').notNull(),
    pointCount: integer('point_count').notNull(),
    steps: integer('steps').array().notNull(),
    values: doublePrecision('values').array().notNull(),
    // Milliseconds since the epoch at which each point was measured (client clock when given).
    wallTimes: doublePrecision('wall_times').array().notNull(),
    nonFiniteCount: integer('non_finite_count').notNull(),
    // Extrema over the chunk's finite values (null when it has none) and their 1-based positions in the
    // arrays, so a downsampling read takes a chunk's peaks in O(1) without unnesting it.
    minValue: doublePrecision('min_value'),
    minIndex: integer('min_index'),
    maxValue: doublePrecision('max_value'),
    maxIndex: integer('max_index'),
    // Position of the first NaN or ±Infinity, so a downsampled chart still shows where a run diverged.
    firstNonFiniteIndex: integer('first_non_finite_index'),
  },
  (t) => [
    primaryKey({ columns: [t.seriesId, t.firstStep] }),
    check('metric_chunks_range_check', sql`${t.firstStep} <= ${t.lastStep}`),
  ],
);

export type MetricSeriesRow = typeof metricSeries.$inferSelect;
