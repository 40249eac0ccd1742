import { referencedParamPaths, type Expr } from '@tuneboard/filter';

/**
 * What makes a finding's rule unusable beyond its syntax, worded once: the API refuses such a rule with these
 * messages and the web form shows the same ones as the rule is typed.
 */

export type RuleProblemCode = 'empty' | 'no-hyperparameter';

export interface RuleProblem {
  code: RuleProblemCode;
  /** The sentence a person reads (the API's error message, the form's hint). */
  message: string;
  /** The short form shown next to the `rule` field. */
  detail: string;
}

export const RULE_PROBLEMS: Readonly<Record<RuleProblemCode, RuleProblem>> = {
  empty: { code: 'empty', message: 'A finding needs a rule, e.g. batchSize <= 32', detail: 'must not be empty' },
  'no-hyperparameter': {
    code: 'no-hyperparameter',
    message: 'A rule must test at least one hyperparameter (e.g. batchSize <= 32), not only run fields or metrics',
    detail: 'names no hyperparameter',
  },
};

/**
 * The problems of a parsed rule (null = the rule was empty); none when the rule is usable. Syntax errors are
 * the parser's to report: call this with what it returned.
 */
export function ruleProblems(rule: Expr | null): RuleProblem[] {
  if (rule === null) return [RULE_PROBLEMS.empty];
  if (referencedParamPaths(rule).length === 0) return [RULE_PROBLEMS['no-hyperparameter']];
  return [];
}
