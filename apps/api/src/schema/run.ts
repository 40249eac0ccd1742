import { fromGraphQLRunStatus, toGraphQLRunStatus, type Run } from '@tuneboard/db';
import { BACKEND_NAMES, deriveFacts, paramAt, plannedSteps, type RunConfig } from '@tuneboard/hparams';
import type { Resolvers } from '../generated/resolvers-types';
import { loadRun } from '../services/access';
import { listProjectRuns } from '../services/run-listing';
import { finishRuns, MAX_RUNS_PER_FINISH } from '../services/finish-runs';
import type { SeriesInput } from '../services/metrics';
import {
  annotateRun,
  annotationsOf,
  changeRunStatus,
  childrenOf,
  deleteAnnotation,
  editAnnotation,
  mayEditAnnotation,
  MAX_CHILD_RUNS,
  MAX_RUNS_PER_SUBMIT,
  parentOf,
  submitRun,
  submitRuns,
  touchRun,
  updateRun,
} from '../services/runs';

export const typeDefs = /* GraphQL */ `
  enum RunStatus {
    QUEUED
    RUNNING
    SUCCEEDED
    FAILED
    CANCELLED
    DIVERGED
    """
    A run your own script reports (EXTERNAL) that sent no heartbeat or metrics for longer than the server's timeout
    (TUNEBOARD_EXTERNAL_RUN_TIMEOUT_SECONDS): its script probably crashed or lost the network. Not final: when the
    script reports again the run is RUNNING again, or ends with the status it reports.
    """
    LOST
    """
    Early stopping ended it (pruneRun): Run.pruning says why. Final; its history is kept but partial, so findings,
    importance and suggestions leave it out, as failed and cancelled runs.
    """
    PRUNED
  }

  type Run {
    id: ID!
    project: Project!
    name: String!
    status: RunStatus!
    "The validated configuration, defaults applied (packages/hparams RunConfig, or the config as given for an open schema)."
    hparams: JSON!
    "The configuration flattened to hyperparameter paths (batchSize, optimizer.learningRate, params, …)."
    params: JSON!
    "For DECLARED and INFERRED projects: each path's type (integer, float, boolean, string, null); null for built-in runs."
    paramTypes: JSON
    "The declared schema version the configuration was validated against; null unless the project was DECLARED."
    schemaVersion: Int
    "One hyperparameter by path, e.g. model.convLayers[0].kernelSize; null when the run has no such path."
    param(path: String!): JSON
    "Built-in runs only; a run of a declared or inferred schema answers zeros and no layers."
    derived: DerivedFacts!
    "Optimizer steps the run will take (epochs × steps per epoch, or the range test's steps); 0 when unknown (open schemas)."
    totalSteps: Int!
    "Fraction of totalSteps done (from train.loss or lr_range.loss), 0–1; null before the first step."
    progress: Float
    tags: [String!]!
    "Markdown notes."
    notes: String!
    "The TensorFlow.js backend that trained it (tensorflow, wasm, cpu, …)."
    backend: String
    "The device that trained it, e.g. a GPU's name or 'cpu'."
    device: String
    createdBy: User
    createdAt: DateTime!
    startedAt: DateTime
    finishedAt: DateTime
    "When the script reporting an EXTERNAL run was last heard from (a heartbeat or metrics); null for runs a worker trains."
    lastSeenAt: DateTime
    error: String
    divergedAtStep: Int
    divergedLearningRate: Float
    requirements: JSON!
    "Mode-specific results, e.g. lrRangeTest { learningRates, losses, suggestedLearningRate }."
    results: JSON!
    "Worker attempts so far (more than 1 when a worker was lost)."
    attempt: Int!
    "The run this one is nested under (MLflow's mlflow.parentRunId: a tuning job's trials, cross-validation folds)."
    parent: Run
    "Runs nested directly under this one, oldest first (first: at most ${MAX_CHILD_RUNS})."
    children(first: Int = 100): [Run!]!
    "Latest, minimum and maximum of every metric the run logged."
    metrics: [MetricSummary!]!
    metric(key: String!): MetricSummary
    annotations: [RunAnnotation!]!
  }

  "Facts derived from the configuration: exact trainable parameter count and layer shapes."
  type DerivedFacts {
    "Trainable parameters of the whole model."
    parameterCount: Int!
    params: Int! @deprecated(reason: "Use parameterCount")
    flopsPerSample: Float!
    layers: [LayerFacts!]!
  }

  type LayerFacts {
    name: String!
    kind: String!
    outputShape: [Int!]!
    params: Int!
  }

  type RunAnnotation {
    id: ID!
    body: String!
    "The step of the metric history the note refers to, if any."
    step: Int
    author: User
    createdAt: DateTime!
    "Whether you may edit or delete it: you wrote it (as an owner or member), or you own the team."
    canEdit: Boolean!
  }

  type RunConnection {
    edges: [RunEdge!]!
    nodes: [Run!]!
    pageInfo: PageInfo!
    "Runs matching the filter, over all pages."
    totalCount: Int!
  }

  type RunEdge {
    cursor: String!
    node: Run!
  }

  enum RunSortField {
    CREATED_AT
    NAME
    STATUS
    "A hyperparameter path, given in RunOrder.path."
    PARAM
    "A metric's latest value, the key given in RunOrder.metric."
    METRIC_LAST
    METRIC_MIN
    METRIC_MAX
  }

  enum SortDirection {
    ASC
    DESC
  }

  input RunOrder {
    field: RunSortField!
    path: String
    metric: String
    direction: SortDirection = DESC
  }

  "Who executes a run: a Tuneboard worker (QUEUE) or the caller's own script logging through the SDK (EXTERNAL)."
  enum RunExecution {
    QUEUE
    EXTERNAL
  }

  "What a worker must offer to claim the run."
  input RunRequirementsInput {
    "Only a worker with a GPU may train it."
    gpu: Boolean
    "Only workers on one of these TensorFlow.js backends (${BACKEND_NAMES.join(', ')})."
    backends: [String!]
  }

  input SubmitRunInput {
    projectId: ID!
    "QUEUE (default): a worker claims and trains it. EXTERNAL: it starts RUNNING at once and the caller reports."
    execution: RunExecution = QUEUE
    requirements: RunRequirementsInput
    "How many workers may try it before it is failed, when workers are lost (default 3)."
    maxAttempts: Int
    "Required to submit a run that breaks a policy finding; recorded on the run."
    overrideReason: String
    "Defaults to a name built from the configuration."
    name: String
    """
    A run configuration (packages/hparams RunConfig for built-in projects; any JSON object the project's declared or
    inferred schema accepts); validated, every problem reported. Give it or hparamsText.
    """
    hparams: JSON
    "The configuration as JSON text: keeps 2.0 (float) apart from 2 (integer). Preferred over hparams for open schemas."
    hparamsText: String
    tags: [String!]
    notes: String
  }

  "One run of a submitRuns batch."
  input RunSpecInput {
    "Defaults to a name built from the configuration."
    name: String
    "The run's configuration, as in SubmitRunInput. Give it or hparamsText."
    hparams: JSON
    "The configuration as JSON text: keeps 2.0 (float) apart from 2 (integer)."
    hparamsText: String
    tags: [String!]
    notes: String
  }

  input SubmitRunsInput {
    projectId: ID!
    "QUEUE (default) or EXTERNAL, for every run of the batch."
    execution: RunExecution = QUEUE
    requirements: RunRequirementsInput
    maxAttempts: Int
    "Required when a run of the batch breaks a policy finding; recorded on each such run."
    overrideReason: String
    "1 to ${MAX_RUNS_PER_SUBMIT.toLocaleString('en')} runs."
    runs: [RunSpecInput!]!
  }

  type SubmitRunsPayload {
    "The runs, in the order given, each with its warnings."
    runs: [SubmitRunPayload!]!
  }

  type RunWarning {
    code: String!
    message: String!
  }

  type SubmitRunPayload {
    run: Run!
    "Reasons to think twice about this run (e.g. it contradicts a finding). Empty when there are none."
    warnings: [RunWarning!]!
  }

  "One run of a finishRuns batch: its metric history and how it ended."
  input RunToFinishInput {
    runId: ID!
    "Its points, as logMetrics' packed series (idempotent per key and step: sending them again replaces them)."
    metrics: [PackedMetricSeriesInput!]
    "SUCCEEDED, FAILED, CANCELLED or DIVERGED."
    status: RunStatus!
    "Why it failed; replaces the run's error when given."
    error: String
  }

  input FinishRunsInput {
    "1 to ${MAX_RUNS_PER_FINISH.toLocaleString('en')} runs, each given once, holding at most 1,000,000 points together."
    runs: [RunToFinishInput!]!
  }

  type FinishRunsPayload {
    "Distinct (run, key, step) points stored or replaced."
    accepted: Int!
    "The runs, in the order given, as they are now."
    runs: [Run!]!
  }

  input SetRunStatusInput {
    runId: ID!
    status: RunStatus!
    error: String
    backend: String
    device: String
    divergedAtStep: Int
    divergedLearningRate: Float
    """
    Owners only: set the status of a run a worker holds, releasing the worker's lease first (recorded on the
    run as an annotation). Without it, a held run changes only through its worker or cancelRun (CONFLICT).
    """
    override: Boolean = false
  }

  input UpdateRunInput {
    id: ID!
    name: String
    tags: [String!]
    notes: String
    "Nests the run under another run of its project (null: back to the top level; omitted: unchanged)."
    parentRunId: ID
  }

  extend type Query {
    """
    Runs of a project. filter uses the expression language, e.g.
    batchSize <= 32 and optimizer.name = "adam" or tags has "baseline". group: only the runs of one group of runGroups.
    """
    runs(projectId: ID!, filter: String, orderBy: RunOrder, first: Int = 50, after: String, ids: [ID!], group: RunGroupInput): RunConnection!
    run(id: ID!): Run
  }

  extend type Mutation {
    "Queues a run. The configuration is validated; every problem comes back as BAD_USER_INPUT with its path."
    submitRun(input: SubmitRunInput!): SubmitRunPayload!
    """
    Submits many runs of one project at once (a sweep's grid, an import), in one transaction. Each run is validated
    and judged as submitRun would; one invalid run refuses the whole batch (BAD_USER_INPUT, problems at runs[i].path).
    """
    submitRuns(input: SubmitRunsInput!): SubmitRunsPayload!
    setRunStatus(input: SetRunStatusInput!): Run!
    """
    Stores the metric histories of many runs your own code reported (EXTERNAL: RUNNING or LOST) and sets their
    final statuses, in one transaction: what an import sends after submitRuns, instead of a logMetrics and a
    setRunStatus per run. All or nothing: a run of another team (NOT_FOUND), one you may only view (FORBIDDEN), one
    a worker holds or that ended otherwise (CONFLICT) or a malformed series (BAD_USER_INPUT) refuses the batch,
    naming it as runs[i]. A run that already has the status asked for takes its points again and stays as it is.
    Subscribers of each run hear METRICS_APPENDED, then STATUS_CHANGED.
    """
    finishRuns(input: FinishRunsInput!): FinishRunsPayload!
    updateRun(input: UpdateRunInput!): Run!
    annotateRun(runId: ID!, body: String!, step: Int): RunAnnotation!
    "Changes an annotation's text and step; its author or an owner of the team."
    updateAnnotation(id: ID!, body: String!, step: Int): RunAnnotation!
    "Deletes an annotation; its author or an owner of the team. True when it was deleted."
    deleteAnnotation(id: ID!): Boolean!
    """
    Heartbeat of a run your own script reports (EXTERNAL; the SDK sends one every 30 s): it stays RUNNING, and a
    LOST one is RUNNING again. Metric batches count as heartbeats too. A finished run is returned unchanged; a run
    a worker trains heart-beats through its lease (CONFLICT).
    """
    touchRun(runId: ID!): Run!
  }
`;

// Runs of declared and inferred projects carry their flat types; only built-in runs have derived facts and planned steps.
const isBuiltin = (run: { paramTypes: unknown }) => run.paramTypes == null;
const NO_DERIVED_FACTS = { parameterCount: 0, flopsPerSample: 0, layers: [] } as unknown as ReturnType<typeof deriveFacts>;

export const resolvers: Resolvers = {
  Query: {
    runs: (_parent, { projectId, ...args }, ctx) => listProjectRuns(ctx, projectId, args),
    run: (_parent, { id }, ctx) => loadRun(ctx, id, 'read'),
  },
  Run: {
    project: async (run, _args, ctx) => (await ctx.loaders.project.load(run.projectId))!,
    status: (run) => toGraphQLRunStatus(run.status),
    hparams: (run) => run.config,
    params: (run) => run.flatParams,
    param: (run, { path }) => paramAt(run.flatParams as Record<string, unknown>, path) ?? null,
    derived: (run) => (isBuiltin(run) ? deriveFacts(run.config as RunConfig) : NO_DERIVED_FACTS),
    totalSteps: (run) => (isBuiltin(run) ? plannedSteps(run.config as RunConfig) : 0),
    progress: async (run, _args, ctx) => {
      if (!isBuiltin(run)) return null;
      const summaries = await ctx.loaders.metricSummaries.load(run.id);
      const series = summaries.find((s) => s.key === 'train.loss') ?? summaries.find((s) => s.key === 'lr_range.loss');
      if (series?.lastStep == null) return null;
      return Math.min(1, (series.lastStep + 1) / plannedSteps(run.config as RunConfig));
    },
    createdBy: (run, _args, ctx) => (run.createdById ? ctx.loaders.user.load(run.createdById) : null),
    metrics: (run, _args, ctx) => ctx.loaders.metricSummaries.load(run.id),
    metric: async (run, { key }, ctx) => (await ctx.loaders.metricSummaries.load(run.id)).find((s) => s.key === key) ?? null,
    annotations: (run, _args, ctx) => annotationsOf(ctx, run.id),
    parent: (run, _args, ctx) => parentOf(ctx, run),
    children: (run, { first }, ctx) => childrenOf(ctx, run, first ?? 100),
  },
  FinishRunsPayload: {
    // Read only when asked for (an import asks for accepted alone): one query for the whole batch.
    runs: async (payload, _args, ctx) => (await ctx.loaders.run.loadMany(payload.runIds)).filter((run): run is Run => run !== null && !(run instanceof Error)),
  },
  DerivedFacts: {
    params: (facts) => facts.parameterCount,
  },
  RunAnnotation: {
    author: (annotation, _args, ctx) => (annotation.authorId ? ctx.loaders.user.load(annotation.authorId) : null),
    canEdit: (annotation, _args, ctx) => mayEditAnnotation(ctx, annotation),
  },
  Mutation: {
    submitRun: (_parent, { input }, ctx) => submitRun(ctx, input),
    submitRuns: async (_parent, { input }, ctx) => ({ runs: await submitRuns(ctx, input) }),
    setRunStatus: (_parent, { input }, ctx) => changeRunStatus(ctx, { ...input, status: fromGraphQLRunStatus(input.status) }),
    finishRuns: (_parent, { input }, ctx) =>
      finishRuns(ctx, {
        runs: input.runs.map((run) => ({ ...run, metrics: run.metrics as SeriesInput[] | null | undefined, status: fromGraphQLRunStatus(run.status) })),
      }),
    updateRun: (_parent, { input }, ctx) => updateRun(ctx, input),
    annotateRun: (_parent, { runId, body, step }, ctx) => annotateRun(ctx, { runId, body, step }),
    updateAnnotation: (_parent, { id, body, step }, ctx) => editAnnotation(ctx, { id, body, step }),
    deleteAnnotation: (_parent, { id }, ctx) => deleteAnnotation(ctx, id),
    touchRun: (_parent, { runId }, ctx) => touchRun(ctx, runId),
  },
};
