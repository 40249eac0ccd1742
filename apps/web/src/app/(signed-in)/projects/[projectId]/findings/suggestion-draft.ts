// "Edit before recording" starts the finding form from a suggested finding: its rule, scope, title and statement,
// and the metric it was suggested for.
import type { FindingMetricInput } from '@/graphql/generated/graphql';
import type { FindingDraft } from '../../../findings/finding-form-state';

export interface SuggestionFields {
  rule: string;
  scope: string;
  title: string;
  statement: string;
}

export function findingDraftFromSuggestion(suggestion: SuggestionFields, metric: FindingMetricInput): FindingDraft {
  return {
    title: suggestion.title,
    statement: suggestion.statement,
    rule: suggestion.rule,
    scope: suggestion.scope,
    metricKey: metric.key,
    aggregate: metric.aggregate ?? 'LAST',
    direction: metric.direction,
    severity: 'ADVICE',
    sharedWithTeam: false,
    citedRunIds: [],
  };
}

/** What createFinding is told about the suggestion a finding comes from, so that it stops being proposed. */
export function suggestionReference(suggestion: SuggestionFields, metric: FindingMetricInput) {
  return { metric: metric.key, rule: suggestion.rule, scope: suggestion.scope };
}
