import { describe, expect, it } from 'vitest';
import { referencedParamPaths, type Expr } from './ast';
import { formatExpression } from './format';
import { parse, shape, USER_EXAMPLES } from './test-support';

describe('formatExpression', () => {
  it.each([
    ...USER_EXAMPLES,
    'a = 1 and (b = 2 or c = 3)',
    '(a = 1 or b = 2) and not (c = 3 and d = 4)',
    'a = 1 or (b = 2 or c = 3)',
    'a = 1 and (b = 2 and c = 3)',
    'not not a = 1',
    'not (a = 1) or not (b = 2 or c = 3)',
    'x not in [-1, .5, 1e21, 1e-7, -2.5e-10] or y in [true, false, "t"]',
    `dataset.name = 'quote " and \\' and \\\\ and\ttab\nnewline'`,
    'last("a key with spaces and \\"quotes\\"") != 0',
    'max(eval/top-1) >= 0.5',
    '!a = 1 && b == 2 || C ~ "x"',
    'STATUS = "failed" OR Tags HAS "x"',
  ])('round-trips %j', (text) => {
    const ast = parse(text);
    const formatted = formatExpression(ast);
    expect(shape(parse(formatted))).toEqual(shape(ast));
    expect(formatExpression(parse(formatted))).toBe(formatted);
  });

  it.each([
    ['a=1   AND  (b=2)', 'a = 1 and b = 2'],
    ['(a = 1 and b = 2) or c = 3', 'a = 1 and b = 2 or c = 3'],
    ['a = 1 and (b = 2 or c = 3)', 'a = 1 and (b = 2 or c = 3)'],
    ['(a = 1 or b = 2) or c = 3', 'a = 1 or b = 2 or c = 3'],
    ['a = 1 or (b = 2 or c = 3)', 'a = 1 or (b = 2 or c = 3)'],
    ['not (a = 1)', 'not a = 1'],
    ['!(a = 1 || b = 2) && c == 3', 'not (a = 1 or b = 2) and c = 3'],
    ["name ~ 'sweep'", 'name ~ "sweep"'],
    ['x in [ 1 , 2 , ]', 'x in [1, 2]'],
    ['x = 3e-3', 'x = 0.003'],
    ['x = -0', 'x = 0'],
    ['MAX( "test.accuracy" ) > .9', 'max(test.accuracy) > 0.9'],
    ['min("val loss") < 1', 'min("val loss") < 1'],
    ['training.shuffle = TRUE', 'training.shuffle = true'],
  ])('writes %j canonically as %j', (text, canonical) => {
    expect(formatExpression(parse(text))).toBe(canonical);
  });

  it('writes the empty expression as empty text', () => {
    expect(formatExpression(null)).toBe('');
  });

  it('formats a tree built by hand, without spans', () => {
    const leaf = (path: string) => ({ type: 'compare', field: { kind: 'param', path }, op: '=', value: 1 });
    const ast = { type: 'and', left: leaf('a'), right: { type: 'or', left: leaf('b'), right: leaf('c') } } as unknown as Expr;
    expect(formatExpression(ast)).toBe('a = 1 and (b = 1 or c = 1)');
  });
});

describe('referencedParamPaths', () => {
  it('lists each hyperparameter path once, in order of first use, skipping run fields and metrics', () => {
    const ast = parse(
      'model.convLayers[0].stride = 1 and (batchSize < 64 or not batchSize in [8]) and status = "failed" and max(batchSize) > 1 and tags has "x" and optimizer.name ~ "a"',
    );
    expect(referencedParamPaths(ast)).toEqual(['model.convLayers[0].stride', 'batchSize', 'optimizer.name']);
  });

  it('is empty for the empty expression', () => {
    expect(referencedParamPaths(null)).toEqual([]);
  });
});
