import { findingCitations, findingEvents, findings, projects, type FindingStatus, type Store } from '@tuneboard/db';
import { evaluate, referencedParamPaths, type Expr, type RunRecord } from '@tuneboard/filter';
import { computeEvidence, findingCovers, type Evidence, type EvidenceRun, type FindingSpec } from '@tuneboard/findings';
import { and, eq, ne, or, sql } from 'drizzle-orm';
import type { Logger } from 'pino';
import { badUserInput } from './errors';
import type { EventBus } from './events';
import { parseRunFilter } from './run-listing';

/**
 * Findings: parsing and checking their rules, gathering the runs that are their evidence, re-checking them
 * as runs finish, and judging new configurations against them. The statistics live in @tuneboard/findings.
 */

export type FindingRow = typeof findings.$inferSelect;

/** A finding's rule and scope, parsed (they are stored as canonical expression text). */
export function findingSpec(finding: FindingRow, citedRunIds: readonly string[] = []): FindingSpec {
  return {
    rule: parseRunFilter(finding.rule, 'rule')!,
    scope: parseRunFilter(finding.scope, 'scope'),
    metric: { key: finding.metricKey, aggregate: finding.metricAggregate, direction: finding.metricDirection },
    citedRunIds,
  };
}

/** Checks a rule as users write it: valid, non-empty and about at least one hyperparameter. */
export function parseRule(rule: string): Expr {
  const ast = parseRunFilter(rule, 'rule');
  if (!ast) throw badUserInput('A finding needs a rule, e.g. batchSize <= 32', [{ path: 'rule', message: 'must not be empty' }]);
  if (referencedParamPaths(ast).length === 0)
    throw badUserInput('A rule must test at least one hyperparameter (e.g. batchSize <= 32), not only run fields or metrics', [
      { path: 'rule', message: 'names no hyperparameter' },
    ]);
  return ast;
}

interface EvidenceRow {
  id: string;
  name: string;
  status: string;
  tags: string[];
  flat_params: Record<string, number | string | boolean>;
  backend: string | null;
  device: string | null;
}

/** Every run a finding speaks about may be in: its project's, or its team's when the finding is shared. */
export async function loadEvidenceRuns(store: Store, finding: Pick<FindingRow, 'projectId' | 'sharedWithTeam'>): Promise<EvidenceRun[]> {
  const rows = await store.query<EvidenceRow>(
    `select r.id, r.name, r.status, r.tags, r.flat_params, r.backend, r.device
     from runs r join projects p on p.id = r.project_id
     where r.deleted_at is null and p.deleted_at is null
       and (r.project_id = $1 or ($2 and p.team_id = (select team_id from projects where id = $1)))`,
    [finding.projectId, finding.sharedWithTeam],
  );
  const metrics = await store.query<{ run_id: string; key: string; last: number | null; min: number | null; max: number | null }>(
    `select ms.run_id, ms.key, ms.last_value as last, ms.min_value as min, ms.max_value as max
     from metric_series ms where ms.run_id = any($1::uuid[])`,
    [rows.map((r) => r.id)],
  );
  const byRun = new Map<string, NonNullable<RunRecord['metrics']>>();
  for (const m of metrics) {
    let summary = byRun.get(m.run_id);
    if (!byRun.has(m.run_id)) byRun.set(m.run_id, (summary = {}));
    summary![m.key] = { last: m.last === null ? null : Number(m.last), min: m.min === null ? null : Number(m.min), max: m.max === null ? null : Number(m.max) };
  }
  return rows.map((r) => ({
    id: r.id,
    name: r.name,
    status: r.status,
    tags: r.tags,
    params: r.flat_params,
    backend: r.backend,
    device: r.device,
    metrics: byRun.get(r.id) ?? {},
  }));
}

export async function citedRunIds(store: Store, findingId: string): Promise<string[]> {
  const rows = await store.db.select({ runId: findingCitations.runId }).from(findingCitations).where(eq(findingCitations.findingId, findingId));
  return rows.map((r) => r.runId);
}

export async function evaluateFinding(store: Store, finding: FindingRow): Promise<Evidence> {
  const [runs, cited] = await Promise.all([loadEvidenceRuns(store, finding), citedRunIds(store, finding.id)]);
  return computeEvidence(findingSpec(finding, cited), runs);
}

/** What is kept on the row: enough for lists and the feed without recomputing. */
export function evidenceSummary(evidence: Evidence) {
  return {
    status: evidence.status,
    verdict: evidence.verdict,
    satisfying: evidence.satisfying.runCount,
    violating: evidence.violating.runCount,
    difference: evidence.difference,
    interval: evidence.interval,
  };
}

/**
 * Recomputes a finding's evidence and moves its status with it (a retired finding stays retired), recording
 * a status change in its history and announcing it to subscribers.
 */
export async function recheckFinding(store: Store, events: EventBus, finding: FindingRow): Promise<FindingRow> {
  const evidence = await evaluateFinding(store, finding);
  const next: FindingStatus = finding.status === 'retired' ? 'retired' : evidence.status;
  // Only if the finding is unchanged since it was read: an edit or a retirement made meanwhile wins, and
  // its own re-check (an edit schedules one) brings the evidence up to date.
  const [updated] = await store.db
    .update(findings)
    .set({ status: next, evidence: evidenceSummary(evidence) })
    .where(
      and(
        eq(findings.id, finding.id),
        eq(findings.status, finding.status),
        // Compared at JavaScript's millisecond precision (PostgreSQL keeps microseconds).
        sql`date_trunc('milliseconds', ${findings.updatedAt}) = ${finding.updatedAt.toISOString()}::timestamptz`,
      ),
    )
    .returning();
  if (!updated) return (await store.db.select().from(findings).where(eq(findings.id, finding.id)))[0] ?? finding;
  if (next !== finding.status) {
    const [event] = await store.db
      .insert(findingEvents)
      .values({ findingId: finding.id, actorId: null, kind: 'status_changed', changes: { from: finding.status, to: next, verdict: evidence.verdict } })
      .returning({ id: findingEvents.id });
    await events.publish({ kind: 'FINDING_CHANGED', projectId: finding.projectId, findingId: finding.id, eventId: event!.id });
  }
  return updated!;
}

/** Active findings that speak about runs of this project: its own, and those shared across its team. */
export async function activeFindingsFor(store: Store, projectId: string): Promise<FindingRow[]> {
  return store.db
    .select({ finding: findings })
    .from(findings)
    .innerJoin(projects, eq(projects.id, findings.projectId))
    .where(
      and(
        ne(findings.status, 'retired'),
        or(
          eq(findings.projectId, projectId),
          and(eq(findings.sharedWithTeam, true), sql`${projects.teamId} = (select team_id from projects where id = ${projectId})`),
        ),
      ),
    )
    .then((rows) => rows.map((r) => r.finding));
}

/**
 * Re-checks the findings of projects whose runs finished, coalescing bursts (a sweep finishing fifty runs)
 * into one pass per project. Per process; every replica that sees a run finish schedules its own pass, and
 * a pass is idempotent.
 */
export class FindingRechecks {
  private pending = new Set<string>();
  private timer: ReturnType<typeof setTimeout> | null = null;
  private running: Promise<void> = Promise.resolve();

  constructor(
    private store: Store,
    private events: EventBus,
    private logger: Logger,
    private delayMs = 300,
  ) {}

  /** Schedules a re-check of every active finding that speaks about runs of the project. */
  projectChanged(projectId: string): void {
    this.pending.add(projectId);
    this.timer ??= setTimeout(() => {
      this.timer = null;
      const projectIds = [...this.pending];
      this.pending.clear();
      this.running = this.running.then(() => this.recheck(projectIds)).catch((error: unknown) => this.logger.error({ err: error }, 'finding re-check failed'));
    }, this.delayMs);
  }

  /** Resolves once scheduled re-checks have run (tests, shutdown). */
  async settled(): Promise<void> {
    while (this.timer || this.pending.size > 0) await new Promise((resolve) => setTimeout(resolve, this.delayMs));
    await this.running;
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.pending.clear();
  }

  private async recheck(projectIds: string[]): Promise<void> {
    const seen = new Set<string>();
    for (const projectId of projectIds)
      for (const finding of await activeFindingsFor(this.store, projectId)) {
        if (seen.has(finding.id)) continue;
        seen.add(finding.id);
        await recheckFinding(this.store, this.events, finding);
      }
  }
}

export interface FindingViolation {
  finding: FindingRow;
  message: string;
}

/** The active findings whose scope covers this configuration and whose rule it breaks. */
export async function findingViolations(
  store: Store,
  projectId: string,
  candidate: { params: Record<string, number | string | boolean>; name: string; tags: readonly string[] },
): Promise<FindingViolation[]> {
  const record: RunRecord = { params: candidate.params, status: 'queued', name: candidate.name, tags: candidate.tags, metrics: {} };
  const violations: FindingViolation[] = [];
  for (const finding of await activeFindingsFor(store, projectId)) {
    const spec = findingSpec(finding);
    if (!findingCovers(spec, record) || evaluate(spec.rule, record)) continue;
    const summary = (finding.evidence as ReturnType<typeof evidenceSummary> | null)?.verdict ?? 'No evidence computed yet.';
    const used = referencedParamPaths(spec.rule).map((path) => `${path} = ${JSON.stringify(candidate.params[path] ?? null)}`).join(', ');
    violations.push({
      finding,
      message:
        `This run (${used}) breaks the ${finding.severity === 'policy' ? 'policy' : 'finding'} "${finding.title}" ` +
        `(${finding.rule}; ${finding.status}). ${summary}`,
    });
  }
  return violations;
}
