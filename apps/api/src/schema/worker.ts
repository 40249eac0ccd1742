import { fromGraphQLRunStatus } from '@tuneboard/db';
import { BACKEND_NAMES } from '@tuneboard/hparams';
import type { Resolvers } from '../generated/resolvers-types';
import { claimRun, finishRun, heartbeatRun, recordCheckpoint, registerWorker, releaseRun } from '../services/queue';
import { cancelRun, pruneRun } from '../services/runs';

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
    "The run was cancelled, or pruned: stop training and report nothing more."
    cancelled: Boolean!
    "The run was pruned (early stopping); cancelled is true too."
    pruned: Boolean!
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

  "A checkpoint of a run a worker trains, stored as the run's artifacts; a retried attempt resumes from the last one."
  type RunCheckpoint {
    "Epochs trained when it was taken."
    epoch: Int!
    "Steps trained when it was taken: a resumed attempt's history continues after this step."
    step: Int!
    "The artifact directory holding it (model.json, weights.bin, optimizer.bin, state.json)."
    path: String!
    "The attempt that stored it."
    attempt: Int!
    savedAt: DateTime!
  }

  extend type Run {
    "The last checkpoint its worker stored; null for runs never checkpointed."
    checkpoint: RunCheckpoint
    "Why early stopping ended the run; null unless it is PRUNED."
    pruning: RunPruning
  }

  "An early-stopping decision that ended a run, as pruneRun recorded it."
  type RunPruning {
    "The decision in words, e.g. test.accuracy 0.81 below the top third of its rung, 0.86."
    reason: String!
    "Where it was taken: the epoch or step (in unit) the run had reached."
    resource: Float!
    "What resource counts, e.g. epoch or step."
    unit: String
    "The run's value of the metric there."
    value: Float
    "The value it had to reach to go on."
    cutoff: Float
    "How many runs it was compared with."
    competitors: Int
    decidedAt: DateTime!
  }

  "An early-stopping decision (what a sweep's ASHA or median rule returns)."
  input PruningInput {
    "Why, in words (required, at most 500 characters)."
    reason: String!
    "The epoch or step the run had reached: finite, 0 or more."
    resource: Float!
    "What resource counts, e.g. epoch (at most 40 characters)."
    unit: String
    "The run's value of the metric (finite)."
    value: Float
    "The value it had to reach (finite)."
    cutoff: Float
    "How many runs it was compared with."
    competitors: Int
  }

  input RecordCheckpointInput {
    runId: ID!
    leaseToken: ID!
    epoch: Int!
    step: Int!
    "The run's artifact directory it was uploaded to; its state.json must be stored."
    path: String!
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
    """
    A worker stopping on purpose hands its run back: queued again, the attempt not counted. A run with a checkpoint
    keeps its history up to it and resumes there; one without starts afresh.
    """
    releaseRun(runId: ID!, leaseToken: ID!): Run!
    """
    The worker holding the run records a checkpoint it has uploaded. If the worker is lost, the next attempt resumes
    from it: the history after its step is cleared, the rest is kept.
    """
    recordCheckpoint(input: RecordCheckpointInput!): Run!
    "Cancels a queued or running run; its worker stops at its next heartbeat."
    cancelRun(runId: ID!): Run!
    """
    Stops a queued or running run early (a sweep's pruning, from any language): it ends PRUNED with the decision
    recorded, its metric history kept. Its worker stops at its next heartbeat; \`tuneboard run\` stops its command.
    """
    pruneRun(runId: ID!, decision: PruningInput!): Run!
  }
`;

export const resolvers: Resolvers = {
  Run: {
    checkpoint: (run) => (run.checkpoint ? { ...run.checkpoint, savedAt: new Date(run.checkpoint.savedAt) } : null),
    pruning: (run) => (run.pruning ? { ...run.pruning, decidedAt: new Date(run.pruning.decidedAt) } : null),
  },
  RunLease: {
    run: (lease) => lease,
    leaseToken: (lease) => lease.leaseToken!,
    leaseExpiresAt: (lease) => lease.leaseExpiresAt!,
    leaseSeconds: (_lease, _args, ctx) => Math.round(ctx.settings.leaseSeconds),
  },
  Mutation: {
    registerWorker: (_parent, { name, capabilities, teamIds }, ctx) =>
      registerWorker(ctx, {
        name,
        capabilities: {
          backend: capabilities.backend,
          device: capabilities.device,
          gpu: capabilities.gpu,
          ...(capabilities.memoryMb != null ? { memoryMb: capabilities.memoryMb } : {}),
          ...(capabilities.hostname != null ? { hostname: capabilities.hostname } : {}),
        },
        teamIds,
      }),
    claimRun: (_parent, { workerId }, ctx) => claimRun(ctx, workerId),
    heartbeatRun: (_parent, { runId, leaseToken }, ctx) => heartbeatRun(ctx, runId, leaseToken),
    finishRun: (_parent, { input }, ctx) =>
      finishRun(ctx, input.runId, input.leaseToken, {
        status: fromGraphQLRunStatus(input.outcome),
        error: input.error ?? null,
        divergedAtStep: input.divergedAtStep ?? null,
        divergedLearningRate: input.divergedLearningRate ?? null,
        results: input.results,
      }),
    releaseRun: (_parent, { runId, leaseToken }, ctx) => releaseRun(ctx, runId, leaseToken),
    recordCheckpoint: (_parent, { input }, ctx) => recordCheckpoint(ctx, input),
    cancelRun: (_parent, { runId }, ctx) => cancelRun(ctx, runId),
    pruneRun: (_parent, { runId, decision }, ctx) => pruneRun(ctx, runId, decision),
  },
};
