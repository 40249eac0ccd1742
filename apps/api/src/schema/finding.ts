import type { FindingInput, Resolvers, UpdateFindingInput } from '../generated/resolvers-types';
import { mapEvents } from '../services/events';
import {
  citedRuns,
  commentOnFinding,
  createFinding,
  findingComments,
  findingEventStream,
  findingFeed,
  findingHistory,
  listFindings,
  loadFinding,
  retireFinding,
  updateFinding,
  type FindingFields,
} from '../services/finding-edits';
import { findingEvidence, ruleParams, runFindingChecks, storedEvidenceSummary } from '../services/findings';
import { checkRun } from '../services/runs';

export const typeDefs = /* GraphQL */ `
  enum FindingStatus {
    "Not enough finished runs on both sides of the rule yet."
    PROPOSED
    "The evidence interval lies on the finding's side of zero, and no violating run beats the best satisfying one."
    SUPPORTED
    "The interval crosses zero, or a violating run beats the best satisfying run."
    CONTESTED
    "Withdrawn by the team; no longer warns."
    RETIRED
  }

  enum FindingSeverity {
    "A violating submission gets a warning."
    ADVICE
    "A violating submission is refused unless it gives an override reason, recorded on the run."
    POLICY
  }

  enum MetricAggregate {
    LAST
    MIN
    MAX
  }

  enum MetricDirection {
    HIGHER
    LOWER
  }

  "The metric a finding is about, e.g. last(test.accuracy), higher is better."
  type FindingMetric {
    key: String!
    aggregate: MetricAggregate!
    direction: MetricDirection!
  }

  "What a team learned, as a rule over hyperparameters that Tuneboard keeps checking against its runs."
  type Finding {
    id: ID!
    project: Project!
    "Applies to (and warns in) every project of the team."
    sharedWithTeam: Boolean!
    title: String!
    "Markdown."
    statement: String!
    "A filter-language expression over hyperparameters, e.g. batchSize <= 32."
    rule: String!
    "Which runs it speaks about, e.g. dataset.name = \\"mnist\\" and model.kind = \\"cnn\\"; empty = all."
    scope: String!
    "The hyperparameter paths the rule reads."
    ruleParams: [String!]!
    metric: FindingMetric!
    severity: FindingSeverity!
    status: FindingStatus!
    author: User
    createdAt: DateTime!
    updatedAt: DateTime!
    "Runs the author cited."
    citedRuns: [Run!]!
    "Computed now from every finished run in scope."
    evidence: FindingEvidence!
    "The evidence as of the last re-check (cheap: for lists and feeds); null before the first."
    evidenceSummary: FindingEvidenceSummary
    comments: [FindingComment!]!
    "Every change: who (null = Tuneboard re-checking the evidence), when, what."
    history: [FindingEvent!]!
  }

  type FindingEvidenceSummary {
    verdict: String!
    satisfyingRuns: Int!
    violatingRuns: Int!
    difference: Float
  }

  type FindingEvidence {
    "The status the evidence supports (a retired finding keeps RETIRED as its own status)."
    status: FindingStatus!
    "In plain words: the comparison, its interval, and what was excluded."
    verdict: String!
    satisfying: EvidenceGroup!
    violating: EvidenceGroup!
    "mean(satisfying) − mean(violating), signed so that > 0 favours the finding."
    difference: Float
    "Seeded bootstrap interval of the difference (same data, same interval)."
    interval: ConfidenceInterval
    "Violating runs whose metric beats the best satisfying run."
    contestingRuns: [Run!]!
    "Other hyperparameters set differently in the two groups, strongest first."
    confounders: [Confounder!]!
    "Every run counted, for the evidence chart."
    points: [EvidencePoint!]!
    "In-scope runs not finished, or failed, cancelled or pruned (not evidence)."
    notFinished: Int!
    minRunsPerGroup: Int! @deprecated(reason: "The minimum counts configurations now (seeds of one configuration count once): use minConfigurationsPerGroup")
    "Configurations (runs that differ only in their seeds count as one) each side needs before the evidence can support or contest."
    minConfigurationsPerGroup: Int!
    "Matched: runs that differ only in the rule's paths, compared within each setting of the other hyperparameters."
    stratified: EvidenceStratified!
    "Matched: the best configuration of each value of the rule's paths (e.g. the best learning rate per batch size)."
    bestPerGroup: EvidenceBestPerGroup!
    "Hyperparameters whose best value is the smallest or largest tried for every value of the rule's paths."
    edgeOfRange: [EvidenceEdgeOfRange!]!
  }

  type EvidenceGroup {
    "Runs counted; duplicates (same configuration and seed) count once."
    runCount: Int!
    "Distinct configurations (runs that differ only in their seeds are one): the unit the interval resamples."
    configurationCount: Int!
    "Runs merged into another run with the same configuration and seed."
    duplicateRuns: Int!
    mean: Float
    median: Float
    best: EvidenceBest
    "Runs left out because the metric is NaN or infinite (diverged)."
    excludedNonFinite: Int!
    "Runs left out because they never logged the metric."
    excludedMissing: Int!
  }

  "Configurations and runs a comparison used on one side."
  type EvidenceSideCount {
    configurationCount: Int!
    runCount: Int!
  }

  type EvidenceStratified {
    "Weighted mean over strata of mean(satisfying) − mean(violating), > 0 favours the finding; null when no stratum has both sides."
    difference: Float
    "Cluster bootstrap within each stratum and side."
    interval: ConfidenceInterval
    "Strata (configurations equal but for the rule's paths and seeds) with runs on both sides."
    strataCompared: Int!
    "Strata with runs on one side only (not compared)."
    strataOneSided: Int!
    satisfying: EvidenceSideCount!
    violating: EvidenceSideCount!
    "Set when this and the pooled comparison disagree (Simpson's paradox warning)."
    disagreement: String
  }

  type EvidenceBestPerGroup {
    "mean of the satisfying values' bests − mean of the violating values' bests, > 0 favours the finding."
    difference: Float
    "Seeds resampled within configurations; null when no configuration has two runs."
    interval: ConfidenceInterval
    groups: [EvidenceGroupBest!]!
    "Set when this and the pooled comparison disagree (Simpson's paradox warning)."
    disagreement: String
  }

  "The best configuration for one value of the rule's paths."
  type EvidenceGroupBest {
    "e.g. batchSize = 8"
    label: String!
    side: EvidenceSide!
    "The best configuration's mean over its seeds."
    value: Float!
    "The best configuration's settings of the other varying hyperparameters, e.g. optimizer.learningRate = 0.1."
    setting: String!
    "The runs of the best configuration."
    runs: [Run!]!
    configurationCount: Int!
    runCount: Int!
  }

  enum RangeEdge {
    MIN
    MAX
  }

  type EvidenceEdgeOfRange {
    path: String!
    edge: RangeEdge!
    value: Float!
    "e.g. The best optimizer.learningRate is the largest tried (0.1) for every batchSize: explore further before trusting this."
    message: String!
  }

  type EvidenceBest {
    run: Run!
    value: Float!
  }

  type ConfidenceInterval {
    low: Float!
    high: Float!
    level: Float!
  }

  type Confounder {
    path: String!
    satisfying: String!
    violating: String!
    strength: Float!
  }

  enum EvidenceSide {
    SATISFYING
    VIOLATING
  }

  type EvidencePoint {
    run: Run!
    side: EvidenceSide!
    value: Float!
    cited: Boolean!
    "The values of the rule's hyperparameters for this run (x axis of the evidence chart)."
    ruleParams: JSON!
    "Points with the same number are exact duplicates (same configuration and seed), counted once by the statistics."
    experiment: Int!
  }

  type FindingComment {
    id: ID!
    body: String!
    author: User
    createdAt: DateTime!
  }

  type FindingEvent {
    id: ID!
    finding: Finding!
    "created, updated, status_changed, commented or retired."
    kind: String!
    actor: User
    changes: JSON!
    createdAt: DateTime!
  }

  "Whether a run follows a finding whose scope covers it."
  type FindingCheck {
    finding: Finding!
    follows: Boolean!
  }

  "A dry run of submitRun: what would be refused or warned, without queueing anything."
  type RunCheck {
    problems: [FieldProblem!]!
    warnings: [RunWarning!]!
    "True when a policy finding would refuse the run without an override reason."
    needsOverride: Boolean!
  }

  input FindingMetricInput {
    key: String!
    aggregate: MetricAggregate = LAST
    direction: MetricDirection!
  }

  input FindingInput {
    projectId: ID!
    title: String!
    statement: String
    rule: String!
    scope: String
    metric: FindingMetricInput!
    severity: FindingSeverity = ADVICE
    sharedWithTeam: Boolean = false
    citedRunIds: [ID!]
    "The suggested finding this one is recorded from, edited or not: an edited one is no longer suggested (dismissed)."
    fromSuggestion: SuggestionReferenceInput
  }

  "A suggested finding as Project.suggestedFindings proposed it."
  input SuggestionReferenceInput {
    "The metric key it was suggested for."
    metric: String!
    rule: String!
    "Empty or absent for a suggestion about the whole project."
    scope: String
  }

  input UpdateFindingInput {
    id: ID!
    title: String
    statement: String
    rule: String
    scope: String
    metric: FindingMetricInput
    severity: FindingSeverity
    sharedWithTeam: Boolean
    citedRunIds: [ID!]
  }

  extend type Run {
    "Active findings whose scope covers this run, and whether it follows each."
    findings: [FindingCheck!]!
    "Set when the run was submitted against a policy finding: { reason, findingIds, by }."
    policyOverride: JSON
  }

  extend type RunWarning {
    "The finding the run contradicts, when the warning comes from one."
    finding: Finding
  }

  extend type Query {
    "Findings of a project, and the team's shared ones, newest first."
    findings(projectId: ID!, status: FindingStatus): [Finding!]!
    finding(id: ID!): Finding
    "New and changed findings across a team, newest first."
    findingFeed(teamId: ID!, first: Int = 50): [FindingEvent!]!
    "What submitRun would say about this input (problems, finding warnings), without queueing it."
    checkRun(input: SubmitRunInput!): RunCheck!
  }

  extend type Mutation {
    createFinding(input: FindingInput!): Finding!
    updateFinding(input: UpdateFindingInput!): Finding!
    retireFinding(id: ID!, reason: String): Finding!
    commentOnFinding(findingId: ID!, body: String!): FindingComment!
    "The same as Query.checkRun, which replaces it: a dry run changes nothing, so it is a query."
    checkRun(input: SubmitRunInput!): RunCheck! @deprecated(reason: "Use Query.checkRun; it changes nothing")
  }

  extend type Subscription {
    "Created, changed and re-checked findings of a project (status changes as runs finish)."
    findingEvents(projectId: ID!): FindingEvent!
  }
`;

const upper = <T extends string>(value: T) => value.toUpperCase() as Uppercase<T>;
const lower = <T extends string>(value: T) => value.toLowerCase() as Lowercase<T>;

/** The GraphQL input in the services' vocabulary (lower-case enums). */
function findingFields(input: FindingInput | UpdateFindingInput): FindingFields {
  const { metric, severity } = input;
  return {
    title: input.title,
    statement: input.statement,
    rule: input.rule,
    scope: input.scope,
    metric: metric && { key: metric.key, aggregate: metric.aggregate && lower(metric.aggregate), direction: lower(metric.direction) },
    severity: severity && lower(severity),
    sharedWithTeam: input.sharedWithTeam,
    citedRunIds: input.citedRunIds,
  };
}

export const resolvers: Resolvers = {
  Finding: {
    project: async (finding, _args, ctx) => (await ctx.loaders.project.load(finding.projectId))!,
    ruleParams: (finding) => ruleParams(finding),
    metric: (finding) => ({ key: finding.metricKey, aggregate: upper(finding.metricAggregate), direction: upper(finding.metricDirection) }),
    severity: (finding) => upper(finding.severity),
    status: (finding) => upper(finding.status),
    author: (finding, _args, ctx) => (finding.authorId ? ctx.loaders.user.load(finding.authorId) : null),
    citedRuns: (finding, _args, ctx) => citedRuns(ctx, finding),
    evidence: (finding, _args, ctx) => findingEvidence(ctx, finding),
    evidenceSummary: (finding) => storedEvidenceSummary(finding),
    comments: (finding, _args, ctx) => findingComments(ctx, finding),
    history: (finding, _args, ctx) => findingHistory(ctx, finding),
  },
  FindingEvidence: {
    status: (evidence) => upper(evidence.status),
    minRunsPerGroup: (evidence) => evidence.minConfigurationsPerGroup,
    contestingRuns: async (evidence, _args, ctx) =>
      (await Promise.all(evidence.contestingRunIds.map((id) => ctx.loaders.run.load(id)))).filter((r) => r !== null),
  },
  EvidenceGroup: {
    best: async (group, _args, ctx) => {
      if (!group.best) return null;
      const run = await ctx.loaders.run.load(group.best.runId);
      return run ? { run, value: group.best.value } : null;
    },
  },
  EvidenceGroupBest: {
    side: (group) => upper(group.side),
    runs: async (group, _args, ctx) => (await Promise.all(group.runIds.map((id) => ctx.loaders.run.load(id)))).filter((r) => r !== null),
  },
  EvidenceEdgeOfRange: {
    edge: (flag) => upper(flag.edge),
  },
  EvidencePoint: {
    run: async (point, _args, ctx) => (await ctx.loaders.run.load(point.runId))!,
    side: (point) => upper(point.group),
  },
  FindingComment: {
    author: (comment, _args, ctx) => (comment.authorId ? ctx.loaders.user.load(comment.authorId) : null),
  },
  FindingEvent: {
    finding: async (event, _args, ctx) => (await ctx.loaders.finding.load(event.findingId))!,
    actor: (event, _args, ctx) => (event.actorId ? ctx.loaders.user.load(event.actorId) : null),
  },
  RunWarning: {
    finding: (warning, _args, ctx) => (warning.findingId ? ctx.loaders.finding.load(warning.findingId) : null),
  },
  Run: {
    findings: async (run, _args, ctx) => runFindingChecks(run, await ctx.loaders.activeFindings.load(run.projectId)),
    policyOverride: (run) => run.policyOverride ?? null,
  },
  Query: {
    checkRun: (_parent, { input }, ctx) => checkRun(ctx, input),
    findings: (_parent, { projectId, status }, ctx) => listFindings(ctx, projectId, status && lower(status)),
    finding: (_parent, { id }, ctx) => loadFinding(ctx, id, 'read'),
    findingFeed: (_parent, { teamId, first }, ctx) => findingFeed(ctx, teamId, first),
  },
  Mutation: {
    createFinding: (_parent, { input }, ctx) => createFinding(ctx, input.projectId, findingFields(input), input.fromSuggestion),
    updateFinding: (_parent, { input }, ctx) => updateFinding(ctx, input.id, findingFields(input)),
    retireFinding: (_parent, { id, reason }, ctx) => retireFinding(ctx, id, reason),
    commentOnFinding: (_parent, { findingId, body }, ctx) => commentOnFinding(ctx, findingId, body),
    checkRun: (_parent, { input }, ctx) => checkRun(ctx, input),
  },
  Subscription: {
    findingEvents: {
      subscribe: async (_parent, { projectId }, ctx) => mapEvents(await findingEventStream(ctx, projectId), (event) => ({ findingEvents: event })),
    },
  },
};
