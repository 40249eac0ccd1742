import { describe, expect, it } from 'vitest';
import { isDomainError } from './errors';
import { parseOrderBy, parseSearchFilter, translateClause } from './mlflow-search';
import { inferParamText } from '@tuneboard/hparams';
import { paramPath, typeParamValue } from './run-params';

describe('MLflow params typed from their text', () => {
  it('reads integers, floats (2.0 stays a float), booleans in any case and keeps the rest as text', () => {
    expect(inferParamText('32')).toEqual({ type: 'integer', value: 32 });
    expect(inferParamText('-3')).toEqual({ type: 'integer', value: -3 });
    expect(inferParamText('0.001')).toEqual({ type: 'float', value: 0.001 });
    expect(inferParamText('2.0')).toEqual({ type: 'float', value: 2 });
    expect(inferParamText('1e-05')).toEqual({ type: 'float', value: 1e-5 });
    expect(inferParamText('True')).toEqual({ type: 'boolean', value: true });
    expect(inferParamText('false')).toEqual({ type: 'boolean', value: false });
    expect(inferParamText('adamw')).toEqual({ type: 'string', value: 'adamw' });
    expect(inferParamText('None')).toEqual({ type: 'string', value: 'None' });
    expect(inferParamText('nan')).toEqual({ type: 'string', value: 'nan' });
    expect(inferParamText('[1, 2]')).toEqual({ type: 'string', value: '[1, 2]' });
    expect(inferParamText('99999999999999999999')).toEqual({ type: 'float', value: 1e20 });
  });

  it('follows the type the schema already knows', () => {
    expect(typeParamValue('32', 'string')).toEqual({ type: 'string', value: '32' });
    expect(typeParamValue('2', 'float')).toEqual({ type: 'float', value: 2 });
    expect(typeParamValue('abc', 'integer')).toEqual({ type: 'string', value: 'abc' });
  });

  it('makes each key one top-level path', () => {
    expect(paramPath('batch_size')).toBe('batch_size');
    expect(paramPath('optimizer.lr')).toBe('["optimizer.lr"]');
    expect(paramPath('in')).toBe('["in"]');
  });
});

describe("MLflow's search grammar", () => {
  it('parses clauses joined by and, with quoted and backquoted keys, lists and numbers', () => {
    expect(parseSearchFilter("params.lr > '0.01' AND metrics.`val loss` <= 0.5 and tags.\"my-tag\" IN ('a', 'b') and status != 'FAILED'")).toEqual([
      { entity: 'param', key: 'lr', op: '>', values: ['0.01'] },
      { entity: 'metric', key: 'val loss', op: '<=', values: [0.5] },
      { entity: 'tag', key: 'my-tag', op: 'IN', values: ['a', 'b'] },
      { entity: 'attribute', key: 'status', op: '!=', values: ['FAILED'] },
    ]);
    expect(parseSearchFilter("attributes.run_name not in ('x') and params.opt ilike '%adam%'")).toEqual([
      { entity: 'attribute', key: 'run_name', op: 'NOT IN', values: ['x'] },
      { entity: 'param', key: 'opt', op: 'ILIKE', values: ['%adam%'] },
    ]);
    expect(parseSearchFilter('  ')).toEqual([]);
  });

  const refused = (filter: string) => {
    try {
      parseSearchFilter(filter).map((clause) => translateClause(clause, new Map()));
    } catch (error) {
      if (isDomainError(error) && error.code === 'BAD_USER_INPUT') return error.message;
      throw error;
    }
    throw new Error(`accepted ${filter}`);
  };

  it('refuses what is not in the grammar, saying what', () => {
    expect(refused("params.a = 'x' or params.b = 'y'")).toMatch(/'and' only/);
    expect(refused("params.a = 'x' and")).toMatch(/nothing after 'and'/);
    expect(refused("params.a = 'unterminated")).toMatch(/unterminated/);
    expect(refused("params.a ~ 'x'")).toMatch(/unexpected '~'/);
    expect(refused('params.a = ')).toMatch(/expected a value/);
    expect(refused("params.a IN 'x'")).toMatch(/list in parentheses/);
    expect(refused("datasets.name = 'x'")).toMatch(/Invalid entity type/);
    expect(refused("attributes.artifact_uri = 'x'")).toMatch(/Invalid attribute key/);
    expect(refused("metrics.loss LIKE '1%'")).toMatch(/Invalid comparator 'LIKE'/);
    expect(refused("metrics.loss < 'low'")).toMatch(/numeric value/);
    expect(refused("attributes.status = 'DONE'")).toMatch(/Invalid status/);
    expect(refused("tags.x > 'a'")).toMatch(/Invalid comparator/);
  });

  it('compares params as typed values where the schema knows their type', () => {
    const types = new Map([
      ['batch_size', 'integer' as const],
      ['fp16', 'boolean' as const],
    ]);
    const [numeric] = parseSearchFilter("params.batch_size <= '32'").map((c) => translateClause(c, types));
    expect(numeric).toMatchObject({ kind: 'filter', expr: { type: 'compare', field: { kind: 'param', path: 'batch_size' }, op: '<=', value: 32 } });
    const [flag] = parseSearchFilter("params.fp16 = 'True'").map((c) => translateClause(c, types));
    expect(flag).toMatchObject({ kind: 'filter', expr: { value: true } });
    const [text] = parseSearchFilter("params.other = '32'").map((c) => translateClause(c, types));
    expect(text).toEqual({ kind: 'text', target: { param: 'other' }, op: '=', values: ['32'] });
  });

  it('orders by one or more clauses', () => {
    expect(parseOrderBy(['metrics.loss DESC', 'params.lr', 'attributes.start_time asc', 'run_name'], new Map())).toEqual([
      { field: 'metric', key: 'loss', ascending: false },
      { field: 'param', path: 'lr', ascending: true },
      { field: 'start_time', ascending: true },
      { field: 'name', ascending: true },
    ]);
    expect(() => parseOrderBy(['metrics.loss sideways'], new Map())).toThrow(/Invalid order_by/);
    expect(() => parseOrderBy(['attributes.colour'], new Map())).toThrow(/Invalid order_by attribute/);
  });
});
