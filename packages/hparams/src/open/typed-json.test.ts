import { describe, expect, it } from 'vitest';
import { JsonNumber, parseConfigText, plainOf, typedValueOf } from './typed-json';

function parsed(text: string) {
  const result = parseConfigText(text);
  if (!result.ok) throw new Error(JSON.stringify(result.issues));
  return result.value;
}

describe('parseConfigText', () => {
  it('keeps integer vs float as written', () => {
    const value = parsed('{"a": 2, "b": 2.0, "c": 1e-3, "d": 0.5, "e": -3, "f": 1E2, "g": -0, "h": 0.0}') as Record<string, JsonNumber>;
    const types = Object.fromEntries(Object.entries(value).map(([key, n]) => [key, [n.type, n.value]]));
    expect(types).toEqual({
      a: ['integer', 2],
      b: ['float', 2],
      c: ['float', 0.001],
      d: ['float', 0.5],
      e: ['integer', -3],
      f: ['float', 100],
      g: ['integer', 0],
      h: ['float', 0],
    });
    expect(value.b!.text).toBe('2.0');
  });

  it('parses the same structure as JSON.parse', () => {
    const samples = [
      '{"s": "a\\"b\\\\c\\/\\b\\f\\n\\r\\t\\u00e9\\ud83d\\ude00", "n": null, "t": true, "f": false}',
      '{"nested": {"list": [1, [2.5, {"x": []}], {}], "empty": {}}}',
      ' \n\t{ "a" : [ ] , "学习率" : 0.1 } \r\n',
      '[1, 2, 3]',
      '"just a string"',
      '12',
    ];
    for (const text of samples) expect(plainOf(parsed(text))).toEqual(JSON.parse(text));
  });

  it('keeps __proto__ as an ordinary key', () => {
    const value = parsed('{"__proto__": {"polluted": 1}}') as Record<string, unknown>;
    expect(Object.hasOwn(value, '__proto__')).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(plainOf(value)).toEqual(JSON.parse('{"__proto__": {"polluted": 1}}'));
  });

  it('refuses integers that cannot be exact, every one of them, naming the path', () => {
    const result = parseConfigText(
      '{"seed": 12345678901234567890, "ok": 9007199254740991, "ids": [1, -9007199254740993], "big": 1e400, "f": 12345678901234567890.0}',
    );
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.issues.map((issue) => issue.path)).toEqual(['seed', 'ids[1]', 'big']);
    expect(result.issues[0]!.message).toBe(
      'seed 12345678901234567890 is beyond the largest exact integer (±9007199254740991); write it as a string, or as a float (1.2345678901234567e+19)',
    );
    expect(result.issues[2]!.message).toBe('big 1e400 is too large for a 64-bit float');
  });

  it('reports every duplicate key with both places', () => {
    const result = parseConfigText('{\n  "lr": 0.1,\n  "lr": 0.2,\n  "opt": {"b": 1, "b": 2}\n}');
    expect(result).toEqual({
      ok: false,
      issues: [
        { path: 'lr', message: 'lr is given twice (line 2, column 3 and line 3, column 3); keep one' },
        { path: 'opt.b', message: 'opt.b is given twice (line 4, column 11 and line 4, column 19); keep one' },
      ],
    });
  });

  it('says where a syntax error is, with the path being read', () => {
    const cases: Array<[string, string, string]> = [
      ['{"optimizer": {"lr": 0.1 "beta": 2}}', 'optimizer', 'Invalid JSON at line 1, column 26 (in optimizer): expected "," or "}" after optimizer.lr'],
      ['{"a": [1, 2,]}', 'a', 'Invalid JSON at line 1, column 13 (in a): a comma before "]" is not allowed in JSON'],
      ["{'a': 1}", '', 'Invalid JSON at line 1, column 2: expected a key in double quotes'],
      ['{"a": 01}', 'a', 'Invalid JSON at line 1, column 7 (in a): malformed number "01"'],
      ['{"a": NaN}', 'a', 'Invalid JSON at line 1, column 7 (in a): expected a value (object, list, string, number, true, false or null), found "N"'],
      ['', '', 'Invalid JSON at line 1, column 1: the text is empty; expected a JSON object such as {"lr": 0.001}'],
      ['{"a": 1} x', '', 'Invalid JSON at line 1, column 10: unexpected text after the end of the JSON value'],
      ['{"a": "b\nc"}', 'a', 'Invalid JSON at line 1, column 9 (in a): control characters (such as a raw line break) must be escaped inside strings'],
      ['{"a": 1,}', '', 'Invalid JSON at line 1, column 9: a comma before "}" is not allowed in JSON'],
      ['{"a": "x', 'a', 'Invalid JSON at line 1, column 7 (in a): unterminated string'],
      ['{"a": 1.}', 'a', 'Invalid JSON at line 1, column 7 (in a): malformed number "1."'],
    ];
    for (const [text, path, message] of cases) {
      const result = parseConfigText(text);
      expect(result.ok, text).toBe(false);
      if (!result.ok) expect(result.issues, text).toEqual([{ path, message }]);
    }
  });

  it('refuses nesting deep enough to overflow the stack, without overflowing it', () => {
    const result = parseConfigText('['.repeat(100_000));
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.issues[0]!.message).toContain('nested more than 256 levels deep');
  });

  it('accepts a byte-order mark', () => {
    expect(plainOf(parsed('\ufeff{"a": 1}'))).toEqual({ a: 1 });
  });
});

describe('typedValueOf', () => {
  it('types already-parsed values as well as it can without text', () => {
    expect(typedValueOf(2)).toEqual({ type: 'integer', value: 2 });
    expect(typedValueOf(2.0)).toEqual({ type: 'integer', value: 2 }); // the text is gone: 2.0 is 2
    expect(typedValueOf(2.5)).toEqual({ type: 'float', value: 2.5 });
    expect(typedValueOf(1e300)).toEqual({ type: 'float', value: 1e300 });
    expect(typedValueOf(-0)).toEqual({ type: 'integer', value: 0 });
    expect(typedValueOf(new JsonNumber('float', 2, '2.0'))).toEqual({ type: 'float', value: 2 });
    expect(typedValueOf('x')).toEqual({ type: 'string', value: 'x' });
    expect(typedValueOf(false)).toEqual({ type: 'boolean', value: false });
    expect(typedValueOf(null)).toEqual({ type: 'null', value: null });
    for (const bad of [Number.NaN, Infinity, undefined, [], {}, () => 1]) expect(typedValueOf(bad)).toBeUndefined();
  });

  it('JSON.stringify writes a JsonNumber as its number', () => {
    expect(JSON.stringify(parsed('{"a": 2.0, "b": [1]}'))).toBe('{"a":2,"b":[1]}');
  });
});

describe('parseConfigText against JSON.parse', () => {
  // A small seeded generator, so a failure reproduces.
  let seed = 42;
  const random = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const KEYS = ['a', 'lr', 'a.b', 'ключ', '学习率', 'say "hi"', '\\', '', '__proto__', 'x\ny', '😀'];
  const value = (depth: number): unknown => {
    const kind = depth > 3 ? Math.floor(random() * 4) : Math.floor(random() * 6);
    if (kind === 0) return pick([0, -1, 7, 2.5, -0.125, 1e-7, 3e21, 123456789]);
    if (kind === 1) return pick(KEYS);
    if (kind === 2) return pick([true, false, null]);
    if (kind === 3) return pick([-3, 42, 1.5]);
    if (kind === 4) return Array.from({ length: Math.floor(random() * 4) }, () => value(depth + 1));
    const object: Record<string, unknown> = {};
    for (let i = Math.floor(random() * 4); i > 0; i--)
      Object.defineProperty(object, pick(KEYS), { value: value(depth + 1), enumerable: true, configurable: true, writable: true });
    return object;
  };

  it('agrees on 300 random documents, and on damaged copies of them', () => {
    for (let i = 0; i < 300; i++) {
      const text = JSON.stringify(value(0), null, pick([undefined, 0, 2, '\t']));
      const ours = parseConfigText(text);
      expect(ours.ok, text).toBe(true);
      if (ours.ok) expect(plainOf(ours.value), text).toEqual(JSON.parse(text));

      const at = Math.floor(random() * text.length);
      const damaged = text.slice(0, at) + text.slice(at + 1);
      let standard = true;
      try {
        JSON.parse(damaged);
      } catch {
        standard = false;
      }
      const result = parseConfigText(damaged);
      if (standard && !result.ok) {
        // Only what Tuneboard refuses on purpose: a key given twice.
        for (const issue of result.issues) expect(issue.message, damaged).toMatch(/is given twice/);
      } else {
        expect(result.ok, damaged).toBe(standard);
      }
    }
  });
});
