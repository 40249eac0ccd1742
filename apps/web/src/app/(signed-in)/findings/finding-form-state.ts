// The finding form's state: what a person types, checked as they type, and the API input it becomes.
import type { Vocabulary } from '@tuneboard/filter';
import type { FindingSeverity, MetricAggregate, MetricDirection } from '@/graphql/generated/graphql';
import { checkFindingExpression } from '@/lib/finding-rules';
import type { MarkedFilterError } from '@/lib/filter-check';

export interface FindingDraft {
  title: string;
  statement: string;
  rule: string;
  scope: string;
  metricKey: string;
  aggregate: MetricAggregate;
  direction: MetricDirection;
  severity: FindingSeverity;
  sharedWithTeam: boolean;
  citedRunIds: readonly string[];
}

export interface FindingDraftIssues {
  title?: string;
  metricKey?: string;
  rule: MarkedFilterError[];
  scope: MarkedFilterError[];
}

/** `vocabulary`: the project's hyperparameter paths (schemaVocabulary); syntax only when not given. */
export function findingDraftIssues(draft: FindingDraft, vocabulary?: Vocabulary): FindingDraftIssues {
  const title = draft.title.trim();
  return {
    title: title === '' ? 'A finding needs a title' : title.length > 200 ? 'At most 200 characters' : undefined,
    metricKey: draft.metricKey.trim() === '' ? 'Name the metric, e.g. test.accuracy' : undefined,
    rule: checkFindingExpression(draft.rule, 'rule', vocabulary),
    scope: checkFindingExpression(draft.scope, 'scope', vocabulary),
  };
}

export function isDraftValid(issues: FindingDraftIssues): boolean {
  return !issues.title && !issues.metricKey && issues.rule.length === 0 && issues.scope.length === 0;
}

/** The fields createFinding and updateFinding share. */
export function findingInputFields(draft: FindingDraft) {
  return {
    title: draft.title.trim(),
    statement: draft.statement,
    rule: draft.rule.trim(),
    scope: draft.scope.trim(),
    metric: { key: draft.metricKey.trim(), aggregate: draft.aggregate, direction: draft.direction },
    severity: draft.severity,
    sharedWithTeam: draft.sharedWithTeam,
    citedRunIds: [...draft.citedRunIds],
  };
}

/**
 * updateFinding's input: every field, except the cited runs when they are the same set (the API records a
 * citation change in the history whenever they are sent).
 */
export function findingUpdateFields(
  before: FindingDraft,
  after: FindingDraft,
): Omit<ReturnType<typeof findingInputFields>, 'citedRunIds'> & { citedRunIds?: string[] } {
  const { citedRunIds, ...fields } = findingInputFields(after);
  const sameCitations = before.citedRunIds.length === citedRunIds.length && citedRunIds.every((id) => before.citedRunIds.includes(id));
  return sameCitations ? fields : { ...fields, citedRunIds };
}

/** Loss-like metrics are better low; everything else (accuracy, throughput) high. */
export function likelyDirection(metricKey: string): MetricDirection {
  return /loss|error|perplexity|time|latency/i.test(metricKey) ? 'LOWER' : 'HIGHER';
}
