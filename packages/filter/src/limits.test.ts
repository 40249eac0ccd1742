import { describe, expect, it } from 'vitest';
import { compileFilter } from './check';
import { evaluate } from './evaluate';
import { formatExpression } from './format';
import { FILTER_LIMITS, parseExpression } from './parser';

const vocabulary = { describe: (path: string) => (path === 'batchSize' ? ({ type: 'number' } as const) : undefined) };

function errorOf(text: string) {
  const result = parseExpression(text);
  if (result.ok) throw new Error('expected the expression to be refused');
  expect(result.errors).toHaveLength(1);
  return result.errors[0]!;
}

const nested = (depth: number, inner = 'batchSize = 1') => `${'('.repeat(depth)}${inner}${')'.repeat(depth)}`;
const tests = (n: number) => Array.from({ length: n }, () => 'batchSize = 1').join(' or ');
const list = (n: number) => `batchSize in [${Array.from({ length: n }, (_, i) => i).join(', ')}]`;

describe('size limits', () => {
  it(`accepts ${FILTER_LIMITS.maxDepth} nested parentheses and refuses one more, pointing at it`, () => {
    expect(parseExpression(nested(FILTER_LIMITS.maxDepth)).ok).toBe(true);
    const error = errorOf(nested(FILTER_LIMITS.maxDepth + 1));
    expect(error.message).toBe(`Nested too deeply at column ${FILTER_LIMITS.maxDepth + 1}: "(" and "not" may be nested at most ${FILTER_LIMITS.maxDepth} deep`);
    expect(error.start).toBe(FILTER_LIMITS.maxDepth);
  });

  it('counts not as nesting too, and mixes both', () => {
    expect(parseExpression(`${'not '.repeat(FILTER_LIMITS.maxDepth)}batchSize = 1`).ok).toBe(true);
    expect(errorOf(`${'not '.repeat(FILTER_LIMITS.maxDepth + 1)}batchSize = 1`).message).toMatch(/^Nested too deeply/);
    expect(errorOf(nested(20, `${'not '.repeat(20)}batchSize = 1`)).message).toMatch(/^Nested too deeply/);
  });

  it('refuses 10,000 and 99,000 nesting levels without overflowing the stack', () => {
    expect(errorOf(nested(10_000)).message).toMatch(/^Nested too deeply/);
    expect(errorOf(nested(99_000)).message).toMatch(/^Nested too deeply/);
    expect(errorOf(`${'!'.repeat(199_000)}batchSize = 1`).message).toMatch(/^Nested too deeply/);
  });

  it(`accepts ${FILTER_LIMITS.maxTests} tests and refuses one more`, () => {
    const ast = compileFilter(tests(FILTER_LIMITS.maxTests), vocabulary);
    expect(ast.ok).toBe(true);
    // Everything that walks the tree copes with the longest chain allowed.
    if (ast.ok) {
      expect(evaluate(ast.ast, { params: { batchSize: 1 }, status: 'queued', name: 'a', tags: [] })).toBe(true);
      expect(formatExpression(ast.ast)).toBe(tests(FILTER_LIMITS.maxTests));
    }
    expect(errorOf(tests(FILTER_LIMITS.maxTests + 1)).message).toMatch(/^Too many tests at column \d+: an expression may hold at most 1,000 tests/);
    expect(errorOf(tests(10_000)).message).toMatch(/^Too many tests/);
  });

  it(`accepts a list of ${FILTER_LIMITS.maxListValues} values and refuses one more`, () => {
    expect(compileFilter(list(FILTER_LIMITS.maxListValues), vocabulary).ok).toBe(true);
    const tooMany = `batchSize in [${Array.from({ length: FILTER_LIMITS.maxListValues + 1 }, () => '1').join(',')}]`;
    expect(errorOf(tooMany).message).toMatch(/^Too many values at column \d+: a list may hold at most 10,000 values$/);
  });

  it(`refuses an expression longer than ${FILTER_LIMITS.maxLength} characters before reading it`, () => {
    const error = errorOf(list(70_000));
    expect(error.message).toMatch(/^The expression is [\d,]+ characters long; the limit is 200,000$/);
    expect(error.start).toBe(FILTER_LIMITS.maxLength);
    expect(parseExpression(`batchSize = 1${' '.repeat(FILTER_LIMITS.maxLength - 13)}`).ok).toBe(true);
  });
});
