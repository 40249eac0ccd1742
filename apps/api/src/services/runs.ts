import {
  isTerminalRunStatus,
  queueStore,
  RUN_STATUSES,
  runStore,
  type Project,
  type Role,
  type Run,
  type RunAnnotation,
  type RunPruning,
  type RunStatus,
  type Store,
} from '@tuneboard/db';
import {
  BACKEND_NAMES,
  flattenConfig,
  inferSchemas,
  isBackendName,
  plainOf,
  setOwn,
  validateRunConfig,
  type FlatOpenConfig,
  type OpenIssue,
  type RunConfig,
} from '@tuneboard/hparams';
import type { Scope } from './scope';
import { badUserInput, conflict, DomainError, forbidden, invalid, isDomainError, notFound, policyViolation, problemsOf, type FieldProblem } from './errors';
import { canonicalId, isUuid, loadProject, loadRun, requireTeam } from './access';
import { configProblems, currentDeclaredSchema, inferredStateOf, readOpenConfig, splitFlat } from './hparam-schemas';
import { activeFindingsFor, violationsAmong, type FindingRow } from './findings';
import { boundedText, TEXT_LIMITS } from './text';

/** Submitting runs and moving them through their lifecycle; resolvers and workers go through here. */

const MAX_TAGS = 50;
const MAX_TAG_LENGTH = 64;
const MAX_NAME_LENGTH = 200;

export function validateTags(tags: readonly string[], path = 'tags'): string[] {
  const problems: { path: string; message: string }[] = [];
  if (tags.length > MAX_TAGS) problems.push({ path, message: `at most ${MAX_TAGS} tags, got ${tags.length}` });
  const cleaned = tags.map((tag, i) => {
    const trimmed = tag.trim();
    if (trimmed === '' || trimmed.length > MAX_TAG_LENGTH)
      problems.push({ path: `${path}[${i}]`, message: `a tag must have 1 to ${MAX_TAG_LENGTH} characters, got "${tag}"` });
    return trimmed;
  });
  if (problems.length > 0) throw badUserInput(`Invalid tags: ${problems.map((p) => `${p.path} ${p.message}`).join('; ')}`, problems);
  return [...new Set(cleaned)];
}

export function validateName(name: string, path = 'name'): string {
  const trimmed = name.trim();
  if (trimmed === '' || trimmed.length > MAX_NAME_LENGTH)
    throw badUserInput(`A run name must have 1 to ${MAX_NAME_LENGTH} characters`, [{ path, message: `must have 1 to ${MAX_NAME_LENGTH} characters` }]);
  return trimmed;
}

/** Validates a configuration with packages/hparams, reporting every problem with its path. */
export function validateHparams(hparams: unknown): RunConfig {
  const result = validateRunConfig(hparams);
  if (!result.ok) {
    const problems = result.issues.map((issue) => ({ path: `hparams.${issue.path}`.replace(/\.$/, ''), message: issue.message }));
    throw badUserInput(`Invalid hyperparameters: ${result.issues.map((issue) => issue.message).join('; ')}`, problems);
  }
  return result.config;
}

/** A built-in config given as hparams, or as hparamsText (JSON text; the built-in schema knows its own types). */
function builtinHparams(input: { hparams?: unknown; hparamsText?: string | null }): unknown {
  return input.hparamsText != null ? plainOf(readOpenConfig(input).value) : input.hparams;
}

/** A readable default name: what a person would write in a lab notebook. */
export function defaultRunName(config: RunConfig): string {
  const lr = config.optimizer.learningRate
    .toExponential()
    .replace('e+0', '')
    .replace(/\.?0*e/, 'e');
  return `${config.dataset.name}-${config.model.kind}-${config.optimizer.name}-lr${lr}-bs${config.batchSize}`;
}

/** An open config says nothing a name could be built from: the project's name and the time, e.g. `xgb-20261201-1937-4f2a`. */
export function defaultOpenRunName(projectName: string, now = new Date()): string {
  const stamp = now.toISOString().slice(0, 16).replace(/[-:]/g, '').replace('T', '-');
  return `${projectName.slice(0, 150)}-${stamp}-${Math.random().toString(16).slice(2, 6)}`;
}

/**
 * What a declared or inferred project makes of a config: declared validates it against the current version
 * (defaults applied, every problem at `hparams.<path>`); inferred accepts any JSON object. The current version is
 * read once, so a batch of runs validates against one version.
 */
async function projectConfigReader(ctx: Scope, project: Project) {
  const current = project.schemaKind === 'declared' ? await currentDeclaredSchema(ctx.store, project.id) : null;
  if (project.schemaKind === 'declared' && !current) throw invalid('This project is declared but has no schema yet; set one with setProjectSchema');
  return (input: { hparams?: unknown; hparamsText?: string | null }) => {
    const { value, flat } = readOpenConfig(input);
    if (!current) return { config: plainOf(value), flat, schemaVersion: null };
    const result = current.schema.validate(value);
    if (!result.ok) throw configProblems(result.issues);
    return { config: result.config, flat: result.flat, schemaVersion: current.version.version };
  };
}

/** Flat values the findings may test (null values are absent to a rule). */
function findingParams(flat: FlatOpenConfig): Record<string, number | string | boolean> {
  const params: Record<string, number | string | boolean> = {};
  for (const [path, leaf] of Object.entries(flat)) {
    if (leaf.value !== null) setOwn(params, path, leaf.value);
  }
  return params;
}

/** What a submit gives once for all of its runs. */
interface SubmitOptions {
  projectId: string;
  execution?: 'QUEUE' | 'EXTERNAL' | null;
  requirements?: { gpu?: boolean | null; backends?: readonly string[] | null } | null;
  maxAttempts?: number | null;
  overrideReason?: string | null;
}

/** One run of a submit. */
export interface RunSpec {
  name?: string | null;
  hparams?: unknown;
  /** The config as JSON text (keeps 2.0 apart from 2); preferred over hparams for declared and inferred projects. */
  hparamsText?: string | null;
  tags?: readonly string[] | null;
  notes?: string | null;
}

export interface SubmittedRun {
  run: Run;
  warnings: RunWarning[];
}

/** Runs one submitRuns takes at most: a sweep's grid or a page of an import, well within the request body limit. */
export const MAX_RUNS_PER_SUBMIT = 1_000;

/** Queues a run (or starts an EXTERNAL one) in a project the actor may write to. */
export async function submitRun(ctx: Scope, input: SubmitOptions & RunSpec): Promise<SubmittedRun> {
  return (await submitBatch(ctx, input, [input]))[0]!;
}

/**
 * Submits many runs of one project in one request (a sweep's grid, an import): each run is validated and judged
 * against the findings exactly as submitRun would, and they are stored together in one transaction. One invalid
 * run — or one that breaks a policy without an overrideReason — refuses the whole batch, every problem at
 * `runs[i].<path>`, so a batch is never half-stored and can simply be sent again once fixed.
 */
export async function submitRuns(ctx: Scope, input: SubmitOptions & { runs: readonly RunSpec[] }): Promise<SubmittedRun[]> {
  if (input.runs.length === 0 || input.runs.length > MAX_RUNS_PER_SUBMIT)
    throw badUserInput(`submitRuns takes 1 to ${MAX_RUNS_PER_SUBMIT.toLocaleString('en')} runs, got ${input.runs.length}`, [
      { path: 'runs', message: `must have 1 to ${MAX_RUNS_PER_SUBMIT} runs` },
    ]);
  return submitBatch(ctx, input, input.runs);
}

/** A run ready to store: its row, the flat config an open project learns from, and what the findings said. */
interface PreparedRun {
  values: runStore.NewRun;
  flat: FlatOpenConfig | null;
  warnings: RunWarning[];
}

type PrepareRun = (spec: RunSpec) => PreparedRun;

/** A problem's path inside a batch: `runs[3].hparams.lr`; a single submit keeps its paths as they were. */
const batchPath = (index: number, path: string) => `runs[${index}]${path === '' ? '' : `.${path}`}`;

async function submitBatch(ctx: Scope, options: SubmitOptions, specs: readonly RunSpec[]): Promise<SubmittedRun[]> {
  const project = await loadProject(ctx, options.projectId, 'write');
  const prepare = project.schemaKind === 'builtin' ? await builtinRunPreparer(ctx, project, options) : await openRunPreparer(ctx, project, options);
  if (specs.length === 1) return storeRuns(ctx, project, [prepare(specs[0]!)]);
  const prepared: PreparedRun[] = [];
  const problems: FieldProblem[] = [];
  for (const [index, spec] of specs.entries()) {
    try {
      prepared.push(prepare(spec));
    } catch (error) {
      const found = problemsOf(error);
      if (found.length > 0) problems.push(...found.map((problem) => ({ path: batchPath(index, problem.path), message: problem.message })));
      else if (isDomainError(error)) throw new DomainError(error.code, `runs[${index}]: ${error.message} Nothing was submitted.`, error.details);
      else throw error;
    }
  }
  if (problems.length > 0) {
    const invalidRuns = new Set(problems.map((problem) => problem.path.slice(0, problem.path.indexOf(']') + 1))).size;
    const shown = problems.slice(0, 5).map((problem) => `${problem.path}: ${problem.message}`);
    throw badUserInput(
      `${invalidRuns} of ${specs.length} runs are invalid, so none was submitted: ${shown.join('; ')}${problems.length > shown.length ? `; and ${problems.length - shown.length} more` : ''}`,
      problems,
    );
  }
  return storeRuns(ctx, project, prepared);
}

/** Validates the options every run of a submit shares; each run's own fields are checked by the preparer. */
function sharedOptions(options: SubmitOptions) {
  if (options.overrideReason != null) boundedText(options.overrideReason, 'overrideReason', TEXT_LIMITS.reason);
  const maxAttempts = options.maxAttempts ?? 3;
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1 || maxAttempts > 20)
    throw badUserInput(`maxAttempts must be a whole number from 1 to 20, got ${maxAttempts}`, [{ path: 'maxAttempts', message: 'must be 1–20' }]);
  return { maxAttempts };
}

/** Runs of a built-in project: the TF.js trainer's config, queued for a worker or logged EXTERNAL. */
async function builtinRunPreparer(ctx: Scope, project: Project, options: SubmitOptions): Promise<PrepareRun> {
  const requirements = validateRequirements(options.requirements);
  const { maxAttempts } = sharedOptions(options);
  const external = options.execution === 'EXTERNAL';
  const findings = await activeFindingsFor(ctx.store, project.id);
  return (spec) => {
    const config = validateHparams(builtinHparams(spec));
    const tags = validateTags(spec.tags ?? []);
    const name = spec.name ? validateName(spec.name) : defaultRunName(config);
    const notes = boundedText(spec.notes ?? '', 'notes', TEXT_LIMITS.notes);
    const flatParams = flattenConfig(config);
    const { warnings, policyOverride } = judgeAmong(ctx, findings, { params: flatParams, name, tags }, options.overrideReason);
    const now = new Date();
    const values: runStore.NewRun = {
      projectId: project.id,
      name,
      config,
      flatParams,
      tags,
      notes,
      createdById: ctx.actor?.userId ?? null,
      requirements,
      maxAttempts,
      policyOverride,
      // Its script heart-beats (touchRun, metric batches); silent past the timeout, the run becomes lost.
      ...(external ? { status: 'running' as const, startedAt: now, lastSeenAt: now } : {}),
    };
    return { values, flat: null, warnings };
  };
}

/** Runs of a declared or inferred project: runs the caller's own code executes (EXTERNAL). */
async function openRunPreparer(ctx: Scope, project: Project, options: SubmitOptions): Promise<PrepareRun> {
  if (options.execution !== 'EXTERNAL')
    throw invalid(
      `This project's schema is ${project.schemaKind}: Tuneboard's workers train only the built-in schema, so log the run from your own code with execution EXTERNAL (the SDK's init or tuneboard run)`,
      [{ path: 'execution', message: 'must be EXTERNAL for a project whose schema is not built-in' }],
    );
  if (options.requirements != null)
    throw invalid('requirements are for runs a Tuneboard worker trains', [{ path: 'requirements', message: 'not used by EXTERNAL runs' }]);
  sharedOptions(options);
  const readConfig = await projectConfigReader(ctx, project);
  const findings = await activeFindingsFor(ctx.store, project.id);
  return (spec) => {
    const { config, flat, schemaVersion } = readConfig(spec);
    const tags = validateTags(spec.tags ?? []);
    const name = spec.name ? validateName(spec.name) : defaultOpenRunName(project.name);
    const notes = boundedText(spec.notes ?? '', 'notes', TEXT_LIMITS.notes);
    const { warnings, policyOverride } = judgeAmong(ctx, findings, { params: findingParams(flat), name, tags }, options.overrideReason);
    const { params, types } = splitFlat(flat);
    const now = new Date();
    const values: runStore.NewRun = {
      projectId: project.id,
      name,
      config,
      flatParams: params,
      paramTypes: types,
      schemaVersion,
      tags,
      notes,
      createdById: ctx.actor?.userId ?? null,
      policyOverride,
      status: 'running',
      startedAt: now,
      // Logged from the team's own code: silent past the timeout, it becomes lost (see markLostRuns).
      lastSeenAt: now,
    };
    return { values, flat, warnings };
  };
}

/** Stores prepared runs: built-in ones in one insert; open ones learning into the project's schema as they go in. */
async function storeRuns(ctx: Scope, project: Project, prepared: readonly PreparedRun[]): Promise<SubmittedRun[]> {
  if (project.schemaKind === 'builtin') {
    const runs = await runStore.insertRuns(
      ctx.store,
      prepared.map((run) => run.values),
    );
    return runs.map((run, i) => ({ run, warnings: prepared[i]!.warnings }));
  }
  const { runs, learned } = await learnAndInsert(
    ctx.store,
    project.id,
    prepared.map((run) => run.values),
    prepared.map((run) => run.flat!),
  );
  return runs.map((run, i) => {
    // Declared projects learn too (the schema page counts the runs of each path), but only an inferred one warns.
    const warned: RunWarning[] =
      project.schemaKind === 'inferred'
        ? learned[i]!.map((w) => ({
            // A warning without a path: the project's schema is full and new paths of this run were not learned.
            code: w.path === '' ? ('PATHS_NOT_LEARNED' as const) : ('TYPE_CONTRADICTS' as const),
            message: w.message,
            findingId: null,
            path: w.path,
          }))
        : [];
    return { run, warnings: [...warned, ...prepared[i]!.warnings] };
  });
}

/** Runs of one submit waiting to learn into their project's schema and be inserted; they go in together. */
interface PendingGroup {
  values: readonly runStore.NewRun[];
  flats: readonly FlatOpenConfig[];
  done: (result: { runs: Run[]; learned: OpenIssue[][] } | Error) => void;
}

/** Submits waiting for their project's learning transaction, per store and project (this process's batches). */
const pendingGroups = new WeakMap<Store, Map<string, PendingGroup[]>>();

/** Runs one learning transaction gathers from concurrent submits (one submitRuns of more still goes in whole). */
const MAX_LEARNING_BATCH = 200;

/**
 * Inserts open runs and learns their configs into the project's inferred state. Every submit of a project must
 * update that state under the project row's lock, so concurrent submits queue behind one another. Submits
 * arriving while this process's transaction for the project is in flight wait for it and then go in together, as
 * one transaction (group commit): one lock, one read and write of the state, one insert. Each run still learns
 * from the state the runs before it left, in arrival order, and gets its own warnings; a burst costs a few
 * transactions instead of one per run. Several API processes still serialise on the row lock.
 */
function learnAndInsert(
  store: Store,
  projectId: string,
  values: readonly runStore.NewRun[],
  flats: readonly FlatOpenConfig[],
): Promise<{ runs: Run[]; learned: OpenIssue[][] }> {
  let byProject = pendingGroups.get(store);
  if (!byProject) pendingGroups.set(store, (byProject = new Map()));
  const queue = byProject.get(projectId);
  return new Promise((resolve, reject) => {
    const pending: PendingGroup = { values, flats, done: (result) => (result instanceof Error ? reject(result) : resolve(result)) };
    if (queue) return void queue.push(pending);
    const fresh = [pending];
    byProject.set(projectId, fresh);
    void drainLearning(store, projectId, byProject, fresh);
  });
}

async function drainLearning(store: Store, projectId: string, byProject: Map<string, PendingGroup[]>, queue: PendingGroup[]): Promise<void> {
  while (queue.length > 0) {
    // Whole submits, as many as fit the batch (at least one, however large: a submitRuns is stored as a unit).
    let taken = 1;
    let runs = queue[0]!.values.length;
    while (taken < queue.length && runs + queue[taken]!.values.length <= MAX_LEARNING_BATCH) runs += queue[taken++]!.values.length;
    const batch = queue.splice(0, taken);
    try {
      await insertLearningBatch(store, projectId, batch);
    } catch (error) {
      // One submit's failure must not fail the submits that happened to share its transaction: each goes again
      // alone, and gets its own error.
      if (batch.length === 1) batch[0]!.done(error as Error);
      else for (const pending of batch) await insertLearningBatch(store, projectId, [pending]).catch((alone: Error) => pending.done(alone));
    }
  }
  byProject.delete(projectId);
}

async function insertLearningBatch(store: Store, projectId: string, batch: PendingGroup[]): Promise<void> {
  let learned: OpenIssue[][] = [];
  const runs = await runStore.insertRunsLearning(
    store,
    projectId,
    batch.flatMap((pending) => pending.values),
    (state) => {
      const result = inferSchemas(
        inferredStateOf({ inferredSchema: state }),
        batch.flatMap((pending) => pending.flats),
      );
      learned = result.warnings;
      return result.schema;
    },
  );
  let offset = 0;
  for (const pending of batch) {
    const count = pending.values.length;
    pending.done(runs ? { runs: runs.slice(offset, offset + count), learned: learned.slice(offset, offset + count) } : notFound('Project', projectId));
    offset += count;
  }
}

export interface RunCheck {
  problems: { path: string; message: string }[];
  warnings: RunWarning[];
  needsOverride: boolean;
}

/**
 * What submitRun would say about this input, without queueing anything: invalid hyperparameters come back as
 * problems (not an error), and a policy finding it breaks as a warning with needsOverride instead of a refusal.
 */
export async function checkRun(
  ctx: Scope,
  input: Pick<SubmitOptions, 'projectId' | 'overrideReason'> & Pick<RunSpec, 'name' | 'hparams' | 'hparamsText' | 'tags'>,
): Promise<RunCheck> {
  const project = await loadProject(ctx, input.projectId, 'read');
  if (project.schemaKind !== 'builtin') {
    let flat;
    try {
      ({ flat } = (await projectConfigReader(ctx, project))(input));
    } catch (error) {
      const problems = problemsOf(error);
      if (problems.length === 0) throw error;
      return { problems, warnings: [], needsOverride: false };
    }
    const tags = validateTags(input.tags ?? []);
    const name = input.name ? validateName(input.name) : defaultOpenRunName(project.name);
    const { warnings, needsOverride } = await judgeAgainstFindings(ctx, project.id, { params: findingParams(flat), name, tags }, input.overrideReason ?? null, {
      dryRun: true,
    });
    return { problems: [], warnings, needsOverride };
  }
  let config;
  try {
    config = validateHparams(builtinHparams(input));
  } catch (error) {
    const problems = problemsOf(error);
    if (problems.length === 0) throw error;
    return { problems, warnings: [], needsOverride: false };
  }
  const tags = validateTags(input.tags ?? []);
  const name = input.name ? validateName(input.name) : defaultRunName(config);
  const { warnings, needsOverride } = await judgeAgainstFindings(
    ctx,
    input.projectId,
    { params: flattenConfig(config), name, tags },
    input.overrideReason ?? null,
    {
      dryRun: true,
    },
  );
  return { problems: [], warnings, needsOverride };
}

export interface RunWarning {
  code: 'FINDING_VIOLATED' | 'POLICY_OVERRIDDEN' | 'TYPE_CONTRADICTS' | 'PATHS_NOT_LEARNED';
  message: string;
  /** The finding it contradicts (FINDING_VIOLATED, POLICY_OVERRIDDEN). */
  findingId: string | null;
  /** The hyperparameter path it is about (TYPE_CONTRADICTS). */
  path?: string;
}

/**
 * What the team's findings say about a configuration: a warning per finding it contradicts. A `policy`
 * finding refuses the run unless the submitter gives a reason to override it, which is recorded on the run.
 */
export async function judgeAgainstFindings(
  ctx: Scope,
  projectId: string,
  candidate: { params: Record<string, number | string | boolean>; name: string; tags: readonly string[] },
  overrideReason: string | null | undefined,
  options: { dryRun?: boolean } = {},
) {
  return judgeAmong(ctx, await activeFindingsFor(ctx.store, projectId), candidate, overrideReason, options);
}

/** judgeAgainstFindings with the project's active findings already read (once for a batch of runs). */
function judgeAmong(
  ctx: Scope,
  findings: readonly FindingRow[],
  candidate: { params: Record<string, number | string | boolean>; name: string; tags: readonly string[] },
  overrideReason: string | null | undefined,
  options: { dryRun?: boolean } = {},
) {
  const violations = violationsAmong(findings, candidate);
  const policies = violations.filter((v) => v.finding.severity === 'policy');
  const reason = overrideReason?.trim() ?? '';
  const needsOverride = policies.length > 0 && reason === '';
  if (needsOverride && !options.dryRun)
    throw policyViolation(
      `This run breaks ${policies.length === 1 ? 'a policy' : `${policies.length} policies`} of the team: ` +
        `${policies.map((p) => `"${p.finding.title}" (${p.finding.rule})`).join(', ')}. Submit it with an overrideReason to run it anyway.`,
      policies.map((p) => ({ id: p.finding.id, title: p.finding.title, rule: p.finding.rule, message: p.message })),
    );
  const warnings: RunWarning[] = violations.map((v) => ({
    code: v.finding.severity === 'policy' ? 'POLICY_OVERRIDDEN' : 'FINDING_VIOLATED',
    message: v.finding.severity === 'policy' && reason !== '' ? `${v.message} Overridden: ${reason}` : v.message,
    findingId: v.finding.id,
  }));
  const policyOverride = policies.length > 0 && reason !== '' ? { reason, findingIds: policies.map((p) => p.finding.id), by: ctx.actor?.userId ?? null } : null;
  return { warnings, policyOverride, needsOverride };
}

function validateRequirements(input: { gpu?: boolean | null; backends?: readonly string[] | null } | null | undefined) {
  const requirements: { gpu?: boolean; backends?: string[] } = {};
  if (input?.gpu != null) requirements.gpu = input.gpu;
  if (input?.backends != null) {
    const unknown = input.backends.filter((b) => !isBackendName(b));
    if (unknown.length > 0 || input.backends.length === 0)
      throw badUserInput(`requirements.backends must list some of ${BACKEND_NAMES.join(', ')}; got ${JSON.stringify(input.backends)}`, [
        { path: 'requirements.backends', message: `must be some of ${BACKEND_NAMES.join(', ')}` },
      ]);
    requirements.backends = [...new Set(input.backends)];
  }
  return requirements;
}

/**
 * Which status may follow which. `running → queued` is a worker's lease expiring before a retry. Only the sweep
 * makes a run `lost`; a lost run whose script reports again comes back to running, or ends as it reports.
 */
const TRANSITIONS: Record<RunStatus, readonly RunStatus[]> = {
  queued: ['running', 'cancelled', 'failed'],
  running: ['succeeded', 'failed', 'cancelled', 'diverged', 'queued'],
  lost: ['running', 'succeeded', 'failed', 'cancelled', 'diverged'],
  succeeded: [],
  failed: [],
  cancelled: [],
  diverged: [],
  // Only pruneRun makes a run pruned (with its decision); no status change leads there.
  pruned: [],
};

export interface StatusChange {
  status: RunStatus;
  error?: string | null;
  backend?: string | null;
  device?: string | null;
  divergedAtStep?: number | null;
  divergedLearningRate?: number | null;
}

/**
 * A member's manual status change. A run a worker holds (running, with a lease) changes only through that
 * lease, cancelRun, or an owner's explicit override, which releases the lease in the same update and is
 * recorded on the run as an annotation.
 */
/** A member's status change through setRunStatus; `override` (owners only) releases a worker's lease first. */
export async function changeRunStatus(ctx: Scope, input: StatusChange & { runId: string; override?: boolean | null }): Promise<Run> {
  const { runId, override, ...change } = input;
  const run = await loadRun(ctx, runId, 'write');
  if (override) {
    const project = (await ctx.loaders.project.load(run.projectId))!;
    requireTeam(ctx, project.teamId, 'admin', 'Run', run.id);
  }
  return setRunStatus(ctx, run, change, override ? { override: { byUserId: ctx.actor!.userId } } : {});
}

/**
 * A member's manual status change. A run a worker holds (running, with a lease) changes only through that
 * lease, cancelRun, or an owner's explicit override, which releases the lease in the same update and is
 * recorded on the run as an annotation.
 */
export async function setRunStatus(ctx: Scope, before: Run, change: StatusChange, options: { override?: { byUserId: string } } = {}): Promise<Run> {
  const runId = before.id;
  const current = before.status;
  if (!RUN_STATUSES.includes(change.status)) throw badUserInput(`Unknown status ${change.status}`);
  if (change.status === 'pruned')
    throw badUserInput('A run becomes pruned only through pruneRun, which records the decision', [{ path: 'status', message: 'use pruneRun' }]);
  const held = current === 'running' && before.leaseToken !== null;
  const workerName = (held && before.workerId ? await queueStore.workerName(ctx.store, before.workerId) : null) ?? 'unknown';
  if (held && !options.override)
    throw conflict(
      `The run is held by worker "${workerName}" (lease until ${before.leaseExpiresAt?.toISOString() ?? 'unknown'}); only that worker changes its status. ` +
        'Stop it with cancelRun, or, as an owner of the team, pass override: true to release the lease and set the status.',
    );
  if (current !== change.status && !TRANSITIONS[current].includes(change.status)) {
    const allowed = TRANSITIONS[current];
    throw conflict(`A ${current} run cannot become ${change.status}` + (allowed.length ? `; it can become ${allowed.join(', ')}` : `; ${current} is final`));
  }
  const now = new Date();
  // Only from the status and lease we checked: a worker claiming or finishing the run meanwhile wins.
  const run = await runStore.updateRunIfUnchanged(
    ctx.store,
    runId,
    { status: current, leaseToken: before.leaseToken },
    {
      status: change.status,
      updatedAt: now,
      ...(change.status === 'running' && current === 'queued' ? { startedAt: now } : {}),
      // A run set running by hand (no worker lease) is reported by someone's script, like an EXTERNAL one; a lost run
      // reporting again is alive. Either way it gets a full timeout from now.
      ...(change.status === 'running' || current === 'lost' ? { lastSeenAt: now } : {}),
      ...(isTerminalRunStatus(change.status) ? { finishedAt: now } : {}),
      ...(change.error !== undefined ? { error: change.error } : {}),
      ...(change.backend != null ? { backend: change.backend } : {}),
      ...(change.device != null ? { device: change.device } : {}),
      ...(change.divergedAtStep != null ? { divergedAtStep: change.divergedAtStep } : {}),
      ...(change.divergedLearningRate != null ? { divergedLearningRate: change.divergedLearningRate } : {}),
      // The override releases the lease: the worker's next heartbeat or report is refused and it stops.
      ...(held ? { workerId: null, leaseToken: null, leaseExpiresAt: null } : {}),
    },
  );
  if (!run) {
    const fresh = await runStore.runById(ctx.store, runId);
    throw conflict(`The run changed status concurrently (it is now ${fresh?.status ?? 'gone'}); try again`);
  }
  if (held && options.override) {
    await runStore.addAnnotation(ctx.store, {
      runId,
      authorId: options.override.byUserId,
      body: `Owner override: status set from ${current} to ${run.status}; the lease of worker "${workerName}" was released.`,
    });
    ctx.logger.info({ runId, worker: before.workerId, from: current, to: run.status, by: options.override.byUserId }, 'run status override released a lease');
  }
  if (run.status !== current) await ctx.events.publish({ kind: 'STATUS_CHANGED', runId, status: run.status });
  if (isTerminalRunStatus(run.status)) ctx.rechecks.projectChanged(run.projectId);
  return run;
}

/** Cancels a queued or running run; its worker stops at its next heartbeat. Cancelling a cancelled run is a no-op. */
export async function cancelRun(ctx: Scope, runId: string): Promise<Run> {
  const run = await loadRun(ctx, runId, 'write');
  if (run.status === 'cancelled') return run;
  if (isTerminalRunStatus(run.status)) throw badUserInput(`A ${run.status} run cannot be cancelled`, [{ path: 'runId', message: `the run is ${run.status}` }]);
  const cancelled = await runStore.cancelUnfinishedRun(ctx.store, run.id);
  if (!cancelled) {
    const now = await runStore.runById(ctx.store, run.id);
    throw conflict(`The run finished (${now?.status}) before it could be cancelled`);
  }
  await ctx.events.publish({ kind: 'STATUS_CHANGED', runId: run.id, status: 'cancelled' });
  ctx.rechecks.projectChanged(run.projectId);
  return cancelled;
}

/** The early-stopping decision pruneRun records: what packages/sweeps' rules return, in words and figures. */
export interface PruningDecision {
  reason: string;
  resource: number;
  unit?: string | null;
  value?: number | null;
  cutoff?: number | null;
  competitors?: number | null;
}

export const PRUNING_LIMITS = { reason: 500, unit: 40 } as const;

function validatePruning(decision: PruningDecision): RunPruning {
  const problems: FieldProblem[] = [];
  const reason = typeof decision.reason === 'string' ? decision.reason.trim() : '';
  if (reason === '') problems.push({ path: 'decision.reason', message: 'is required: say why the run was stopped' });
  else if (reason.length > PRUNING_LIMITS.reason)
    problems.push({ path: 'decision.reason', message: `has ${reason.length} characters; the limit is ${PRUNING_LIMITS.reason}` });
  const unit = decision.unit?.trim() || null;
  if (unit !== null && unit.length > PRUNING_LIMITS.unit)
    problems.push({ path: 'decision.unit', message: `has ${unit.length} characters; the limit is ${PRUNING_LIMITS.unit}` });
  if (!Number.isFinite(decision.resource) || decision.resource < 0)
    problems.push({ path: 'decision.resource', message: 'must be a finite number, 0 or more (the epoch or step it was stopped at)' });
  for (const key of ['value', 'cutoff'] as const) {
    const v = decision[key];
    if (v != null && !Number.isFinite(v)) problems.push({ path: `decision.${key}`, message: 'must be a finite number' });
  }
  const competitors = decision.competitors ?? null;
  if (competitors !== null && (!Number.isInteger(competitors) || competitors < 0))
    problems.push({ path: 'decision.competitors', message: 'must be a whole number, 0 or more' });
  if (problems.length > 0) throw badUserInput(`pruneRun refused the decision: ${problems.map((p) => `${p.path} ${p.message}`).join('; ')}`, problems);
  return {
    reason,
    resource: decision.resource,
    unit,
    value: decision.value ?? null,
    cutoff: decision.cutoff ?? null,
    competitors,
    decidedAt: new Date().toISOString(),
  };
}

/**
 * Ends a queued, running or lost run as `pruned` (early stopping) with the decision recorded on it; its metric history
 * stays. A worker training it stops at its next heartbeat, `tuneboard run` stops its command at its next one.
 */
export async function pruneRun(ctx: Scope, runId: string, decision: PruningDecision): Promise<Run> {
  const run = await loadRun(ctx, runId, 'write');
  if (isTerminalRunStatus(run.status))
    throw badUserInput(`A ${run.status} run cannot be pruned; only a queued or running one`, [{ path: 'runId', message: `the run is ${run.status}` }]);
  const pruning = validatePruning(decision);
  const pruned = await runStore.pruneUnfinishedRun(ctx.store, run.id, pruning);
  if (!pruned) {
    const now = await runStore.runById(ctx.store, run.id);
    throw conflict(`The run finished (${now?.status}) before it could be pruned`);
  }
  ctx.loaders.run.clear(run.id);
  await ctx.events.publish({ kind: 'STATUS_CHANGED', runId: run.id, status: 'pruned' });
  ctx.rechecks.projectChanged(run.projectId);
  return pruned;
}

/** Renames, retags or re-notes a run; only the fields given change. */
export async function updateRun(
  ctx: Scope,
  input: { id: string; name?: string | null; tags?: readonly string[] | null; notes?: string | null; parentRunId?: string | null },
): Promise<Run> {
  const current = await loadRun(ctx, input.id, 'write');
  // Omitted: unchanged; null: back to the top level.
  if (input.parentRunId !== undefined) await nestRun(ctx, current, input.parentRunId);
  const run = await runStore.updateRunDetails(ctx.store, current.id, {
    ...(input.name != null ? { name: validateName(input.name) } : {}),
    ...(input.tags != null ? { tags: validateTags(input.tags) } : {}),
    ...(input.notes != null ? { notes: boundedText(input.notes, 'notes', TEXT_LIMITS.notes) } : {}),
  });
  // A finding's scope may test tags or the name.
  if (input.tags != null || input.name != null) ctx.rechecks.projectChanged(run!.projectId);
  return run!;
}

/**
 * A heartbeat of an EXTERNAL run's script: the run stays running (a lost one is running again). A heartbeat that
 * arrives after the run finished changes nothing (the script's timer may race its own finish); a run a worker
 * trains heart-beats through its lease, so touching it is a CONFLICT.
 */
export async function touchRun(ctx: Scope, runId: string): Promise<Run> {
  const run = await loadRun(ctx, runId, 'write');
  if (isTerminalRunStatus(run.status)) return run;
  if (run.leaseToken !== null || run.status === 'queued')
    throw conflict(
      run.status === 'queued'
        ? 'The run is queued for a worker; only runs your own script reports (EXTERNAL) take heartbeats'
        : 'The run is trained by a worker, which heart-beats through its lease; only runs your own script reports (EXTERNAL) take heartbeats',
    );
  return (await heardFrom(ctx, run)) ?? run;
}

/** Rewriting the run row for every batch of a busy script buys nothing: a tenth of the timeout (≤ 5 s) is precise enough. */
const heartbeatSkipSeconds = (ctx: Pick<Scope, 'settings'>) => Math.min(5, ctx.settings.externalRunTimeoutSeconds / 10);

/**
 * Whether a batch or heartbeat into a run in this state must record that it was heard from: not when it is
 * finished, nor when it was heard from a moment ago (the run as the request read it says so, without a round
 * trip; the API's clock against the database's can only make that skip late by the clocks' difference).
 */
export function needsHeartbeat(ctx: Pick<Scope, 'settings'>, run: Pick<Run, 'status' | 'lastSeenAt'>): boolean {
  if (isTerminalRunStatus(run.status)) return false;
  return !(run.status === 'running' && run.lastSeenAt !== null && Date.now() - run.lastSeenAt.getTime() < heartbeatSkipSeconds(ctx) * 1000);
}

/**
 * Records that an EXTERNAL run's script was heard from (a heartbeat, a metric batch) and, when that brings a lost
 * run back, says so to subscribers. Returns the run as it is now, or null when nothing changed (not an external
 * run still running or lost, or one heard from a moment ago).
 */
export async function heardFrom(ctx: Pick<Scope, 'store' | 'events' | 'logger' | 'settings'>, run: Run): Promise<Run | null> {
  if (run.leaseToken !== null || !needsHeartbeat(ctx, run)) return null;
  const touched = await runStore.touchExternalRun(ctx.store, run.id, { skipWithinSeconds: heartbeatSkipSeconds(ctx) });
  if (!touched) return null;
  if (touched.previousStatus !== touched.run.status) {
    ctx.logger.info({ runId: run.id }, 'a lost run reported again and is running');
    await ctx.events.publish({ kind: 'STATUS_CHANGED', runId: run.id, status: touched.run.status });
  }
  return touched.run;
}

/**
 * Marks RUNNING external runs unheard from for more than `timeoutSeconds` as lost (a crashed script never says
 * so). Idempotent, so every API replica may run it on a timer; returns the runs it changed.
 */
export async function markLostRuns(store: Store, timeoutSeconds: number): Promise<{ id: string; status: RunStatus; projectId: string }[]> {
  return runStore.markLostExternalRuns(store, timeoutSeconds);
}

/** Pins a note to a run, optionally at a step of its metric history. */
export async function annotateRun(ctx: Scope, input: { runId: string; body: string; step?: number | null }): Promise<RunAnnotation> {
  await loadRun(ctx, input.runId, 'write');
  checkAnnotation(input);
  return runStore.addAnnotation(ctx.store, { runId: input.runId, body: input.body, step: input.step ?? null, authorId: ctx.actor!.userId });
}

function checkAnnotation(input: { body: string; step?: number | null }): void {
  if (input.body.trim() === '') throw badUserInput('An annotation needs a body', [{ path: 'body', message: 'must not be empty' }]);
  boundedText(input.body, 'body', TEXT_LIMITS.comment);
  if (input.step != null && input.step < 0) throw badUserInput('step must be 0 or more', [{ path: 'step', message: 'must be 0 or more' }]);
}

/**
 * An annotation the caller may change: its author (still able to write in the team), or an owner of the team. Anyone
 * else who can read the run gets FORBIDDEN; an annotation of a run they cannot read is NOT_FOUND.
 */
async function ownAnnotation(ctx: Scope, id: string): Promise<RunAnnotation> {
  const annotation = isUuid(id) ? await runStore.annotationById(ctx.store, canonicalId(id)) : null;
  if (!annotation) throw notFound('Annotation', id);
  // Another team's annotation is not found, like its run: the error must not tell which run it is on.
  const run = await loadRun(ctx, annotation.runId, 'read').catch((error: unknown) => {
    throw isDomainError(error) && error.code === 'NOT_FOUND' ? notFound('Annotation', id) : error;
  });
  const role = requireTeam(ctx, (await ctx.loaders.project.load(run.projectId))!.teamId, 'write', 'Annotation', id);
  if (!annotationRule(role, annotation, ctx.actor!.userId)) throw forbidden('Only its author or an owner of the team may change an annotation');
  return annotation;
}

/** Who may change an annotation: an owner of the team, or its author while a member. */
const annotationRule = (role: Role | undefined, annotation: RunAnnotation, userId: string | undefined) =>
  role === 'owner' || (role === 'member' && annotation.authorId === userId);

/** Whether the viewer may change this annotation (of a run they can read): ownAnnotation's rule, without throwing. */
export async function mayEditAnnotation(ctx: Scope, annotation: RunAnnotation): Promise<boolean> {
  const teamId = await ctx.loaders.runTeam.load(annotation.runId);
  return annotationRule(teamId ? ctx.actor?.roles.get(teamId) : undefined, annotation, ctx.actor?.userId);
}

export async function editAnnotation(ctx: Scope, input: { id: string; body: string; step?: number | null }): Promise<RunAnnotation> {
  const annotation = await ownAnnotation(ctx, input.id);
  checkAnnotation(input);
  return (await runStore.updateAnnotation(ctx.store, annotation.id, { body: input.body, step: input.step ?? null })) ?? notFoundAnnotation(input.id);
}

export async function deleteAnnotation(ctx: Scope, id: string): Promise<boolean> {
  const annotation = await ownAnnotation(ctx, id);
  return runStore.deleteAnnotation(ctx.store, annotation.id);
}

function notFoundAnnotation(id: string): never {
  throw notFound('Annotation', id);
}

/** The notes pinned to a run the caller has already read, oldest first. */
export function annotationsOf(ctx: Scope, runId: string): Promise<RunAnnotation[]> {
  return runStore.annotationsOfRun(ctx.store, runId);
}

/**
 * Nests `run` under `parentRunId` (null: back to the top level). False, changing nothing, when that is no run of the
 * same project, the run itself or one below it, or too deep; callers decide whether that is an error.
 */
export async function setParentOf(ctx: Scope, run: Run, parentRunId: string | null): Promise<boolean> {
  const parent = parentRunId === null ? null : canonicalId(parentRunId.trim());
  if (parent !== null && !isUuid(parent)) return false;
  return runStore.setParentRun(ctx.store, run.id, parent);
}

async function nestRun(ctx: Scope, run: Run, parentRunId: string | null): Promise<void> {
  if (await setParentOf(ctx, run, parentRunId)) return;
  const problem = `must name another run of project ${run.projectId} that is not nested under this run, at most ${runStore.MAX_RUN_NESTING} levels deep`;
  throw invalid(`parentRunId ${problem}`, [{ path: 'parentRunId', message: problem }]);
}

/** Most child runs one request lists under a run. */
export const MAX_CHILD_RUNS = 500;

/** The run a (readable) run is nested under: same project, so just as readable; null when none or deleted. */
export async function parentOf(ctx: Scope, run: Run): Promise<Run | null> {
  return run.parentRunId ? ((await ctx.loaders.run.load(run.parentRunId)) ?? null) : null;
}

/** The runs nested directly under a (readable) run, oldest first. */
export function childrenOf(ctx: Scope, run: Run, first: number): Promise<Run[]> {
  if (!Number.isInteger(first) || first < 0 || first > MAX_CHILD_RUNS)
    throw invalid(`first must be from 0 to ${MAX_CHILD_RUNS}`, [{ path: 'first', message: `must be from 0 to ${MAX_CHILD_RUNS}` }]);
  return runStore.childrenOfRun(ctx.store, run.id, first);
}
