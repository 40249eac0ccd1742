import type { Expr } from '@tuneboard/filter';
import { and, asc, count, desc, eq, getTableColumns, inArray, isNull, sql, type SQL } from 'drizzle-orm';
import { metricSql, runFilterSql } from '../run-filter';
import { metricSummaries } from '../schema/metrics';
import { projects } from '../schema/projects';
import { UNFINISHED_RUN_STATUSES, type RunStatus } from '../schema/run-status';
import { runAnnotations, runs, type Run, type RunAnnotation, type RunPruning } from '../schema/runs';
import type { Handle } from './handle';
import { lockInferredState } from './projects';
import { randomUUID } from 'node:crypto';

/** Runs: live (not soft-deleted) runs of live projects. */

export async function runsByIds(handle: Handle, ids: readonly string[]): Promise<Run[]> {
  if (ids.length === 0) return [];
  return handle.db
    .select()
    .from(runs)
    .where(and(inArray(runs.id, [...ids]), isNull(runs.deletedAt)));
}

/** The team each run belongs to (through its project), for access checks on many runs at once. */
export async function teamsOfRuns(handle: Handle, ids: readonly string[]): Promise<{ runId: string; teamId: string }[]> {
  if (ids.length === 0) return [];
  return handle.db
    .select({ runId: runs.id, teamId: projects.teamId })
    .from(runs)
    .innerJoin(projects, eq(projects.id, runs.projectId))
    .where(and(inArray(runs.id, [...ids]), isNull(runs.deletedAt), isNull(projects.deletedAt)));
}

/** A live run with its team, or null. */
export async function runWithTeam(handle: Handle, id: string): Promise<{ run: Run; teamId: string } | null> {
  const [row] = await handle.db
    .select({ run: runs, teamId: projects.teamId })
    .from(runs)
    .innerJoin(projects, eq(projects.id, runs.projectId))
    .where(and(eq(runs.id, id), isNull(runs.deletedAt), isNull(projects.deletedAt)));
  return row ?? null;
}

export type NewRun = typeof runs.$inferInsert;

/** The columns a status change may set; the service decides which, from the change and the run's state. */
export type RunStatusPatch = Partial<
  Pick<
    NewRun,
    | 'status'
    | 'updatedAt'
    | 'startedAt'
    | 'finishedAt'
    | 'error'
    | 'backend'
    | 'device'
    | 'divergedAtStep'
    | 'divergedLearningRate'
    | 'workerId'
    | 'leaseToken'
    | 'leaseExpiresAt'
    | 'lastSeenAt'
  >
>;

/** The run by id, deleted or not (to report what a run became after a change lost a race). */
export async function runById(handle: Handle, id: string): Promise<Run | null> {
  const [run] = await handle.db.select().from(runs).where(eq(runs.id, id));
  return run ?? null;
}

export async function insertRun(handle: Handle, values: NewRun): Promise<Run> {
  return (await insertRuns(handle, [values]))[0]!;
}

/** Inserts runs with one multi-row statement (all or none); returns them in the order given. */
export function insertRuns(handle: Handle, values: readonly NewRun[]): Promise<Run[]> {
  return insertRunRows(handle.db, values);
}

/**
 * A run's configuration in its three JSON forms: ~20 KB for a 200-path config. RETURNING them would send back and
 * parse again what the caller just gave, so an insert returns the other columns and keeps the caller's values.
 */
const { config: _config, flatParams: _flatParams, paramTypes: _paramTypes, ...columnsButConfig } = getTableColumns(runs);

async function insertRunRows(db: Pick<Handle['db'], 'insert'>, values: readonly NewRun[]): Promise<Run[]> {
  if (values.length === 0) return [];
  // Ids chosen here, so the rows come back in the order given whatever order RETURNING uses.
  const rows = values.map((run) => ({ ...run, id: run.id ?? randomUUID() }));
  const inserted = new Map((await db.insert(runs).values(rows).returning(columnsButConfig)).map((run) => [run.id, run]));
  return rows.map((row) => ({ ...inserted.get(row.id)!, config: row.config, flatParams: row.flatParams, paramTypes: row.paramTypes ?? null }));
}

/**
 * Inserts a run of an inferred-schema project and stores what `learn` makes of the project's inferred state (null
 * before its first run) in the same transaction, with the project row locked (FOR UPDATE) so that concurrent
 * submits each learn from the state the one before left. `learn` is pure; null when the project is gone.
 */
export async function insertRunLearning(handle: Handle, values: NewRun, learn: (inferredSchema: unknown) => unknown): Promise<Run | null> {
  return (await insertRunsLearning(handle, values.projectId, [values], learn))?.[0] ?? null;
}

/**
 * insertRunLearning for several runs of one project at once: the project row is locked, read and written once for
 * all of them and the runs go in as one multi-row insert, so a burst of submits (a sweep's clients) costs one
 * transaction instead of one each, queued behind the same lock. `learn` folds every run into the state, in order.
 * Returns the runs in the order given, or null when the project is gone.
 */
export async function insertRunsLearning(
  handle: Handle,
  projectId: string,
  values: readonly NewRun[],
  learn: (inferredSchema: unknown) => unknown,
): Promise<Run[] | null> {
  if (values.some((run) => run.projectId !== projectId)) throw new Error('insertRunsLearning: every run must belong to the project it learns into');
  if (values.length === 0) return [];
  return handle.db.transaction(async (db) => {
    const project = await lockInferredState(db, projectId);
    if (!project) return null;
    await db
      .update(projects)
      .set({ inferredSchema: learn(project.inferredSchema) })
      .where(eq(projects.id, projectId));
    return insertRunRows(db, values);
  });
}

/**
 * Applies `patch` only if the run still has the status and lease it was checked with, so a worker claiming or
 * finishing it meanwhile wins; null when it did not.
 */
export async function updateRunIfUnchanged(
  handle: Handle,
  runId: string,
  expected: { status: RunStatus; leaseToken: string | null },
  patch: RunStatusPatch,
): Promise<Run | null> {
  const [run] = await handle.db
    .update(runs)
    .set(patch)
    .where(
      sql`${runs.id} = ${runId} and ${runs.status} = ${expected.status} and ${
        expected.leaseToken === null ? sql`${runs.leaseToken} is null` : sql`${runs.leaseToken} = ${expected.leaseToken}::uuid`
      }`,
    )
    .returning();
  return run ?? null;
}

/** Renames, retags or re-notes a run; only the values given change. */
export async function updateRunDetails(handle: Handle, runId: string, details: { name?: string; tags?: string[]; notes?: string }): Promise<Run | null> {
  const [run] = await handle.db
    .update(runs)
    .set({ updatedAt: new Date(), ...details })
    .where(eq(runs.id, runId))
    .returning();
  return run ?? null;
}

/** How deep runs may nest: deeper chains are refused, and the ancestor walk stops there. */
export const MAX_RUN_NESTING = 20;

/**
 * Nests `runId` under `parentRunId` (null: back to the top level). Refused (false) when the parent is not a live
 * run of the same project, or is the run itself or one of its descendants (a cycle), or the chain would pass
 * MAX_RUN_NESTING; one statement, so the checks and the change see the same rows.
 */
export async function setParentRun(handle: Handle, runId: string, parentRunId: string | null): Promise<boolean> {
  if (parentRunId === null) {
    await handle.db.update(runs).set({ parentRunId: null, updatedAt: new Date() }).where(eq(runs.id, runId));
    return true;
  }
  const rows = await handle.query<{ id: string }>(
    `with recursive ancestors(id, parent, depth) as (
       select id, parent_run_id, 1 from runs where id = $2::uuid
       union all
       select r.id, r.parent_run_id, a.depth + 1 from runs r join ancestors a on r.id = a.parent where a.depth <= $3
     )
     update runs child set parent_run_id = parent.id, updated_at = now()
     from runs parent
     where child.id = $1::uuid and parent.id = $2::uuid and parent.deleted_at is null
       and parent.project_id = child.project_id
       and not exists (select 1 from ancestors where id = child.id)
       and (select count(*) from ancestors) < $3
     returning child.id`,
    [runId, parentRunId, MAX_RUN_NESTING],
  );
  return rows.length > 0;
}

/** The live runs nested directly under `runId`, oldest first. */
export async function childrenOfRun(handle: Handle, runId: string, limit: number): Promise<Run[]> {
  return handle.db
    .select()
    .from(runs)
    .where(and(eq(runs.parentRunId, runId), isNull(runs.deletedAt)))
    .orderBy(asc(runs.createdAt), asc(runs.id))
    .limit(limit);
}

/** Cancels the run if it is still queued or running (a worker finishing it at the same moment is not overwritten); null if not. */
export async function cancelUnfinishedRun(handle: Handle, runId: string): Promise<Run | null> {
  const [run] = await handle.db
    .update(runs)
    .set({ status: 'cancelled', finishedAt: new Date(), updatedAt: new Date(), leaseToken: null, leaseExpiresAt: null })
    .where(and(eq(runs.id, runId), inArray(runs.status, [...UNFINISHED_RUN_STATUSES])))
    .returning();
  return run ?? null;
}

/**
 * Ends the run as `pruned` with its decision if it is still queued, running or lost (a worker finishing it at the same
 * moment is not overwritten); null if not. The lease goes: the worker's next heartbeat tells it to stop.
 */
export async function pruneUnfinishedRun(handle: Handle, runId: string, pruning: RunPruning): Promise<Run | null> {
  const [run] = await handle.db
    .update(runs)
    .set({ status: 'pruned', pruning, finishedAt: new Date(), updatedAt: new Date(), leaseToken: null, leaseExpiresAt: null })
    .where(and(eq(runs.id, runId), inArray(runs.status, [...UNFINISHED_RUN_STATUSES])))
    .returning();
  return run ?? null;
}

/** Runs nobody leases (EXTERNAL: a script reports them) that are running, or lost and may come back. */
const externalAndAlive = sql`${runs.leaseToken} is null and ${runs.lastSeenAt} is not null and ${runs.status} in ('running', 'lost')`;

/**
 * Records that an EXTERNAL run was heard from (a heartbeat or a metric batch): a lost one is running again. Returns
 * the run with its status before the touch, or null when nothing changed: the run is not an external one still
 * running or lost (finished, queued, held by a worker, or unknown), or it is running and was already seen within
 * `skipWithinSeconds` (so a script logging many batches a second does not rewrite its run row for each).
 * One UPDATE that locks the row, so a concurrent sweep or finish is seen either before or after.
 */
export async function touchExternalRun(
  handle: Handle,
  runId: string,
  options: { skipWithinSeconds?: number } = {},
): Promise<{ run: Run; previousStatus: RunStatus } | null> {
  const stale = sql`(${runs.status} = 'lost' or ${runs.lastSeenAt} <= now() - make_interval(secs => ${options.skipWithinSeconds ?? 0}::float8))`;
  const before = handle.db.$with('before').as(
    handle.db
      .select({ id: runs.id, previousStatus: sql<RunStatus>`${runs.status}`.as('previous_status') })
      .from(runs)
      .where(and(eq(runs.id, runId), externalAndAlive, stale))
      .for('update'),
  );
  const [row] = await handle.db
    .with(before)
    .update(runs)
    .set({
      lastSeenAt: sql`now()`,
      status: sql`case when ${runs.status} = 'lost' then 'running' else ${runs.status} end`,
      updatedAt: sql`case when ${runs.status} = 'lost' then now() else ${runs.updatedAt} end`,
    })
    .from(before)
    .where(and(eq(runs.id, before.id), externalAndAlive))
    .returning({ run: getTableColumns(runs), previousStatus: before.previousStatus });
  return row ? { run: row.run as Run, previousStatus: row.previousStatus } : null;
}

/**
 * Marks RUNNING external runs (no worker lease) not heard from for more than `timeoutSeconds` as lost. One
 * idempotent UPDATE, so every API replica may run it on a timer; returns the runs it changed.
 */
export async function markLostExternalRuns(handle: Handle, timeoutSeconds: number): Promise<{ id: string; status: RunStatus; projectId: string }[]> {
  return handle.db
    .update(runs)
    .set({ status: 'lost', updatedAt: sql`now()` })
    .where(and(eq(runs.status, 'running'), isNull(runs.leaseToken), sql`${runs.lastSeenAt} < now() - make_interval(secs => ${timeoutSeconds}::float8)`))
    .returning({ id: runs.id, status: runs.status, projectId: runs.projectId });
}

export async function annotationsOfRun(handle: Handle, runId: string): Promise<RunAnnotation[]> {
  return handle.db.select().from(runAnnotations).where(eq(runAnnotations.runId, runId)).orderBy(asc(runAnnotations.createdAt));
}

/** The annotations of many runs at once (a compare view's markers), oldest first. */
export async function annotationsOfRuns(handle: Handle, runIds: readonly string[]): Promise<RunAnnotation[]> {
  if (runIds.length === 0) return [];
  return handle.db
    .select()
    .from(runAnnotations)
    .where(inArray(runAnnotations.runId, [...runIds]))
    .orderBy(asc(runAnnotations.createdAt));
}

export async function addAnnotation(
  handle: Handle,
  values: { runId: string; body: string; step?: number | null; authorId: string | null },
): Promise<RunAnnotation> {
  const [annotation] = await handle.db.insert(runAnnotations).values(values).returning();
  return annotation!;
}

export async function annotationById(handle: Handle, id: string): Promise<RunAnnotation | null> {
  const [annotation] = await handle.db.select().from(runAnnotations).where(eq(runAnnotations.id, id));
  return annotation ?? null;
}

export async function updateAnnotation(handle: Handle, id: string, values: { body: string; step: number | null }): Promise<RunAnnotation | null> {
  const [annotation] = await handle.db.update(runAnnotations).set(values).where(eq(runAnnotations.id, id)).returning();
  return annotation ?? null;
}

export async function deleteAnnotation(handle: Handle, id: string): Promise<boolean> {
  return (await handle.db.delete(runAnnotations).where(eq(runAnnotations.id, id)).returning({ id: runAnnotations.id })).length > 0;
}

export type RunSortField = 'CREATED_AT' | 'NAME' | 'STATUS' | 'PARAM' | 'METRIC_LAST' | 'METRIC_MIN' | 'METRIC_MAX';

/** How to sort a run list; `path` (a hyperparameter path) for PARAM and `metric` (a key) for METRIC_* are required. */
export interface RunListOrder {
  field: RunSortField;
  direction?: 'ASC' | 'DESC' | null;
  path?: string | null;
  metric?: string | null;
}

/** Which runs of a project a list holds: a parsed filter expression and, optionally, exactly these ids. */
export interface RunSelection {
  projectId: string;
  filter?: Expr | null;
  /** Only these runs (ids must be UUIDs); ids of other projects simply do not match. */
  ids?: readonly string[] | null;
}

function selectionSql(selection: RunSelection): SQL | undefined {
  return and(
    eq(runs.projectId, selection.projectId),
    isNull(runs.deletedAt),
    runFilterSql(selection.filter ?? null),
    // One array parameter, not one per id: a group of the runs table can hold tens of thousands of runs.
    selection.ids ? sql`${runs.id} = any(${sql.param([...selection.ids])}::uuid[])` : undefined,
  );
}

/**
 * A page of the selected live runs of a project, sorted (newest first by default; ties by id), from `offset`.
 * Sorting by a metric reads the runs that have it through the summaries' (key, value) index, only as far as
 * the page needs, and puts the runs without it last, newest first.
 */
export async function listRuns(
  handle: Handle,
  selection: RunSelection,
  page: { orderBy?: RunListOrder | null; limit: number; offset: number },
): Promise<Run[]> {
  const where = selectionSql(selection);
  const field = page.orderBy?.field;
  if (field === 'METRIC_LAST' || field === 'METRIC_MIN' || field === 'METRIC_MAX')
    return pageByMetric(handle, where, page.orderBy!, METRIC_AGG[field], page.limit, page.offset);
  return handle.db
    .select()
    .from(runs)
    .where(where)
    .orderBy(...orderSql(page.orderBy))
    .limit(page.limit)
    .offset(page.offset);
}

/** How many live runs of the project the selection holds, over all pages. */
export async function countRuns(handle: Handle, selection: RunSelection): Promise<number> {
  const [row] = await handle.db.select({ n: count() }).from(runs).where(selectionSql(selection));
  return row?.n ?? 0;
}

/** A metric summary read for every run of a grouping: its key and which of its summaries. */
export interface RunMetricColumn {
  key: string;
  agg: 'last' | 'min' | 'max';
}

/** A selected run as grouping reads it: its flattened parameters and the asked-for summaries (NaN and absent as null). */
export interface RunForGrouping {
  id: string;
  params: Record<string, unknown>;
  values: (number | null)[];
}

/**
 * Every selected live run with its flattened parameters and, in the order asked, the chosen metric summaries: what
 * the runs table's groups are formed from (in no particular order). One join of the runs with their summaries of
 * the asked keys, pivoted per run, rather than a summary subquery per run and metric: at 10,000 runs and three
 * metrics the subqueries' estimated cost switched PostgreSQL's JIT on (0.85 s against 0.08 s; docs/performance.md).
 */
export async function runsForGrouping(handle: Handle, selection: RunSelection, metrics: readonly RunMetricColumn[]): Promise<RunForGrouping[]> {
  const where = selectionSql(selection);
  if (metrics.length === 0) {
    const rows = await handle.db.select({ id: runs.id, params: runs.flatParams }).from(runs).where(where);
    return rows.map((row) => ({ id: row.id, params: (row.params ?? {}) as Record<string, unknown>, values: [] }));
  }
  const column = { last: metricSummaries.lastValue, min: metricSummaries.minValue, max: metricSummaries.maxValue };
  // NaN counts as absent, as in filters and sorts (metricSql).
  const values = sql<(number | null)[]>`array[${sql.join(
    metrics.map((m) => sql`max(nullif(${column[m.agg]}, 'NaN'::float8)) filter (where ${metricSummaries.key} = ${m.key}::text)`),
    sql`, `,
  )}]::float8[]`;
  const keys = [...new Set(metrics.map((m) => m.key))];
  const rows = await handle.db
    .select({ id: runs.id, params: runs.flatParams, values })
    .from(runs)
    .leftJoin(metricSummaries, and(eq(metricSummaries.runId, runs.id), sql`${metricSummaries.key} = any(${sql.param(keys)}::text[])`))
    .where(where)
    .groupBy(runs.id);
  return rows.map((row) => ({
    id: row.id,
    params: (row.params ?? {}) as Record<string, unknown>,
    values: (row.values ?? []).map((v) => (v === null ? null : Number(v))),
  }));
}

function orderSql(order: RunListOrder | null | undefined): SQL[] {
  const direction = order?.direction === 'ASC' ? asc : desc;
  const field = order?.field ?? 'CREATED_AT';
  const nullsLast = (expression: SQL) => (order?.direction === 'ASC' ? sql`${expression} asc nulls last` : sql`${expression} desc nulls last`);
  switch (field) {
    case 'CREATED_AT':
      return [direction(runs.createdAt), direction(runs.id)];
    case 'NAME':
      return [direction(runs.name), direction(runs.id)];
    case 'STATUS':
      return [direction(runs.status), desc(runs.createdAt), desc(runs.id)];
    case 'PARAM':
      if (!order?.path) throw new Error('orderBy.path is required when sorting by PARAM');
      // jsonb orders numbers numerically, so batchSize sorts as 8 < 16 < 128, not as text.
      return [nullsLast(sql`(${runs.flatParams} -> ${order.path}::text)`), desc(runs.id)];
    case 'METRIC_LAST':
    case 'METRIC_MIN':
    case 'METRIC_MAX':
      throw new Error('metric orders are paged by pageByMetric');
  }
}

const METRIC_AGG = { METRIC_LAST: 'last', METRIC_MIN: 'min', METRIC_MAX: 'max' } as const;
type MetricAgg = (typeof METRIC_AGG)[keyof typeof METRIC_AGG];

/**
 * A page of runs sorted by a metric summary, without visiting every run: the runs that have the metric are
 * read in the order of the summaries' index on (key, value) — only as many as the filter needs to fill
 * the page — and the runs without it follow, newest first (where NULLS LAST put them). Ties go by run id in
 * the sort's direction, so the index serves both directions.
 */
async function pageByMetric(handle: Handle, where: SQL | undefined, order: RunListOrder, agg: MetricAgg, limit: number, offset: number): Promise<Run[]> {
  if (!order.metric) throw new Error(`orderBy.metric is required when sorting by ${order.field}`);
  const { db } = handle;
  const value = metricSql(order.metric, agg, 'indexed');
  const direction = order.direction === 'ASC' ? asc : desc;
  const withMetric = and(where, eq(metricSummaries.key, order.metric), sql`${value} is not null`);
  const ranked = await db
    .select(getTableColumns(runs))
    .from(metricSummaries)
    .innerJoin(runs, eq(runs.id, metricSummaries.runId))
    .where(withMetric)
    .orderBy(direction(value), direction(metricSummaries.runId))
    .limit(limit)
    .offset(offset);
  if (ranked.length === limit) return ranked;
  // How many runs have the metric decides where the runs without it start in the combined order.
  const rankedTotal =
    ranked.length > 0 || offset === 0
      ? offset + ranked.length
      : ((await db.select({ n: count() }).from(metricSummaries).innerJoin(runs, eq(runs.id, metricSummaries.runId)).where(withMetric))[0]?.n ?? 0);
  const rest = await db
    .select()
    .from(runs)
    .where(and(where, sql`${metricSql(order.metric, agg)} is null`))
    .orderBy(desc(runs.createdAt), desc(runs.id))
    .limit(limit - ranked.length)
    .offset(Math.max(0, offset - rankedTotal));
  return [...ranked, ...rest];
}
