import { describe, expect, it } from 'vitest';
import { RULE_PROBLEMS } from '@tuneboard/findings';
import { BUILTIN_SCHEMA } from '../../test/builtin-paths';
import { boundaryLines, checkFindingExpression, checkRunAgainstFindings, ruleAxis, ruleBoundary } from './finding-rules';
import { schemaVocabulary } from './project-schema';

describe('rule boundaries', () => {
  it('reads the bound of a simple comparison', () => {
    expect(ruleBoundary('batchSize <= 32', 'batchSize')).toEqual({ path: 'batchSize', bounds: [{ value: 32, op: '<=' }] });
    expect(boundaryLines(ruleBoundary('batchSize <= 32', 'batchSize')!)).toEqual([{ x: 32, label: '← batchSize ≤ 32' }]);
  });

  it('reads both ends of a range and ignores conditions on other paths', () => {
    const boundary = ruleBoundary('optimizer.learningRate >= 0.001 and optimizer.learningRate < 0.1 and epochs > 2', 'optimizer.learningRate');
    expect(boundary?.bounds).toEqual([
      { value: 0.001, op: '>=' },
      { value: 0.1, op: '<' },
    ]);
    expect(boundaryLines(boundary!).map((l) => l.label)).toEqual(['optimizer.learningRate ≥ 0.001 →', '← optimizer.learningRate < 0.1']);
  });

  it('has no single boundary for or, not, equality, categories or another axis', () => {
    expect(ruleBoundary('batchSize <= 32 or epochs > 3', 'batchSize')).toBeUndefined();
    expect(ruleBoundary('not batchSize > 32', 'batchSize')).toBeUndefined();
    expect(ruleBoundary('batchSize = 32', 'batchSize')).toBeUndefined();
    expect(ruleBoundary('optimizer.name = "adam"', 'optimizer.name')).toBeUndefined();
    expect(ruleBoundary('batchSize <= 32', 'epochs')).toBeUndefined();
    expect(ruleBoundary('batchSize <=', 'batchSize')).toBeUndefined();
  });

  it('takes the chart axis from the first hyperparameter the rule reads', () => {
    expect(ruleAxis('tags has "x" and batchSize <= 32 and epochs > 1')).toBe('batchSize');
  });
});

describe('checking runs against findings', () => {
  const findings = [
    { id: 'small-batch', rule: 'batchSize <= 32', scope: '', status: 'PROPOSED' },
    { id: 'cnn-only', rule: 'optimizer.learningRate < 0.01', scope: 'model.kind = "cnn"', status: 'SUPPORTED' },
    { id: 'retired', rule: 'epochs > 100', scope: '', status: 'RETIRED' },
  ];

  it('lists the active findings whose scope covers the run, and whether it follows each', () => {
    const run = { params: { batchSize: 64, 'model.kind': 'mlp', 'optimizer.learningRate': 0.02, epochs: 3 }, status: 'SUCCEEDED', name: 'r', tags: [] };
    expect(checkRunAgainstFindings(findings, run).map((c) => [c.finding.id, c.follows])).toEqual([['small-batch', false]]);
    const cnn = { ...run, params: { ...run.params, 'model.kind': 'cnn', batchSize: 16 } };
    expect(checkRunAgainstFindings(findings, cnn).map((c) => [c.finding.id, c.follows])).toEqual([
      ['small-batch', true],
      ['cnn-only', false],
    ]);
  });
});

describe('checking a rule or scope as it is typed', () => {
  it("uses the project's vocabulary, with suggestions; syntax only while it loads", () => {
    const builtin = schemaVocabulary(BUILTIN_SCHEMA);
    expect(checkFindingExpression('batchsize <= 32', 'rule', builtin)[0]?.message).toContain('did you mean "batchSize"?');
    expect(checkFindingExpression('batchSize <= 32', 'rule', builtin)).toEqual([]);
    expect(checkFindingExpression('batchsize <= 32', 'rule')).toEqual([]);
  });

  it('requires a rule to read a hyperparameter; an empty scope is the whole project', () => {
    expect(checkFindingExpression('', 'rule')[0]?.message).toMatch(/needs a rule/);
    expect(checkFindingExpression('status = "succeeded"', 'rule')[0]?.message).toMatch(/at least one hyperparameter/);
    expect(checkFindingExpression('', 'scope')).toEqual([]);
    expect(checkFindingExpression('dataset.name = "mnist"', 'scope')).toEqual([]);
  });

  it('words rule problems exactly as the API does (one definition in @tuneboard/findings)', () => {
    expect(checkFindingExpression('  ', 'rule').map((e) => e.message)).toEqual([RULE_PROBLEMS.empty.message]);
    expect(checkFindingExpression('name = "a"', 'rule').map((e) => e.message)).toEqual([RULE_PROBLEMS['no-hyperparameter'].message]);
  });
});
