import type { Expr } from '@tuneboard/filter';
import { and, asc, desc, eq, inArray, isNotNull, isNull, sql, type SQL } from 'drizzle-orm';
import { metricSql, runFilterSql } from '../run-filter';
import { memberships } from '../schema/accounts';
import { mlflowExperimentTags, mlflowRunParams, mlflowRunTags, type MlflowKeyValue } from '../schema/mlflow';
import { projects, type Project } from '../schema/projects';
import { runs, type Run } from '../schema/runs';
import type { Handle } from './handle';
import { lockInferredState } from './projects';

/**
 * What the MLflow-compatible tracking API reads and writes besides the other stores: experiments (projects) and
 * runs in any lifecycle stage (MLflow shows deleted ones and restores them), key/value tags, params as logged,
 * and its run search. Access is the service's business; these functions take ids the caller has checked.
 */

/** The team a user joined first (their own team, usually), or null when they are in none. */
export async function oldestTeamOfUser(handle: Handle, userId: string): Promise<string | null> {
  const [row] = await handle.db
    .select({ teamId: memberships.teamId })
    .from(memberships)
    .where(eq(memberships.userId, userId))
    .orderBy(asc(memberships.createdAt), asc(memberships.teamId))
    .limit(1);
  return row?.teamId ?? null;
}

/** A project by id whether or not it is deleted. */
export async function projectAnyStage(handle: Handle, id: string): Promise<Project | null> {
  const [row] = await handle.db.select().from(projects).where(eq(projects.id, id));
  return row ?? null;
}

/** The team's live project of this name (case-insensitive), else its most recently deleted one, else null. */
export async function projectByName(handle: Handle, teamId: string, name: string): Promise<Project | null> {
  const [row] = await handle.db
    .select()
    .from(projects)
    .where(and(eq(projects.teamId, teamId), sql`lower(${projects.name}) = lower(${name})`))
    .orderBy(sql`${projects.deletedAt} is not null`, desc(projects.deletedAt))
    .limit(1);
  return row ?? null;
}

export type LifecycleView = 'active' | 'deleted' | 'all';

const lifecycleSql = (column: typeof projects.deletedAt | typeof runs.deletedAt, view: LifecycleView): SQL | undefined =>
  view === 'active' ? isNull(column) : view === 'deleted' ? isNotNull(column) : undefined;

/** One condition of an MLflow experiment search: on the name or a tag, compared as text. */
export interface ExperimentCondition {
  target: { name: true } | { tag: string };
  op: '=' | '!=' | 'LIKE' | 'ILIKE';
  value: string;
}

function experimentConditionSql({ target, op, value }: ExperimentCondition): SQL {
  const compare = (column: SQL) => sql`${column} ${sql.raw(TEXT_OPS[op])} ${value}::text`;
  if ('name' in target) return compare(sql`${projects.name}`);
  return sql`exists (select 1 from mlflow_experiment_tags t where t.project_id = ${projects.id} and t.key = ${target.tag}::text and ${compare(sql`t.value`)})`;
}

/** Projects of the teams in a lifecycle stage matching every condition, ordered (ties by id), from `offset`. */
export async function searchProjects(
  handle: Handle,
  request: {
    teamIds: readonly string[];
    view: LifecycleView;
    conditions: readonly ExperimentCondition[];
    order: { field: 'name' | 'created' | 'id'; ascending: boolean };
    limit: number;
    offset: number;
  },
): Promise<Project[]> {
  if (request.teamIds.length === 0) return [];
  const column = { name: projects.name, created: projects.createdAt, id: projects.id }[request.order.field];
  return handle.db
    .select()
    .from(projects)
    .where(
      and(inArray(projects.teamId, [...request.teamIds]), lifecycleSql(projects.deletedAt, request.view), ...request.conditions.map(experimentConditionSql)),
    )
    .orderBy(request.order.ascending ? asc(column) : desc(column), desc(projects.id))
    .limit(request.limit)
    .offset(request.offset);
}

/** Renames a project; 'conflict' when the team has a live project of that name already, null when it is gone. */
export async function renameProject(handle: Handle, id: string, name: string): Promise<Project | null | 'conflict'> {
  try {
    const [row] = await handle.db.update(projects).set({ name }).where(eq(projects.id, id)).returning();
    return row ?? null;
  } catch (error) {
    if (isUniqueViolation(error)) return 'conflict';
    throw error;
  }
}

/** Deletes (soft) or restores a project; 'conflict' when restoring it would clash with a live project's name. */
export async function setProjectDeleted(handle: Handle, id: string, deleted: boolean): Promise<Project | null | 'conflict'> {
  try {
    const [row] = await handle.db
      .update(projects)
      .set({ deletedAt: deleted ? sql`coalesce(${projects.deletedAt}, now())` : null })
      .where(eq(projects.id, id))
      .returning();
    return row ?? null;
  } catch (error) {
    if (isUniqueViolation(error)) return 'conflict';
    throw error;
  }
}

function isUniqueViolation(error: unknown): boolean {
  for (let e: unknown = error; e && typeof e === 'object'; e = (e as { cause?: unknown }).cause) if ((e as { code?: unknown }).code === '23505') return true;
  return false;
}

export async function setExperimentTags(handle: Handle, projectId: string, tags: readonly MlflowKeyValue[]): Promise<void> {
  if (tags.length === 0) return;
  await handle.db
    .insert(mlflowExperimentTags)
    .values(dedupe(tags).map((tag) => ({ projectId, ...tag })))
    .onConflictDoUpdate({ target: [mlflowExperimentTags.projectId, mlflowExperimentTags.key], set: { value: sql`excluded.value` } });
}

/** Whether the tag existed. */
export async function deleteExperimentTag(handle: Handle, projectId: string, key: string): Promise<boolean> {
  const deleted = await handle.db
    .delete(mlflowExperimentTags)
    .where(and(eq(mlflowExperimentTags.projectId, projectId), eq(mlflowExperimentTags.key, key)))
    .returning({ key: mlflowExperimentTags.key });
  return deleted.length > 0;
}

export async function experimentTagsOf(handle: Handle, projectIds: readonly string[]): Promise<{ projectId: string; key: string; value: string }[]> {
  if (projectIds.length === 0) return [];
  return handle.db
    .select()
    .from(mlflowExperimentTags)
    .where(inArray(mlflowExperimentTags.projectId, [...projectIds]))
    .orderBy(mlflowExperimentTags.key);
}

/** The last value of each key wins, as in one MLflow batch. */
function dedupe(tags: readonly MlflowKeyValue[]): MlflowKeyValue[] {
  return [...new Map(tags.map((tag) => [tag.key, tag])).values()];
}

/** A run whatever its lifecycle stage, with its project's team, unless the project itself is gone for good. */
export async function runAnyStage(handle: Handle, id: string): Promise<{ run: Run; teamId: string } | null> {
  const [row] = await handle.db
    .select({ run: runs, teamId: projects.teamId })
    .from(runs)
    .innerJoin(projects, eq(projects.id, runs.projectId))
    .where(eq(runs.id, id));
  return row ?? null;
}

export async function setRunDeleted(handle: Handle, runId: string, deleted: boolean): Promise<Run | null> {
  const [row] = await handle.db
    .update(runs)
    .set({ deletedAt: deleted ? sql`coalesce(${runs.deletedAt}, now())` : null, updatedAt: new Date() })
    .where(eq(runs.id, runId))
    .returning();
  return row ?? null;
}

export async function setRunTags(handle: Handle, runId: string, tags: readonly MlflowKeyValue[]): Promise<void> {
  if (tags.length === 0) return;
  await handle.db
    .insert(mlflowRunTags)
    .values(dedupe(tags).map((tag) => ({ runId, ...tag })))
    .onConflictDoUpdate({ target: [mlflowRunTags.runId, mlflowRunTags.key], set: { value: sql`excluded.value` } });
}

/** Whether the tag existed. */
export async function deleteRunTag(handle: Handle, runId: string, key: string): Promise<boolean> {
  const deleted = await handle.db
    .delete(mlflowRunTags)
    .where(and(eq(mlflowRunTags.runId, runId), eq(mlflowRunTags.key, key)))
    .returning({ key: mlflowRunTags.key });
  return deleted.length > 0;
}

export async function runTagsOf(handle: Handle, runIds: readonly string[]): Promise<{ runId: string; key: string; value: string }[]> {
  if (runIds.length === 0) return [];
  return handle.db
    .select()
    .from(mlflowRunTags)
    .where(inArray(mlflowRunTags.runId, [...runIds]))
    .orderBy(mlflowRunTags.key);
}

export async function runParamsOf(handle: Handle, runIds: readonly string[]): Promise<{ runId: string; key: string; value: string }[]> {
  if (runIds.length === 0) return [];
  return handle.db
    .select()
    .from(mlflowRunParams)
    .where(inArray(mlflowRunParams.runId, [...runIds]))
    .orderBy(mlflowRunParams.key);
}

/** What appendRunParams hands `merge`: the run, its project's inferred state and the params logged so far (key → text). */
export interface ParamState {
  run: Run;
  inferredSchema: unknown;
  logged: ReadonlyMap<string, string>;
}

/** What `merge` decides: the run's new config columns, the project's new inferred state and the params to record. */
export interface ParamMerge {
  config: unknown;
  flatParams: Record<string, unknown>;
  paramTypes: Record<string, unknown>;
  inferredSchema: unknown;
  params: readonly MlflowKeyValue[];
}

/**
 * Adds params to an existing run: under a lock on the project row (the same lock insertRunsLearning takes, so
 * the inferred state learns each change in turn) and on the run row, `merge` sees what is stored and returns the
 * merged config and state, which are written in the same transaction. `merge` may throw to refuse (nothing is
 * written). Null when the run or its project is gone.
 */
export async function appendRunParams(
  handle: Handle,
  projectId: string,
  runId: string,
  merge: (state: ParamState) => ParamMerge | null,
): Promise<{ run: Run; changed: boolean } | null> {
  return handle.db.transaction(async (db) => {
    const project = await lockInferredState(db, projectId);
    if (!project) return null;
    const [run] = await db
      .select()
      .from(runs)
      .where(and(eq(runs.id, runId), eq(runs.projectId, projectId)))
      .for('update');
    if (!run) return null;
    const rows = await db.select({ key: mlflowRunParams.key, value: mlflowRunParams.value }).from(mlflowRunParams).where(eq(mlflowRunParams.runId, runId));
    const result = merge({ run, inferredSchema: project.inferredSchema, logged: new Map(rows.map((row) => [row.key, row.value])) });
    if (!result) return { run, changed: false };
    await db.update(projects).set({ inferredSchema: result.inferredSchema }).where(eq(projects.id, projectId));
    const [updated] = await db
      .update(runs)
      .set({ config: result.config, flatParams: result.flatParams, paramTypes: result.paramTypes, updatedAt: new Date() })
      .where(eq(runs.id, runId))
      .returning();
    if (result.params.length > 0)
      await db
        .insert(mlflowRunParams)
        .values(dedupe(result.params).map((param) => ({ runId, ...param })))
        .onConflictDoNothing();
    return { run: updated!, changed: true };
  });
}

/** The columns the MLflow API changes on a run. */
export type MlflowRunPatch = Partial<Pick<Run, 'name' | 'notes' | 'status' | 'startedAt' | 'finishedAt' | 'lastSeenAt'>>;

/** Changes a run nobody leases (a worker's run changes only through its lease); null when it is leased or gone. */
export async function updateUnleasedRun(handle: Handle, runId: string, patch: MlflowRunPatch): Promise<Run | null> {
  const [row] = await handle.db
    .update(runs)
    .set({ ...patch, updatedAt: new Date() })
    .where(and(eq(runs.id, runId), isNull(runs.leaseToken)))
    .returning();
  return row ?? null;
}

/** One condition of an MLflow run search, as the service translated it. */
export type MlflowRunCondition =
  /** Tuneboard's own filter (typed params, metrics, status, name). */
  | { kind: 'filter'; expr: Expr }
  /** Text comparisons MLflow makes on a param, a tag or the run name. */
  | {
      kind: 'text';
      target: { param: string } | { tag: string } | { name: true };
      op: '=' | '!=' | 'LIKE' | 'ILIKE' | 'IN' | 'NOT IN' | '<' | '<=' | '>' | '>=';
      values: readonly string[];
    }
  | { kind: 'runIds'; ids: readonly string[]; negated: boolean }
  | { kind: 'time'; column: 'start' | 'end'; op: '=' | '!=' | '<' | '<=' | '>' | '>='; ms: number };

export type MlflowRunOrder =
  | { field: 'start_time' | 'end_time' | 'name' | 'status' | 'run_id'; ascending: boolean }
  | { field: 'param'; path: string; ascending: boolean }
  | { field: 'metric'; key: string; ascending: boolean }
  | { field: 'tag'; key: string; ascending: boolean };

const TEXT_OPS = { '=': '=', '!=': '<>', LIKE: 'like', ILIKE: 'ilike', '<': '<', '<=': '<=', '>': '>', '>=': '>=' } as const;

function textConditionSql(condition: Extract<MlflowRunCondition, { kind: 'text' }>): SQL {
  const { target, op, values } = condition;
  const compare = (column: SQL): SQL => {
    if (op === 'IN' || op === 'NOT IN') {
      const list = sql.join(
        values.map((value) => sql`${value}::text`),
        sql`, `,
      );
      return op === 'IN' ? sql`${column} in (${list})` : sql`${column} not in (${list})`;
    }
    return sql`${column} ${sql.raw(TEXT_OPS[op])} ${values[0] ?? ''}::text`;
  };
  if ('name' in target) return compare(sql`${runs.name}`);
  if ('param' in target) return compare(sql`(select p.value from mlflow_run_params p where p.run_id = ${runs.id} and p.key = ${target.param}::text)`);
  return sql`exists (select 1 from mlflow_run_tags t where t.run_id = ${runs.id} and t.key = ${target.tag}::text and ${compare(sql`t.value`)})`;
}

const COMPARE_SQL = { '=': '=', '!=': '<>', '<': '<', '<=': '<=', '>': '>', '>=': '>=' } as const;

function conditionSql(condition: MlflowRunCondition): SQL | undefined {
  switch (condition.kind) {
    case 'filter':
      return runFilterSql(condition.expr);
    case 'text':
      return textConditionSql(condition);
    case 'runIds':
      if (condition.ids.length === 0) return condition.negated ? undefined : sql`false`;
      return condition.negated ? sql`not (${inArray(runs.id, [...condition.ids])})` : inArray(runs.id, [...condition.ids]);
    case 'time': {
      const column = condition.column === 'start' ? sql`coalesce(${runs.startedAt}, ${runs.createdAt})` : sql`${runs.finishedAt}`;
      return sql`(extract(epoch from ${column}) * 1000)::float8 ${sql.raw(COMPARE_SQL[condition.op])} ${condition.ms}::float8`;
    }
  }
}

function orderSql(order: MlflowRunOrder): SQL {
  const direction = sql.raw(order.ascending ? 'asc nulls last' : 'desc nulls last');
  switch (order.field) {
    case 'start_time':
      return sql`coalesce(${runs.startedAt}, ${runs.createdAt}) ${direction}`;
    case 'end_time':
      return sql`${runs.finishedAt} ${direction}`;
    case 'name':
      return sql`${runs.name} ${direction}`;
    case 'status':
      return sql`${runs.status} ${direction}`;
    case 'run_id':
      return sql`${runs.id} ${direction}`;
    case 'param':
      // jsonb orders numbers numerically: batch_size 8 < 16 < 128.
      return sql`(${runs.flatParams} -> ${order.path}::text) ${direction}`;
    case 'metric':
      return sql`${metricSql(order.key, 'last')} ${direction}`;
    case 'tag':
      return sql`(select t.value from mlflow_run_tags t where t.run_id = ${runs.id} and t.key = ${order.key}::text) ${direction}`;
  }
}

/** A page of the runs of these projects matching every condition, ordered (ties: newest first, then id). */
export async function searchRuns(
  handle: Handle,
  request: {
    projectIds: readonly string[];
    view: LifecycleView;
    conditions: readonly MlflowRunCondition[];
    orderBy: readonly MlflowRunOrder[];
    limit: number;
    offset: number;
  },
): Promise<Run[]> {
  if (request.projectIds.length === 0) return [];
  return handle.db
    .select()
    .from(runs)
    .where(and(inArray(runs.projectId, [...request.projectIds]), lifecycleSql(runs.deletedAt, request.view), ...request.conditions.map(conditionSql)))
    .orderBy(...request.orderBy.map(orderSql), sql`coalesce(${runs.startedAt}, ${runs.createdAt}) desc`, desc(runs.id))
    .limit(request.limit)
    .offset(request.offset);
}

/**
 * The step at which a metric's history from `fromStep` holds at least `points` points, read from the chunk index
 * (no point arrays): the last step of the chunk where the running count reaches it, or null when the series ends
 * first. A window [fromStep, that step] holds at most `points` + one chunk, so reading it is never downsampled.
 */
export async function historyWindowEnd(handle: Handle, runId: string, key: string, fromStep: number, points: number): Promise<number | null> {
  const [row] = await handle.query<{ end_step: number | null }>(
    `select min(last_step) as end_step from (
       select c.last_step, sum(c.point_count) over (order by c.first_step) as upto
       from metric_chunks c join metric_summaries s on s.id = c.series_id
       where s.run_id = $1::uuid and s.key = $2::text and c.last_step >= $3::int4
     ) t where upto >= $4::int8`,
    [runId, key, fromStep, points],
  );
  return row?.end_step ?? null;
}
