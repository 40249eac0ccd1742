CREATE TABLE "project_schemas" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"project_id" uuid NOT NULL,
	"version" integer NOT NULL,
	"document" jsonb NOT NULL,
	"created_by_id" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "projects" ADD COLUMN "schema_kind" text DEFAULT 'builtin' NOT NULL;--> statement-breakpoint
ALTER TABLE "projects" ADD COLUMN "inferred_schema" jsonb;--> statement-breakpoint
ALTER TABLE "runs" ADD COLUMN "param_types" jsonb;--> statement-breakpoint
ALTER TABLE "runs" ADD COLUMN "schema_version" integer;--> statement-breakpoint
ALTER TABLE "project_schemas" ADD CONSTRAINT "project_schemas_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "project_schemas" ADD CONSTRAINT "project_schemas_created_by_id_users_id_fk" FOREIGN KEY ("created_by_id") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "project_schemas_project_version_idx" ON "project_schemas" USING btree ("project_id","version");--> statement-breakpoint
ALTER TABLE "projects" ADD CONSTRAINT "projects_schema_kind_check" CHECK ("projects"."schema_kind" in ('builtin', 'declared', 'inferred'));