import { describe, expect, it } from 'vitest';
import { applyOverrides, overrideValue, stringifyTypedJson } from './overrides';
import { parseConfigText, type TypedJson } from './typed-json';

const parse = (text: string): TypedJson => {
  const parsed = parseConfigText(text);
  if (!parsed.ok) throw new Error(parsed.issues[0]!.message);
  return parsed.value;
};

describe('config overrides (--set)', () => {
  it('writes numbers back as they were read, so 2.0 stays a float', () => {
    const text = '{"lr": 1e-3, "warmup": 2.0, "steps": 2, "name": "ü\\"x", "layers": [{"heads": 8}], "on": true, "none": null, "e": {}, "l": []}';
    expect(stringifyTypedJson(parse(text))).toBe(
      '{"lr":1e-3,"warmup":2.0,"steps":2,"name":"ü\\"x","layers":[{"heads":8}],"on":true,"none":null,"e":{},"l":[]}',
    );
  });

  it('reads a value as JSON when it is JSON, else as a string', () => {
    expect(stringifyTypedJson(overrideValue('3e-4'))).toBe('3e-4');
    expect(stringifyTypedJson(overrideValue('2.0'))).toBe('2.0');
    expect(overrideValue('adamw')).toBe('adamw');
    expect(overrideValue('"42"')).toBe('42');
    expect(overrideValue('true')).toBe(true);
  });

  it('sets nested paths, creating objects, quoted keys and list items', () => {
    const base = parse('{"optimizer": {"lr": 0.1}, "layers": [{"heads": 8}]}');
    const result = applyOverrides(base, ['optimizer.lr=3e-4', 'scheduler.warmup_ratio=0.1', 'layers[0].heads=16', 'layers[1].heads=4', 'tags["a.b"]=x']);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(stringifyTypedJson(result.value)).toBe(
      '{"optimizer":{"lr":3e-4},"layers":[{"heads":16},{"heads":4}],"scheduler":{"warmup_ratio":0.1},"tags":{"a.b":"x"}}',
    );
    // The input tree is left as it was.
    expect(stringifyTypedJson(base)).toBe('{"optimizer":{"lr":0.1},"layers":[{"heads":8}]}');
  });

  it('reports every bad override with its number', () => {
    const result = applyOverrides(parse('{"lr": 0.1, "layers": []}'), ['lr', 'lr.x=1', 'layers[3]=1', 'a..b=2']);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.issues.map((i) => i.message)).toEqual([
      '--set #1 (lr): write it as path=value, e.g. optimizer.lr=3e-4',
      '--set #2 (lr.x=1): lr is not an object',
      '--set #3 (layers[3]=1): index 3 is past the end of the list (0 items)',
      expect.stringContaining('--set #4 (a..b=2): '),
    ]);
  });
});
