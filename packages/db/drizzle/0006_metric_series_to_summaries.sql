-- Hand-edited after drizzle-kit generate, which dropped and re-created the indexes and foreign keys: the table
-- holds per-run summaries (latest/min/max per key), not the series' points, so it is renamed in place with its
-- identity sequence, primary key, foreign keys and indexes. No row moves and no index is rebuilt.
ALTER TABLE "metric_series" RENAME TO "metric_summaries";--> statement-breakpoint
ALTER SEQUENCE "metric_series_id_seq" RENAME TO "metric_summaries_id_seq";--> statement-breakpoint
ALTER TABLE "metric_summaries" RENAME CONSTRAINT "metric_series_pkey" TO "metric_summaries_pkey";--> statement-breakpoint
ALTER TABLE "metric_summaries" RENAME CONSTRAINT "metric_series_run_id_runs_id_fk" TO "metric_summaries_run_id_runs_id_fk";--> statement-breakpoint
ALTER TABLE "metric_chunks" RENAME CONSTRAINT "metric_chunks_series_id_metric_series_id_fk" TO "metric_chunks_series_id_metric_summaries_id_fk";--> statement-breakpoint
ALTER INDEX "metric_series_run_key_idx" RENAME TO "metric_summaries_run_key_idx";--> statement-breakpoint
ALTER INDEX "metric_series_key_last_idx" RENAME TO "metric_summaries_key_last_idx";--> statement-breakpoint
ALTER INDEX "metric_series_key_min_idx" RENAME TO "metric_summaries_key_min_idx";--> statement-breakpoint
ALTER INDEX "metric_series_key_max_idx" RENAME TO "metric_summaries_key_max_idx";
--> statement-breakpoint
-- PostgreSQL 18 also names each NOT NULL constraint after its table (metric_series_key_not_null, …); older
-- servers have none, so rename whatever is left under the old prefix.
DO $$
DECLARE c record;
BEGIN
  FOR c IN SELECT conname FROM pg_constraint WHERE conrelid = 'metric_summaries'::regclass AND conname LIKE 'metric\_series\_%' LOOP
    EXECUTE format('ALTER TABLE "metric_summaries" RENAME CONSTRAINT %I TO %I', c.conname, 'metric_summaries_' || substr(c.conname, length('metric_series_') + 1));
  END LOOP;
END $$;
