import { and, desc, eq, inArray, isNull, ne, or, sql } from 'drizzle-orm';
import type { Store } from '../client';
import {
  findingCitations,
  findingComments,
  findingEvents,
  findings,
  type Finding,
  type FindingComment,
  type FindingEvent,
  type FindingEventKind,
  type FindingStatus,
  type NewFinding,
} from '../schema/findings';
import { metricSummaries } from '../schema/metrics';
import { projects } from '../schema/projects';
import { runs, type Run } from '../schema/runs';
import { inTransaction, type Handle } from './handle';

/**
 * Findings, their citations, comments and events. A change that also records an event is one function with
 * its own transaction, so the history never misses (or invents) a change; it returns the event's id for the
 * caller to announce once the transaction has committed.
 */

export async function findingsByIds(handle: Handle, ids: readonly string[]): Promise<Finding[]> {
  if (ids.length === 0) return [];
  return handle.db
    .select()
    .from(findings)
    .where(inArray(findings.id, [...ids]));
}

export async function findingById(handle: Handle, id: string): Promise<Finding | null> {
  const [finding] = await handle.db.select().from(findings).where(eq(findings.id, id));
  return finding ?? null;
}

/** A finding of a live project, with the project's team (for access checks), or null. */
export async function findingWithTeam(handle: Handle, id: string): Promise<{ finding: Finding; teamId: string } | null> {
  const [row] = await handle.db
    .select({ finding: findings, teamId: projects.teamId })
    .from(findings)
    .innerJoin(projects, eq(projects.id, findings.projectId))
    .where(and(eq(findings.id, id), isNull(projects.deletedAt)));
  return row ?? null;
}

/** Active (not retired) findings that speak about runs of this project: its own, and those shared across its team. */
export async function activeFindingsFor(handle: Handle, projectId: string): Promise<Finding[]> {
  const rows = await handle.db
    .select({ finding: findings })
    .from(findings)
    .innerJoin(projects, eq(projects.id, findings.projectId))
    .where(
      and(
        ne(findings.status, 'retired'),
        or(
          eq(findings.projectId, projectId),
          and(eq(findings.sharedWithTeam, true), sql`${projects.teamId} = (select ${projects.teamId} from ${projects} where ${projects.id} = ${projectId})`),
        ),
      ),
    );
  return rows.map((r) => r.finding);
}

/** The project's own retired findings (shared or not). */
export async function retiredFindingsOf(handle: Handle, projectId: string): Promise<Finding[]> {
  return handle.db
    .select()
    .from(findings)
    .where(and(eq(findings.projectId, projectId), eq(findings.status, 'retired')));
}

export async function citedRunIds(handle: Handle, findingId: string): Promise<string[]> {
  const rows = await handle.db.select({ runId: findingCitations.runId }).from(findingCitations).where(eq(findingCitations.findingId, findingId));
  return rows.map((r) => r.runId);
}

export async function citedRuns(handle: Handle, findingId: string): Promise<Run[]> {
  const rows = await handle.db
    .select({ run: runs })
    .from(findingCitations)
    .innerJoin(runs, eq(runs.id, findingCitations.runId))
    .where(eq(findingCitations.findingId, findingId));
  return rows.map((r) => r.run);
}

/** Oldest first, as a conversation reads. */
export async function commentsOf(handle: Handle, findingId: string): Promise<FindingComment[]> {
  return handle.db.select().from(findingComments).where(eq(findingComments.findingId, findingId)).orderBy(findingComments.createdAt);
}

/** The finding's history, oldest first. */
export async function eventsOf(handle: Handle, findingId: string): Promise<FindingEvent[]> {
  return handle.db.select().from(findingEvents).where(eq(findingEvents.findingId, findingId)).orderBy(findingEvents.createdAt);
}

export async function eventById(handle: Handle, id: string): Promise<FindingEvent | null> {
  const [event] = await handle.db.select().from(findingEvents).where(eq(findingEvents.id, id));
  return event ?? null;
}

/** The newest events of the findings of a team's live projects. */
export async function teamFeed(handle: Handle, teamId: string, limit: number): Promise<FindingEvent[]> {
  const rows = await handle.db
    .select({ event: findingEvents })
    .from(findingEvents)
    .innerJoin(findings, eq(findings.id, findingEvents.findingId))
    .innerJoin(projects, eq(projects.id, findings.projectId))
    .where(and(eq(projects.teamId, teamId), isNull(projects.deletedAt)))
    .orderBy(desc(findingEvents.createdAt))
    .limit(limit);
  return rows.map((r) => r.event);
}

export interface MetricSummaryValues {
  last: number | null;
  min: number | null;
  max: number | null;
}

/** A run as evidence sees it: its fields, flat hyperparameters and metric summaries by key. */
export interface EvidenceRunRow {
  id: string;
  name: string;
  status: Run['status'];
  tags: string[];
  flatParams: Record<string, number | string | boolean>;
  backend: string | null;
  device: string | null;
  metrics: Record<string, MetricSummaryValues>;
}

/** Every live run a finding may speak about: its project's, or its team's when the finding is shared. */
export async function evidenceRuns(handle: Handle, finding: Pick<Finding, 'projectId' | 'sharedWithTeam'>): Promise<EvidenceRunRow[]> {
  const rows = await handle.db
    .select({
      id: runs.id,
      name: runs.name,
      status: runs.status,
      tags: runs.tags,
      flatParams: runs.flatParams,
      backend: runs.backend,
      device: runs.device,
    })
    .from(runs)
    .innerJoin(projects, eq(projects.id, runs.projectId))
    .where(
      and(
        isNull(runs.deletedAt),
        isNull(projects.deletedAt),
        finding.sharedWithTeam
          ? sql`${projects.teamId} = (select ${projects.teamId} from ${projects} where ${projects.id} = ${finding.projectId})`
          : eq(runs.projectId, finding.projectId),
      ),
    );
  if (rows.length === 0) return [];
  // The ids as one array parameter: a team may have more runs than a statement has parameters.
  const ids = rows.map((r) => r.id);
  const metrics = await handle.db
    .select({
      runId: metricSummaries.runId,
      key: metricSummaries.key,
      last: metricSummaries.lastValue,
      min: metricSummaries.minValue,
      max: metricSummaries.maxValue,
    })
    .from(metricSummaries)
    .where(sql`${metricSummaries.runId} = any(${sql.param(ids)}::uuid[])`);
  const byRun = new Map<string, Record<string, MetricSummaryValues>>();
  for (const m of metrics) {
    let summary = byRun.get(m.runId);
    if (!summary) byRun.set(m.runId, (summary = {}));
    summary[m.key] = { last: m.last, min: m.min, max: m.max };
  }
  return rows.map((r) => ({ ...r, flatParams: r.flatParams as Record<string, number | string | boolean>, metrics: byRun.get(r.id) ?? {} }));
}

/** Who changed a finding and how, for its history; actorId null = Tuneboard itself. */
export interface FindingEventInput {
  actorId: string | null;
  changes: Record<string, unknown>;
}

async function insertEvent(tx: Handle, findingId: string, kind: FindingEventKind, event: FindingEventInput): Promise<string> {
  const [row] = await tx.db
    .insert(findingEvents)
    .values({ findingId, actorId: event.actorId, kind, changes: event.changes })
    .returning({ id: findingEvents.id });
  return row!.id;
}

async function insertCitations(tx: Handle, findingId: string, runIds: readonly string[]): Promise<void> {
  if (runIds.length > 0) await tx.db.insert(findingCitations).values(runIds.map((runId) => ({ findingId, runId })));
}

/** Creates a finding with its citations and its `created` event, atomically. */
export async function createFinding(
  store: Store,
  values: NewFinding,
  citations: readonly string[],
  event: FindingEventInput,
): Promise<{ finding: Finding; eventId: string }> {
  return inTransaction(store, async (tx) => {
    const [finding] = await tx.db.insert(findings).values(values).returning();
    await insertCitations(tx, finding!.id, citations);
    return { finding: finding!, eventId: await insertEvent(tx, finding!.id, 'created', event) };
  });
}

/**
 * Updates a finding (touching updatedAt), replaces its citations when `citations` is given, and records an
 * `updated` event when `event` is given, atomically. Null when the finding does not exist.
 */
export async function updateFinding(
  store: Store,
  id: string,
  change: { set: Partial<NewFinding>; citations?: readonly string[] | undefined; event: FindingEventInput | null },
): Promise<{ finding: Finding; eventId: string | null } | null> {
  return inTransaction(store, async (tx) => {
    const [finding] = await tx.db
      .update(findings)
      .set({ ...change.set, updatedAt: new Date() })
      .where(eq(findings.id, id))
      .returning();
    if (!finding) return null;
    if (change.citations) {
      await tx.db.delete(findingCitations).where(eq(findingCitations.findingId, id));
      await insertCitations(tx, id, change.citations);
    }
    return { finding, eventId: change.event ? await insertEvent(tx, id, 'updated', change.event) : null };
  });
}

/** Retires a finding and records why, atomically; null when it is missing or already retired. */
export async function retireFinding(store: Store, id: string, event: FindingEventInput): Promise<{ finding: Finding; eventId: string } | null> {
  return inTransaction(store, async (tx) => {
    const [finding] = await tx.db
      .update(findings)
      .set({ status: 'retired', updatedAt: new Date() })
      .where(and(eq(findings.id, id), ne(findings.status, 'retired')))
      .returning();
    if (!finding) return null;
    return { finding, eventId: await insertEvent(tx, id, 'retired', event) };
  });
}

/** Adds a comment and its `commented` event, atomically. */
export async function addComment(
  store: Store,
  values: { findingId: string; authorId: string; body: string },
): Promise<{ comment: FindingComment; eventId: string }> {
  return inTransaction(store, async (tx) => {
    const [comment] = await tx.db.insert(findingComments).values(values).returning();
    const eventId = await insertEvent(tx, values.findingId, 'commented', { actorId: values.authorId, changes: { commentId: comment!.id } });
    return { comment: comment!, eventId };
  });
}

/**
 * Stores re-checked evidence and the status it implies, but only if the finding is unchanged since `seen`
 * was read: an edit or a retirement made meanwhile wins (it schedules its own re-check). When the status
 * moves, a `status_changed` event by Tuneboard records it, in the same transaction. Null when the finding
 * had changed (or is gone).
 */
export async function recordEvidence(
  store: Store,
  seen: Pick<Finding, 'id' | 'status' | 'updatedAt'>,
  next: { status: FindingStatus; evidence: unknown; verdict: string },
): Promise<{ finding: Finding; eventId: string | null } | null> {
  return inTransaction(store, async (tx) => {
    const [finding] = await tx.db
      .update(findings)
      .set({ status: next.status, evidence: next.evidence })
      .where(
        and(
          eq(findings.id, seen.id),
          eq(findings.status, seen.status),
          // Compared at JavaScript's millisecond precision (PostgreSQL keeps microseconds).
          sql`date_trunc('milliseconds', ${findings.updatedAt}) = ${seen.updatedAt.toISOString()}::timestamptz`,
        ),
      )
      .returning();
    if (!finding) return null;
    if (next.status === seen.status) return { finding, eventId: null };
    const eventId = await insertEvent(tx, seen.id, 'status_changed', { actorId: null, changes: { from: seen.status, to: next.status, verdict: next.verdict } });
    return { finding, eventId };
  });
}
