import { describe, expect, it } from 'vitest';
import { checkExpression } from './check';
import { evaluate, type RunRecord } from './evaluate';
import { formatExpression, formatLiteral } from './format';
import { formatPathKey } from './lexer';
import { parseExpression } from './parser';
import { parse, shape } from './test-support';

// Keys that are not identifiers are written as JSON strings in brackets, as packages/hparams/src/open/path-syntax.ts
// writes them; the token's path is that canonical spelling, the key of a run's flat params.

const param = (path: string) => ({ kind: 'param', path });
const cmp = (field: unknown, op: string, value: unknown) => ({ type: 'compare', field, op, value });
const pathOf = (text: string) => {
  const ast = parse(`${text} = 1`);
  if (ast?.type !== 'compare' || ast.field.kind !== 'param') throw new Error(`${text} is not a hyperparameter path`);
  return ast.field.path;
};

function errorOf(text: string) {
  const result = parseExpression(text);
  if (result.ok) throw new Error(`expected ${JSON.stringify(text)} not to parse`);
  return result.errors[0];
}

describe('quoted keys in paths', () => {
  it.each([
    ['metrics["a.b"]', 'metrics["a.b"]'],
    ['["学习率"]', '["学习率"]'],
    ['["3"]', '["3"]'],
    ['[""]', '[""]'],
    ['["in"].x', '["in"].x'],
    ['["True"]', '["True"]'],
    ['model.layers[3].heads', 'model.layers[3].heads'],
    ['model.layers[03]', 'model.layers[3]'],
    // Brackets a key did not need are dropped, so one path has one spelling.
    ['a["b"]', 'a.b'],
    ['["a"]["b"][0]["c"]', 'a.b[0].c'],
    ['["batchSize"]', 'batchSize'],
    ['a["in"]', 'a.in'],
    ['a["x y"].b["c\\"d"]', 'a["x y"].b["c\\"d"]'],
    // JSON escapes are read and written back as JSON.stringify writes them.
    ['a["\\u00e9t\\u00E9"]', 'a["été"]'],
    ['a["\\/\\t"]', 'a["/\\t"]'],
    ['a["\\ud83d\\ude00"]', 'a["😀"]'],
    ['a["]"]', 'a["]"]'],
    ['a["it\'s"]', 'a["it\'s"]'],
  ])('%s reads as the path %s', (text, canonical) => {
    expect(pathOf(text)).toBe(canonical);
  });

  it('reads a quoted key in every position a path may take', () => {
    expect(shape(parse('["a.b"] = 1 and x in ["a", "b"] and not c["d"] ~ "e"'))).toEqual({
      type: 'and',
      left: {
        type: 'and',
        left: cmp(param('["a.b"]'), '=', 1),
        right: { type: 'in', field: param('x'), values: ['a', 'b'], negated: false },
      },
      right: { type: 'not', expr: { type: 'contains', field: param('c.d'), value: 'e' } },
    });
    expect(shape(parse('["x"] not in ["a"]'))).toEqual({ type: 'in', field: param('x'), values: ['a'], negated: true });
    expect(parse('["a.b"] = 1')).toMatchObject({ fieldSpan: { start: 0, end: 7 } });
  });

  it('reads a quoted run field name as the hyperparameter, and writes it back quoted', () => {
    expect(shape(parse('["status"] = 1'))).toEqual(cmp(param('status'), '=', 1));
    expect(shape(parse('status = "failed"'))).toEqual(cmp({ kind: 'run', name: 'status' }, '=', 'failed'));
    expect(formatExpression(parse('["Name"] = 1 and name = "x"'))).toBe('["Name"] = 1 and name = "x"');
  });

  it.each([
    'metrics["a.b"] = 1',
    '["学习率"] <= 0.001 and ["in"].x in [1, 2]',
    '["True"] = true or a["x\\"y"][2]["\\u0001"] != "z"',
    '["status"] ~ "a" and ["tags"] = 1',
    'a["]\\\\"] = "\\b\\f\\u0000\\ud800"',
  ])('round-trips %j', (text) => {
    const ast = parse(text);
    const formatted = formatExpression(ast);
    expect(shape(parse(formatted))).toEqual(shape(ast));
    expect(formatExpression(parse(formatted))).toBe(formatted);
  });

  it('writes keys as path-syntax does', () => {
    expect(['a', 'in', 'IN', 'max', 'a.b', '3', '', 'é'].map((key) => formatPathKey(key, true))).toEqual([
      'a',
      '["in"]',
      '["IN"]',
      'max',
      '["a.b"]',
      '["3"]',
      '[""]',
      '["é"]',
    ]);
    expect(formatPathKey('in', false)).toBe('.in');
  });

  it('checks the canonical path against the vocabulary and names it as typed', () => {
    const known = new Set(['status', 'metrics["a.b"]']);
    const seen: string[] = [];
    const vocabulary = {
      describe: (path: string) => (known.has(path) ? { type: 'number' as const } : undefined),
      suggest: (path: string) => (seen.push(path), path === 'Status' ? 'status' : undefined),
    };
    expect(checkExpression(parse('["status"] = 1 and metrics["a.b"] = 2 and metrics["a"] = 3'), vocabulary)).toEqual([
      { message: 'Unknown hyperparameter "metrics.a"', start: 42, end: 54 },
    ]);
    expect(checkExpression(parse('["Status"] = 1'), vocabulary).map((e) => e.message)).toEqual([
      'Unknown hyperparameter "["Status"]" — did you mean "["status"]"?',
    ]);
    expect(seen).toEqual(['metrics.a', 'Status']);
  });

  it('looks a quoted path up by its canonical key in flat params', () => {
    const run: RunRecord = {
      params: { 'metrics["a.b"]': 1, '["学习率"]': 0.001, 'a.b': 'x', status: 3, '["in"]': true },
      status: 'succeeded',
      name: 'r',
      tags: [],
    };
    const matches = (text: string) => evaluate(parse(text), run);
    expect(matches('metrics["a.b"] = 1')).toBe(true);
    expect(matches('["学习率"] <= 0.001')).toBe(true);
    expect(matches('a["b"] = "x"')).toBe(true);
    expect(matches('["status"] = 3 and status = "succeeded"')).toBe(true);
    expect(matches('["in"] = true')).toBe(true);
    expect(matches('metrics.a = 1')).toBe(false);
  });
});

describe('escapes in string literals', () => {
  const valueOf = (literal: string) => {
    const ast = parse(`a = ${literal}`);
    return ast?.type === 'compare' ? ast.value : undefined;
  };

  it.each([
    ['"\\u00e9"', 'é'],
    ['"\\u00C9\\u4e2d"', 'É中'],
    ['"\\ud83d\\ude00"', '😀'],
    ['"\\b\\f\\/"', '\b\f/'],
    ['"\\n\\t\\r"', '\n\t\r'],
    ["'\\x\\''", "x'"],
  ])('%s is %j', (literal, value) => {
    expect(valueOf(literal)).toBe(value);
  });

  it('writes control characters as escapes that read back', () => {
    const text = '\u0000\u0001\b\f\n\t\r"\\\ud800é';
    expect(formatLiteral(text)).toBe('"\\u0000\\u0001\\b\\f\\n\\t\\r\\"\\\\\\ud800é"');
    expect(valueOf(formatLiteral(text))).toBe(text);
  });
});

describe('malformed brackets and escapes', () => {
  it.each([
    ['a[ = 1', '"a[" at column 1 is not a valid field path: expected a list index such as [0] or a quoted key such as ["a.b"] at column 3', 0, 2],
    ['a[', '"a[" at column 1 is not a valid field path: expected a list index such as [0] or a quoted key such as ["a.b"] at column 3', 0, 2],
    ['a[x] = 1', '"a[x]" at column 1 is not a valid field path: expected a list index such as [0] or a quoted key such as ["a.b"] at column 3', 0, 4],
    [
      "a['x'] = 1",
      '"a[\'x\']" at column 1 is not a valid field path: expected a list index such as [0] or a quoted key such as ["a.b"] at column 3 (quoted keys take double quotes)',
      0,
      6,
    ],
    ['a["x', 'Unterminated quoted key starting at column 2', 1, 4],
    ['a["x = 1', 'Unterminated quoted key starting at column 2', 1, 8],
    ['a["x" = 1', 'Expected "]" to close the quoted key at column 6', 5, 6],
    ['["x"', 'Expected "]" to close the quoted key at column 5', 4, 4],
    ['a["x"]y = 1', '"a["x"]y" at column 1 is not a valid field path (use names like model.convLayers[0].stride)', 0, 7],
    ['a["\\x"] = 1', 'Malformed escape "\\x" at column 4: a quoted key is a JSON string (escapes: \\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)', 3, 5],
    ['a["\\u12"] = 1', 'Malformed escape "\\u12" at column 4: \\u takes four hex digits, as in \\u00e9', 3, 7],
    ['a["x\ty"] = 1', 'Control character at column 5 in a quoted key: write it as \\t', 4, 5],
    ['a = "\\uzz"', 'Malformed escape "\\u" at column 6: \\u takes four hex digits, as in \\u00e9', 5, 7],
    ['a = 1 and\n  b["c', 'Unterminated quoted key starting at line 2, column 4', 13, 16],
  ])('%j → %s', (text, message, start, end) => {
    expect(errorOf(text)).toEqual({ message, start, end });
  });

  it('reads "[" after "in" as the start of the list', () => {
    expect(errorOf('x in ["a"')).toEqual({ message: 'Unexpected end of expression at column 10: expected "," or "]"', start: 9, end: 9 });
  });
});
