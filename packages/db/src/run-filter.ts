import type { Expr, FieldRef, LeafExpr, Literal } from '@tuneboard/filter';
import { sql, type SQL } from 'drizzle-orm';
import { metricSummaries } from './schema/metrics';
import { runs } from './schema/runs';

/**
 * Compiles a filter expression (@tuneboard/filter's AST, already checked against the hparams vocabulary)
 * into a SQL condition on `runs`, with the same meaning as the filter package's `evaluate`:
 * a test on a missing value (absent hyperparameter, null backend, absent or NaN metric) is false for every
 * operator, and `not` of such a test is true — hence every leaf is wrapped in coalesce(…, false).
 */
export function runFilterSql(ast: Expr | null): SQL | undefined {
  return ast === null ? undefined : compile(ast);
}

function compile(node: Expr): SQL {
  switch (node.type) {
    case 'and':
    case 'or':
      // One flat `a or b or c …`: a long chain stays one level deep for PostgreSQL's parser and this recursion.
      return sql`(${sql.join(chainOf(node, node.type).map(compile), sql.raw(` ${node.type} `))})`;
    case 'not':
      return sql`(not ${compile(node.expr)})`;
    default:
      return sql`coalesce(${leaf(node)}, false)`;
  }
}

/** The operands of a left-leaning run of one connective, in order: ((a or b) or c) → [a, b, c]. */
function chainOf(node: Expr, type: 'and' | 'or'): Expr[] {
  const rightToLeft: Expr[] = [];
  let current = node;
  while (current.type === type) {
    rightToLeft.push(current.right);
    current = current.left;
  }
  rightToLeft.push(current);
  return rightToLeft.reverse();
}

type ValueKind = 'number' | 'string' | 'boolean';

function kindOf(node: LeafExpr): ValueKind {
  const sample = node.type === 'in' ? node.values[0] : node.value;
  return typeof sample === 'number' ? 'number' : typeof sample === 'boolean' ? 'boolean' : 'string';
}

/** A hyperparameter's JSON value (SQL NULL when the run has no such path). */
function paramJson(path: string): SQL {
  return sql`(${runs.flatParams} -> ${path}::text)`;
}

/** The SQL value a field denotes, typed as the literal it is compared with (NULL when absent or NaN). */
export function fieldSql(field: FieldRef, kind: ValueKind): SQL {
  switch (field.kind) {
    case 'param': {
      // Only a value of the literal's own type: `->>` alone would turn the number 32 into the text '32'.
      const value = paramJson(field.path);
      if (kind === 'number') return sql`(case when jsonb_typeof(${value}) = 'number' then (${value})::float8 end)`;
      if (kind === 'boolean') return sql`(case when jsonb_typeof(${value}) = 'boolean' then (${value})::boolean end)`;
      return sql`(case when jsonb_typeof(${value}) = 'string' then ${runs.flatParams} ->> ${field.path}::text end)`;
    }
    case 'run':
      return {
        status: sql`${runs.status}`,
        name: sql`${runs.name}`,
        backend: sql`${runs.backend}`,
        device: sql`${runs.device}`,
        tags: sql`${runs.tags}`,
      }[field.name];
    case 'metric':
      return metricSql(field.key, field.agg);
  }
}

/**
 * A run's metric summary: as a correlated subquery on `runs` (filters), or, with 'indexed', the expression
 * on a metric_summaries row already joined, exactly as the metric_summaries_key_* indexes spell it (schema/metrics.ts)
 * so sorting runs by a metric walks an index. NaN counts as absent (NULL).
 */
export function metricSql(key: string, agg: 'last' | 'min' | 'max', form: 'subquery' | 'indexed' = 'subquery'): SQL {
  const column = { last: metricSummaries.lastValue, min: metricSummaries.minValue, max: metricSummaries.maxValue }[agg];
  if (form === 'indexed') return sql`nullif(${column}, 'NaN'::float8)`;
  const name = sql.raw(column.name);
  return sql`(select nullif(ms.${name}, 'NaN'::float8) from metric_summaries ms where ms.run_id = ${runs.id} and ms.key = ${key}::text)`;
}

function literal(value: Literal, kind: ValueKind): SQL {
  if (kind === 'number') return sql`${value}::float8`;
  if (kind === 'boolean') return sql`${value}::boolean`;
  return sql`${value}::text`;
}

const ARRAY_TYPES = { number: 'float8[]', boolean: 'boolean[]', string: 'text[]' } as const;

const COMPARE = { '=': '=', '!=': '<>', '<': '<', '<=': '<=', '>': '>', '>=': '>=' } as const;

const ORDERING_OPS: ReadonlySet<string> = new Set(['<', '<=', '>', '>=']);

/**
 * `!=` and `not in` must be true for a hyperparameter the run has with a value of another type than the
 * literal (evaluate: the string "adam" is not 5), yet false when the run has no such hyperparameter. The
 * typed field is NULL in both cases, so a param's presence is tested on its JSON value; a run field or a
 * metric is NULL only when absent.
 */
function differs(node: LeafExpr, kind: ValueKind, differsFromTyped: SQL): SQL {
  if (node.field.kind !== 'param') return differsFromTyped;
  const value = paramJson(node.field.path);
  return sql`(jsonb_typeof(${value}) in ('number', 'string', 'boolean') and (${fieldSql(node.field, kind)} is null or ${differsFromTyped}))`;
}

function leaf(node: LeafExpr): SQL {
  const kind = kindOf(node);
  switch (node.type) {
    case 'compare': {
      // Only numbers are ordered (evaluate); text would order by the database's collation.
      if (ORDERING_OPS.has(node.op) && kind !== 'number') return sql`false`;
      const test = sql`(${fieldSql(node.field, kind)} ${sql.raw(COMPARE[node.op])} ${literal(node.value, kind)})`;
      return node.op === '!=' ? differs(node, kind, test) : test;
    }
    case 'in': {
      // One array parameter however long the list: PostgreSQL allows at most 65,535 bind parameters a query.
      const list = sql`${sql.param(node.values)}::${sql.raw(ARRAY_TYPES[kind])}`;
      return node.negated ? differs(node, kind, sql`(${fieldSql(node.field, kind)} <> all(${list}))`) : sql`(${fieldSql(node.field, kind)} = any(${list}))`;
    }
    case 'has':
      return sql`(${node.value}::text = any(${runs.tags}))`;
    case 'contains':
      return sql`(strpos(lower(${fieldSql(node.field, 'string')}), lower(${node.value}::text)) > 0)`;
  }
}
