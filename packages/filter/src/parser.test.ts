import { describe, expect, it } from 'vitest';
import { parseExpression } from './parser';
import { parse, shape, USER_EXAMPLES } from './test-support';

const param = (path: string) => ({ kind: 'param', path });
const run = (name: string) => ({ kind: 'run', name });
const metric = (agg: string, key: string) => ({ kind: 'metric', agg, key });
const cmp = (field: unknown, op: string, value: unknown) => ({ type: 'compare', field, op, value });
const a = cmp(param('a'), '=', 1);
const b = cmp(param('b'), '=', 2);
const c = cmp(param('c'), '=', 3);

function errorOf(text: string) {
  const result = parseExpression(text);
  if (result.ok) throw new Error(`expected ${JSON.stringify(text)} not to parse`);
  expect(result.errors).toHaveLength(1);
  return result.errors[0];
}

describe('empty expression', () => {
  it.each(['', '   ', '\n\t '])('%j matches everything (null tree)', (text) => {
    expect(parseExpression(text)).toEqual({ ok: true, ast: null });
  });
});

describe('precedence and parentheses', () => {
  it('binds and tighter than or', () => {
    expect(shape(parse('a = 1 or b = 2 and c = 3'))).toEqual({ type: 'or', left: a, right: { type: 'and', left: b, right: c } });
    expect(shape(parse('a = 1 and b = 2 or c = 3'))).toEqual({ type: 'or', left: { type: 'and', left: a, right: b }, right: c });
  });

  it('binds not tighter than and', () => {
    expect(shape(parse('not a = 1 and b = 2'))).toEqual({ type: 'and', left: { type: 'not', expr: a }, right: b });
  });

  it('lets parentheses override precedence', () => {
    expect(shape(parse('(a = 1 or b = 2) and c = 3'))).toEqual({ type: 'and', left: { type: 'or', left: a, right: b }, right: c });
    expect(shape(parse('not (a = 1 or b = 2)'))).toEqual({ type: 'not', expr: { type: 'or', left: a, right: b } });
    expect(shape(parse('((a = 1))'))).toEqual(a);
  });

  it('associates and/or to the left', () => {
    expect(shape(parse('a = 1 or b = 2 or c = 3'))).toEqual({ type: 'or', left: { type: 'or', left: a, right: b }, right: c });
    expect(shape(parse('a = 1 and (b = 2 and c = 3)'))).toEqual({ type: 'and', left: a, right: { type: 'and', left: b, right: c } });
  });

  it('binds a test tighter than not, so not needs no parentheses around one test', () => {
    expect(shape(parse('not tags has "x"'))).toEqual(shape(parse('not (tags has "x")')));
  });

  it('allows stacked not', () => {
    expect(shape(parse('not not a = 1'))).toEqual({ type: 'not', expr: { type: 'not', expr: a } });
  });

  it('parses the example from the filter bar placeholder', () => {
    expect(shape(parse('batchSize <= 32 and optimizer.name = "adam" or tags has "baseline"'))).toEqual({
      type: 'or',
      left: {
        type: 'and',
        left: cmp(param('batchSize'), '<=', 32),
        right: cmp(param('optimizer.name'), '=', 'adam'),
      },
      right: { type: 'has', field: run('tags'), value: 'baseline' },
    });
  });
});

describe('operators', () => {
  it.each(['=', '!=', '<', '<=', '>', '>='])('parses %s', (op) => {
    expect(shape(parse(`batchSize ${op} 32`))).toEqual(cmp(param('batchSize'), op, 32));
  });

  it('accepts == as =', () => {
    expect(shape(parse('batchSize == 32'))).toEqual(cmp(param('batchSize'), '=', 32));
  });

  it('needs no spaces around symbols', () => {
    expect(shape(parse('batchSize<=32&&a=1'))).toEqual({ type: 'and', left: cmp(param('batchSize'), '<=', 32), right: a });
  });

  it('parses in and not in lists, with a trailing comma allowed', () => {
    expect(shape(parse('status in ["succeeded", "diverged"]'))).toEqual({
      type: 'in',
      field: run('status'),
      values: ['succeeded', 'diverged'],
      negated: false,
    });
    expect(shape(parse('batchSize not in [16, 32,]'))).toEqual({ type: 'in', field: param('batchSize'), values: [16, 32], negated: true });
  });

  it('parses has and ~', () => {
    expect(shape(parse('tags has "baseline"'))).toEqual({ type: 'has', field: run('tags'), value: 'baseline' });
    expect(shape(parse('name ~ "sweep"'))).toEqual({ type: 'contains', field: run('name'), value: 'sweep' });
  });

  it('parses boolean literals', () => {
    expect(shape(parse('training.shuffle = true'))).toEqual(cmp(param('training.shuffle'), '=', true));
    expect(shape(parse('training.shuffle != FALSE'))).toEqual(cmp(param('training.shuffle'), '!=', false));
  });
});

describe('keywords', () => {
  it('ignore case', () => {
    const lower = shape(parse('not a = 1 and b = 2 or c in [3] and tags has "x"'));
    expect(shape(parse('NOT a = 1 AND b = 2 Or c IN [3] aNd tags HAS "x"'))).toEqual(lower);
  });

  it('accept &&, || and ! as synonyms', () => {
    expect(shape(parse('!a = 1 && b = 2 || c = 3'))).toEqual(shape(parse('not a = 1 and b = 2 or c = 3')));
    expect(shape(parse('!(tags has "broken")'))).toEqual({ type: 'not', expr: { type: 'has', field: run('tags'), value: 'broken' } });
  });

  it('treat run field names case-insensitively but hyperparameter paths exactly', () => {
    expect(shape(parse('Status = "failed"'))).toEqual(cmp(run('status'), '=', 'failed'));
    expect(shape(parse('batchsize = 1'))).toEqual(cmp(param('batchsize'), '=', 1));
  });

  it('only reserve the bare run field names', () => {
    expect(shape(parse('statusCode = 1'))).toEqual(cmp(param('statusCode'), '=', 1));
    expect(shape(parse('name.first = "x"'))).toEqual(cmp(param('name.first'), '=', 'x'));
    expect(shape(parse('model.in = 1'))).toEqual(cmp(param('model.in'), '=', 1));
  });
});

describe('literals', () => {
  it.each([
    ['32', 32],
    ['-1', -1],
    ['3e-3', 0.003],
    ['.5', 0.5],
    ['-.25', -0.25],
    ['1e6', 1_000_000],
    ['1.5E+3', 1500],
    ['2.', 2],
    ['-0', 0],
  ])('reads the number %s', (text, value) => {
    expect(shape(parse(`x = ${text}`))).toEqual(cmp(param('x'), '=', value));
  });

  it('reads strings in either quote with backslash escapes', () => {
    expect(shape(parse(`dataset.name = 'it\\'s'`))).toEqual(cmp(param('dataset.name'), '=', "it's"));
    expect(shape(parse('dataset.name = "say \\"hi\\"\\\\ \\n"'))).toEqual(cmp(param('dataset.name'), '=', 'say "hi"\\ \n'));
    expect(shape(parse(`name = "it's"`))).toEqual(cmp(run('name'), '=', "it's"));
  });
});

describe('fields', () => {
  it('reads indexed hyperparameter paths', () => {
    expect(shape(parse('model.convLayers[0].stride = 1'))).toEqual(cmp(param('model.convLayers[0].stride'), '=', 1));
    expect(shape(parse('model.hiddenLayers[12] >= 64'))).toEqual(cmp(param('model.hiddenLayers[12]'), '>=', 64));
  });

  it('reads summary metrics, bare or quoted, aggregate in any case', () => {
    expect(shape(parse('max(test.accuracy) > 0.9 and last(train.loss) < 0.2'))).toEqual({
      type: 'and',
      left: cmp(metric('max', 'test.accuracy'), '>', 0.9),
      right: cmp(metric('last', 'train.loss'), '<', 0.2),
    });
    expect(shape(parse('min("val loss") <= 0.1'))).toEqual(cmp(metric('min', 'val loss'), '<=', 0.1));
    expect(shape(parse("MAX ( 'eval/top-1' ) >= 0.5"))).toEqual(cmp(metric('max', 'eval/top-1'), '>=', 0.5));
    expect(shape(parse('last(eval/top-1_acc.v2) > 0'))).toEqual(cmp(metric('last', 'eval/top-1_acc.v2'), '>', 0));
  });

  it('reads last/min/max without parentheses as hyperparameter names', () => {
    expect(shape(parse('max = 3'))).toEqual(cmp(param('max'), '=', 3));
  });
});

describe('spans', () => {
  it('covers each node and the parts of each test', () => {
    const text = 'batchSize <= 32 and status in ["failed", "diverged"]';
    const ast = parse(text);
    expect(ast).toMatchObject({
      type: 'and',
      span: { start: 0, end: text.length },
      left: { span: { start: 0, end: 15 }, fieldSpan: { start: 0, end: 9 }, opSpan: { start: 10, end: 12 }, valueSpan: { start: 13, end: 15 } },
      right: {
        span: { start: 20, end: text.length },
        fieldSpan: { start: 20, end: 26 },
        opSpan: { start: 27, end: 29 },
        valueSpans: [
          { start: 31, end: 39 },
          { start: 41, end: 51 },
        ],
      },
    });
  });

  it('starts a not at the keyword and a parenthesised or at its "("', () => {
    const ast = parse('(a = 1 or b = 2) and not c = 3');
    expect(ast).toMatchObject({ left: { type: 'or', span: { start: 1, end: 15 } }, right: { type: 'not', span: { start: 21, end: 30 } } });
    expect(parse('x not in [1]')).toMatchObject({ opSpan: { start: 2, end: 8 } });
  });
});

describe('syntax errors', () => {
  it.each([
    ['batchSize <<', 'Unexpected "<" at column 12: expected a value', 11, 12],
    ['batchSize <= ', 'Unexpected end of expression at column 14: expected a value', 13, 13],
    ['a = "abc', 'Unterminated string starting at column 5', 4, 8],
    ["a = 'abc\\'", 'Unterminated string starting at column 5', 4, 10],
    ['optimizer.name = adam', 'Unexpected "adam" at column 18: expected a value (put text in quotes: "adam")', 17, 21],
    ['batchSize 32', 'Unexpected "32" at column 11: expected an operator: =, !=, <, <=, >, >=, ~, in, not in or has', 10, 12],
    ['= 3', 'Unexpected "=" at column 1: expected a field such as batchSize, status or max(test.accuracy)', 0, 1],
    ['a = 1 b = 2', 'Unexpected "b" at column 7: expected "and", "or" or the end of the expression', 6, 7],
    ['a = 1)', 'Unexpected ")" at column 6: there is no matching "("', 5, 6],
    ['(a = 1 or b = 2', 'Unexpected end of expression at column 16: expected "and", "or" or ")" to close the "(" at column 1', 15, 15],
    ['a = 1 and', 'Unexpected end of expression at column 10: expected a field such as batchSize, status or max(test.accuracy)', 9, 9],
    ['tags not has "x"', 'Unexpected "has" at column 10: expected "in" after "not" (to negate any other test, write not (…) around it)', 9, 12],
    ['status in "failed"', 'Unexpected text "failed" at column 11: expected "[" to start a list of values', 10, 18],
    ['status in []', 'Unexpected "]" at column 12: expected a value', 11, 12],
    ['status in ["a" "b"]', 'Unexpected text "b" at column 16: expected "," or "]"', 15, 18],
    ['tags has 3', 'Unexpected "3" at column 10: expected text in quotes', 9, 10],
    ['name ~ sweep', 'Unexpected "sweep" at column 8: expected text in quotes, such as "sweep"', 7, 12],
    ['a = 1 @ b', 'Unexpected character "@" at column 7', 6, 7],
    ['a = 3abc', 'Malformed number "3abc" at column 5', 4, 8],
    ['a = 1e', 'Malformed number "1e" at column 5', 4, 6],
    ['a = 1e999', 'Number "1e999" at column 5 is too large', 4, 9],
    [
      'model.convLayers[x].stride = 1',
      '"model.convLayers[x].stride" at column 1 is not a valid field path: expected a list index such as [0] or a quoted key such as ["a.b"] at column 18',
      0,
      26,
    ],
    ['model..stride = 1', '"model..stride" at column 1 is not a valid field path (use names like model.convLayers[0].stride)', 0, 13],
    ['max() > 1', 'Expected a metric key such as train.loss after "max(" at column 5', 4, 5],
    ['max("") > 1', 'Expected a metric key such as train.loss after "max(" at column 5', 4, 6],
    ['last(train.loss > 1', 'Expected ")" to close "last(" at column 17', 16, 17],
    ['min("val loss) < 1', 'Unterminated string starting at column 5', 4, 18],
  ])('%j → %s', (text, message, start, end) => {
    expect(errorOf(text)).toEqual({ message, start, end });
  });

  it('gives line and column when the expression spans lines', () => {
    expect(errorOf('a = 1 and\n  b = <')).toEqual({ message: 'Unexpected "<" at line 2, column 7: expected a value', start: 16, end: 17 });
  });
});

describe('examples users type', () => {
  it.each(USER_EXAMPLES)('parses %s', (text) => {
    expect(parseExpression(text).ok).toBe(true);
  });
});
