import { describe, expect, it } from 'vitest';
import { flattenOpenConfig, OPEN_LIMITS, readConfigText } from './flatten';
import { canonicalOpenPath, formatOpenPath, formatOpenPattern, openValueAt, parseOpenPath } from './path-syntax';
import { parseConfigText, type TypedJson } from './typed-json';
import type { FlatOpenConfig } from './types';

function flat(config: unknown): FlatOpenConfig {
  const result = flattenOpenConfig(config);
  if (!result.ok) throw new Error(JSON.stringify(result.issues));
  return result.flat;
}

function fromText(text: string): TypedJson {
  const result = parseConfigText(text);
  if (!result.ok) throw new Error(JSON.stringify(result.issues));
  return result.value;
}

describe('path syntax', () => {
  it('writes identifier keys bare and every other key as a quoted JSON string', () => {
    expect(formatOpenPath(['optimizer', 'lr'])).toBe('optimizer.lr');
    expect(formatOpenPath(['model', 'layers', 3, 'heads'])).toBe('model.layers[3].heads');
    expect(formatOpenPath(['metrics', 'a.b'])).toBe('metrics["a.b"]');
    expect(formatOpenPath(['a b', 'c[0]', 'say "hi"', 'back\\slash', 'tab\t', '', '3', '1x', 'x-y'])).toBe(
      '["a b"]["c[0]"]["say \\"hi\\""]["back\\\\slash"]["tab\\t"][""]["3"]["1x"]["x-y"]',
    );
    expect(formatOpenPath(['学习率', 'βeta'])).toBe('["学习率"]["βeta"]');
    expect(formatOpenPattern(['model', 'layers', 3, 'heads', 0])).toBe('model.layers[].heads[]');
  });

  it('quotes a first key the filter language reads as a keyword, and only there', () => {
    expect(formatOpenPath(['in', 'and'])).toBe('["in"].and');
    expect(formatOpenPath(['True'])).toBe('["True"]');
    expect(formatOpenPath(['model', 'not'])).toBe('model.not');
  });

  it('reads paths back, canonical or not', () => {
    expect(parseOpenPath('model.layers[3].heads')).toEqual({ ok: true, segments: ['model', 'layers', 3, 'heads'] });
    expect(parseOpenPath('metrics["a.b"]["x\\"y"][0]')).toEqual({ ok: true, segments: ['metrics', 'a.b', 'x"y', 0] });
    expect(parseOpenPath('["学习率"]')).toEqual({ ok: true, segments: ['学习率'] });
    expect(parseOpenPath('')).toEqual({ ok: true, segments: [] });
    expect(canonicalOpenPath('a["b"]["c d"]')).toBe('a.b["c d"]');
    expect(canonicalOpenPath('in.x')).toBe('["in"].x');
    for (const bad of ['a..b', 'a.', '.a', 'a[01]', 'a[x]', 'a["b"', 'a["b"]c', '1a', 'a b', 'a["\\q"]']) {
      const parsed = parseOpenPath(bad);
      expect(parsed.ok, bad).toBe(false);
    }
    expect(parseOpenPath('a..b')).toEqual({
      ok: false,
      message: '"a..b" is not a valid path: expected a key (letters, digits and _, or quoted as ["…"]) at character 3',
    });
  });
});

describe('flattenOpenConfig', () => {
  it('flattens nested objects and lists into typed leaves', () => {
    const config = fromText(`{
      "optimizer": {"name": "adamw", "lr": 3e-4, "betas": [0.9, 0.999], "weight_decay": 0},
      "model": {"d_model": 512, "layers": [{"heads": 8, "dropout": 0.1}, {"heads": 4, "dropout": 0.0}]},
      "warmup_ratio": 0.06, "fp16": true, "scheduler": null, "tags": [], "extra": {}
    }`);
    expect(flat(config)).toEqual({
      'optimizer.name': { type: 'string', value: 'adamw' },
      'optimizer.lr': { type: 'float', value: 3e-4 },
      'optimizer.betas[0]': { type: 'float', value: 0.9 },
      'optimizer.betas[1]': { type: 'float', value: 0.999 },
      'optimizer.weight_decay': { type: 'integer', value: 0 },
      'model.d_model': { type: 'integer', value: 512 },
      'model.layers[0].heads': { type: 'integer', value: 8 },
      'model.layers[0].dropout': { type: 'float', value: 0.1 },
      'model.layers[1].heads': { type: 'integer', value: 4 },
      'model.layers[1].dropout': { type: 'float', value: 0 },
      warmup_ratio: { type: 'float', value: 0.06 },
      fp16: { type: 'boolean', value: true },
      scheduler: { type: 'null', value: null },
    });
  });

  it('keeps 2.0 a float when the text is known, and makes it an integer when it is not', () => {
    expect(flat(fromText('{"x": 2.0, "y": 2}'))).toEqual({ x: { type: 'float', value: 2 }, y: { type: 'integer', value: 2 } });
    expect(flat(JSON.parse('{"x": 2.0, "y": 2.5}'))).toEqual({ x: { type: 'integer', value: 2 }, y: { type: 'float', value: 2.5 } });
  });

  it('round-trips escaped and Unicode keys: flatten → path → lookup', () => {
    const config = {
      metrics: { 'a.b': 1, 'c[0]': 2, 'say "hi"': 3, 'back\\slash': 4, '': 5, '3': 6, 'new\nline': 7 },
      学习率: 0.1,
      ünïcödé: { ключ: 'значение' },
      in: { and: true },
      __proto__x: 1,
      list: [[1, 2], [{ 'k.k': 'v' }]],
    };
    const leaves = flat(config);
    expect(Object.keys(leaves)).toContain('metrics["a.b"]');
    expect(Object.keys(leaves)).toContain('["学习率"]');
    expect(Object.keys(leaves)).toContain('list[1][0]["k.k"]');
    expect(Object.keys(leaves)).toContain('["in"].and');
    expect(Object.keys(leaves)).toHaveLength(14);
    for (const [path, leaf] of Object.entries(leaves)) {
      expect(openValueAt(config, path), path).toBe(leaf.value);
      expect(canonicalOpenPath(path), path).toBe(path);
    }
  });

  it('keeps a key named __proto__ as data', () => {
    const config = JSON.parse('{"__proto__": {"lr": 1}, "constructor": 2}');
    const leaves = flat(config);
    expect(Object.keys(leaves)).toEqual(['__proto__.lr', 'constructor']);
    expect(Object.getPrototypeOf(leaves)).toBe(Object.prototype);
    expect(openValueAt(config, '__proto__.lr')).toBe(1);
    expect(openValueAt({}, 'constructor')).toBeUndefined();
  });

  it('reports every limit and every bad value at once, each with its path', () => {
    const deep: Record<string, unknown> = {};
    let node = deep;
    for (let i = 0; i < 20; i++) node = node[`l${i}`] = {} as Record<string, unknown>;
    node.leaf = 1;
    const longKey = 'k'.repeat(OPEN_LIMITS.maxPathLength);
    const many = Object.fromEntries(Array.from({ length: OPEN_LIMITS.maxPaths + 5 }, (_, i) => [`p${i}`, i]));
    const result = flattenOpenConfig({ ...many, deep, long: { [longKey]: 1 }, bad: Number.NaN, when: new Date(0), big: 2n ** 70n, fine: 1n });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const deepPath = Array.from({ length: 16 }, (_, i) => `l${i}`).join('.');
    expect(result.issues).toEqual([
      { path: '', message: 'The config has 2,006 values, more than the limit of 2,000 paths' },
      { path: `deep.${deepPath}`, message: `deep.${deepPath} is nested 17 levels deep, more than the limit of 16` },
      { path: `long.${longKey}`, message: `long.${longKey} is 205 characters long, more than the limit of 200; use shorter keys` },
      { path: 'bad', message: 'bad must be a finite number, got NaN' },
      { path: 'when', message: 'when must be a JSON value, got a Date' },
      { path: 'big', message: 'big must be a JSON value, got 1180591620717411303424 (too large to be exact)' },
    ]);
  });

  it('allows exactly the limits', () => {
    const segments = Array.from({ length: OPEN_LIMITS.maxDepth }, (_, i) => `l${i}`);
    const deep = segments.reduceRight<unknown>((inner, key) => ({ [key]: inner }), 1);
    expect(Object.keys(flat(deep))).toEqual([segments.join('.')]);
    expect(Object.keys(flat({ ['k'.repeat(OPEN_LIMITS.maxPathLength)]: 1 }))).toHaveLength(1);
    expect(Object.keys(flat(Object.fromEntries(Array.from({ length: OPEN_LIMITS.maxPaths }, (_, i) => [`p${i}`, i]))))).toHaveLength(OPEN_LIMITS.maxPaths);
  });

  it('needs an object at the top', () => {
    expect(flattenOpenConfig([1])).toEqual({
      ok: false,
      issues: [{ path: '', message: 'The config must be a JSON object such as {"lr": 0.001}, got a list' }],
    });
    expect(flattenOpenConfig(fromText('3'))).toEqual({
      ok: false,
      issues: [{ path: '', message: 'The config must be a JSON object such as {"lr": 0.001}, got 3' }],
    });
  });

  it('survives a cyclic object by the depth limit', () => {
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    const result = flattenOpenConfig(cyclic);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.issues.map((issue) => issue.path.split('.').length)).toEqual([17, 17]);
  });
});

describe('readConfigText', () => {
  it('parses and flattens, or gives every problem of both', () => {
    const read = readConfigText('{"eta": 1.0, "max_depth": 6}');
    expect(read.ok && read.flat).toEqual({ eta: { type: 'float', value: 1 }, max_depth: { type: 'integer', value: 6 } });
    expect(readConfigText('{"a": 1, "a": 2}')).toEqual({
      ok: false,
      issues: [{ path: 'a', message: 'a is given twice (line 1, column 2 and line 1, column 10); keep one' }],
    });
    const deep = readConfigText(`{"a": ${'{"b": '.repeat(17)}1${'}'.repeat(17)}, "c": 1e999}`);
    expect(deep.ok).toBe(false);
    if (!deep.ok) expect(deep.issues.map((issue) => issue.path)).toEqual(['c', `a${'.b'.repeat(16)}`]);
    expect(readConfigText('{"a": 1,').ok).toBe(false);
  });
});
