import { describe, expect, it } from 'vitest';
import { actorName, describeFindingEvent } from './finding-events';
import { findingDraftIssues, findingUpdateFields, isDraftValid, likelyDirection } from './finding-form-state';
import { BUILTIN_SCHEMA } from '../../../../test/builtin-paths';
import { schemaVocabulary } from '@/lib/project-schema';

describe('finding history in words', () => {
  it('says who did what', () => {
    expect(describeFindingEvent({ kind: 'created', changes: { title: 'Keep batch ≤ 32', rule: 'batchSize <= 32' } })).toBe(
      'recorded it with the rule batchSize <= 32',
    );
    expect(describeFindingEvent({ kind: 'updated', changes: { severity: { from: 'advice', to: 'policy' }, statement: { from: 'a', to: 'b' } } })).toBe(
      'changed severity from advice to policy; statement',
    );
    expect(describeFindingEvent({ kind: 'status_changed', changes: { from: 'proposed', to: 'supported' } })).toBe(
      're-checked the evidence: proposed → supported',
    );
    expect(describeFindingEvent({ kind: 'retired', changes: { from: 'contested', reason: 'superseded' } })).toBe('retired it: superseded');
    expect(actorName({ kind: 'status_changed', changes: {}, actor: null })).toBe('Tuneboard');
    expect(actorName({ kind: 'commented', changes: {}, actor: { email: 'a@b' } })).toBe('a@b');
  });
});

describe('the finding form', () => {
  const draft = {
    title: 'Keep batch ≤ 32',
    statement: '',
    rule: 'batchSize <= 32',
    scope: '',
    metricKey: 'test.accuracy',
    aggregate: 'MAX' as const,
    direction: 'HIGHER' as const,
    severity: 'ADVICE' as const,
    sharedWithTeam: false,
    citedRunIds: [],
  };

  it('is valid with a title, a metric and a rule over a hyperparameter', () => {
    expect(isDraftValid(findingDraftIssues(draft))).toBe(true);
    expect(isDraftValid(findingDraftIssues({ ...draft, title: ' ' }))).toBe(false);
    const builtin = schemaVocabulary(BUILTIN_SCHEMA);
    expect(findingDraftIssues({ ...draft, scope: 'dataset.nam = "mnist"' }, builtin).scope[0]?.message).toContain('dataset.name');
  });

  it('leaves unchanged citations out of an update, so the history does not record a change that did not happen', () => {
    const cited = { ...draft, citedRunIds: ['a', 'b'] };
    expect(findingUpdateFields(cited, { ...cited, citedRunIds: ['b', 'a'], severity: 'POLICY' })).not.toHaveProperty('citedRunIds');
    expect(findingUpdateFields(cited, { ...cited, citedRunIds: ['a'] }).citedRunIds).toEqual(['a']);
  });

  it('guesses the metric direction from its name', () => {
    expect(likelyDirection('test.loss')).toBe('LOWER');
    expect(likelyDirection('test.accuracy')).toBe('HIGHER');
  });
});
