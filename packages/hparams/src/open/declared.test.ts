import { describe, expect, it } from 'vitest';
import { compileDeclaredSchema, type DeclaredSchema } from './declared';
import { parseConfigText, type TypedJson } from './typed-json';

const TRANSFORMER = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  type: 'object',
  additionalProperties: false,
  required: ['optimizer', 'model'],
  properties: {
    optimizer: {
      type: 'object',
      additionalProperties: false,
      required: ['lr'],
      properties: {
        name: { enum: ['adamw', 'sgd'], default: 'adamw' },
        lr: { type: 'number', exclusiveMinimum: 0, maximum: 0.1, 'x-scale': 'log', description: 'Peak learning rate' },
        weight_decay: { type: 'number', minimum: 0, default: 0.01 },
      },
    },
    model: {
      type: 'object',
      properties: {
        d_model: { type: 'integer', minimum: 64, maximum: 4096, 'x-unit': 'units' },
        layers: { type: 'array', minItems: 1, maxItems: 48, items: { $ref: '#/$defs/Layer' } },
      },
      required: ['d_model'],
    },
    batch_size: { type: 'integer', minimum: 1, default: 32 },
    warmup_ratio: { anyOf: [{ type: 'number', minimum: 0, maximum: 1 }, { type: 'null' }], default: null },
    run_name: { type: 'string', maxLength: 20 },
  },
  $defs: {
    Layer: {
      type: 'object',
      additionalProperties: false,
      properties: { heads: { type: 'integer', minimum: 1 }, dropout: { type: 'number', minimum: 0, maximum: 1 } },
      required: ['heads'],
    },
  },
};

function compiled(doc: unknown): DeclaredSchema {
  const result = compileDeclaredSchema(doc);
  if (!result.ok) throw new Error(JSON.stringify(result.issues, null, 2));
  return result.schema;
}

function text(json: string): TypedJson {
  const result = parseConfigText(json);
  if (!result.ok) throw new Error(JSON.stringify(result.issues));
  return result.value;
}

function problems(doc: unknown) {
  const result = compileDeclaredSchema(doc);
  return result.ok ? [] : result.issues;
}

describe('compileDeclaredSchema', () => {
  it('lists the typed paths with ranges, defaults, units and scales', () => {
    expect(compiled(TRANSFORMER).paths).toEqual([
      { path: 'optimizer.name', type: 'string', required: false, values: ['adamw', 'sgd'], default: 'adamw' },
      { path: 'optimizer.lr', type: 'float', required: true, exclusiveMinimum: 0, maximum: 0.1, description: 'Peak learning rate', scale: 'log' },
      { path: 'optimizer.weight_decay', type: 'float', required: false, minimum: 0, default: 0.01 },
      { path: 'model.d_model', type: 'integer', required: true, minimum: 64, maximum: 4096, unit: 'units' },
      { path: 'model.layers[].heads', type: 'integer', required: false, minimum: 1 },
      { path: 'model.layers[].dropout', type: 'float', required: false, minimum: 0, maximum: 1 },
      { path: 'batch_size', type: 'integer', required: false, minimum: 1, default: 32 },
      { path: 'warmup_ratio', type: 'float', required: false, nullable: true, minimum: 0, maximum: 1, default: null },
      { path: 'run_name', type: 'string', required: false },
    ]);
  });

  it('accepts Pydantic-style nullable fields, single allOf wrappers, type lists and escaped keys', () => {
    const schema = compiled({
      type: 'object',
      properties: {
        seed: { anyOf: [{ type: 'integer' }, { type: 'null' }], default: null, title: 'Seed' },
        opt: { allOf: [{ $ref: '#/$defs/Opt' }], description: 'the optimizer' },
        steps: { type: ['integer', 'null'] },
        'warmup.ratio': { type: 'number' },
        学习率: { type: 'number' },
        mode: { const: 'train' },
      },
      $defs: { Opt: { type: 'object', properties: { momentum: { type: 'number' } } } },
    });
    expect(schema.paths.map((entry) => [entry.path, entry.type, entry.nullable ?? false])).toEqual([
      ['seed', 'integer', true],
      ['opt.momentum', 'float', false],
      ['steps', 'integer', true],
      ['["warmup.ratio"]', 'float', false],
      ['["学习率"]', 'float', false],
      ['mode', 'string', false],
    ]);
    expect(schema.paths[0]!.description).toBe('Seed');
  });

  it('refuses what cannot be flattened, every problem with its place in the schema', () => {
    expect(
      problems({
        type: 'object',
        properties: {
          env: { type: 'object', patternProperties: { '^x': { type: 'number' } } },
          bag: { type: 'object', additionalProperties: true },
          map: { type: 'object', additionalProperties: { type: 'number' } },
          either: { oneOf: [{ type: 'integer' }, { type: 'string' }] },
          remote: { $ref: 'https://example.com/schemas/opt.json' },
          loop: { $ref: '#/$defs/Node' },
          tuple: { type: 'array', prefixItems: [{ type: 'integer' }] },
          anything: true,
          untyped: { description: 'no type' },
          list: { type: 'array' },
          lr: { type: 'number', minimun: 0 },
          scale: { type: 'string', 'x-scale': 'log' },
          mixed: { enum: ['a', 1] },
          neg: { type: 'number', 'x-scale': 'log' },
          badDefault: { type: 'integer', minimum: 1, default: 0 },
          two: { type: ['integer', 'string'] },
        },
        $defs: { Node: { type: 'object', properties: { child: { $ref: '#/$defs/Node' } } } },
      }),
    ).toEqual([
      {
        path: 'properties.env.patternProperties',
        message:
          'properties.env.patternProperties (hyperparameter env): Tuneboard cannot flatten patternProperties: keys matched by a pattern have no fixed paths; list each key under properties',
      },
      {
        path: 'properties.bag',
        message: 'properties.bag (hyperparameter bag): an object without properties accepts any keys, which have no declared types; list them under properties',
      },
      {
        path: 'properties.map.additionalProperties',
        message:
          'properties.map.additionalProperties (hyperparameter map): an object whose keys are not listed has no fixed paths; list each key under properties (or set additionalProperties to false)',
      },
      {
        path: 'properties.either.oneOf',
        message:
          'properties.either.oneOf (hyperparameter either): oneOf of several types cannot be one typed path; use one type (and null, if it may be empty), or an enum',
      },
      {
        path: 'properties.remote["$ref"]',
        message:
          'properties.remote["$ref"] (hyperparameter remote): $ref "https://example.com/schemas/opt.json" points outside this schema; Tuneboard only follows references inside it, such as #/$defs/Optimizer',
      },
      {
        path: '["$defs"].Node.properties.child["$ref"]',
        message:
          '["$defs"].Node.properties.child["$ref"] (hyperparameter loop.child): $ref "#/$defs/Node" refers back to itself; recursive schemas have no fixed paths',
      },
      {
        path: 'properties.tuple.prefixItems',
        message:
          'properties.tuple.prefixItems (hyperparameter tuple): Tuneboard cannot flatten prefixItems: lists whose entries have different types are not supported; use items with one schema for every entry',
      },
      { path: 'properties.anything', message: 'properties.anything (hyperparameter anything): true allows any value, so the path has no type; give it a type' },
      {
        path: 'properties.untyped',
        message: 'properties.untyped (hyperparameter untyped): says nothing about the type of this path; add "type", such as "number"',
      },
      {
        path: 'properties.list',
        message: 'properties.list (hyperparameter list): a list must say what its entries are with items, such as {"type": "integer"}',
      },
      {
        path: 'properties.lr.minimun',
        message: 'properties.lr.minimun (hyperparameter lr): minimun is not a JSON Schema keyword Tuneboard knows; did you mean minimum?',
      },
      {
        path: 'properties.scale["x-scale"]',
        message: 'properties.scale["x-scale"] (hyperparameter scale): x-scale applies to numbers, but this path is a string',
      },
      { path: 'properties.mixed.enum', message: 'properties.mixed.enum (hyperparameter mixed): a path must have one type, not string or integer' },
      {
        path: 'properties.neg["x-scale"]',
        message: 'properties.neg["x-scale"] (hyperparameter neg): x-scale log needs positive values; add "exclusiveMinimum": 0 or a minimum above 0',
      },
      { path: 'properties.badDefault.default', message: 'properties.badDefault.default (hyperparameter badDefault): default 0 is below the minimum 1' },
      { path: 'properties.two.type', message: 'properties.two.type (hyperparameter two): a path must have one type, not integer or string' },
    ]);
  });

  it('refuses a document that is not JSON Schema, with the path of each problem', () => {
    expect(problems({ type: 'object', properties: { lr: { type: 'float' }, n: { type: 'integer', minimum: '0' } }, required: 'lr' })).toEqual([
      { path: 'properties.lr.type', message: 'properties.lr.type "float" is not allowed; use one of: array, boolean, integer, null, number, object, string' },
      { path: 'properties.n.minimum', message: 'properties.n.minimum must be a number, got "0"' },
      { path: 'required', message: 'required must be a list, got "lr"' },
    ]);
    expect(problems({ type: 'number' })).toEqual([
      { path: '', message: 'The schema: a config is an object of hyperparameters; use "type": "object" with properties' },
    ]);
    expect(problems([])).toEqual([{ path: '', message: 'The schema must be a JSON Schema object such as {"type": "object", "properties": {…}}, got a list' }]);
    expect(problems({ $schema: 'http://json-schema.org/draft-07/schema#', type: 'object' })[0]!.message).toContain('draft 2020-12');
  });

  it('accepts what Pydantic v2 writes for a nested model', () => {
    // class Opt(BaseModel): name: Literal['adam', 'sgd'] = 'adam'; lr: float = Field(1e-3, gt=0)
    // class Config(BaseModel): opt: Opt; seed: int | None = None; layers: list[int]
    const schema = compiled({
      $defs: {
        Opt: {
          properties: {
            name: { default: 'adam', enum: ['adam', 'sgd'], title: 'Name', type: 'string' },
            lr: { default: 0.001, exclusiveMinimum: 0, title: 'Lr', type: 'number' },
          },
          title: 'Opt',
          type: 'object',
        },
      },
      properties: {
        opt: { $ref: '#/$defs/Opt' },
        seed: { anyOf: [{ type: 'integer' }, { type: 'null' }], default: null, title: 'Seed' },
        layers: { items: { type: 'integer' }, title: 'Layers', type: 'array' },
      },
      required: ['opt', 'layers'],
      title: 'Config',
      type: 'object',
    });
    expect(schema.paths.map((entry) => `${entry.path}: ${entry.type}${entry.nullable ? '?' : ''}${entry.required ? '!' : ''}`)).toEqual([
      'opt.name: string',
      'opt.lr: float',
      'seed: integer?',
      'layers[]: integer',
    ]);
    const result = schema.validate(text('{"opt": {}, "layers": [64, 64.5]}'));
    expect(result).toEqual({ ok: false, issues: [{ path: 'layers[1]', message: 'layers[1] must be a whole number, got 64.5' }] });
  });

  it('compiles the same $id twice (schema versions)', () => {
    const doc = { $id: 'https://tuneboard.dev/p/1', type: 'object', properties: { a: { type: 'integer' } } };
    compiled(doc);
    expect(compiled(structuredClone(doc)).validate({ a: 1 }).ok).toBe(true);
  });
});

describe('DeclaredSchema.validate', () => {
  const schema = compiled(TRANSFORMER);

  it('applies defaults and types the flat paths by the schema', () => {
    const result = schema.validate(text('{"optimizer": {"lr": 3e-4}, "model": {"d_model": 512.0, "layers": [{"heads": 8, "dropout": 0}]}}'));
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.config).toEqual({
      optimizer: { lr: 3e-4, name: 'adamw', weight_decay: 0.01 },
      model: { d_model: 512, layers: [{ heads: 8, dropout: 0 }] },
      batch_size: 32,
      warmup_ratio: null,
    });
    expect(result.flat).toEqual({
      'optimizer.lr': { type: 'float', value: 3e-4 },
      'optimizer.name': { type: 'string', value: 'adamw' },
      'optimizer.weight_decay': { type: 'float', value: 0.01 },
      'model.d_model': { type: 'integer', value: 512 }, // declared integer: 512.0 is accepted as 512
      'model.layers[0].heads': { type: 'integer', value: 8 },
      'model.layers[0].dropout': { type: 'float', value: 0 }, // declared number: 0 is a float here
      batch_size: { type: 'integer', value: 32 },
      warmup_ratio: { type: 'null', value: null },
    });
  });

  it('does not write defaults into the caller’s object', () => {
    const config = { optimizer: { lr: 0.01 }, model: { d_model: 64 } };
    schema.validate(config);
    expect(config).toEqual({ optimizer: { lr: 0.01 }, model: { d_model: 64 } });
  });

  it('reports every problem at once, in the built-in schema’s words', () => {
    const result = schema.validate(
      text(`{
        "optimizer": {"lr": 0.5, "name": "adam", "momentum": 0.9},
        "model": {"d_model": 2.5, "layers": [{"heads": 0}, {"dropout": 2}]},
        "batch_size": "32", "warmup_ratio": 1.5, "run_name": "a-very-long-run-name-indeed", "epocs": 3
      }`),
    );
    expect(result).toEqual({
      ok: false,
      issues: [
        { path: 'epocs', message: 'epocs is not a known setting; remove it or check the spelling' },
        { path: 'optimizer.momentum', message: 'optimizer.momentum is not a known setting; remove it or check the spelling' },
        { path: 'optimizer.name', message: 'optimizer.name "adam" is not allowed; use one of: adamw, sgd' },
        { path: 'optimizer.lr', message: 'optimizer.lr must be at most 0.1, got 0.5' },
        { path: 'model.d_model', message: 'model.d_model must be a whole number, got 2.5' },
        { path: 'model.layers[0].heads', message: 'model.layers[0].heads must be at least 1, got 0' },
        { path: 'model.layers[1].heads', message: 'model.layers[1].heads is required' },
        { path: 'model.layers[1].dropout', message: 'model.layers[1].dropout must be at most 1, got 2' },
        { path: 'batch_size', message: 'batch_size must be a whole number, got "32"' },
        { path: 'warmup_ratio', message: 'warmup_ratio must be at most 1, got 1.5' },
        { path: 'run_name', message: 'run_name must be at most 20 characters long, got "a-very-long-run-name-indeed"' },
      ],
    });
  });

  it('suggests the declared key for a typo and names missing required paths', () => {
    expect(schema.validate({ optimizer: { lr: 0.01, weight_decy: 0.1 } })).toEqual({
      ok: false,
      issues: [
        { path: 'model', message: 'model is required' },
        { path: 'optimizer.weight_decy', message: 'optimizer.weight_decy is not a known setting; did you mean optimizer.weight_decay?' },
      ],
    });
  });

  it('shows a float as written: 2.0 is refused for a string, and accepted for an integer', () => {
    const result = schema.validate(text('{"optimizer": {"lr": 0.01}, "model": {"d_model": 64}, "batch_size": 2.0, "run_name": 2.0}'));
    expect(result).toEqual({ ok: false, issues: [{ path: 'run_name', message: 'run_name must be a string, got 2.0' }] });
  });

  it('refuses a whole float too large to be an exact integer', () => {
    const result = schema.validate(text('{"optimizer": {"lr": 0.01}, "model": {"d_model": 64}, "batch_size": 1e20}'));
    expect(result).toEqual({
      ok: false,
      issues: [{ path: 'batch_size', message: 'batch_size must be a whole number between ±9007199254740991, got 100000000000000000000' }],
    });
  });

  it('applies the path limits too', () => {
    const open = compiled({ type: 'object', properties: { a: { type: 'integer' } } });
    const result = open.validate({ a: 1, ['k'.repeat(201)]: 1 });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.issues[0]!.message).toContain('is 201 characters long, more than the limit of 200');
  });

  it('keeps the written types of keys the schema does not declare', () => {
    const open = compiled({ type: 'object', properties: { a: { type: 'integer' } } });
    const result = open.validate(text('{"a": 1, "extra": 2.0}'));
    expect(result.ok && result.flat).toEqual({ a: { type: 'integer', value: 1 }, extra: { type: 'float', value: 2 } });
  });
});
