import { describe, expect, it } from 'vitest';
import { findingDraftFromSuggestion, suggestionReference } from './suggestion-draft';

const suggestion = {
  rule: 'batchSize <= 32',
  scope: 'optimizer.name = "sgd"',
  title: 'batchSize <= 32 for a higher last(test.accuracy)',
  statement: 'Suggested by Tuneboard: …',
};

describe('findingDraftFromSuggestion', () => {
  it('prefills the finding form with the suggestion and the metric it was suggested for', () => {
    expect(findingDraftFromSuggestion(suggestion, { key: 'test.accuracy', aggregate: 'MAX', direction: 'HIGHER' })).toEqual({
      title: suggestion.title,
      statement: suggestion.statement,
      rule: 'batchSize <= 32',
      scope: 'optimizer.name = "sgd"',
      metricKey: 'test.accuracy',
      aggregate: 'MAX',
      direction: 'HIGHER',
      severity: 'ADVICE',
      sharedWithTeam: false,
      citedRunIds: [],
    });
  });

  it('reads an absent aggregate as last, as the API does', () => {
    expect(findingDraftFromSuggestion(suggestion, { key: 'loss', direction: 'LOWER' }).aggregate).toBe('LAST');
  });

  it('names the suggestion by its metric, rule and scope', () => {
    expect(suggestionReference(suggestion, { key: 'test.accuracy', direction: 'HIGHER' })).toEqual({
      metric: 'test.accuracy',
      rule: 'batchSize <= 32',
      scope: 'optimizer.name = "sgd"',
    });
  });
});
