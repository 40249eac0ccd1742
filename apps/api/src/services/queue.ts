import { runs, workers, type Role, type Store, type TerminalRunStatus } from '@tuneboard/db';
import { and, eq, sql } from 'drizzle-orm';
import type { Scope } from './scope';
import { badUserInput, conflict, forbidden, notFound } from './errors';
import { isUuid } from './access';
import type { Actor } from './accounts';

/**
 * The run queue is the runs table itself: workers claim the oldest queued run they may train with
 * PostgreSQL's `FOR UPDATE SKIP LOCKED` (so two workers never take the same run, and neither waits for the
 * other), and hold it with a lease they renew by heart-beating. A run whose lease expires (its worker was
 * killed or lost) goes back to the queue, up to its maxAttempts, and is then failed with the reason.
 */

export interface WorkerCapabilities {
  backend: string;
  device: string;
  gpu: boolean;
  memoryMb?: number;
  hostname?: string;
}

/** Roles that may train a team's runs. */
const TRAINING_ROLES: readonly Role[] = ['owner', 'member'];
const MAX_WORKER_TEAMS = 100;

/**
 * Registers a worker for the teams it names, or, when none are named, for the teams its user may train for
 * now. The list is fixed at registration: joining a team later does not widen what a running worker trains.
 */
export async function registerWorker(ctx: Scope, viewer: Actor, name: string, capabilities: WorkerCapabilities, teamIds?: readonly string[] | null) {
  const trainable = [...viewer.roles].filter(([, role]) => TRAINING_ROLES.includes(role)).map(([teamId]) => teamId);
  let chosen: string[];
  if (teamIds == null) {
    if (trainable.length === 0)
      throw badUserInput('You belong to no team whose runs you may train (a viewer cannot); a worker needs an owner or member', [
        { path: 'teamIds', message: 'no team to train for' },
      ]);
    chosen = trainable;
  } else {
    chosen = [...new Set(teamIds.map((id) => id.toLowerCase()))];
    if (chosen.length === 0 || chosen.length > MAX_WORKER_TEAMS)
      throw badUserInput(`A worker trains for 1 to ${MAX_WORKER_TEAMS} teams; omit teamIds for all of yours`, [{ path: 'teamIds', message: `must name 1 to ${MAX_WORKER_TEAMS} teams` }]);
    // A team the user is not in is unknown to them, exactly as everywhere else; a viewer may not train.
    chosen.forEach((teamId) => {
      const role = viewer.roles.get(teamId);
      if (!role || !isUuid(teamId)) throw notFound('Team', teamId);
      if (!TRAINING_ROLES.includes(role))
        throw forbidden(`Your role in team ${teamId} is ${role}; only an owner or member may train its runs`);
    });
  }
  const [worker] = await ctx.store.db.insert(workers).values({ userId: viewer.userId, name, capabilities, teamIds: chosen }).returning();
  return worker!;
}

export async function loadWorker(ctx: Scope, viewer: Actor, workerId: string) {
  const [worker] = await ctx.store.db
    .select()
    .from(workers)
    .where(and(sql`${workers.id}::text = ${workerId}`, eq(workers.userId, viewer.userId)));
  return worker ?? null;
}

/**
 * Claims the oldest queued run whose requirements the worker meets, of a team its registration names and in
 * which its user may still train (roles are read afresh on every request), or null.
 */
export async function claimRun(ctx: Scope, viewer: Actor, worker: typeof workers.$inferSelect, leaseSeconds: number) {
  const teamIds = worker.teamIds.filter((teamId) => TRAINING_ROLES.includes(viewer.roles.get(teamId) as Role));
  if (teamIds.length === 0) return null;
  const capabilities = worker.capabilities as WorkerCapabilities;
  const rows = await ctx.store.query<{ id: string }>(
    `with next as (
       select r.id from runs r join projects p on p.id = r.project_id
       where r.status = 'queued' and r.deleted_at is null and p.deleted_at is null
         and p.team_id = any($1::uuid[])
         and (coalesce((r.requirements ->> 'gpu')::boolean, false) = false or $2::boolean)
         and (r.requirements -> 'backends' is null or r.requirements -> 'backends' ? $3::text)
       order by r.created_at, r.id
       limit 1
       for update of r skip locked
     )
     update runs set status = 'running', worker_id = $4::uuid, lease_token = gen_random_uuid(),
       lease_expires_at = now() + make_interval(secs => $5::float8), attempt = runs.attempt + 1,
       started_at = now(), finished_at = null, error = null, backend = $3::text, device = $6::text, updated_at = now()
     from next where runs.id = next.id
     returning runs.id`,
    [teamIds, capabilities.gpu, capabilities.backend, worker.id, leaseSeconds, capabilities.device],
  );
  await ctx.store.db.update(workers).set({ lastSeenAt: new Date() }).where(eq(workers.id, worker.id));
  const claimed = rows[0];
  if (!claimed) return null;
  // A retry starts the history afresh: points of the lost attempt beyond where this one stops (or whose
  // values differ) must not outlive it. The lost worker can no longer write: its lease token is stale.
  await ctx.store.query(`delete from metric_series where run_id = $1 and (select attempt from runs where id = $1) > 1`, [claimed.id]);
  const [run] = await ctx.store.db.select().from(runs).where(eq(runs.id, claimed.id));
  await ctx.events.publish({ kind: 'STATUS_CHANGED', runId: run!.id, status: 'running' });
  return run!;
}

/** Checks that the caller still holds the run's lease; a worker that lost it must stop training. */
export function assertLease(run: typeof runs.$inferSelect, leaseToken: string) {
  if (run.status === 'running' && run.leaseToken !== leaseToken)
    throw conflict('This worker no longer holds the run: its lease expired and the run was handed to another worker');
}

/** Renews the lease. `cancelled` tells the worker to stop (the run was cancelled meanwhile). */
export async function heartbeat(ctx: Scope, run: typeof runs.$inferSelect, leaseToken: string, leaseSeconds: number) {
  if (run.status === 'cancelled') return { cancelled: true, leaseExpiresAt: null };
  if (run.status !== 'running') throw conflict(`The run is ${run.status}; there is nothing to heart-beat`);
  assertLease(run, leaseToken);
  const [renewed] = await ctx.store.db
    .update(runs)
    .set({ leaseExpiresAt: sql`now() + make_interval(secs => ${leaseSeconds}::float8)` })
    .where(and(eq(runs.id, run.id), eq(runs.status, 'running'), sql`${runs.leaseToken} = ${leaseToken}::uuid`))
    .returning({ leaseExpiresAt: runs.leaseExpiresAt });
  if (!renewed) return heartbeat(ctx, (await ctx.store.db.select().from(runs).where(eq(runs.id, run.id)))[0]!, leaseToken, leaseSeconds);
  return { cancelled: false, leaseExpiresAt: renewed.leaseExpiresAt };
}

export interface Outcome {
  status: TerminalRunStatus;
  error?: string | null;
  divergedAtStep?: number | null;
  divergedLearningRate?: number | null;
  results?: unknown;
}

/** Ends a leased run with its outcome. A cancelled run stays cancelled whatever the worker reports. */
export async function finishRun(ctx: Scope, run: typeof runs.$inferSelect, leaseToken: string, outcome: Outcome) {
  if (run.status === 'cancelled') return run;
  if (run.status !== 'running') throw conflict(`The run is already ${run.status}`);
  assertLease(run, leaseToken);
  const [finished] = await ctx.store.db
    .update(runs)
    .set({
      status: outcome.status,
      error: outcome.error ?? null,
      divergedAtStep: outcome.divergedAtStep ?? null,
      divergedLearningRate: outcome.divergedLearningRate ?? null,
      ...(outcome.results !== undefined && outcome.results !== null ? { results: outcome.results } : {}),
      finishedAt: new Date(),
      updatedAt: new Date(),
      leaseToken: null,
      leaseExpiresAt: null,
    })
    .where(and(eq(runs.id, run.id), eq(runs.status, 'running'), sql`${runs.leaseToken} = ${leaseToken}::uuid`))
    .returning();
  if (!finished) throw conflict('The run changed while it was being finished; it is no longer this worker’s');
  await ctx.events.publish({ kind: 'STATUS_CHANGED', runId: run.id, status: finished.status });
  ctx.rechecks.projectChanged(finished.projectId);
  return finished;
}

/**
 * A worker stopping on purpose (a restart, a deploy) hands its run back: queued again at once, the attempt
 * not counted against maxAttempts, its partial history cleared for the next worker.
 */
export async function releaseRun(ctx: Scope, run: typeof runs.$inferSelect, leaseToken: string) {
  if (run.status !== 'running') return run;
  assertLease(run, leaseToken);
  const released = await ctx.store.transaction(async (query) => {
    const rows = await query<{ id: string }>(
      `update runs set status = 'queued', attempt = greatest(attempt - 1, 0), worker_id = null, lease_token = null,
         lease_expires_at = null, started_at = null, updated_at = now()
       where id = $1 and status = 'running' and lease_token = $2::uuid returning id`,
      [run.id, leaseToken],
    );
    if (rows.length > 0) await query(`delete from metric_series where run_id = $1`, [run.id]);
    return rows.length > 0;
  });
  if (released) await ctx.events.publish({ kind: 'STATUS_CHANGED', runId: run.id, status: 'queued' });
  const [now] = await ctx.store.db.select().from(runs).where(eq(runs.id, run.id));
  return now!;
}

/**
 * Hands runs whose lease expired back to the queue, or fails them after their last attempt. Idempotent, so
 * every API replica may run it on a timer.
 */
export async function requeueExpiredLeases(store: Store): Promise<{ id: string; status: string; projectId: string }[]> {
  return store.query<{ id: string; status: string; projectId: string }>(
    `update runs set
       status = case when attempt < max_attempts then 'queued' else 'failed' end,
       error = case when attempt < max_attempts then error
                    else 'Its worker stopped responding (lease expired) on each of ' || attempt || ' attempts' end,
       finished_at = case when attempt < max_attempts then null else now() end,
       worker_id = null, lease_token = null, lease_expires_at = null, updated_at = now()
     where status = 'running' and lease_expires_at < now()
     returning id, status, project_id as "projectId"`,
  );
}
