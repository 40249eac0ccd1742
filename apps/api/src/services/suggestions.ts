import { findingSuggestionStore } from '@tuneboard/db';
import { formatExpression, parseExpression } from '@tuneboard/filter';
import { type FindingMetric, type FindingSuggestions } from '@tuneboard/findings';
import { loadProject, requireActor } from './access';
import { badUserInput } from './errors';
import { oneAtATime } from './fairness';
import { activeFindingsFor, loadEvidenceRuns } from './findings';
import { assertLoggedMetric, loggedMetricKeys } from './importance';
import { forMetric, suggestFindingsOffThread } from './off-thread';
import type { Scope } from './scope';

/**
 * Draft findings Tuneboard proposes from a project's runs (@tuneboard/findings scans single-path rules and corrects
 * for testing many). Nothing is stored: accepting one is createFinding with its rule, title and statement. A draft
 * whose rule an active finding of the project already states about the same metric, or that someone dismissed for
 * that metric, is left out.
 */
export function projectFindingSuggestions(scope: Pick<Scope, 'store'>, project: { id: string }, metric: FindingMetric): Promise<FindingSuggestions> {
  const key = metric.key.trim();
  if (key === '') throw badUserInput('Name the metric to scan for findings, e.g. test.accuracy', [{ path: 'metric.key', message: 'empty' }]);
  return oneAtATime(scope, async () => {
    const runs = await loadEvidenceRuns(scope.store, { projectId: project.id, sharedWithTeam: false });
    assertLoggedMetric(loggedMetricKeys(runs), key);
    const result = await suggestFindingsOffThread(forMetric(runs, key), { ...metric, key });
    const [findings, dismissed] = await Promise.all([
      activeFindingsFor(scope.store, project.id),
      findingSuggestionStore.dismissedRules(scope.store, project.id, key),
    ]);
    const left = new Set([...findings.filter((f) => f.metricKey === key).map((f) => f.rule), ...dismissed]);
    return { ...result, suggestions: result.suggestions.filter((s) => !left.has(s.rule)) };
  });
}

const MAX_RULE_LENGTH = 1000;

/** Owners and members: the scan stops suggesting this rule for this metric of the project. */
export async function dismissSuggestedFinding(ctx: Scope, projectId: string, metricKey: string, rule: string): Promise<boolean> {
  const project = await loadProject(ctx, projectId, 'write');
  const key = metricKey.trim();
  if (key === '') throw badUserInput('Name the metric the suggestion was for', [{ path: 'metric', message: 'empty' }]);
  if (rule.length > MAX_RULE_LENGTH) throw badUserInput(`A rule has at most ${MAX_RULE_LENGTH} characters`, [{ path: 'rule', message: 'too long' }]);
  const parsed = parseExpression(rule);
  if (!parsed.ok || parsed.ast === null)
    throw badUserInput(`The rule to dismiss does not parse: ${parsed.ok ? 'it is empty' : parsed.errors.map((e) => e.message).join('; ')}`, [
      { path: 'rule', message: 'invalid' },
    ]);
  await findingSuggestionStore.dismiss(ctx.store, {
    projectId: project.id,
    metricKey: key,
    rule: formatExpression(parsed.ast),
    userId: requireActor(ctx).userId,
  });
  return true;
}
