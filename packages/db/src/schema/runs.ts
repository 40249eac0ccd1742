import { sql } from 'drizzle-orm';
import { check, doublePrecision, index, integer, jsonb, pgTable, text, uuid, type AnyPgColumn } from 'drizzle-orm/pg-core';
import { users } from './accounts';
import { createdAt, id, timestampColumn } from './columns';
import { projects } from './projects';
import { RUN_STATUSES } from './run-status';

/** A checkpoint of a run trained by a worker: after `epoch` epochs (`step` steps), by attempt `attempt`. */
export interface RunCheckpoint {
  epoch: number;
  step: number;
  /** The artifact directory holding it, relative to the run. */
  path: string;
  attempt: number;
  savedAt: string;
}

/** An early-stopping decision that ended a run (status `pruned`), as pruneRun recorded it. */
export interface RunPruning {
  /** The decision in words, e.g. "test.accuracy 0.81 below the rung's top third, 0.86". */
  reason: string;
  /** Where it was taken: the resource spent (an epoch, a step), in `unit` when given. */
  resource: number;
  unit: string | null;
  /** The run's value of the metric there, and the cutoff it had to reach; null when the rule compares none. */
  value: number | null;
  cutoff: number | null;
  /** How many runs it was compared with (the rung's trials). */
  competitors: number | null;
  decidedAt: string;
}

export const runs = pgTable(
  'runs',
  {
    id: id(),
    projectId: uuid('project_id')
      .notNull()
      .references(() => projects.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    status: text('status', { enum: RUN_STATUSES }).notNull().default('queued'),
    // The validated, normalised configuration (defaults applied) exactly as the trainer will read it.
    config: jsonb('config').notNull(),
    // The same configuration flattened to the hparams path vocabulary (plus derived facts such as `params`),
    // so filters, table columns and findings address every hyperparameter as one typed JSON value.
    flatParams: jsonb('flat_params').notNull(),
    // For declared and inferred projects: each flat path's type ('integer' | 'float' | 'boolean' | 'string' | 'null'),
    // since JSON numbers alone do not keep 2.0 apart from 2. Null for built-in runs (their schema knows the types).
    paramTypes: jsonb('param_types'),
    // The declared schema version the config was validated against; null unless the project was declared.
    schemaVersion: integer('schema_version'),
    tags: text('tags')
      .array()
      .notNull()
      .default(sql`'{}'::text[]`),
    notes: text('notes').notNull().default(''),
    backend: text('backend'),
    device: text('device'),
    createdById: uuid('created_by_id').references(() => users.id, { onDelete: 'set null' }),
    createdAt: createdAt(),
    startedAt: timestampColumn('started_at'),
    finishedAt: timestampColumn('finished_at'),
    error: text('error'),
    divergedAtStep: integer('diverged_at_step'),
    divergedLearningRate: doublePrecision('diverged_learning_rate'),
    // Why early stopping ended the run (status `pruned`): the rule's sentence and the figures it compared.
    pruning: jsonb('pruning').$type<RunPruning>(),
    // What a worker must offer to claim the run, e.g. {"gpu": true} or {"backends": ["wasm", "tensorflow"]}.
    requirements: jsonb('requirements').notNull().default({}),
    // Mode-specific results, e.g. the learning-rate range test's suggested maximum stable rate.
    results: jsonb('results').notNull().default({}),
    // The lease of the worker training the run: it must heart-beat before leaseExpiresAt, or the run is
    // handed to another worker (up to maxAttempts attempts, then failed with the reason).
    workerId: uuid('worker_id').references(() => workers.id, { onDelete: 'set null' }),
    leaseToken: uuid('lease_token'),
    leaseExpiresAt: timestampColumn('lease_expires_at'),
    // A policy finding was overridden at submission: why, and which findings (recorded on the run).
    policyOverride: jsonb('policy_override'),
    // When an EXTERNAL run (no worker lease) was last heard from: set at creation, on every metric batch and on a
    // heartbeat (touchRun). Null for runs a worker trains; those have leases. Unseen past the timeout → `lost`.
    lastSeenAt: timestampColumn('last_seen_at'),
    attempt: integer('attempt').notNull().default(0),
    // The last checkpoint its worker stored (artifacts under `path`): a retried attempt resumes from it, and the
    // history after its step is cleared instead of all of it.
    checkpoint: jsonb('checkpoint').$type<RunCheckpoint>(),
    // The run this one is nested under, in the same project (MLflow's `mlflow.parentRunId`: a tuning job's trials
    // under the job, cross-validation folds under the model). A deleted parent leaves its children at the top.
    parentRunId: uuid('parent_run_id').references((): AnyPgColumn => runs.id, { onDelete: 'set null' }),
    maxAttempts: integer('max_attempts').notNull().default(3),
    updatedAt: timestampColumn('updated_at').notNull().defaultNow(),
    deletedAt: timestampColumn('deleted_at'),
  },
  (t) => [
    index('runs_project_created_idx').on(t.projectId, t.createdAt.desc(), t.id),
    index('runs_parent_idx')
      .on(t.parentRunId, t.createdAt)
      .where(sql`${t.parentRunId} is not null`),
    // The queue: workers claim the oldest queued run; the lease sweep looks at running runs.
    index('runs_queue_idx')
      .on(t.createdAt)
      .where(sql`${t.status} = 'queued' and ${t.deletedAt} is null`),
    index('runs_lease_idx')
      .on(t.leaseExpiresAt)
      .where(sql`${t.status} = 'running'`),
    // The lost-run sweep looks at running runs nobody leases, by when they were last heard from.
    index('runs_external_seen_idx')
      .on(t.lastSeenAt)
      .where(sql`${t.status} = 'running' and ${t.leaseToken} is null`),
    check('runs_status_check', sql`${t.status} in (${sql.raw(RUN_STATUSES.map((status) => `'${status}'`).join(', '))})`),
  ],
);

// A trainer process that claims runs. Belongs to the user whose token it uses, and trains only runs of the teams
// its registration names (and the user still belongs to): joining a team later does not widen what it trains.
export const workers = pgTable('workers', {
  id: id(),
  userId: uuid('user_id')
    .notNull()
    .references(() => users.id, { onDelete: 'cascade' }),
  name: text('name').notNull(),
  teamIds: uuid('team_ids')
    .array()
    .notNull()
    .default(sql`'{}'::uuid[]`),
  // What it offers: backend, device, gpu, memory, hostname.
  capabilities: jsonb('capabilities').notNull(),
  createdAt: createdAt(),
  lastSeenAt: timestampColumn('last_seen_at').notNull().defaultNow(),
});

// Notes pinned to a run, optionally at a step of its metric history ("loss spike: bad batch").
export const runAnnotations = pgTable(
  'run_annotations',
  {
    id: id(),
    runId: uuid('run_id')
      .notNull()
      .references(() => runs.id, { onDelete: 'cascade' }),
    authorId: uuid('author_id').references(() => users.id, { onDelete: 'set null' }),
    body: text('body').notNull(),
    step: integer('step'),
    createdAt: createdAt(),
  },
  (t) => [index('run_annotations_run_idx').on(t.runId, t.createdAt)],
);

export type Run = typeof runs.$inferSelect;
export type Worker = typeof workers.$inferSelect;
export type RunAnnotation = typeof runAnnotations.$inferSelect;
