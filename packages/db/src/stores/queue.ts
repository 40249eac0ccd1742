import { and, eq, getTableColumns, inArray, isNull, lt, sql } from 'drizzle-orm';
import { metricSummaries } from '../schema/metrics';
import { projects } from '../schema/projects';
import type { RunStatus } from '../schema/run-status';
import { runs, workers, type Run, type RunCheckpoint, type Worker } from '../schema/runs';
import type { Handle } from './handle';

/**
 * The run queue is the runs table itself: workers claim the oldest queued run they may train with
 * `FOR UPDATE SKIP LOCKED` (two workers never take the same run, and neither waits for the other) and hold it
 * with a lease token they renew by heart-beating. Who may train what is decided by the caller; these functions
 * only move runs between queued, running (leased) and finished.
 */

export async function registerWorker(handle: Handle, values: { userId: string; name: string; capabilities: unknown; teamIds: string[] }): Promise<Worker> {
  const [worker] = await handle.db.insert(workers).values(values).returning();
  return worker!;
}

/** The worker if it belongs to this user; null for an unknown id, a malformed one, or another user's worker. */
export async function workerOfUser(handle: Handle, workerId: string, userId: string): Promise<Worker | null> {
  const [worker] = await handle.db
    .select()
    .from(workers)
    .where(and(sql`${workers.id}::text = ${workerId}`, eq(workers.userId, userId)));
  return worker ?? null;
}

export async function workerName(handle: Handle, workerId: string): Promise<string | null> {
  const [worker] = await handle.db.select({ name: workers.name }).from(workers).where(eq(workers.id, workerId));
  return worker?.name ?? null;
}

export interface ClaimRequest {
  workerId: string;
  /** Teams whose runs the worker may train now (non-empty). */
  teamIds: readonly string[];
  gpu: boolean;
  backend: string;
  device: string;
  leaseSeconds: number;
}

/**
 * Leases the oldest queued run of these teams whose requirements the worker meets (a GPU if it asks for one,
 * the worker's backend if it names backends), or returns null; records that the worker was seen either way.
 * A retry (attempt > 1) of a run without a checkpoint starts the history afresh: the lost attempt's metric
 * summaries (and their points) are deleted in the same transaction, so none outlives it. A run with a checkpoint
 * keeps its history; the caller cuts it back to the checkpoint's step. The lost worker can no longer write: its
 * token is stale.
 */
export async function claimNextRun(handle: Handle, request: ClaimRequest): Promise<Run | null> {
  return handle.db.transaction(async (tx) => {
    const next = tx.$with('next').as(
      tx
        .select({ id: runs.id })
        .from(runs)
        .innerJoin(projects, eq(projects.id, runs.projectId))
        .where(
          and(
            eq(runs.status, 'queued'),
            isNull(runs.deletedAt),
            isNull(projects.deletedAt),
            inArray(projects.teamId, [...request.teamIds]),
            sql`(coalesce((${runs.requirements} ->> 'gpu')::boolean, false) = false or ${request.gpu}::boolean)`,
            sql`(${runs.requirements} -> 'backends' is null or ${runs.requirements} -> 'backends' ? ${request.backend}::text)`,
          ),
        )
        .orderBy(runs.createdAt, runs.id)
        .limit(1)
        .for('update', { of: runs, skipLocked: true }),
    );
    const [run] = await tx
      .with(next)
      .update(runs)
      .set({
        status: 'running',
        workerId: request.workerId,
        leaseToken: sql`gen_random_uuid()`,
        leaseExpiresAt: sql`now() + make_interval(secs => ${request.leaseSeconds}::float8)`,
        attempt: sql`${runs.attempt} + 1`,
        startedAt: sql`now()`,
        finishedAt: null,
        error: null,
        backend: request.backend,
        device: request.device,
        updatedAt: sql`now()`,
      })
      .from(next)
      .where(eq(runs.id, next.id))
      .returning(getTableColumns(runs));
    await tx.update(workers).set({ lastSeenAt: new Date() }).where(eq(workers.id, request.workerId));
    if (!run) return null;
    // With a checkpoint the caller rewinds the history to it instead (metrics' rewindMetrics, which needs raw SQL).
    if (run.attempt > 1 && run.checkpoint === null) await tx.delete(metricSummaries).where(eq(metricSummaries.runId, run.id));
    return run;
  });
}

/** Extends the lease of a running run held with this token; null when the run is no longer so held. */
export async function renewLease(handle: Handle, runId: string, leaseToken: string, leaseSeconds: number): Promise<Date | null> {
  const [renewed] = await handle.db
    .update(runs)
    .set({ leaseExpiresAt: sql`now() + make_interval(secs => ${leaseSeconds}::float8)` })
    .where(and(eq(runs.id, runId), eq(runs.status, 'running'), sql`${runs.leaseToken} = ${leaseToken}::uuid`))
    .returning({ leaseExpiresAt: runs.leaseExpiresAt });
  return renewed ? renewed.leaseExpiresAt : null;
}

export interface LeasedRunOutcome {
  status: RunStatus;
  error: string | null;
  divergedAtStep: number | null;
  divergedLearningRate: number | null;
  /** Left as it is when absent. */
  results?: unknown;
}

/** Records the checkpoint the worker holding the run just stored; null when the run is no longer so held. */
export async function recordCheckpoint(handle: Handle, runId: string, leaseToken: string, checkpoint: RunCheckpoint): Promise<Run | null> {
  const [run] = await handle.db
    .update(runs)
    .set({ checkpoint, updatedAt: new Date() })
    .where(and(eq(runs.id, runId), eq(runs.status, 'running'), sql`${runs.leaseToken} = ${leaseToken}::uuid`))
    .returning();
  return run ?? null;
}

/** Ends a running run held with this token, releasing the lease; null when the run is no longer so held. */
export async function finishLeasedRun(handle: Handle, runId: string, leaseToken: string, outcome: LeasedRunOutcome): Promise<Run | null> {
  const [finished] = await handle.db
    .update(runs)
    .set({
      status: outcome.status,
      error: outcome.error,
      divergedAtStep: outcome.divergedAtStep,
      divergedLearningRate: outcome.divergedLearningRate,
      ...(outcome.results !== undefined && outcome.results !== null ? { results: outcome.results } : {}),
      finishedAt: new Date(),
      updatedAt: new Date(),
      leaseToken: null,
      leaseExpiresAt: null,
    })
    .where(and(eq(runs.id, runId), eq(runs.status, 'running'), sql`${runs.leaseToken} = ${leaseToken}::uuid`))
    .returning();
  return finished ?? null;
}

/**
 * Hands a running run held with this token back to the queue at once, the attempt not counted, and deletes its
 * partial history (summaries and points) in the same transaction, unless it has a checkpoint to resume from (the
 * next claim cuts the history back to it). False when the run is no longer so held.
 */
export async function releaseLeasedRun(handle: Handle, runId: string, leaseToken: string): Promise<boolean> {
  return handle.db.transaction(async (tx) => {
    const released = await tx
      .update(runs)
      .set({
        status: 'queued',
        attempt: sql`greatest(${runs.attempt} - 1, 0)`,
        workerId: null,
        leaseToken: null,
        leaseExpiresAt: null,
        startedAt: null,
        updatedAt: sql`now()`,
      })
      .where(and(eq(runs.id, runId), eq(runs.status, 'running'), sql`${runs.leaseToken} = ${leaseToken}::uuid`))
      .returning({ id: runs.id, checkpoint: runs.checkpoint });
    if (released.length > 0 && released[0]!.checkpoint === null) await tx.delete(metricSummaries).where(eq(metricSummaries.runId, runId));
    return released.length > 0;
  });
}

/**
 * Hands runs whose lease expired back to the queue, or fails them (with the reason) after their last attempt.
 * One idempotent UPDATE, so every API replica may run it on a timer.
 */
export async function requeueExpiredLeases(handle: Handle): Promise<{ id: string; status: RunStatus; projectId: string }[]> {
  const retry = sql`${runs.attempt} < ${runs.maxAttempts}`;
  return handle.db
    .update(runs)
    .set({
      status: sql`case when ${retry} then 'queued' else 'failed' end`,
      error: sql`case when ${retry} then ${runs.error} else 'Its worker stopped responding (lease expired) on each of ' || ${runs.attempt} || ' attempts' end`,
      finishedAt: sql`case when ${retry} then null else now() end`,
      workerId: null,
      leaseToken: null,
      leaseExpiresAt: null,
      updatedAt: sql`now()`,
    })
    .where(and(eq(runs.status, 'running'), lt(runs.leaseExpiresAt, sql`now()`)))
    .returning({ id: runs.id, status: runs.status, projectId: runs.projectId });
}
