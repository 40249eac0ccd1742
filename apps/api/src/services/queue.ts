import { metricStore, queueStore, runStore, type Role, type Run, type Store, type TerminalRunStatus, type Worker } from '@tuneboard/db';
import { artifactPath, listArtifacts } from './artifacts';
import type { Scope } from './scope';
import { badUserInput, conflict, forbidden, notFound } from './errors';
import { isUuid, loadRun, requireActor } from './access';
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
export async function registerWorker(
  ctx: Scope,
  input: { name: string; capabilities: WorkerCapabilities; teamIds?: readonly string[] | null },
): Promise<Worker> {
  const viewer = requireActor(ctx);
  const name = input.name.trim();
  if (name === '') throw badUserInput('A worker needs a name', [{ path: 'name', message: 'must not be empty' }]);
  const { capabilities, teamIds } = input;
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
      throw badUserInput(`A worker trains for 1 to ${MAX_WORKER_TEAMS} teams; omit teamIds for all of yours`, [
        { path: 'teamIds', message: `must name 1 to ${MAX_WORKER_TEAMS} teams` },
      ]);
    // A team the user is not in is unknown to them, exactly as everywhere else; a viewer may not train.
    chosen.forEach((teamId) => {
      const role = viewer.roles.get(teamId);
      if (!role || !isUuid(teamId)) throw notFound('Team', teamId);
      if (!TRAINING_ROLES.includes(role)) throw forbidden(`Your role in team ${teamId} is ${role}; only an owner or member may train its runs`);
    });
  }
  return queueStore.registerWorker(ctx.store, { userId: viewer.userId, name, capabilities, teamIds: chosen });
}

/** The viewer's worker, or null (another user's worker is unknown to them). */
export function loadWorker(ctx: Scope, viewer: Actor, workerId: string): Promise<Worker | null> {
  return queueStore.workerOfUser(ctx.store, workerId, viewer.userId);
}

/**
 * Claims, for the viewer's worker, the oldest queued run whose requirements the worker meets, of a team its
 * registration names and in which its user may still train (roles are read afresh on every request), or null.
 */
export async function claimRun(ctx: Scope, workerId: string): Promise<Run | null> {
  const viewer = requireActor(ctx);
  const worker = await loadWorker(ctx, viewer, workerId);
  if (!worker) throw notFound('Worker', workerId);
  return claimFor(ctx, viewer, worker, ctx.settings.leaseSeconds);
}

async function claimFor(ctx: Scope, viewer: Actor, worker: Worker, leaseSeconds: number): Promise<Run | null> {
  const teamIds = worker.teamIds.filter((teamId) => TRAINING_ROLES.includes(viewer.roles.get(teamId) as Role));
  if (teamIds.length === 0) return null;
  const capabilities = worker.capabilities as WorkerCapabilities;
  const run = await queueStore.claimNextRun(ctx.store, {
    workerId: worker.id,
    teamIds,
    gpu: capabilities.gpu,
    backend: capabilities.backend,
    device: capabilities.device,
    leaseSeconds,
  });
  if (!run) return null;
  // A run with a checkpoint resumes from it: the history it will train again goes; the lease is not yet handed
  // out, and the previous holder's token is stale, so nobody writes in between.
  if (run.checkpoint) await metricStore.rewindMetrics(ctx.store, run.id, run.checkpoint.step);
  await ctx.events.publish({ kind: 'STATUS_CHANGED', runId: run.id, status: 'running' });
  return run;
}

export interface CheckpointInput {
  runId: string;
  leaseToken: string;
  epoch: number;
  step: number;
  path: string;
}

/**
 * Records a checkpoint the worker holding the run has stored as artifacts under `path` (its `state.json` last),
 * after `epoch` epochs and `step` steps. A retried attempt of the run resumes from the last one recorded.
 */
export async function recordCheckpoint(ctx: Scope, input: CheckpointInput): Promise<Run> {
  const run = await loadRun(ctx, input.runId, 'write');
  if (run.status !== 'running') throw conflict(`The run is ${run.status}; only a run being trained records checkpoints`);
  assertLease(run, input.leaseToken);
  if (!Number.isInteger(input.epoch) || input.epoch < 1) throw badUserInput('epoch must be at least 1', [{ path: 'epoch', message: 'must be at least 1' }]);
  if (!Number.isInteger(input.step) || input.step < 1) throw badUserInput('step must be at least 1', [{ path: 'step', message: 'must be at least 1' }]);
  const path = artifactPath(input.path);
  const files = await listArtifacts(ctx, { runId: run.id }, path);
  if (!files.some((file) => file.path === [...path, 'state.json'].join('/') && !file.isDir))
    throw badUserInput(`${path.join('/')}/state.json is not stored for this run: upload the checkpoint's files first, state.json last`, [
      { path: 'path', message: 'holds no state.json' },
    ]);
  const recorded = await queueStore.recordCheckpoint(ctx.store, run.id, input.leaseToken, {
    epoch: input.epoch,
    step: input.step,
    path: path.join('/'),
    attempt: run.attempt,
    savedAt: new Date().toISOString(),
  });
  if (!recorded) throw conflict('The run changed while its checkpoint was being recorded; it is no longer this worker’s');
  return recorded;
}

/** Checks that the caller still holds the run's lease; a worker that lost it must stop training. */
export function assertLease(run: Run, leaseToken: string) {
  if (run.status === 'running' && run.leaseToken !== leaseToken)
    throw conflict('This worker no longer holds the run: its lease expired and the run was handed to another worker');
}

/**
 * Renews the lease. `cancelled` tells the worker to stop: the run was cancelled, or pruned (early stopping; then
 * `pruned` too, so the worker can say why), meanwhile. Workers that know only `cancelled` stop all the same.
 */
export async function heartbeatRun(ctx: Scope, runId: string, leaseToken: string): Promise<HeartbeatAnswer> {
  return heartbeat(ctx, await loadRun(ctx, runId, 'write'), leaseToken, ctx.settings.leaseSeconds);
}

export interface HeartbeatAnswer {
  cancelled: boolean;
  pruned: boolean;
  leaseExpiresAt: Date | null;
}

async function heartbeat(ctx: Scope, run: Run, leaseToken: string, leaseSeconds: number): Promise<HeartbeatAnswer> {
  if (run.status === 'cancelled' || run.status === 'pruned') return { cancelled: true, pruned: run.status === 'pruned', leaseExpiresAt: null };
  if (run.status !== 'running') throw conflict(`The run is ${run.status}; there is nothing to heart-beat`);
  assertLease(run, leaseToken);
  const leaseExpiresAt = await queueStore.renewLease(ctx.store, run.id, leaseToken, leaseSeconds);
  if (!leaseExpiresAt) return heartbeat(ctx, (await runStore.runById(ctx.store, run.id))!, leaseToken, leaseSeconds);
  return { cancelled: false, pruned: false, leaseExpiresAt };
}

export interface Outcome {
  status: TerminalRunStatus;
  error?: string | null;
  divergedAtStep?: number | null;
  divergedLearningRate?: number | null;
  results?: unknown;
}

/** Ends a leased run with its outcome. A cancelled or pruned run stays so whatever the worker reports. */
export async function finishRun(ctx: Scope, runId: string, leaseToken: string, outcome: Outcome): Promise<Run> {
  const run = await loadRun(ctx, runId, 'write');
  if (run.status === 'cancelled' || run.status === 'pruned') return run;
  if (run.status !== 'running') throw conflict(`The run is already ${run.status}`);
  assertLease(run, leaseToken);
  const finished = await queueStore.finishLeasedRun(ctx.store, run.id, leaseToken, {
    status: outcome.status,
    error: outcome.error ?? null,
    divergedAtStep: outcome.divergedAtStep ?? null,
    divergedLearningRate: outcome.divergedLearningRate ?? null,
    results: outcome.results,
  });
  if (!finished) throw conflict('The run changed while it was being finished; it is no longer this worker’s');
  await ctx.events.publish({ kind: 'STATUS_CHANGED', runId: run.id, status: finished.status });
  ctx.rechecks.projectChanged(finished.projectId);
  return finished;
}

/**
 * A worker stopping on purpose (a restart, a deploy) hands its run back: queued again at once, the attempt
 * not counted against maxAttempts, its partial history cleared for the next worker.
 */
export async function releaseRun(ctx: Scope, runId: string, leaseToken: string): Promise<Run> {
  const run = await loadRun(ctx, runId, 'write');
  if (run.status !== 'running') return run;
  assertLease(run, leaseToken);
  const released = await queueStore.releaseLeasedRun(ctx.store, run.id, leaseToken);
  if (released) await ctx.events.publish({ kind: 'STATUS_CHANGED', runId: run.id, status: 'queued' });
  return (await runStore.runById(ctx.store, run.id))!;
}

/**
 * Hands runs whose lease expired back to the queue, or fails them after their last attempt. Idempotent, so
 * every API replica may run it on a timer.
 */
export async function requeueExpiredLeases(store: Store): Promise<{ id: string; status: string; projectId: string }[]> {
  return queueStore.requeueExpiredLeases(store);
}
