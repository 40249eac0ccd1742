CREATE TABLE "finding_suggestion_dismissals" (
	"project_id" uuid NOT NULL,
	"metric_key" text NOT NULL,
	"rule" text NOT NULL,
	"dismissed_by_id" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "finding_suggestion_dismissals_project_id_metric_key_rule_pk" PRIMARY KEY("project_id","metric_key","rule")
);
--> statement-breakpoint
ALTER TABLE "finding_suggestion_dismissals" ADD CONSTRAINT "finding_suggestion_dismissals_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "finding_suggestion_dismissals" ADD CONSTRAINT "finding_suggestion_dismissals_dismissed_by_id_users_id_fk" FOREIGN KEY ("dismissed_by_id") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;