CREATE TABLE "run_log_lines" (
	"run_id" uuid NOT NULL,
	"seq" integer NOT NULL,
	"stream" text NOT NULL,
	"text" text NOT NULL,
	"logged_at" timestamp with time zone NOT NULL,
	CONSTRAINT "run_log_lines_run_id_seq_pk" PRIMARY KEY("run_id","seq"),
	CONSTRAINT "run_log_lines_stream_check" CHECK ("run_log_lines"."stream" in ('stdout', 'stderr'))
);
--> statement-breakpoint
ALTER TABLE "run_log_lines" ADD CONSTRAINT "run_log_lines_run_id_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "public"."runs"("id") ON DELETE cascade ON UPDATE no action;