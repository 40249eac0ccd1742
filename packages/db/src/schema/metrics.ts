import { sql } from 'drizzle-orm';
import { bigint, check, doublePrecision, index, integer, pgTable, primaryKey, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { timestampColumn } from './columns';
import { runs } from './runs';

// One row per (run, metric key): the series' summary (latest/min/max, counts), so run tables never touch the
// point history; its id is what the series' chunks hang from. (Named metric_series before migration 0006: the
// points are the series, GraphQL `MetricSeries`; this row only summarises them.)
// min/max are over finite values only; a NaN or ±Infinity point (a diverging run produces them) is kept in
// the history and counted in `nonFiniteCount`, so it cannot hide the real minimum.
export const metricSummaries = pgTable(
  'metric_summaries',
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
    // How many points the chunks' fine and coarse summaries hold in all (see metricChunks), so a read picks
    // the copy that fits maxPoints without counting chunk by chunk.
    fineCount: bigint('fine_count', { mode: 'number' }).notNull().default(0),
    coarseCount: bigint('coarse_count', { mode: 'number' }).notNull().default(0),
    updatedAt: timestampColumn('updated_at').notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('metric_summaries_run_key_idx').on(t.runId, t.key),
    // Sorting a runs table by a metric walks one of these and stops when the page is full (run-listing.ts);
    // the expression is run-filter.ts's metricSql(…, 'indexed'), NaN counting as absent.
    index('metric_summaries_key_last_idx').on(t.key, sql`nullif(${t.lastValue}, 'NaN'::float8)`, t.runId),
    index('metric_summaries_key_min_idx').on(t.key, sql`nullif(${t.minValue}, 'NaN'::float8)`, t.runId),
    index('metric_summaries_key_max_idx').on(t.key, sql`nullif(${t.maxValue}, 'NaN'::float8)`, t.runId),
  ],
);

// The point history, stored as chunks of up to CHUNK_SIZE points sorted by step, one row per chunk.
// One row per point caps ingestion near 150–200k points/s on PostgreSQL; chunks of arrays written with
// `unnest` go an order of magnitude faster, and their precomputed extrema let reads downsample without
// scanning points. Steps are unique within a series (enforced by the writer, see stores/metrics/ingest.ts).
export const metricChunks = pgTable(
  'metric_chunks',
  {
    seriesId: integer('series_id')
      .notNull()
      .references(() => metricSummaries.id, { onDelete: 'cascade' }),
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
    // Two coarser copies of the chunk, computed by the writer: per block of 50 (fine) and 250 (coarse)
    // points, the block's min and max finite point and its first NaN/±Infinity, in step order. A
    // downsampling read of a long series returns these instead of scanning points (stores/metrics/read.ts).
    fineSteps: integer('fine_steps').array().notNull(),
    fineValues: doublePrecision('fine_values').array().notNull(),
    fineWallTimes: doublePrecision('fine_wall_times').array().notNull(),
    coarseSteps: integer('coarse_steps').array().notNull(),
    coarseValues: doublePrecision('coarse_values').array().notNull(),
    coarseWallTimes: doublePrecision('coarse_wall_times').array().notNull(),
  },
  (t) => [primaryKey({ columns: [t.seriesId, t.firstStep] }), check('metric_chunks_range_check', sql`${t.firstStep} <= ${t.lastStep}`)],
);

export type MetricSummaryRow = typeof metricSummaries.$inferSelect;
