import type { CompareOp, Expr, FieldRef, LeafExpr, Literal } from './ast';

export interface MetricSummary {
  last?: number | null;
  min?: number | null;
  max?: number | null;
}

/** The view of a run a filter reads. `params` is keyed by flattened path, e.g. "model.convLayers[0].stride". */
export interface RunRecord {
  params: Record<string, number | string | boolean>;
  status: string;
  name: string;
  tags: readonly string[];
  backend?: string | null;
  device?: string | null;
  metrics?: Record<string, MetricSummary>;
}

type FieldValue = Literal | readonly string[];

/**
 * Whether a run matches. `null` (the empty expression) matches every run.
 *
 * Missing values follow SQL NULL semantics so that this agrees with the SQL
 * the API generates: a test on a param the run does not have (a conv-layer
 * stride on an MLP), on a null backend/device, or on a metric that is absent,
 * null or NaN is false for every operator, `!=` and `not in` included; a
 * `not` around such a test is therefore true.
 */
export function evaluate(ast: Expr | null, run: RunRecord): boolean {
  if (ast === null) return true;
  switch (ast.type) {
    case 'and':
      return evaluate(ast.left, run) && evaluate(ast.right, run);
    case 'or':
      return evaluate(ast.left, run) || evaluate(ast.right, run);
    case 'not':
      return !evaluate(ast.expr, run);
    default:
      return evaluateTest(ast, run);
  }
}

function evaluateTest(test: LeafExpr, run: RunRecord): boolean {
  const actual = fieldValue(test.field, run);
  if (actual === undefined) return false;
  switch (test.type) {
    case 'has':
      return Array.isArray(actual) && actual.includes(test.value);
    case 'contains':
      return typeof actual === 'string' && foldCase(actual).includes(foldCase(test.value));
    case 'in':
      if (Array.isArray(actual)) return false;
      return test.values.some((value) => actual === value) !== test.negated;
    case 'compare':
      return !Array.isArray(actual) && compare(actual as Literal, test.op, test.value);
  }
}

const ASCII = /^[\x00-\x7f]*$/;

/**
 * Lowercase character by character (Unicode's simple mapping), as PostgreSQL's lower() does under a UTF-8
 * locale, so `~` selects the same runs here as in SQL. String.prototype.toLowerCase differs in two ways:
 * a final capital sigma becomes ς (so "ΟΔΟΣ" would not contain "οδοσ"), and İ becomes two characters, i
 * and a combining dot (so "I" would not contain "İ" here but would in SQL).
 */
function foldCase(text: string): string {
  if (ASCII.test(text)) return text.toLowerCase();
  let folded = '';
  for (const ch of text) folded += String.fromCodePoint(ch.toLowerCase().codePointAt(0)!);
  return folded;
}

function compare(actual: Literal, op: CompareOp, expected: Literal): boolean {
  switch (op) {
    case '=':
      return actual === expected;
    case '!=':
      return actual !== expected;
  }
  if (typeof actual !== 'number' || typeof expected !== 'number') return false;
  switch (op) {
    case '<':
      return actual < expected;
    case '<=':
      return actual <= expected;
    case '>':
      return actual > expected;
    case '>=':
      return actual >= expected;
  }
}

/** The run's value for a field, or undefined when it has none (absent, null or NaN). */
function fieldValue(field: FieldRef, run: RunRecord): FieldValue | undefined {
  const value = rawFieldValue(field, run);
  if (value === null || (typeof value === 'number' && Number.isNaN(value))) return undefined;
  return value;
}

function rawFieldValue(field: FieldRef, run: RunRecord): FieldValue | null | undefined {
  switch (field.kind) {
    case 'param':
      return Object.hasOwn(run.params, field.path) ? run.params[field.path] : undefined;
    case 'metric': {
      const summary = run.metrics !== undefined && Object.hasOwn(run.metrics, field.key) ? run.metrics[field.key] : undefined;
      return summary?.[field.agg];
    }
    case 'run':
      return run[field.name];
  }
}
