import { describe, expect, it } from 'vitest';
import { compileDeclaredSchema } from './declared';
import { flattenOpenConfig } from './flatten';
import { emptyInferredSchema, inferSchema, inferSchemas, INFERRED_LIMITS, promoteToDeclared, type InferredSchema } from './inferred';
import { parseConfigText } from './typed-json';
import type { FlatOpenConfig } from './types';

function flatOf(json: string): FlatOpenConfig {
  const parsed = parseConfigText(json);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
  const flat = flattenOpenConfig(parsed.value);
  if (!flat.ok) throw new Error(JSON.stringify(flat.issues));
  return flat.flat;
}

function learn(...configs: string[]): { schema: InferredSchema; warnings: string[][] } {
  let schema: InferredSchema | undefined;
  const warnings: string[][] = [];
  for (const config of configs) {
    const result = inferSchema(schema, flatOf(config));
    schema = result.schema;
    warnings.push(result.warnings.map((warning) => `${warning.path}: ${warning.message}`));
  }
  return { schema: schema!, warnings };
}

describe('inferSchema', () => {
  it('learns types, counts, ranges and categories per path', () => {
    const { schema, warnings } = learn(
      '{"max_depth": 6, "eta": 0.3, "objective": "reg:squarederror", "subsample": 1.0, "seed": null}',
      '{"max_depth": 8, "eta": 0.05, "objective": "binary:logistic", "subsample": 0.8, "seed": 7}',
      '{"max_depth": 4, "eta": 0.1, "objective": "reg:squarederror", "early_stop": true}',
    );
    expect(warnings).toEqual([[], [], []]);
    expect(schema).toEqual({
      runs: 3,
      paths: {
        max_depth: { type: 'integer', runs: 3, types: { integer: 3 }, min: 4, max: 8 },
        eta: { type: 'float', runs: 3, types: { float: 3 }, min: 0.05, max: 0.3 },
        objective: { type: 'string', runs: 3, types: { string: 3 }, categories: ['reg:squarederror', 'binary:logistic'] },
        subsample: { type: 'float', runs: 2, types: { float: 2 }, min: 0.8, max: 1 },
        seed: { type: 'integer', runs: 2, types: { null: 1, integer: 1 }, min: 7, max: 7 },
        early_stop: { type: 'boolean', runs: 1, types: { boolean: 1 } },
      },
    });
  });

  it('keeps int vs float: 2.0 where integers were is a warning naming both types, and the type does not drift', () => {
    const { schema, warnings } = learn(
      ...Array.from({ length: 12 }, (_, i) => `{"layers": ${i + 1}, "lr": 0.1}`),
      '{"layers": 2.5, "lr": 1}',
      '{"layers": 2.0, "lr": "fast"}',
    );
    expect(warnings.slice(0, 12).flat()).toEqual([]);
    expect(warnings[12]).toEqual([
      'layers: layers was integer in 12 runs; this run has float 2.5',
      'lr: lr was float in 12 runs; this run has integer 1 (write 1.0 to log a float)',
    ]);
    expect(warnings[13]).toEqual(['layers: layers was integer in 12 runs; this run has float 2.0', 'lr: lr was float in 12 runs; this run has string "fast"']);
    expect(schema.paths.layers).toEqual({ type: 'integer', runs: 14, types: { integer: 12, float: 2 }, min: 1, max: 12 });
    expect(schema.paths.lr!.type).toBe('float');
  });

  it('does not change the schema it was given', () => {
    const first = inferSchema(undefined, flatOf('{"a": 1}')).schema;
    const copy = structuredClone(first);
    inferSchema(first, flatOf('{"a": 2.5, "b": "x"}'));
    expect(first).toEqual(copy);
  });

  it('caps the categories it remembers', () => {
    const { schema } = learn(...Array.from({ length: INFERRED_LIMITS.maxCategories + 3 }, (_, i) => `{"name": "run-${i}"}`));
    expect(schema.paths.name!.categories).toHaveLength(INFERRED_LIMITS.maxCategories);
    expect(schema.paths.name!.moreCategories).toBe(true);
  });

  it('stops learning new paths past the limit, and says so', () => {
    const full: InferredSchema = emptyInferredSchema();
    for (let i = 0; i < INFERRED_LIMITS.maxPaths; i++) full.paths[`p${i}`] = { type: 'integer', runs: 1, types: { integer: 1 } };
    const result = inferSchema(full, flatOf('{"p0": 1, "new1": 1, "new2": 2}'));
    expect(Object.keys(result.schema.paths)).toHaveLength(INFERRED_LIMITS.maxPaths);
    expect(result.warnings).toEqual([
      { path: '', message: 'This project already learned 5,000 paths; 2 new paths of this run are stored but not added to the schema' },
    ]);
  });
});

describe('promoteToDeclared', () => {
  it('writes a schema that compiles and accepts the runs it was learned from', () => {
    const runs = [
      '{"optimizer": {"name": "adamw", "lr": 3e-4, "weight_decay": 0}, "model": {"layers": [{"heads": 8}, {"heads": 4, "dropout": 0.1}]}, "metrics[\\"a.b\\"]": 1, "学习率": 0.5, "seed": null}',
      '{"optimizer": {"name": "sgd", "lr": 0.1, "weight_decay": 0.01}, "model": {"layers": [{"heads": 2}]}, "学习率": 0.25, "seed": 3}',
    ];
    const { schema } = learn(...runs);
    const { document, notes } = promoteToDeclared(schema);
    expect(notes).toEqual([]);
    expect(document).toEqual({
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      type: 'object',
      properties: {
        optimizer: {
          type: 'object',
          properties: {
            name: { type: 'string', examples: ['adamw', 'sgd'] },
            lr: { type: 'number', exclusiveMinimum: 0, 'x-scale': 'log' },
            weight_decay: { type: 'number' },
          },
          required: ['name', 'lr', 'weight_decay'],
        },
        model: {
          type: 'object',
          properties: { layers: { type: 'array', items: { type: 'object', properties: { heads: { type: 'integer' }, dropout: { type: 'number' } } } } },
          required: ['layers'],
        },
        'metrics["a.b"]': { type: 'integer' },
        学习率: { type: 'number' },
        seed: { type: ['integer', 'null'] },
      },
      required: ['optimizer', 'model', '学习率', 'seed'],
    });
    const compiled = compileDeclaredSchema(document);
    expect(compiled.ok).toBe(true);
    if (!compiled.ok) return;
    for (const run of runs) {
      const parsed = parseConfigText(run);
      expect(parsed.ok && compiled.schema.validate(parsed.value).ok, run).toBe(true);
    }
    // The promoted schema types the same paths the inferred one learned.
    expect(compiled.schema.paths.map((entry) => entry.path).sort()).toEqual(
      [
        'optimizer.name',
        'optimizer.lr',
        'optimizer.weight_decay',
        'model.layers[].heads',
        'model.layers[].dropout',
        '["metrics[\\"a.b\\"]"]',
        '["学习率"]',
        'seed',
      ].sort(),
    );
  });

  it('notes what one JSON Schema type cannot hold', () => {
    const { schema } = learn('{"a": 1, "b": 1}', '{"a": "x", "b": {"c": 1}}');
    const { document, notes } = promoteToDeclared(schema);
    expect(notes).toEqual([
      { path: 'a', message: 'a was integer and string in different runs; promoted as integer, the type seen first' },
      { path: 'b', message: 'b was an integer in some runs and an object in others; promoted as an object' },
    ]);
    expect(compileDeclaredSchema(document).ok).toBe(true);
  });

  it('promotes an empty schema to one that compiles', () => {
    const { document, notes } = promoteToDeclared(emptyInferredSchema());
    expect(notes).toHaveLength(1);
    expect(compileDeclaredSchema(document).ok).toBe(true);
  });
});

describe('inferSchemas', () => {
  it('learns several runs in order exactly as inferSchema run by run, leaving the given state unchanged', () => {
    const configs = [
      '{"depth": 6, "eta": 0.3, "objective": "reg"}',
      '{"depth": 2.5, "eta": 0.1, "objective": "logistic", "extra": true}',
      '{"depth": 4, "eta": 1, "objective": "reg", "extra": null}',
    ];
    const first = inferSchema(undefined, flatOf('{"depth": 3, "eta": 0.5}')).schema;
    const before = structuredClone(first);
    const batch = inferSchemas(first, configs.map(flatOf));
    let oneByOne = first;
    const warnings = configs.map((config) => {
      const result = inferSchema(oneByOne, flatOf(config));
      oneByOne = result.schema;
      return result.warnings;
    });
    expect(batch.schema).toEqual(oneByOne);
    expect(batch.warnings).toEqual(warnings);
    expect(batch.warnings[1]!.map((warning) => warning.path)).toEqual(['depth']);
    expect(first).toEqual(before);
    expect(inferSchemas(undefined, [])).toEqual({ schema: emptyInferredSchema(), warnings: [] });
  });
});
