import { sql } from 'drizzle-orm';
import { check, index, integer, jsonb, pgTable, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { teams, users } from './accounts';
import { createdAt, id, timestampColumn } from './columns';

export const HPARAM_SCHEMA_KINDS = ['builtin', 'declared', 'inferred'] as const;
export type HparamSchemaKind = (typeof HPARAM_SCHEMA_KINDS)[number];

export const projects = pgTable(
  'projects',
  {
    id: id(),
    teamId: uuid('team_id')
      .notNull()
      .references(() => teams.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    description: text('description').notNull().default(''),
    // Which hyperparameter schema its runs follow: the built-in trainer's, a declared JSON Schema (project_schemas),
    // or one inferred from the runs (inferred_schema, learned as runs arrive).
    schemaKind: text('schema_kind', { enum: HPARAM_SCHEMA_KINDS }).notNull().default('builtin'),
    // The InferredSchema state of packages/hparams; updated with each run's insert, under a lock on this row.
    inferredSchema: jsonb('inferred_schema'),
    createdAt: createdAt(),
    deletedAt: timestampColumn('deleted_at'),
  },
  (t) => [
    check('projects_schema_kind_check', sql`${t.schemaKind} in ('builtin', 'declared', 'inferred')`),
    uniqueIndex('projects_team_name_idx')
      .on(t.teamId, sql`lower(${t.name})`)
      .where(sql`${t.deletedAt} is null`),
    index('projects_team_idx').on(t.teamId),
  ],
);

export type Project = typeof projects.$inferSelect;

// The versions of a project's declared JSON Schema; the current one is the highest. Runs record the version they
// were validated against, so a new version never invalidates stored runs.
export const projectSchemas = pgTable(
  'project_schemas',
  {
    id: id(),
    projectId: uuid('project_id')
      .notNull()
      .references(() => projects.id, { onDelete: 'cascade' }),
    version: integer('version').notNull(),
    document: jsonb('document').notNull(),
    createdById: uuid('created_by_id').references(() => users.id, { onDelete: 'set null' }),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex('project_schemas_project_version_idx').on(t.projectId, t.version)],
);

export type ProjectSchema = typeof projectSchemas.$inferSelect;
