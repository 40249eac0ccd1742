import { parseExpression } from '@tuneboard/filter';
import { describe, expect, it } from 'vitest';
import { RULE_PROBLEMS, ruleProblems } from './rules';

const parsed = (text: string) => {
  const result = parseExpression(text);
  if (!result.ok) throw new Error(`does not parse: ${text}`);
  return result.ast;
};

describe('rule problems', () => {
  it('accepts a rule over a hyperparameter, also beside run fields', () => {
    expect(ruleProblems(parsed('batchSize <= 32'))).toEqual([]);
    expect(ruleProblems(parsed('batchSize <= 32 and status = "succeeded"'))).toEqual([]);
  });

  it('refuses an empty rule and one that reads no hyperparameter, in the words users see', () => {
    expect(ruleProblems(parsed(''))).toEqual([RULE_PROBLEMS.empty]);
    expect(ruleProblems(null)[0]?.message).toBe('A finding needs a rule, e.g. batchSize <= 32');
    expect(ruleProblems(parsed('status = "succeeded"'))).toEqual([RULE_PROBLEMS['no-hyperparameter']]);
    expect(RULE_PROBLEMS['no-hyperparameter'].message).toBe(
      'A rule must test at least one hyperparameter (e.g. batchSize <= 32), not only run fields or metrics',
    );
  });
});
