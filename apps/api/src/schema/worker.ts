import { fromGraphQLRunStatus, isTerminalRunStatus, runs, UNFINISHED_RUN_STATUSES } from '@tuneboard/db';
import { BACKEND_NAMES } from '@tuneboard/hparams';
import { and, eq, inArray } from 'drizzle-orm';
import { badUserInput, conflict, notFound } from '../services/errors';
import type { Resolvers } from '../generated/resolvers-types';
import { loadRun, requireActor } from '../services/access';
import { claimRun, finishRun, heartbeat, loadWorker, registerWorker, releaseRun } from '../services/queue';

export const typeDefs = /* GraphQL */ `
  """
  A trainer process. It uses its user's token and claims only runs of the teams its registration names, and only
  while its user is still an owner or member there.
  """
  type Worker {
    id: ID!
    name: String!
    "The teams whose runs it trains, fixed at registration."
    teamIds: [ID!]!
    capabilities: JSON!
    lastSeenAt: DateTime!
  }

  input WorkerCapabilitiesInput {
    "The TensorFlow.js backend it trains with, one of: ${BACKEND_NAMES.join(', ')}."
    backend: String!
    "The device, e.g. a GPU's name or 'cpu (wasm SIMD, 1 thread)'."
    device: String!
    gpu: Boolean!
    memoryMb: Int
    hostname: String
  }

  "A run handed to a worker, held while the worker heart-beats before leaseExpiresAt."
  type RunLease {
    run: Run!
    leaseToken: ID!
    leaseExpiresAt: DateTime!
    "The lease's length: heart-beat well within it (measured by the server, so clock skew does not matter)."
    leaseSeconds: Int!
    "1 for the first attempt; more when an earlier worker was lost."
    attempt: Int!
  }

  type Heartbeat {
    "The run was cancelled: stop training and report nothing more."
    cancelled: Boolean!
    leaseExpiresAt: DateTime
  }

  enum RunOutcome {
    SUCCEEDED
    FAILED
    DIVERGED
  }

  input FinishRunInput {
    runId: ID!
    leaseToken: ID!
    outcome: RunOutcome!
    error: String
    divergedAtStep: Int
    divergedLearningRate: Float
    "Mode-specific results, e.g. the learning-rate range test's curve and suggestion."
    results: JSON
  }

  extend type Mutation {
    """
    Registers a worker for teamIds: teams where the viewer is an owner or member (a team they are not in is
    NOT_FOUND; a viewer's team FORBIDDEN). Omitted: every such team of the viewer's, as of now; teams joined
    later need a new registration.
    """
    registerWorker(name: String!, capabilities: WorkerCapabilitiesInput!, teamIds: [ID!]): Worker!
    "The oldest queued run this worker may train, now leased to it; null when the queue is empty."
    claimRun(workerId: ID!): RunLease
    "Renews a lease. Call it well within the lease (the worker CLI beats every third of it, at least every 3 s)."
    heartbeatRun(runId: ID!, leaseToken: ID!): Heartbeat!
    finishRun(input: FinishRunInput!): Run!
    "A worker stopping on purpose hands its run back: queued again, the attempt not counted."
    releaseRun(runId: ID!, leaseToken: ID!): Run!
    "Cancels a queued or running run; its worker stops at its next heartbeat."
    cancelRun(runId: ID!): Run!
  }
`;

export const resolvers: Resolvers = {
  RunLease: {
    run: (lease) => lease,
    leaseToken: (lease) => lease.leaseToken!,
    leaseExpiresAt: (lease) => lease.leaseExpiresAt!,
    leaseSeconds: (_lease, _args, ctx) => Math.round(ctx.settings.leaseSeconds),
  },
  Mutation: {
    registerWorker: async (_parent, { name, capabilities, teamIds }, ctx) => {
      const viewer = requireActor(ctx);
      if (name.trim() === '') throw badUserInput('A worker needs a name', [{ path: 'name', message: 'must not be empty' }]);
      return registerWorker(ctx, viewer, name.trim(), {
        backend: capabilities.backend,
        device: capabilities.device,
        gpu: capabilities.gpu,
        ...(capabilities.memoryMb != null ? { memoryMb: capabilities.memoryMb } : {}),
        ...(capabilities.hostname != null ? { hostname: capabilities.hostname } : {}),
      }, teamIds);
    },
    claimRun: async (_parent, { workerId }, ctx) => {
      const viewer = requireActor(ctx);
      const worker = await loadWorker(ctx, viewer, workerId);
      if (!worker) throw notFound('Worker', workerId);
      return claimRun(ctx, viewer, worker, ctx.settings.leaseSeconds);
    },
    heartbeatRun: async (_parent, { runId, leaseToken }, ctx) => {
      const run = await loadRun(ctx, runId, 'write');
      return heartbeat(ctx, run, leaseToken, ctx.settings.leaseSeconds);
    },
    finishRun: async (_parent, { input }, ctx) => {
      const run = await loadRun(ctx, input.runId, 'write');
      return finishRun(ctx, run, input.leaseToken, {
        status: fromGraphQLRunStatus(input.outcome),
        error: input.error ?? null,
        divergedAtStep: input.divergedAtStep ?? null,
        divergedLearningRate: input.divergedLearningRate ?? null,
        results: input.results,
      });
    },
    releaseRun: async (_parent, { runId, leaseToken }, ctx) => releaseRun(ctx, await loadRun(ctx, runId, 'write'), leaseToken),
    cancelRun: async (_parent, { runId }, ctx) => {
      const run = await loadRun(ctx, runId, 'write');
      if (run.status === 'cancelled') return run;
      if (isTerminalRunStatus(run.status)) throw badUserInput(`A ${run.status} run cannot be cancelled`, [{ path: 'runId', message: `the run is ${run.status}` }]);
      const [cancelled] = await ctx.store.db
        .update(runs)
        .set({ status: 'cancelled', finishedAt: new Date(), updatedAt: new Date(), leaseToken: null, leaseExpiresAt: null })
        // Only from a live status: a worker finishing the run at the same moment must not be overwritten.
        .where(and(eq(runs.id, run.id), inArray(runs.status, [...UNFINISHED_RUN_STATUSES])))
        .returning();
      if (!cancelled) {
        const [now] = await ctx.store.db.select().from(runs).where(eq(runs.id, run.id));
        throw conflict(`The run finished (${now?.status}) before it could be cancelled`);
      }
      await ctx.events.publish({ kind: 'STATUS_CHANGED', runId: run.id, status: 'cancelled' });
      ctx.rechecks.projectChanged(run.projectId);
      return cancelled!;
    },
  },
};
