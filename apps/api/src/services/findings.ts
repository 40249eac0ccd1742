import { findingStore, type Finding, type FindingStatus, type Run, type Store } from '@tuneboard/db';
import { evaluate, parseExpression, referencedParamPaths, type Expr, type RunRecord, type Vocabulary } from '@tuneboard/filter';
import { computeEvidence, findingCovers, ruleProblems, type Evidence, type EvidenceRun, type FindingSpec } from '@tuneboard/findings';
import type { Logger } from 'pino';
import { badUserInput } from './errors';
import type { EventBus } from './events';
import { oneAtATime } from './fairness';
import { parseRunFilter } from './run-listing';

/**
 * Findings: parsing and checking their rules, gathering the runs that are their evidence, re-checking them
 * as runs finish, and judging new configurations against them. The statistics live in @tuneboard/findings;
 * creating and editing findings is in finding-edits.ts.
 */

export type FindingRow = Finding;

/**
 * A finding's rule and scope, parsed (they are stored as canonical expression text, checked against the project's
 * vocabulary when written — a declared or inferred project's paths are not the built-in ones, so not re-checked here).
 */
export function findingSpec(finding: FindingRow, citedRunIds: readonly string[] = []): FindingSpec {
  return {
    rule: storedExpression(finding.rule)!,
    scope: storedExpression(finding.scope),
    metric: { key: finding.metricKey, aggregate: finding.metricAggregate, direction: finding.metricDirection },
    citedRunIds,
  };
}

function storedExpression(text: string | null): Expr | null {
  const parsed = parseExpression(text ?? '');
  if (!parsed.ok) throw new Error(`A stored finding expression does not parse: ${parsed.errors.map((e) => e.message).join('; ')}`);
  return parsed.ast;
}

/** The hyperparameter paths a finding's rule reads. */
export function ruleParams(finding: FindingRow): string[] {
  return referencedParamPaths(findingSpec(finding).rule);
}

/** Checks a rule as users write it: valid, non-empty and about at least one hyperparameter (the web checks the same). */
export function parseRule(rule: string, vocabulary?: Vocabulary): Expr {
  const ast = parseRunFilter(rule, 'rule', vocabulary);
  const [problem] = ruleProblems(ast);
  if (problem) throw badUserInput(problem.message, [{ path: 'rule', message: problem.detail }]);
  return ast!;
}

/** Every run a finding speaks about may be in: its project's, or its team's when the finding is shared. */
export async function loadEvidenceRuns(store: Store, finding: Pick<FindingRow, 'projectId' | 'sharedWithTeam'>): Promise<EvidenceRun[]> {
  const rows = await findingStore.evidenceRuns(store, finding);
  return rows.map(({ flatParams, ...run }) => ({ ...run, params: flatParams }));
}

export function citedRunIds(store: Store, findingId: string): Promise<string[]> {
  return findingStore.citedRunIds(store, findingId);
}

export async function evaluateFinding(store: Store, finding: FindingRow): Promise<Evidence> {
  const [runs, cited] = await Promise.all([loadEvidenceRuns(store, finding), citedRunIds(store, finding.id)]);
  return computeEvidence(findingSpec(finding, cited), runs);
}

/** A finding's evidence computed now, one computation at a time per request (each reads every run in scope). */
export function findingEvidence(scope: { store: Store }, finding: FindingRow): Promise<Evidence> {
  return oneAtATime(scope, () => evaluateFinding(scope.store, finding));
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
export type EvidenceSummary = ReturnType<typeof evidenceSummary>;

/** The summary kept on the row, in the shape the API shows it; null before the first re-check. */
export function storedEvidenceSummary(finding: FindingRow) {
  const summary = finding.evidence as EvidenceSummary | null;
  return summary ? { verdict: summary.verdict, satisfyingRuns: summary.satisfying, violatingRuns: summary.violating, difference: summary.difference } : null;
}

/**
 * Recomputes a finding's evidence and moves its status with it (a retired finding stays retired), recording
 * a status change in its history and announcing it to subscribers.
 */
export async function recheckFinding(store: Store, events: EventBus, finding: FindingRow): Promise<FindingRow> {
  const evidence = await evaluateFinding(store, finding);
  const next: FindingStatus = finding.status === 'retired' ? 'retired' : evidence.status;
  const recorded = await findingStore.recordEvidence(store, finding, { status: next, evidence: evidenceSummary(evidence), verdict: evidence.verdict });
  // Changed meanwhile (an edit or a retirement wins, and an edit schedules its own re-check): return it as it is now.
  if (!recorded) return (await findingStore.findingById(store, finding.id)) ?? finding;
  if (recorded.eventId) await events.publish({ kind: 'FINDING_CHANGED', projectId: finding.projectId, findingId: finding.id, eventId: recorded.eventId });
  return recorded.finding;
}

/** Active findings that speak about runs of this project: its own, and those shared across its team. */
export function activeFindingsFor(store: Store, projectId: string): Promise<FindingRow[]> {
  return findingStore.activeFindingsFor(store, projectId);
}

/** Which of a project's active findings cover a run (their scope), and whether it follows each one's rule. */
export function runFindingChecks(run: Run, activeFindings: readonly FindingRow[]): { finding: FindingRow; follows: boolean }[] {
  const record = { params: run.flatParams as Record<string, number | string | boolean>, status: run.status, name: run.name, tags: run.tags, metrics: {} };
  const checks = [];
  for (const finding of activeFindings) {
    const spec = findingSpec(finding);
    if (findingCovers(spec, record)) checks.push({ finding, follows: evaluate(spec.rule, record) });
  }
  return checks;
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
/** Which of these findings a candidate run breaks, each with a message naming the values it breaks them with. */
export function violationsAmong(
  findings: readonly FindingRow[],
  candidate: { params: Record<string, number | string | boolean>; name: string; tags: readonly string[] },
): FindingViolation[] {
  const record: RunRecord = { params: candidate.params, status: 'queued', name: candidate.name, tags: candidate.tags, metrics: {} };
  const violations: FindingViolation[] = [];
  for (const finding of findings) {
    const spec = findingSpec(finding);
    if (!findingCovers(spec, record) || evaluate(spec.rule, record)) continue;
    const summary = (finding.evidence as EvidenceSummary | null)?.verdict ?? 'No evidence computed yet.';
    const used = referencedParamPaths(spec.rule)
      .map((path) => `${path} = ${JSON.stringify(candidate.params[path] ?? null)}`)
      .join(', ');
    violations.push({
      finding,
      message:
        `This run (${used}) breaks the ${finding.severity === 'policy' ? 'policy' : 'finding'} "${finding.title}" ` +
        `(${finding.rule}; ${finding.status}). ${summary}`,
    });
  }
  return violations;
}
