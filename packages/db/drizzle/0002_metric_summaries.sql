-- Hand-edited after drizzle-kit generate (see docs/performance.md): the chunk summary columns are added
-- nullable, filled from the stored points, then made NOT NULL, so existing metric history carries over.
ALTER TABLE "metric_chunks" ADD COLUMN "fine_steps" integer[];--> statement-breakpoint
ALTER TABLE "metric_chunks" ADD COLUMN "fine_values" double precision[];--> statement-breakpoint
ALTER TABLE "metric_chunks" ADD COLUMN "fine_wall_times" double precision[];--> statement-breakpoint
ALTER TABLE "metric_chunks" ADD COLUMN "coarse_steps" integer[];--> statement-breakpoint
ALTER TABLE "metric_chunks" ADD COLUMN "coarse_values" double precision[];--> statement-breakpoint
ALTER TABLE "metric_chunks" ADD COLUMN "coarse_wall_times" double precision[];--> statement-breakpoint
ALTER TABLE "metric_series" ADD COLUMN "fine_count" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "metric_series" ADD COLUMN "coarse_count" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
CREATE INDEX "metric_series_key_last_idx" ON "metric_series" USING btree ("key",nullif("last_value", 'NaN'::float8),"run_id");--> statement-breakpoint
CREATE INDEX "metric_series_key_min_idx" ON "metric_series" USING btree ("key",nullif("min_value", 'NaN'::float8),"run_id");--> statement-breakpoint
CREATE INDEX "metric_series_key_max_idx" ON "metric_series" USING btree ("key",nullif("max_value", 'NaN'::float8),"run_id");--> statement-breakpoint
-- Backfill the fine summary of chunks written before this migration: per block of 50 points, the
-- min and max finite point and the first NaN/±Infinity, in step order (what metric-store.ts's writer stores).
WITH p AS (
  SELECT c.series_id, c.first_step, u.i, u.step, u.value, u.wall_time, (u.i - 1) / 50 AS block,
    (u.value > '-Infinity'::float8 AND u.value < 'Infinity'::float8) AS finite
  FROM "metric_chunks" c
  CROSS JOIN LATERAL unnest(c.steps, c.values, c.wall_times) WITH ORDINALITY AS u(step, value, wall_time, i)
), ranked AS (
  SELECT *,
    row_number() OVER (PARTITION BY series_id, first_step, block, finite ORDER BY value, i) AS low,
    row_number() OVER (PARTITION BY series_id, first_step, block, finite ORDER BY value DESC, i) AS high,
    row_number() OVER (PARTITION BY series_id, first_step, block, finite ORDER BY i) AS earliest
  FROM p
), summary AS (
  SELECT series_id, first_step, array_agg(step ORDER BY i) AS steps, array_agg(value ORDER BY i) AS "values",
    array_agg(wall_time ORDER BY i) AS wall_times
  FROM ranked WHERE (finite AND (low = 1 OR high = 1)) OR (NOT finite AND earliest = 1)
  GROUP BY series_id, first_step
)
UPDATE "metric_chunks" c SET "fine_steps" = s.steps, "fine_values" = s."values", "fine_wall_times" = s.wall_times
FROM summary s WHERE c.series_id = s.series_id AND c.first_step = s.first_step;--> statement-breakpoint
-- Backfill the coarse summary of chunks written before this migration: per block of 250 points, the
-- min and max finite point and the first NaN/±Infinity, in step order (what metric-store.ts's writer stores).
WITH p AS (
  SELECT c.series_id, c.first_step, u.i, u.step, u.value, u.wall_time, (u.i - 1) / 250 AS block,
    (u.value > '-Infinity'::float8 AND u.value < 'Infinity'::float8) AS finite
  FROM "metric_chunks" c
  CROSS JOIN LATERAL unnest(c.steps, c.values, c.wall_times) WITH ORDINALITY AS u(step, value, wall_time, i)
), ranked AS (
  SELECT *,
    row_number() OVER (PARTITION BY series_id, first_step, block, finite ORDER BY value, i) AS low,
    row_number() OVER (PARTITION BY series_id, first_step, block, finite ORDER BY value DESC, i) AS high,
    row_number() OVER (PARTITION BY series_id, first_step, block, finite ORDER BY i) AS earliest
  FROM p
), summary AS (
  SELECT series_id, first_step, array_agg(step ORDER BY i) AS steps, array_agg(value ORDER BY i) AS "values",
    array_agg(wall_time ORDER BY i) AS wall_times
  FROM ranked WHERE (finite AND (low = 1 OR high = 1)) OR (NOT finite AND earliest = 1)
  GROUP BY series_id, first_step
)
UPDATE "metric_chunks" c SET "coarse_steps" = s.steps, "coarse_values" = s."values", "coarse_wall_times" = s.wall_times
FROM summary s WHERE c.series_id = s.series_id AND c.first_step = s.first_step;--> statement-breakpoint
UPDATE "metric_series" m SET "fine_count" = a.fine, "coarse_count" = a.coarse
FROM (SELECT series_id, sum(cardinality(fine_steps)) AS fine, sum(cardinality(coarse_steps)) AS coarse
      FROM "metric_chunks" GROUP BY series_id) a
WHERE m.id = a.series_id;--> statement-breakpoint
ALTER TABLE "metric_chunks" ALTER COLUMN "fine_steps" SET NOT NULL;--> statement-breakpoint
ALTER TABLE "metric_chunks" ALTER COLUMN "fine_values" SET NOT NULL;--> statement-breakpoint
ALTER TABLE "metric_chunks" ALTER COLUMN "fine_wall_times" SET NOT NULL;--> statement-breakpoint
ALTER TABLE "metric_chunks" ALTER COLUMN "coarse_steps" SET NOT NULL;--> statement-breakpoint
ALTER TABLE "metric_chunks" ALTER COLUMN "coarse_values" SET NOT NULL;--> statement-breakpoint
ALTER TABLE "metric_chunks" ALTER COLUMN "coarse_wall_times" SET NOT NULL;
