import type { Store } from '../../client';
import type { TerminalRunStatus } from '../../schema/run-status';
import { MetricBatchError, prepareBatch, type MetricColumns, type SortedSeries } from './batch';
import { writeSeries } from './ingest';

/**
 * Finishing many runs a script reported (an import) at once: their metric histories and final statuses in one
 * transaction, a handful of statements for the whole batch instead of a dozen per run.
 */

/** A run of the batch that cannot be finished as asked (a worker holds it, it ended otherwise); nothing was stored. */
export class RunNotFinishableError extends Error {
  constructor(
    message: string,
    /** Its place in the batch. */
    readonly index: number,
  ) {
    super(message);
    this.name = 'RunNotFinishableError';
  }
}

export interface RunToFinish {
  runId: string;
  metrics: readonly MetricColumns[];
  status: TerminalRunStatus;
  /** Replaces the run's error when given. */
  error?: string | null;
}

export interface FinishedRun {
  runId: string;
  projectId: string;
  /** Distinct (key, step) points stored or replaced, the keys and the step range they cover. */
  points: number;
  keys: string[];
  fromStep: number;
  toStep: number;
  /** False when the run already had this status (a batch sent again): its points were stored again, nothing else. */
  statusChanged: boolean;
}

/**
 * Stores the points of each run (idempotent per run, key and step, as appendMetrics) and sets its final status,
 * all in one transaction: the runs are locked, checked, their series written with one statement per step of the
 * writer (summary rows, chunks, summaries) for all of them, and their statuses set with one update. A run must be
 * one nobody leases (RUNNING or LOST, reported by a script), or already have the status asked for; any other
 * refuses the whole batch (RunNotFinishableError naming its index), as does a malformed series (MetricBatchError
 * at `runs[i].metrics[j]…`). Run ids are unique within a batch (the caller checks).
 */
export async function finishExternalRuns(store: Store, runs: readonly RunToFinish[]): Promise<FinishedRun[]> {
  const prepared = runs.map((run, i) => {
    try {
      return prepareBatch(run.metrics);
    } catch (error) {
      if (error instanceof MetricBatchError) throw new MetricBatchError(`runs[${i}].${error.message}`, `runs[${i}].${error.path}`);
      throw error;
    }
  });
  const ids = runs.map((run) => run.runId.toLowerCase());
  return store.transaction(async (query) => {
    // In id order, so two batches sharing runs lock them in the same order.
    const rows = await query<{ id: string; status: string; lease_token: string | null; project_id: string }>(
      `select id, status, lease_token, project_id from runs where id = any($1::uuid[]) and deleted_at is null order by id for update`,
      [ids],
    );
    const byId = new Map(rows.map((row) => [row.id, row]));
    const changing: number[] = [];
    ids.forEach((id, i) => {
      const row = byId.get(id);
      const wanted = runs[i]!.status;
      if (!row) throw new RunNotFinishableError('the run no longer exists', i);
      if (row.status === wanted) return;
      if (row.status === 'queued')
        throw new RunNotFinishableError('the run is queued for a worker; only runs your own code reports (EXTERNAL) are finished here', i);
      if (row.status === 'running' && row.lease_token !== null)
        throw new RunNotFinishableError('the run is being trained by a worker; only that worker (or cancelRun) changes its status', i);
      if (row.status !== 'running' && row.status !== 'lost') throw new RunNotFinishableError(`the run is already ${row.status}; it cannot become ${wanted}`, i);
      changing.push(i);
    });
    await writeSeries(
      store,
      query,
      ids.map((runId, i) => ({ runId, series: prepared[i]! })),
    );
    if (changing.length > 0)
      await query(
        `update runs r set status = u.status, error = coalesce(u.error, r.error), finished_at = now(), updated_at = now(),
           last_seen_at = case when r.status = 'lost' then now() else r.last_seen_at end
         from unnest($1::uuid[], $2::text[], $3::text[]) as u(id, status, error)
         where r.id = u.id`,
        [changing.map((i) => ids[i]!), changing.map((i) => runs[i]!.status), changing.map((i) => runs[i]!.error ?? null)],
      );
    const changed = new Set(changing);
    return ids.map((runId, i) => ({ runId, projectId: byId.get(runId)!.project_id, statusChanged: changed.has(i), ...extent(prepared[i]!) }));
  });
}

function extent(series: readonly SortedSeries[]): Pick<FinishedRun, 'points' | 'keys' | 'fromStep' | 'toStep'> {
  let points = 0;
  let fromStep = Number.POSITIVE_INFINITY;
  let toStep = Number.NEGATIVE_INFINITY;
  for (const s of series) {
    points += s.steps.length;
    fromStep = Math.min(fromStep, s.steps[0]!);
    toStep = Math.max(toStep, s.steps[s.steps.length - 1]!);
  }
  return { points, keys: series.map((s) => s.key), fromStep, toStep };
}
