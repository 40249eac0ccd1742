import { isTerminalRunStatus, metricStore, mlflowStore, type MetricSummaryRow, type Project, type Run, type RunStatus } from '@tuneboard/db';
import { canonicalId, isUuid, requireActor, requireTeam, type Access } from './access';
import { conflict, DomainError, invalid, isDomainError, notFound } from './errors';
import { storeMetrics } from './metrics';
import { createProject } from './projects';
import { appendParams, paramPath, WARNINGS_TAG, type ParamWarning } from './run-params';
import { defaultOpenRunName, setParentOf, submitRun, validateName } from './runs';
import type { Scope } from './scope';
import { boundedText, TEXT_LIMITS } from './text';

/**
 * The MLflow tracking model on Tuneboard's: an experiment is a project of the caller's team (new ones infer
 * their schema from the params logged), a run is an EXTERNAL run of it, MLflow's key/value tags and params as
 * logged are kept beside the run (stores/mlflow.ts). Transport-free: transport/mlflow.ts speaks MLflow's JSON.
 */

export type MlflowStatus = 'RUNNING' | 'SCHEDULED' | 'FINISHED' | 'FAILED' | 'KILLED';
export const MLFLOW_STATUSES: readonly MlflowStatus[] = ['RUNNING', 'SCHEDULED', 'FINISHED', 'FAILED', 'KILLED'];

const TO_MLFLOW: Record<RunStatus, MlflowStatus> = {
  queued: 'SCHEDULED',
  running: 'RUNNING',
  succeeded: 'FINISHED',
  failed: 'FAILED',
  diverged: 'FAILED',
  // A run unheard from past its timeout: its script may be gone; it is running again if it reports.
  lost: 'FAILED',
  cancelled: 'KILLED',
  // Early stopping ended it; MLflow has no such status. Nothing maps back to pruned.
  pruned: 'KILLED',
};
const FROM_MLFLOW: Record<MlflowStatus, RunStatus> = { RUNNING: 'running', SCHEDULED: 'queued', FINISHED: 'succeeded', FAILED: 'failed', KILLED: 'cancelled' };
export const toMlflowStatus = (status: RunStatus) => TO_MLFLOW[status];
/** The Tuneboard statuses an MLflow status stands for (in a search). */
export const tuneboardStatusesOf = (status: MlflowStatus) => (Object.keys(TO_MLFLOW) as RunStatus[]).filter((s) => TO_MLFLOW[s] === status);

/** MLflow's limits (mlflow/utils/validation.py). */
export const MLFLOW_LIMITS = {
  batchMetrics: 1000,
  batchParams: 100,
  batchTags: 100,
  batchTotal: 1000,
  batchBytes: 1024 * 1024,
  keyLength: 250,
  paramValueLength: 6000,
  tagValueLength: 8000,
  experimentTagValueLength: 20_000,
  experimentName: 100,
} as const;

/** A key, with MLflow's rules: 1–250 characters, no `..` segment or leading `/` (keys become file paths in MLflow). */
export function checkKey(key: string, what: string): string {
  if (key.length === 0 || key.length > MLFLOW_LIMITS.keyLength)
    throw invalid(`Invalid value '${key.slice(0, 60)}' for parameter '${what}': must have 1 to ${MLFLOW_LIMITS.keyLength} characters`, [
      { path: what, message: 'bad length' },
    ]);
  // Names may only contain alphanumerics, underscores (_), dashes (-), periods (.), spaces ( ), colon(:) and slashes (/).
  if (!/^[\p{L}\p{N}_\-. :/]+$/u.test(key) || key.startsWith('/') || key.split('/').some((segment) => segment === '..' || segment === '.'))
    throw invalid(
      `Invalid value '${key.slice(0, 60)}' for parameter '${what}': names may only contain alphanumerics, underscores (_), dashes (-), periods (.), spaces ( ), colons (:) and slashes (/), and may not start with / or contain a . or .. segment`,
      [{ path: what, message: 'bad characters' }],
    );
  return key;
}

/**
 * The team an MLflow client works in (where experiments are created, found by name and searched): the one its
 * X-Tuneboard-Team header names (a team id, or the name of one of the user's teams), else the user's only team,
 * else the team they joined first (their own, usually). Experiments and runs of the user's other teams are still
 * reachable by id.
 */
export async function mlflowTeam(ctx: Scope, requested: string | null | undefined): Promise<string> {
  const actor = requireActor(ctx);
  if (requested) {
    const wanted = requested.trim();
    if (actor.roles.has(wanted.toLowerCase())) return wanted.toLowerCase();
    const teams = await Promise.all([...actor.roles.keys()].map((id) => ctx.loaders.team.load(id)));
    const named = teams.filter((team) => team !== null && team.name.toLowerCase() === wanted.toLowerCase());
    if (named.length > 1) throw invalid(`You belong to ${named.length} teams named "${wanted}"; name the team by its id in X-Tuneboard-Team`);
    if (named.length === 0) throw notFound('Team', requested);
    return named[0]!.id;
  }
  if (actor.roles.size === 1) return [...actor.roles.keys()][0]!;
  const oldest = await mlflowStore.oldestTeamOfUser(ctx.store, actor.userId);
  if (!oldest || !actor.roles.has(oldest)) throw invalid('Your user belongs to no team; join one, or name it with the X-Tuneboard-Team header');
  return oldest;
}

/** MLflow's Default experiment, where a client that names none logs (experiment id "0"): a project of this name in the team. */
export const DEFAULT_EXPERIMENT_ID = '0';
const DEFAULT_EXPERIMENT_NAME = 'Default';

/** The project id an experiment id stands for: "0" is the team's Default project, made (inferred) on first use. */
export async function resolveExperimentId(ctx: Scope, experimentId: string, teamId: () => Promise<string>): Promise<string> {
  if (experimentId !== DEFAULT_EXPERIMENT_ID) return experimentId;
  const team = await teamId();
  const existing = await mlflowStore.projectByName(ctx.store, team, DEFAULT_EXPERIMENT_NAME);
  if (existing) return existing.id;
  try {
    return (await createProject(ctx, { teamId: team, name: DEFAULT_EXPERIMENT_NAME, kind: 'inferred' })).id;
  } catch (error) {
    // Created by a concurrent first run meanwhile.
    const raced = isDomainError(error) && error.code === 'CONFLICT' ? await mlflowStore.projectByName(ctx.store, team, DEFAULT_EXPERIMENT_NAME) : null;
    if (!raced) throw error;
    return raced.id;
  }
}

export function alreadyExists(message: string): DomainError {
  return new DomainError('CONFLICT', message, { exists: true });
}

// ── Experiments ────────────────────────────────────────────────────────────────────────────────────────────────

export interface ExperimentView {
  project: Project;
  tags: { key: string; value: string }[];
}

export async function viewsOf(ctx: Scope, projects: readonly Project[]): Promise<ExperimentView[]> {
  const tags = await mlflowStore.experimentTagsOf(
    ctx.store,
    projects.map((p) => p.id),
  );
  return projects.map((project) => ({ project, tags: tags.filter((t) => t.projectId === project.id).map(({ key, value }) => ({ key, value })) }));
}

/** An experiment the caller may access, deleted or not. */
export async function loadExperiment(ctx: Scope, experimentId: string, access: Access): Promise<Project> {
  requireActor(ctx);
  if (!isUuid(experimentId)) throw notFound('Experiment', experimentId);
  const project = await mlflowStore.projectAnyStage(ctx.store, canonicalId(experimentId));
  if (!project) throw notFound('Experiment', experimentId);
  requireTeam(ctx, project.teamId, access, 'Experiment', experimentId);
  return project;
}

export async function getExperiment(ctx: Scope, experimentId: string): Promise<ExperimentView> {
  return (await viewsOf(ctx, [await loadExperiment(ctx, experimentId, 'read')]))[0]!;
}

export async function getExperimentByName(ctx: Scope, teamId: string, name: string): Promise<ExperimentView> {
  const project = await mlflowStore.projectByName(ctx.store, teamId, name.trim());
  if (!project) throw new DomainError('NOT_FOUND', `Could not find experiment with name '${name}'`);
  requireTeam(ctx, project.teamId, 'read', 'Experiment', name);
  return (await viewsOf(ctx, [project]))[0]!;
}

export async function createExperiment(ctx: Scope, teamId: string, input: { name: string; tags: { key: string; value: string }[] }): Promise<Project> {
  checkTags(input.tags, MLFLOW_LIMITS.experimentTagValueLength);
  let project: Project;
  try {
    project = await createProject(ctx, { teamId, name: input.name, kind: 'inferred' });
  } catch (error) {
    if (isDomainError(error) && error.code === 'CONFLICT') throw alreadyExists(`Experiment '${input.name}' already exists.`);
    throw error;
  }
  await mlflowStore.setExperimentTags(ctx.store, project.id, input.tags);
  return project;
}

export type ViewType = 'ACTIVE_ONLY' | 'DELETED_ONLY' | 'ALL';
export const lifecycleOf = (view: ViewType) => ({ ACTIVE_ONLY: 'active', DELETED_ONLY: 'deleted', ALL: 'all' })[view] as mlflowStore.LifecycleView;

/** Offsets in page tokens, as MLflow's own SQL store does. */
export const encodePageToken = (offset: number) => Buffer.from(JSON.stringify({ offset })).toString('base64');
export function decodePageToken(token: string | null | undefined): number {
  if (!token) return 0;
  try {
    const { offset } = JSON.parse(Buffer.from(token, 'base64').toString('utf8')) as { offset?: unknown };
    if (typeof offset === 'number' && Number.isSafeInteger(offset) && offset >= 0) return offset;
  } catch {
    // reported below
  }
  throw invalid(`Invalid page token '${token.slice(0, 60)}'`, [{ path: 'page_token', message: 'not a token this server returned' }]);
}

export async function renameExperiment(ctx: Scope, experimentId: string, name: string): Promise<void> {
  const project = await loadExperiment(ctx, experimentId, 'write');
  const trimmed = name.trim();
  if (trimmed === '' || trimmed.length > MLFLOW_LIMITS.experimentName)
    throw invalid(`An experiment name must have 1 to ${MLFLOW_LIMITS.experimentName} characters`, [{ path: 'new_name', message: 'bad length' }]);
  const result = await mlflowStore.renameProject(ctx.store, project.id, trimmed);
  if (result === 'conflict') throw alreadyExists(`Experiment '${trimmed}' already exists.`);
  ctx.loaders.project.clear(project.id);
}

export async function setExperimentDeleted(ctx: Scope, experimentId: string, deleted: boolean): Promise<void> {
  const project = await loadExperiment(ctx, experimentId, 'write');
  const result = await mlflowStore.setProjectDeleted(ctx.store, project.id, deleted);
  if (result === 'conflict') throw alreadyExists(`Cannot restore experiment ${experimentId}: a live experiment is named '${project.name}'.`);
  ctx.loaders.project.clear(project.id);
}

export async function deleteExperimentTag(ctx: Scope, experimentId: string, key: string): Promise<void> {
  const project = await loadExperiment(ctx, experimentId, 'write');
  if (project.deletedAt) throw invalid(`The experiment ${experimentId} must be in the 'active' state.`, [{ path: 'experiment_id', message: 'deleted' }]);
  if (!(await mlflowStore.deleteExperimentTag(ctx.store, project.id, key)))
    throw new DomainError('NOT_FOUND', `No tag with name: ${key} in experiment with id ${project.id}`);
}

export async function setExperimentTag(ctx: Scope, experimentId: string, key: string, value: string): Promise<void> {
  const project = await loadExperiment(ctx, experimentId, 'write');
  if (project.deletedAt) throw invalid(`The experiment ${experimentId} must be in the 'active' state.`, [{ path: 'experiment_id', message: 'deleted' }]);
  checkTags([{ key, value }], MLFLOW_LIMITS.experimentTagValueLength);
  await mlflowStore.setExperimentTags(ctx.store, project.id, [{ key, value }]);
}

// ── Runs ───────────────────────────────────────────────────────────────────────────────────────────────────────

export interface RunView {
  run: Run;
  teamId: string;
  tags: { key: string; value: string }[];
  params: { key: string; value: string }[];
  metrics: MetricSummaryRow[];
  userId: string;
}

/** A run the caller may access, deleted or not (its project not deleted for good). */
export async function loadMlflowRun(ctx: Scope, runId: string, access: Access, options: { active?: boolean } = {}): Promise<{ run: Run; teamId: string }> {
  requireActor(ctx);
  if (!isUuid(runId)) throw new DomainError('NOT_FOUND', `Run '${runId}' not found`);
  const row = await mlflowStore.runAnyStage(ctx.store, canonicalId(runId));
  if (!row) throw new DomainError('NOT_FOUND', `Run '${runId}' not found`);
  requireTeam(ctx, row.teamId, access, 'Run', runId);
  if (options.active && row.run.deletedAt) throw invalid(`The run ${row.run.id} must be in the 'active' state. Current state is deleted.`);
  return row;
}

export async function runViews(ctx: Scope, rows: readonly { run: Run; teamId: string }[]): Promise<RunView[]> {
  const ids = rows.map((r) => r.run.id);
  const [tags, params, metrics] = await Promise.all([
    mlflowStore.runTagsOf(ctx.store, ids),
    mlflowStore.runParamsOf(ctx.store, ids),
    metricStore.summariesOfRuns(ctx.store, ids),
  ]);
  const creators = await Promise.all(rows.map((r) => (r.run.createdById ? ctx.loaders.user.load(r.run.createdById) : null)));
  return rows.map(({ run, teamId }, i) => {
    const own = tags.filter((t) => t.runId === run.id).map(({ key, value }) => ({ key, value }));
    return {
      run,
      teamId,
      tags: own,
      params: paramsOf(
        run,
        params.filter((p) => p.runId === run.id),
      ),
      metrics: metrics.filter((m) => m.runId === run.id),
      userId: own.find((t) => t.key === 'mlflow.user')?.value ?? creators[i]?.email ?? '',
    };
  });
}

/**
 * A run's params as MLflow shows them: the text each was logged with through MLflow, and for the rest of its config
 * (a run logged with Tuneboard's SDK or CLI) each flat path with its typed value as text (`2.0` stays `2.0`).
 */
function paramsOf(run: Run, logged: readonly { key: string; value: string }[]): { key: string; value: string }[] {
  const result = logged.map(({ key, value }) => ({ key, value }));
  const covered = new Set(logged.map((p) => paramPath(p.key)));
  const flat = (run.flatParams as Record<string, unknown> | null) ?? {};
  const types = (run.paramTypes as Record<string, string> | null) ?? {};
  for (const [path, value] of Object.entries(flat)) {
    if (covered.has(path) || typeof value === 'object') continue;
    const text = types[path] === 'float' && Number.isInteger(value) ? `${value as number}.0` : String(value);
    result.push({ key: path, value: text });
  }
  return result.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

export async function getRun(ctx: Scope, runId: string): Promise<RunView> {
  return (await runViews(ctx, [await loadMlflowRun(ctx, runId, 'read')]))[0]!;
}

/** Reserved tags that are also columns of the run. */
const RUN_NAME_TAG = 'mlflow.runName';
const NOTE_TAG = 'mlflow.note.content';
const PARENT_TAG = 'mlflow.parentRunId';

export async function createMlflowRun(
  ctx: Scope,
  input: { experimentId: string; runName: string | null; startTime: number | null; tags: { key: string; value: string }[]; userId: string | null },
): Promise<RunView> {
  const project = await loadExperiment(ctx, input.experimentId, 'write');
  if (project.deletedAt) throw invalid(`The experiment ${project.id} must be in the 'active' state. Current state is deleted.`);
  if (project.schemaKind === 'builtin')
    throw invalid(
      `Experiment ${project.id} ("${project.name}") is a project of Tuneboard's built-in trainer; MLflow runs go to a project with an inferred or declared schema (create one with experiments/create)`,
      [{ path: 'experiment_id', message: 'the project schema is built-in' }],
    );
  checkTags(input.tags);
  const tagged = new Map(input.tags.map((t) => [t.key, t.value]));
  const name = validateName(input.runName || tagged.get(RUN_NAME_TAG) || defaultOpenRunName(project.name), 'run_name');
  const notes = tagged.get(NOTE_TAG) ?? null;
  const submit = (overrideReason: string | null) => submitRun(ctx, { projectId: project.id, name, hparams: {}, execution: 'EXTERNAL', notes, overrideReason });
  let submitted;
  try {
    submitted = await submit(null);
  } catch (error) {
    // A policy cannot refuse a run MLflow's client has already started: it is recorded as overridden.
    if (!isDomainError(error) || error.code !== 'POLICY_VIOLATION') throw error;
    submitted = await submit('Logged through the MLflow API, which cannot refuse a run');
  }
  let run = submitted.run;
  if (input.startTime !== null) run = (await mlflowStore.updateUnleasedRun(ctx.store, run.id, { startedAt: new Date(input.startTime) })) ?? run;
  const tags = [...input.tags.filter((t) => t.key !== RUN_NAME_TAG), { key: RUN_NAME_TAG, value: name }];
  if (input.userId && !tagged.has('mlflow.user')) tags.push({ key: 'mlflow.user', value: input.userId });
  await mlflowStore.setRunTags(ctx.store, run.id, tags);
  const parent = tagged.get(PARENT_TAG);
  if (parent !== undefined) await nestUnder(ctx, run, parent);
  return (await runViews(ctx, [{ run, teamId: project.teamId }]))[0]!;
}

function checkTags(tags: readonly { key: string; value: string }[], maxValue: number = MLFLOW_LIMITS.tagValueLength) {
  for (const tag of tags) {
    checkKey(tag.key, 'tags.key');
    if (tag.value.length > maxValue)
      throw invalid(`Tag '${tag.key}' has a value longer than ${maxValue} characters`, [{ path: 'tags.value', message: 'too long' }]);
  }
}

export async function updateMlflowRun(
  ctx: Scope,
  input: { runId: string; status: MlflowStatus | null; endTime: number | null; runName: string | null },
): Promise<RunView> {
  const { run, teamId } = await loadMlflowRun(ctx, input.runId, 'write', { active: true });
  if (run.leaseToken !== null || run.status === 'queued')
    throw conflict(`The run ${run.id} is ${run.status === 'queued' ? 'queued for' : 'trained by'} a Tuneboard worker; only Tuneboard changes its status`);
  const patch: mlflowStore.MlflowRunPatch = {};
  if (input.runName) patch.name = validateName(input.runName, 'run_name');
  // A pruned run is KILLED to MLflow already; an MLflow client ending it so (set_terminated) must not lose the decision.
  if (input.status && run.status === 'pruned' && input.status !== 'KILLED')
    throw conflict(`The run ${run.id} was pruned (early stopping); its status is final`);
  if (input.status && run.status !== 'pruned') {
    const status = FROM_MLFLOW[input.status];
    patch.status = status;
    if (isTerminalRunStatus(status)) patch.finishedAt = new Date(input.endTime ?? Date.now());
    else {
      patch.finishedAt = null;
      if (status === 'running') patch.lastSeenAt = new Date();
    }
  } else if (input.endTime !== null) patch.finishedAt = new Date(input.endTime);
  const updated = (await mlflowStore.updateUnleasedRun(ctx.store, run.id, patch)) ?? run;
  if (patch.name) await mlflowStore.setRunTags(ctx.store, run.id, [{ key: RUN_NAME_TAG, value: patch.name }]);
  if (updated.status !== run.status) {
    await ctx.events.publish({ kind: 'STATUS_CHANGED', runId: run.id, status: updated.status });
    if (isTerminalRunStatus(updated.status)) ctx.rechecks.projectChanged(run.projectId);
  }
  ctx.loaders.run.clear(run.id);
  return (await runViews(ctx, [{ run: updated, teamId }]))[0]!;
}

export async function setMlflowRunDeleted(ctx: Scope, runId: string, deleted: boolean): Promise<void> {
  const { run } = await loadMlflowRun(ctx, runId, 'write');
  await mlflowStore.setRunDeleted(ctx.store, run.id, deleted);
  ctx.loaders.run.clear(run.id);
  ctx.rechecks.projectChanged(run.projectId);
}

export interface MetricInput {
  key: string;
  value: number;
  timestamp: number;
  step: number;
}

/** MLflow's log-batch: params (immutable), metrics (appended) and tags (overwritten) of one active run. */
export async function logBatch(
  ctx: Scope,
  input: { runId: string; metrics: MetricInput[]; params: { key: string; value: string }[]; tags: { key: string; value: string }[] },
): Promise<{ warnings: ParamWarning[] }> {
  const { metrics, params, tags } = input;
  const problems: string[] = [];
  if (metrics.length > MLFLOW_LIMITS.batchMetrics)
    problems.push(`A batch logging request can contain at most ${MLFLOW_LIMITS.batchMetrics} metrics. Got ${metrics.length} metrics.`);
  if (params.length > MLFLOW_LIMITS.batchParams)
    problems.push(`A batch logging request can contain at most ${MLFLOW_LIMITS.batchParams} params. Got ${params.length} params.`);
  if (tags.length > MLFLOW_LIMITS.batchTags)
    problems.push(`A batch logging request can contain at most ${MLFLOW_LIMITS.batchTags} tags. Got ${tags.length} tags.`);
  const total = metrics.length + params.length + tags.length;
  if (total > MLFLOW_LIMITS.batchTotal)
    problems.push(`A batch logging request can contain at most ${MLFLOW_LIMITS.batchTotal} metrics, params and tags in all. Got ${total}.`);
  if (problems.length > 0) throw invalid(problems.join(' '), [{ path: 'log-batch', message: 'too many entries' }]);
  for (const metric of metrics) checkKey(metric.key, 'metrics.key');
  for (const param of params) {
    checkKey(param.key, 'params.key');
    if (param.value.length > MLFLOW_LIMITS.paramValueLength)
      throw invalid(`Param '${param.key}' has a value longer than ${MLFLOW_LIMITS.paramValueLength} characters`, [
        { path: 'params.value', message: 'too long' },
      ]);
  }
  checkTags(tags);
  const points = metrics.map((m) => ({ key: m.key, step: m.step, value: m.value, wallTime: m.timestamp }));
  if (params.length === 0 && tags.length === 0) {
    // The usual batch (metrics only): logMetrics loads and checks the run itself, one query less per batch; a run
    // it does not find may be a deleted one, which MLflow reports as not active.
    try {
      await storeMetrics(ctx, { runId: input.runId, points });
    } catch (error) {
      if (isDomainError(error) && error.code === 'NOT_FOUND') await loadMlflowRun(ctx, input.runId, 'write', { active: true });
      throw error;
    }
    return { warnings: [] };
  }
  const { run } = await loadMlflowRun(ctx, input.runId, 'write', { active: true });
  const { warnings } = await appendParams(ctx, run, params);
  if (metrics.length > 0) await storeMetrics(ctx, { runId: run.id, points });
  if (tags.length > 0) await setRunTags(ctx, run, tags);
  return { warnings };
}

/**
 * `mlflow.parentRunId` nests the run under that run (what `mlflow.start_run(nested=True)` sets) when it names a run of
 * the same project that is not the run itself or below it; otherwise only the tag is kept, as MLflow keeps it (its
 * server checks nothing, and a client must not fail over a tag).
 */
async function nestUnder(ctx: Scope, run: Run, parentRunId: string | null): Promise<void> {
  await setParentOf(ctx, run, parentRunId);
}

/** Tags overwrite; the reserved ones that are run columns (name, notes, parent) change the run too. */
async function setRunTags(ctx: Scope, run: Run, tags: { key: string; value: string }[]): Promise<void> {
  const parent = tags.findLast((t) => t.key === PARENT_TAG)?.value;
  if (parent !== undefined) await nestUnder(ctx, run, parent);
  const name = tags.findLast((t) => t.key === RUN_NAME_TAG)?.value;
  const notes = tags.findLast((t) => t.key === NOTE_TAG)?.value;
  if (name !== undefined || notes !== undefined)
    await mlflowStore.updateUnleasedRun(ctx.store, run.id, {
      ...(name !== undefined ? { name: validateName(name, 'tags.value') } : {}),
      ...(notes !== undefined ? { notes: boundedText(notes, 'tags.value', TEXT_LIMITS.notes) } : {}),
    });
  await mlflowStore.setRunTags(
    ctx.store,
    run.id,
    tags.map((t) => (t.key === RUN_NAME_TAG && name !== undefined ? { key: t.key, value: name.trim() } : t)),
  );
}

export async function setRunTag(ctx: Scope, runId: string, key: string, value: string): Promise<void> {
  checkTags([{ key, value }]);
  const { run } = await loadMlflowRun(ctx, runId, 'write', { active: true });
  await setRunTags(ctx, run, [{ key, value }]);
}

const MODEL_HISTORY_TAG = 'mlflow.log-model.history';
/** The model history tag grows with each logged model; past this it is refused rather than grown further. */
const MAX_MODEL_HISTORY = 64 * 1024;

/** runs/log-model: MLflow records each model logged in a run in the `mlflow.log-model.history` tag (a JSON list). */
export async function recordLoggedModel(ctx: Scope, runId: string, modelJson: string): Promise<void> {
  let model: unknown;
  try {
    model = JSON.parse(modelJson);
  } catch {
    throw invalid(`model_json is not valid JSON`, [{ path: 'model_json', message: 'not JSON' }]);
  }
  if (typeof model !== 'object' || model === null || Array.isArray(model))
    throw invalid('model_json must be a JSON object', [{ path: 'model_json', message: 'not an object' }]);
  const { run } = await loadMlflowRun(ctx, runId, 'write', { active: true });
  const current = (await mlflowStore.runTagsOf(ctx.store, [run.id])).find((tag) => tag.key === MODEL_HISTORY_TAG)?.value;
  let history: unknown[] = [];
  try {
    const parsed: unknown = current ? JSON.parse(current) : [];
    if (Array.isArray(parsed)) history = parsed;
  } catch {
    history = [];
  }
  const value = JSON.stringify([...history, model]);
  if (value.length > MAX_MODEL_HISTORY)
    throw invalid(`The run's model history would exceed ${MAX_MODEL_HISTORY} characters`, [{ path: 'model_json', message: 'history too long' }]);
  await mlflowStore.setRunTags(ctx.store, run.id, [{ key: MODEL_HISTORY_TAG, value }]);
}

export async function deleteRunTag(ctx: Scope, runId: string, key: string): Promise<void> {
  const { run } = await loadMlflowRun(ctx, runId, 'write', { active: true });
  if (key === WARNINGS_TAG || !(await mlflowStore.deleteRunTag(ctx.store, run.id, key)))
    throw new DomainError('NOT_FOUND', `No tag with name: ${key} in run with id ${run.id}`);
  if (key === PARENT_TAG) await nestUnder(ctx, run, null);
}

// ── Metric history ─────────────────────────────────────────────────────────────────────────────────────────────

export interface HistoryPoint {
  key: string;
  value: number;
  timestamp: number;
  step: number;
  runId: string;
}

/**
 * A page of one metric's history, in step order; the page token is the step to start from. Each read covers a step
 * window that the chunk index says holds about a page (at most a page and one chunk), so it is never downsampled,
 * however sparse or dense the steps.
 */
export async function metricHistory(
  ctx: Scope,
  input: { runId: string; key: string; maxResults: number; pageToken: string | null },
): Promise<{ points: HistoryPoint[]; nextPageToken: string | null }> {
  const { run } = await loadMlflowRun(ctx, input.runId, 'read');
  const from = input.pageToken === null ? 0 : decodePageToken(input.pageToken);
  const summary = (await metricStore.summariesOfRuns(ctx.store, [run.id])).find((s) => s.key === input.key);
  if (!summary || summary.lastStep === null) return { points: [], nextPageToken: null };
  const lastStep = summary.lastStep;
  const collected: HistoryPoint[] = [];
  let start = from;
  while (start <= lastStep && collected.length < input.maxResults) {
    const wanted = input.maxResults - collected.length;
    const end = (await mlflowStore.historyWindowEnd(ctx.store, run.id, input.key, start, wanted)) ?? lastStep;
    const [series] = await metricStore.readMetricSeries(ctx.store, {
      runIds: [run.id],
      keys: [input.key],
      maxPoints: wanted + 2 * metricStore.CHUNK_SIZE,
      fromStep: start,
      toStep: end,
    });
    const got = series?.steps.length ?? 0;
    for (let i = 0; i < got && collected.length < input.maxResults; i++)
      collected.push({ key: input.key, value: series!.values[i]!, timestamp: Math.round(series!.wallTimes[i]!), step: series!.steps[i]!, runId: run.id });
    start = collected.length >= input.maxResults ? collected.at(-1)!.step + 1 : end + 1;
  }
  return { points: collected, nextPageToken: start <= lastStep ? encodePageToken(start) : null };
}

/** Up to maxResults points per run of one metric, downsampled on the server keeping each block's peaks. */
export async function metricHistoryBulkInterval(
  ctx: Scope,
  input: { runIds: string[]; key: string; startStep: number | null; endStep: number | null; maxResults: number },
): Promise<HistoryPoint[]> {
  const runIds: string[] = [];
  for (const runId of input.runIds) runIds.push((await loadMlflowRun(ctx, runId, 'read')).run.id);
  const series = await metricStore.readMetricSeries(ctx.store, {
    runIds,
    keys: [input.key],
    maxPoints: Math.max(3, input.maxResults),
    fromStep: input.startStep,
    toStep: input.endStep,
  });
  const points: HistoryPoint[] = [];
  for (const s of series)
    for (let i = 0; i < s.steps.length; i++)
      points.push({ key: s.key, value: s.values[i]!, timestamp: Math.round(s.wallTimes[i]!), step: s.steps[i]!, runId: s.runId });
  return points;
}
