import { findingCitations, findingComments, findingEvents, findings, projects, runs } from '@tuneboard/db';
import { evaluate, formatExpression, referencedParamPaths } from '@tuneboard/filter';
import { findingCovers } from '@tuneboard/findings';
import { and, desc, eq, isNull } from 'drizzle-orm';
import type { Context } from '../context';
import { badUserInput, notFound } from '../services/errors';
import type { FindingInput, Resolvers, UpdateFindingInput } from '../generated/resolvers-types';
import { canonicalId, isUuid, loadProject, requireTeam, requireActor } from '../services/access';
import { oneAtATime } from '../services/fairness';
import { mapEvents, projectTopic, type FindingEventMessage } from '../services/events';
import { activeFindingsFor, citedRunIds, evaluateFinding, evidenceSummary, findingSpec, parseRule, recheckFinding, type FindingRow } from '../services/findings';
import { parseRunFilter } from '../services/run-listing';
import { boundedText, TEXT_LIMITS } from '../services/text';
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
    "In-scope runs not finished, or failed/cancelled (not evidence)."
    notFinished: Int!
    minRunsPerGroup: Int!
  }

  type EvidenceGroup {
    runCount: Int!
    mean: Float
    median: Float
    best: EvidenceBest
    "Runs left out because the metric is NaN or infinite (diverged)."
    excludedNonFinite: Int!
    "Runs left out because they never logged the metric."
    excludedMissing: Int!
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

async function loadFinding(ctx: Context, id: string, access: 'read' | 'write'): Promise<FindingRow> {
  requireActor(ctx);
  if (!isUuid(id)) throw notFound('Finding', id);
  const [row] = await ctx.store.db
    .select({ finding: findings, teamId: projects.teamId })
    .from(findings)
    .innerJoin(projects, eq(projects.id, findings.projectId))
    .where(and(eq(findings.id, id), isNull(projects.deletedAt)));
  if (!row) throw notFound('Finding', id);
  requireTeam(ctx, row.teamId, access, 'Finding', id);
  return row.finding;
}

function validateFindingText(title: string | null | undefined, path = 'title'): string {
  const trimmed = (title ?? '').trim();
  if (trimmed === '' || trimmed.length > 200) throw badUserInput('A finding needs a title of 1 to 200 characters', [{ path, message: 'must have 1 to 200 characters' }]);
  return trimmed;
}

function validateMetric(metric: { key: string; aggregate?: 'LAST' | 'MIN' | 'MAX' | null; direction: 'HIGHER' | 'LOWER' }) {
  const key = metric.key.trim();
  if (key === '' || key.length > 200) throw badUserInput('metric.key must name a metric, e.g. test.accuracy', [{ path: 'metric.key', message: 'must not be empty' }]);
  return {
    metricKey: key,
    metricAggregate: (metric.aggregate ?? 'LAST').toLowerCase() as 'last' | 'min' | 'max',
    metricDirection: metric.direction.toLowerCase() as 'higher' | 'lower',
  };
}

/** The cited runs must be runs the author can read in the finding's team. */
async function validateCitations(ctx: Context, teamId: string, runIds: readonly string[]): Promise<string[]> {
  const unique = [...new Set(runIds.map((id) => (isUuid(id) ? canonicalId(id) : id)))];
  const problems: { path: string; message: string }[] = [];
  const teams = await Promise.all(unique.map((id) => (isUuid(id) ? ctx.loaders.runTeam.load(id) : Promise.resolve(null))));
  unique.forEach((id, i) => {
    if (teams[i] !== teamId) problems.push({ path: `citedRunIds[${i}]`, message: `run ${id} was not found in this team` });
  });
  if (problems.length > 0) throw badUserInput(`Cannot cite: ${problems.map((p) => p.message).join('; ')}`, problems);
  return unique;
}

async function recordEvent(ctx: Context, finding: FindingRow, kind: 'created' | 'updated' | 'commented' | 'retired', changes: Record<string, unknown>) {
  const [event] = await ctx.store.db
    .insert(findingEvents)
    .values({ findingId: finding.id, actorId: ctx.actor?.userId ?? null, kind, changes })
    .returning({ id: findingEvents.id });
  await ctx.events.publish({ kind: 'FINDING_CHANGED', projectId: finding.projectId, findingId: finding.id, eventId: event!.id });
}

export const resolvers: Resolvers = {
  Finding: {
    project: async (finding, _args, ctx) => (await ctx.loaders.project.load(finding.projectId))!,
    ruleParams: (finding) => referencedParamPaths(findingSpec(finding).rule),
    metric: (finding) => ({ key: finding.metricKey, aggregate: upper(finding.metricAggregate), direction: upper(finding.metricDirection) }),
    severity: (finding) => upper(finding.severity),
    status: (finding) => upper(finding.status),
    author: (finding, _args, ctx) => (finding.authorId ? ctx.loaders.user.load(finding.authorId) : null),
    citedRuns: async (finding, _args, ctx) => {
      const rows = await ctx.store.db.select({ run: runs }).from(findingCitations).innerJoin(runs, eq(runs.id, findingCitations.runId)).where(eq(findingCitations.findingId, finding.id));
      return rows.map((r) => r.run);
    },
    evidence: (finding, _args, ctx) => oneAtATime(ctx, () => evaluateFinding(ctx.store, finding)),
    evidenceSummary: (finding) => {
      const summary = finding.evidence as ReturnType<typeof evidenceSummary> | null;
      return summary ? { verdict: summary.verdict, satisfyingRuns: summary.satisfying, violatingRuns: summary.violating, difference: summary.difference } : null;
    },
    comments: (finding, _args, ctx) => ctx.store.db.select().from(findingComments).where(eq(findingComments.findingId, finding.id)).orderBy(findingComments.createdAt),
    history: (finding, _args, ctx) => ctx.store.db.select().from(findingEvents).where(eq(findingEvents.findingId, finding.id)).orderBy(findingEvents.createdAt),
  },
  FindingEvidence: {
    status: (evidence) => upper(evidence.status),
    contestingRuns: async (evidence, _args, ctx) => (await Promise.all(evidence.contestingRunIds.map((id) => ctx.loaders.run.load(id)))).filter((r) => r !== null),
  },
  EvidenceGroup: {
    best: async (group, _args, ctx) => {
      if (!group.best) return null;
      const run = await ctx.loaders.run.load(group.best.runId);
      return run ? { run, value: group.best.value } : null;
    },
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
    findings: async (run, _args, ctx) => {
      const record = { params: run.flatParams as Record<string, number | string | boolean>, status: run.status, name: run.name, tags: run.tags, metrics: {} };
      const checks = [];
      for (const finding of await ctx.loaders.activeFindings.load(run.projectId)) {
        const spec = findingSpec(finding);
        if (findingCovers(spec, record)) checks.push({ finding, follows: evaluate(spec.rule, record) });
      }
      return checks;
    },
    policyOverride: (run) => run.policyOverride ?? null,
  },
  Query: {
    checkRun: (_parent, { input }, ctx) => checkRun(ctx, input),
    findings: async (_parent, { projectId, status }, ctx) => {
      await loadProject(ctx, projectId, 'read');
      const rows = await activeFindingsFor(ctx.store, projectId);
      // activeFindingsFor leaves out retired findings; a list asked for RETIRED wants exactly those.
      const all = status === 'RETIRED' || !status ? [...rows, ...(await ctx.store.db.select().from(findings).where(and(eq(findings.projectId, projectId), eq(findings.status, 'retired'))))] : rows;
      return all
        .filter((f) => !status || f.status === status.toLowerCase())
        .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime());
    },
    finding: (_parent, { id }, ctx) => loadFinding(ctx, id, 'read'),
    findingFeed: async (_parent, { teamId, first }, ctx) => {
      requireTeam(ctx, teamId, 'read', 'Team', teamId);
      const limit = Math.min(Math.max(first ?? 50, 1), 200);
      const rows = await ctx.store.db
        .select({ event: findingEvents })
        .from(findingEvents)
        .innerJoin(findings, eq(findings.id, findingEvents.findingId))
        .innerJoin(projects, eq(projects.id, findings.projectId))
        .where(and(eq(projects.teamId, teamId), isNull(projects.deletedAt)))
        .orderBy(desc(findingEvents.createdAt))
        .limit(limit);
      return rows.map((r) => r.event);
    },
  },
  Mutation: {
    createFinding: async (_parent, { input }, ctx) => {
      const project = await loadProject(ctx, input.projectId, 'write');
      const values = await findingValues(ctx, project.teamId, input);
      const [finding] = await ctx.store.db
        .insert(findings)
        .values({
          ...values.columns,
          // findingValues requires these when there is no existing finding.
          title: values.columns.title!,
          rule: values.columns.rule!,
          metricKey: values.columns.metricKey!,
          metricDirection: values.columns.metricDirection!,
          projectId: project.id,
          authorId: ctx.actor!.userId,
        })
        .returning();
      if (values.citedRunIds.length > 0) await ctx.store.db.insert(findingCitations).values(values.citedRunIds.map((runId) => ({ findingId: finding!.id, runId })));
      await recordEvent(ctx, finding!, 'created', { title: finding!.title, rule: finding!.rule });
      return recheckFinding(ctx.store, ctx.events, finding!);
    },
    updateFinding: async (_parent, { input }, ctx) => {
      const finding = await loadFinding(ctx, input.id, 'write');
      const project = (await ctx.loaders.project.load(finding.projectId))!;
      const values = await findingValues(ctx, project.teamId, input, finding);
      const changes: Record<string, { from: unknown; to: unknown }> = {};
      for (const [key, value] of Object.entries(values.columns))
        if (JSON.stringify(value) !== JSON.stringify(finding[key as keyof FindingRow])) changes[key] = { from: finding[key as keyof FindingRow], to: value };
      const [updated] = await ctx.store.db.update(findings).set({ ...values.columns, updatedAt: new Date() }).where(eq(findings.id, finding.id)).returning();
      const previouslyCited = input.citedRunIds ? await citedRunIds(ctx.store, finding.id) : [];
      if (input.citedRunIds && [...previouslyCited].sort().join() !== [...values.citedRunIds].sort().join()) {
        await ctx.store.db.delete(findingCitations).where(eq(findingCitations.findingId, finding.id));
        if (values.citedRunIds.length > 0) await ctx.store.db.insert(findingCitations).values(values.citedRunIds.map((runId) => ({ findingId: finding.id, runId })));
        changes.citedRunIds = { from: previouslyCited, to: values.citedRunIds };
      }
      if (Object.keys(changes).length > 0) await recordEvent(ctx, updated!, 'updated', changes);
      return recheckFinding(ctx.store, ctx.events, updated!);
    },
    retireFinding: async (_parent, { id, reason }, ctx) => {
      const finding = await loadFinding(ctx, id, 'write');
      if (reason != null) boundedText(reason, 'reason', TEXT_LIMITS.reason);
      if (finding.status === 'retired') return finding;
      const [retired] = await ctx.store.db.update(findings).set({ status: 'retired', updatedAt: new Date() }).where(eq(findings.id, id)).returning();
      await recordEvent(ctx, retired!, 'retired', { from: finding.status, reason: reason ?? null });
      return retired!;
    },
    commentOnFinding: async (_parent, { findingId, body }, ctx) => {
      const finding = await loadFinding(ctx, findingId, 'write');
      if (body.trim() === '') throw badUserInput('A comment needs a body', [{ path: 'body', message: 'must not be empty' }]);
      boundedText(body, 'body', TEXT_LIMITS.comment);
      const [comment] = await ctx.store.db.insert(findingComments).values({ findingId, body, authorId: ctx.actor!.userId }).returning();
      await recordEvent(ctx, finding, 'commented', { commentId: comment!.id });
      return comment!;
    },
    checkRun: (_parent, { input }, ctx) => checkRun(ctx, input),
  },
  Subscription: {
    findingEvents: {
      subscribe: async (_parent, { projectId }, ctx) => {
        const project = await loadProject(ctx, projectId, 'read');
        return mapEvents(ctx.events.subscribe<FindingEventMessage>(projectTopic(project.id)), async (message) => {
          const [event] = await ctx.store.db.select().from(findingEvents).where(eq(findingEvents.id, message.eventId));
          return { findingEvents: event! };
        });
      },
    },
  },
};

/** Validated column values for a create (all fields) or an update (only those given). */
async function findingValues(ctx: Context, teamId: string, input: FindingInput | UpdateFindingInput, existing?: FindingRow) {
  const columns: Partial<typeof findings.$inferInsert> = {};
  if (input.title != null || !existing) columns.title = validateFindingText(input.title);
  if (input.statement != null) columns.statement = input.statement;
  if (input.rule != null || !existing) columns.rule = formatExpression(parseRule(input.rule ?? ''));
  if (input.scope != null) columns.scope = formatExpression(parseRunFilter(input.scope, 'scope'));
  if (input.metric != null) Object.assign(columns, validateMetric(input.metric));
  else if (!existing) throw badUserInput('A finding needs a metric', [{ path: 'metric', message: 'required' }]);
  if (input.severity != null) columns.severity = input.severity.toLowerCase() as 'advice' | 'policy';
  if (input.sharedWithTeam != null) columns.sharedWithTeam = input.sharedWithTeam;
  const citedRunIds = input.citedRunIds ? await validateCitations(ctx, teamId, input.citedRunIds) : [];
  return { columns, citedRunIds };
}

