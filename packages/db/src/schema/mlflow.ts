import { pgTable, primaryKey, text, uuid } from 'drizzle-orm/pg-core';
import { projects } from './projects';
import { runs } from './runs';

// What the MLflow-compatible tracking API (apps/api/src/transport/mlflow.ts) stores beside Tuneboard's own columns.
// MLflow tags are key → value (Tuneboard's run tags are labels), and MLflow params arrive as text: the typed value
// lives in the run's config and flat params, the text as it was logged lives here, so a param logged again is
// compared with exactly what was sent first (MLflow: the same value again is fine, a different one is refused).

export const mlflowExperimentTags = pgTable(
  'mlflow_experiment_tags',
  {
    projectId: uuid('project_id')
      .notNull()
      .references(() => projects.id, { onDelete: 'cascade' }),
    key: text('key').notNull(),
    value: text('value').notNull(),
  },
  (t) => [primaryKey({ columns: [t.projectId, t.key] })],
);

export const mlflowRunTags = pgTable(
  'mlflow_run_tags',
  {
    runId: uuid('run_id')
      .notNull()
      .references(() => runs.id, { onDelete: 'cascade' }),
    key: text('key').notNull(),
    value: text('value').notNull(),
  },
  (t) => [primaryKey({ columns: [t.runId, t.key] })],
);

export const mlflowRunParams = pgTable(
  'mlflow_run_params',
  {
    runId: uuid('run_id')
      .notNull()
      .references(() => runs.id, { onDelete: 'cascade' }),
    key: text('key').notNull(),
    value: text('value').notNull(),
  },
  (t) => [primaryKey({ columns: [t.runId, t.key] })],
);

export type MlflowKeyValue = { key: string; value: string };
