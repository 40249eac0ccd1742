import { suggestFindings, type FindingMetric, type FindingSuggestions } from '@tuneboard/findings';
import { badUserInput } from './errors';
import { oneAtATime } from './fairness';
import { activeFindingsFor, loadEvidenceRuns } from './findings';
import { assertLoggedMetric, loggedMetricKeys } from './importance';
import type { Scope } from './scope';

/**
 * Draft findings Tuneboard proposes from a project's runs (@tuneboard/findings scans single-path rules and corrects
 * for testing many). Nothing is stored: accepting one is createFinding with its rule, title and statement. A draft
 * whose rule an active finding of the project already states about the same metric is left out.
 */
export function projectFindingSuggestions(scope: Pick<Scope, 'store'>, project: { id: string }, metric: FindingMetric): Promise<FindingSuggestions> {
  const key = metric.key.trim();
  if (key === '') throw badUserInput('Name the metric to scan for findings, e.g. test.accuracy', [{ path: 'metric.key', message: 'empty' }]);
  return oneAtATime(scope, async () => {
    const runs = await loadEvidenceRuns(scope.store, { projectId: project.id, sharedWithTeam: false });
    assertLoggedMetric(loggedMetricKeys(runs), key);
    const result = suggestFindings(runs, { ...metric, key });
    const stated = new Set((await activeFindingsFor(scope.store, project.id)).filter((f) => f.metricKey === key).map((f) => f.rule));
    return { ...result, suggestions: result.suggestions.filter((s) => !stated.has(s.rule)) };
  });
}
