ALTER TABLE "runs" DROP CONSTRAINT "runs_status_check";--> statement-breakpoint
ALTER TABLE "runs" ADD COLUMN "last_seen_at" timestamp with time zone;--> statement-breakpoint
CREATE INDEX "runs_external_seen_idx" ON "runs" USING btree ("last_seen_at") WHERE "runs"."status" = 'running' and "runs"."lease_token" is null;--> statement-breakpoint
ALTER TABLE "runs" ADD CONSTRAINT "runs_status_check" CHECK ("runs"."status" in ('queued', 'running', 'succeeded', 'failed', 'cancelled', 'diverged', 'lost'));--> statement-breakpoint
-- EXTERNAL runs already running (no worker lease) get a full timeout from now to show they are alive.
UPDATE "runs" SET "last_seen_at" = now() WHERE "status" = 'running' AND "lease_token" IS NULL;
