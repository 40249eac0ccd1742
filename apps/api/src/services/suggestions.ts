import { findingSuggestionStore, type Store } from '@tuneboard/db';
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
 * that metric, is left out; so is one recorded after an edit (createFinding's fromSuggestion dismisses it).
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
    const gone = new Set(dismissed);
    const suggestions = result.suggestions.filter((s) => {
      const reference = { metricKey: key, rule: s.rule, scope: s.scope };
      return !gone.has(dismissalKey(reference)) && !findings.some((f) => statesSuggestion(f, reference));
    });
    return { ...result, suggestions };
  });
}

/** Which suggestion: its metric, rule and scope ('' for none), as formatExpression writes them. */
export interface SuggestionReference {
  metricKey: string;
  rule: string;
  scope: string;
}

/**
 * Whether a finding states the suggestion, so that it is no longer proposed: the same metric and rule, and for a
 * scoped suggestion the same scope (a finding stating the rule within some scope already answers the unscoped one).
 */
export function statesSuggestion(finding: { metricKey: string; rule: string; scope: string | null }, suggestion: SuggestionReference): boolean {
  return (
    finding.metricKey === suggestion.metricKey && finding.rule === suggestion.rule && (suggestion.scope === '' || (finding.scope ?? '') === suggestion.scope)
  );
}

/** The dismissal table remembers a rule per metric; a scoped suggestion is remembered as `rule where scope`. */
const dismissalKey = (suggestion: SuggestionReference) => (suggestion.scope === '' ? suggestion.rule : `${suggestion.rule} where ${suggestion.scope}`);

const MAX_RULE_LENGTH = 1000;

/** A suggestion named by a client (to dismiss it, or to record it edited), checked and written as the scan writes it. */
export function suggestionReference(input: { metric: string; rule: string; scope?: string | null }, at = ''): SuggestionReference {
  const key = input.metric.trim();
  if (key === '') throw badUserInput('Name the metric the suggestion was for', [{ path: `${at}metric`, message: 'empty' }]);
  const expression = (text: string, name: 'rule' | 'scope', required: boolean) => {
    if (text.length > MAX_RULE_LENGTH)
      throw badUserInput(`A suggestion's ${name} has at most ${MAX_RULE_LENGTH} characters`, [{ path: `${at}${name}`, message: 'too long' }]);
    const parsed = parseExpression(text);
    if (!parsed.ok || (required && parsed.ast === null))
      throw badUserInput(`The suggestion's ${name} does not parse: ${parsed.ok ? 'it is empty' : parsed.errors.map((e) => e.message).join('; ')}`, [
        { path: `${at}${name}`, message: 'invalid' },
      ]);
    return formatExpression(parsed.ast);
  };
  return { metricKey: key, rule: expression(input.rule, 'rule', true), scope: expression(input.scope ?? '', 'scope', false) };
}

/** Remembers that a suggestion is no longer to be proposed (again: no change). */
export function rememberDismissal(store: Store, projectId: string, suggestion: SuggestionReference, userId: string | null): Promise<void> {
  return findingSuggestionStore.dismiss(store, { projectId, metricKey: suggestion.metricKey, rule: dismissalKey(suggestion), userId });
}

/** Owners and members: the scan stops suggesting this rule (in this scope) for this metric of the project. */
export async function dismissSuggestedFinding(ctx: Scope, projectId: string, metricKey: string, rule: string, scope?: string | null): Promise<boolean> {
  const project = await loadProject(ctx, projectId, 'write');
  await rememberDismissal(ctx.store, project.id, suggestionReference({ metric: metricKey, rule, scope }), requireActor(ctx).userId);
  return true;
}
