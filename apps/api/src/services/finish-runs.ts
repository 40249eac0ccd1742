import { isTerminalRunStatus, MetricBatchError, metricStore, RunNotFinishableError, runStore, type RunStatus, type TerminalRunStatus } from '@tuneboard/db';
import { canonicalId, isUuid, requireActor, requireTeam } from './access';
import { badUserInput, conflict, DomainError, isDomainError, notFound, type FieldProblem } from './errors';
import type { RunEventMessage } from './events';
import { MAX_POINTS_PER_BATCH, type SeriesInput } from './metrics';
import type { Scope } from './scope';
import { TEXT_LIMITS } from './text';

/**
 * Finishing many runs your own code reported (EXTERNAL) in one request and one transaction: each run's metric
 * history and its final status. What an import sends once it has created its runs with submitRuns: a handful of
 * statements for a batch instead of a logMetrics and a setRunStatus (a dozen statements) per run.
 */

/** Runs one finishRuns takes at most, as submitRuns. */
export const MAX_RUNS_PER_FINISH = 1_000;
/** Series of all runs of one request: empty ones cost validation too, so they are bounded apart from points. */
const MAX_SERIES_PER_FINISH = 100_000;

export interface FinishRunSpec {
  runId: string;
  metrics?: readonly SeriesInput[] | null;
  status: RunStatus;
  error?: string | null;
}

/**
 * Stores each run's points (idempotent per run, key and step, as logMetrics) and sets its final status
 * (SUCCEEDED, FAILED, CANCELLED or DIVERGED), all or nothing. Each run must be one the actor may write, reported
 * by a script (RUNNING or LOST, no worker lease), or already have the status asked for (a batch sent again stores
 * its points again and changes nothing else). Any refusal names the run by its index, `runs[i]`, and nothing of
 * the batch is stored. Subscribers of each run hear its appended metrics, then its status change.
 */
export async function finishRuns(scope: Scope, input: { runs: readonly FinishRunSpec[] }): Promise<{ accepted: number; runIds: string[] }> {
  requireActor(scope);
  const specs = input.runs;
  if (specs.length === 0 || specs.length > MAX_RUNS_PER_FINISH)
    throw badUserInput(`finishRuns takes 1 to ${MAX_RUNS_PER_FINISH.toLocaleString('en')} runs, got ${specs.length.toLocaleString('en')}`, [
      { path: 'runs', message: `must have 1 to ${MAX_RUNS_PER_FINISH} runs` },
    ]);
  checkSize(specs);
  const problems: FieldProblem[] = [];
  const firstIndex = new Map<string, number>();
  specs.forEach((spec, i) => {
    if (!isTerminalRunStatus(spec.status) || spec.status === 'pruned')
      problems.push({ path: `runs[${i}].status`, message: `must be SUCCEEDED, FAILED, CANCELLED or DIVERGED, got ${spec.status.toUpperCase()}` });
    if (spec.error != null && spec.error.length > TEXT_LIMITS.notes)
      problems.push({
        path: `runs[${i}].error`,
        message: `has ${spec.error.length.toLocaleString('en')} characters; the limit is ${TEXT_LIMITS.notes.toLocaleString('en')}`,
      });
    const id = canonicalId(spec.runId);
    const earlier = firstIndex.get(id);
    if (earlier !== undefined) problems.push({ path: `runs[${i}].runId`, message: `is the run of runs[${earlier}] again; give each run once` });
    else firstIndex.set(id, i);
  });
  if (problems.length > 0) {
    const shown = problems.slice(0, 5).map((problem) => `${problem.path} ${problem.message}`);
    throw badUserInput(
      `finishRuns refused the batch, nothing was stored: ${shown.join('; ')}${problems.length > shown.length ? `; and ${problems.length - shown.length} more` : ''}`,
      problems,
    );
  }
  await requireWritable(scope, specs);

  let finished;
  try {
    finished = await metricStore.finishExternalRuns(
      scope.store,
      specs.map((spec) => ({ runId: spec.runId, metrics: spec.metrics ?? [], status: spec.status as TerminalRunStatus, error: spec.error ?? null })),
    );
  } catch (error) {
    if (error instanceof MetricBatchError) throw badUserInput(`${error.message}. Nothing was stored.`, [{ path: error.path, message: error.message }]);
    if (error instanceof RunNotFinishableError) throw conflict(`runs[${error.index}]: ${error.message}. Nothing was stored.`);
    throw error;
  }

  // Per run, as logMetrics then setRunStatus would have announced them; one statement for the whole batch.
  const events: RunEventMessage[] = [];
  finished.forEach((run, i) => {
    if (run.points > 0) events.push({ kind: 'METRICS_APPENDED', runId: run.runId, keys: run.keys, fromStep: run.fromStep, toStep: run.toStep });
    if (run.statusChanged) events.push({ kind: 'STATUS_CHANGED', runId: run.runId, status: specs[i]!.status });
  });
  await scope.events.publishMany(events);
  for (const projectId of new Set(finished.filter((run) => run.statusChanged).map((run) => run.projectId))) scope.rechecks.projectChanged(projectId);
  return { accepted: finished.reduce((sum, run) => sum + run.points, 0), runIds: finished.map((run) => run.runId) };
}

/** Refuses a request of more than MAX_POINTS_PER_BATCH points (or MAX_SERIES_PER_FINISH series), naming the run where it goes over. */
function checkSize(specs: readonly FinishRunSpec[]): void {
  let points = 0;
  let series = 0;
  for (const [i, spec] of specs.entries()) {
    for (const s of spec.metrics ?? []) points += s.steps.length;
    series += spec.metrics?.length ?? 0;
    if (points > MAX_POINTS_PER_BATCH)
      throw badUserInput(
        `finishRuns takes at most ${MAX_POINTS_PER_BATCH.toLocaleString('en')} metric points per request, and runs[0] to runs[${i}] already hold ${points.toLocaleString('en')}. Send fewer runs per request (a run of more points: its earlier points with logMetrics).`,
        [{ path: `runs[${i}].metrics`, message: 'too many points for one request' }],
      );
    if (series > MAX_SERIES_PER_FINISH)
      throw badUserInput(
        `finishRuns takes at most ${MAX_SERIES_PER_FINISH.toLocaleString('en')} metric series per request, and runs[0] to runs[${i}] already hold ${series.toLocaleString('en')}. Send fewer runs per request.`,
        [{ path: `runs[${i}].metrics`, message: 'too many series for one request' }],
      );
  }
}

/** Every run must be one the actor may write (one query for all); a refusal names the run's index. */
async function requireWritable(scope: Scope, specs: readonly FinishRunSpec[]): Promise<void> {
  const ids = specs
    .map((spec) => spec.runId)
    .filter(isUuid)
    .map(canonicalId);
  const teams = new Map((await runStore.teamsOfRuns(scope.store, ids)).map((row) => [row.runId, row.teamId]));
  for (const [i, spec] of specs.entries()) {
    try {
      const teamId = isUuid(spec.runId) ? teams.get(canonicalId(spec.runId)) : undefined;
      if (!teamId) throw notFound('Run', spec.runId);
      requireTeam(scope, teamId, 'write', 'Run', spec.runId);
    } catch (error) {
      if (isDomainError(error)) throw new DomainError(error.code, `runs[${i}]: ${error.message}. Nothing was stored.`, error.details);
      throw error;
    }
  }
}
