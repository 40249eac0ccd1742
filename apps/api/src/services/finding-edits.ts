import {
  findingStore,
  type Finding,
  type FindingComment,
  type FindingEvent,
  type FindingSeverity,
  type FindingStatus,
  type NewFinding,
  type Project,
  type Run,
} from '@tuneboard/db';
import { formatExpression } from '@tuneboard/filter';
import { canonicalId, isUuid, loadProject, requireActor, requireTeam, type Access } from './access';
import { badUserInput, notFound } from './errors';
import { projectTopic, type FindingEventMessage } from './events';
import { activeFindingsFor, parseRule, recheckFinding } from './findings';
import { vocabularyOf } from './hparam-schemas';
import { parseRunFilter } from './run-listing';
import type { Scope } from './scope';
import { rememberDismissal, statesSuggestion, suggestionReference } from './suggestions';
import { boundedText, TEXT_LIMITS } from './text';

/**
 * Reading and changing findings as people do: listing them, creating and editing them, citing runs,
 * commenting and retiring, each change recorded in the finding's history and announced to subscribers.
 * Rules, evidence and re-checks are in findings.ts.
 */

/** A finding's fields as a client sends them; on an update, absent (null) fields stay as they are. */
export interface FindingFields {
  title?: string | null;
  statement?: string | null;
  rule?: string | null;
  scope?: string | null;
  metric?: { key: string; aggregate?: 'last' | 'min' | 'max' | null; direction: 'higher' | 'lower' } | null;
  severity?: FindingSeverity | null;
  sharedWithTeam?: boolean | null;
  citedRunIds?: readonly string[] | null;
}

/** A finding the actor may read (or change), or NOT_FOUND / FORBIDDEN. */
export async function loadFinding(scope: Scope, id: string, access: Access): Promise<Finding> {
  requireActor(scope);
  if (!isUuid(id)) throw notFound('Finding', id);
  const row = await findingStore.findingWithTeam(scope.store, canonicalId(id));
  if (!row) throw notFound('Finding', id);
  requireTeam(scope, row.teamId, access, 'Finding', id);
  return row.finding;
}

/** Findings of a project and the team's shared ones, newest first; retired ones only when asked for (or for all). */
export async function listFindings(scope: Scope, projectId: string, status?: FindingStatus | null): Promise<Finding[]> {
  const project = await loadProject(scope, projectId, 'read');
  const rows = await activeFindingsFor(scope.store, project.id);
  // activeFindingsFor leaves out retired findings; a list asked for retired ones wants exactly those.
  const all = status === 'retired' || !status ? [...rows, ...(await findingStore.retiredFindingsOf(scope.store, project.id))] : rows;
  return all.filter((f) => !status || f.status === status).sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime());
}

/** New and changed findings across a team, newest first (1 to 200 events). */
export function findingFeed(scope: Scope, teamId: string, first?: number | null): Promise<FindingEvent[]> {
  requireTeam(scope, teamId, 'read', 'Team', teamId);
  const limit = Math.min(Math.max(first ?? 50, 1), 200);
  return findingStore.teamFeed(scope.store, teamId, limit);
}

/** The runs the author cited (the caller has read the finding). */
export function citedRuns(scope: Scope, finding: Finding): Promise<Run[]> {
  return findingStore.citedRuns(scope.store, finding.id);
}

export function findingComments(scope: Scope, finding: Finding): Promise<FindingComment[]> {
  return findingStore.commentsOf(scope.store, finding.id);
}

export function findingHistory(scope: Scope, finding: Finding): Promise<FindingEvent[]> {
  return findingStore.eventsOf(scope.store, finding.id);
}

/** Each change to a finding of the project as it happens (created, edited, commented, re-checked, retired). */
export async function findingEventStream(scope: Scope, projectId: string): Promise<AsyncIterableIterator<FindingEvent>> {
  const project = await loadProject(scope, projectId, 'read');
  const messages = scope.events.subscribe<FindingEventMessage>(projectTopic(project.id));
  // Written out rather than as an async generator, whose return() would wait for the next message.
  const stream: AsyncIterableIterator<FindingEvent> = {
    async next() {
      for (;;) {
        const message = await messages.next();
        if (message.done) return { value: undefined, done: true };
        const event = await findingStore.eventById(scope.store, message.value.eventId);
        // Announced only after the event committed, so it is there (unless its finding was deleted since).
        if (event) return { value: event, done: false };
      }
    },
    return: async () => {
      await messages.return?.();
      return { value: undefined, done: true };
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
  return stream;
}

/**
 * `fromSuggestion`: the suggested finding this one was recorded from. Recorded as suggested, the finding states it
 * and the scan leaves it out while the finding is active; recorded after an edit (another rule, scope or metric),
 * the suggestion is dismissed, so the draft the person rewrote is not proposed again beside their finding.
 */
export async function createFinding(
  scope: Scope,
  projectId: string,
  fields: FindingFields,
  fromSuggestion?: { metric: string; rule: string; scope?: string | null } | null,
): Promise<Finding> {
  const actor = requireActor(scope);
  const project = await loadProject(scope, projectId, 'write');
  const values = await findingValues(scope, project, fields);
  const suggestion = fromSuggestion ? suggestionReference(fromSuggestion, 'fromSuggestion.') : null;
  const created = await findingStore.createFinding(
    scope.store,
    {
      ...values.columns,
      // findingValues requires these when there is no existing finding.
      title: values.columns.title!,
      rule: values.columns.rule!,
      metricKey: values.columns.metricKey!,
      metricDirection: values.columns.metricDirection!,
      projectId: project.id,
      authorId: actor.userId,
    },
    values.citedRunIds,
    { actorId: actor.userId, changes: { title: values.columns.title!, rule: values.columns.rule! } },
  );
  if (suggestion && !statesSuggestion(created.finding, suggestion)) await rememberDismissal(scope.store, project.id, suggestion, actor.userId);
  await announce(scope, created.finding, created.eventId);
  return recheckFinding(scope.store, scope.events, created.finding);
}

export async function updateFinding(scope: Scope, id: string, fields: FindingFields): Promise<Finding> {
  const finding = await loadFinding(scope, id, 'write');
  const project = (await scope.loaders.project.load(finding.projectId))!;
  const values = await findingValues(scope, project, fields, finding);
  const changes: Record<string, { from: unknown; to: unknown }> = {};
  for (const [key, value] of Object.entries(values.columns))
    if (JSON.stringify(value) !== JSON.stringify(finding[key as keyof Finding])) changes[key] = { from: finding[key as keyof Finding], to: value };
  let citations: string[] | undefined;
  if (fields.citedRunIds) {
    const previouslyCited = await findingStore.citedRunIds(scope.store, finding.id);
    if ([...previouslyCited].sort().join() !== [...values.citedRunIds].sort().join()) {
      citations = values.citedRunIds;
      changes.citedRunIds = { from: previouslyCited, to: values.citedRunIds };
    }
  }
  const event = Object.keys(changes).length > 0 ? { actorId: scope.actor!.userId, changes } : null;
  const updated = await findingStore.updateFinding(scope.store, finding.id, { set: values.columns, citations, event });
  if (!updated) throw notFound('Finding', id);
  if (updated.eventId) await announce(scope, updated.finding, updated.eventId);
  return recheckFinding(scope.store, scope.events, updated.finding);
}

export async function retireFinding(scope: Scope, id: string, reason?: string | null): Promise<Finding> {
  const finding = await loadFinding(scope, id, 'write');
  if (reason != null) boundedText(reason, 'reason', TEXT_LIMITS.reason);
  if (finding.status === 'retired') return finding;
  const retired = await findingStore.retireFinding(scope.store, finding.id, {
    actorId: scope.actor!.userId,
    changes: { from: finding.status, reason: reason ?? null },
  });
  // Retired meanwhile by someone else: theirs is the retirement on record.
  if (!retired) return (await findingStore.findingById(scope.store, finding.id)) ?? finding;
  await announce(scope, retired.finding, retired.eventId);
  return retired.finding;
}

export async function commentOnFinding(scope: Scope, findingId: string, body: string): Promise<FindingComment> {
  const finding = await loadFinding(scope, findingId, 'write');
  if (body.trim() === '') throw badUserInput('A comment needs a body', [{ path: 'body', message: 'must not be empty' }]);
  boundedText(body, 'body', TEXT_LIMITS.comment);
  const { comment, eventId } = await findingStore.addComment(scope.store, { findingId: finding.id, body, authorId: scope.actor!.userId });
  await announce(scope, finding, eventId);
  return comment;
}

function announce(scope: Scope, finding: Finding, eventId: string): Promise<void> {
  return scope.events.publish({ kind: 'FINDING_CHANGED', projectId: finding.projectId, findingId: finding.id, eventId });
}

function validateFindingText(title: string | null | undefined, path = 'title'): string {
  const trimmed = (title ?? '').trim();
  if (trimmed === '' || trimmed.length > 200)
    throw badUserInput('A finding needs a title of 1 to 200 characters', [{ path, message: 'must have 1 to 200 characters' }]);
  return trimmed;
}

function validateMetric(metric: NonNullable<FindingFields['metric']>) {
  const key = metric.key.trim();
  if (key === '' || key.length > 200)
    throw badUserInput('metric.key must name a metric, e.g. test.accuracy', [{ path: 'metric.key', message: 'must not be empty' }]);
  return { metricKey: key, metricAggregate: metric.aggregate ?? 'last', metricDirection: metric.direction };
}

/** The cited runs must be runs the author can read in the finding's team. */
async function validateCitations(scope: Scope, teamId: string, runIds: readonly string[]): Promise<string[]> {
  const unique = [...new Set(runIds.map((id) => (isUuid(id) ? canonicalId(id) : id)))];
  const problems: { path: string; message: string }[] = [];
  const teams = await Promise.all(unique.map((id) => (isUuid(id) ? scope.loaders.runTeam.load(id) : Promise.resolve(null))));
  unique.forEach((id, i) => {
    if (teams[i] !== teamId) problems.push({ path: `citedRunIds[${i}]`, message: `run ${id} was not found in this team` });
  });
  if (problems.length > 0) throw badUserInput(`Cannot cite: ${problems.map((p) => p.message).join('; ')}`, problems);
  return unique;
}

/** Validated column values for a create (all fields) or an update (only those given). */
async function findingValues(scope: Scope, project: Project, fields: FindingFields, existing?: Finding) {
  const teamId = project.teamId;
  // A declared or inferred project's rules name its own paths.
  const vocabulary = (await vocabularyOf(scope.store, project)) ?? undefined;
  const columns: Partial<NewFinding> = {};
  if (fields.title != null || !existing) columns.title = validateFindingText(fields.title);
  if (fields.statement != null) columns.statement = fields.statement;
  if (fields.rule != null || !existing) columns.rule = formatExpression(parseRule(fields.rule ?? '', vocabulary));
  if (fields.scope != null) columns.scope = formatExpression(parseRunFilter(fields.scope, 'scope', vocabulary));
  if (fields.metric != null) Object.assign(columns, validateMetric(fields.metric));
  else if (!existing) throw badUserInput('A finding needs a metric', [{ path: 'metric', message: 'required' }]);
  if (fields.severity != null) columns.severity = fields.severity;
  if (fields.sharedWithTeam != null) columns.sharedWithTeam = fields.sharedWithTeam;
  const citedRunIds = fields.citedRunIds ? await validateCitations(scope, teamId, fields.citedRunIds) : [];
  return { columns, citedRunIds };
}
