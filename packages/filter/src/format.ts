import { RUN_FIELDS, type Expr, type FieldRef, type Literal } from './ast';

const BARE_METRIC_KEY = /^[A-Za-z0-9_./-]+$/;
const RUN_FIELD_NAMES: ReadonlySet<string> = new Set(RUN_FIELDS);

/** Binding strength; a child weaker than its slot requires gets parentheses. */
const STRENGTH = { or: 1, and: 2, not: 3, leaf: 4 } as const;

function strengthOf(expr: Expr): number {
  return expr.type === 'or' || expr.type === 'and' || expr.type === 'not' ? STRENGTH[expr.type] : STRENGTH.leaf;
}

/**
 * Canonical text for an expression: lowercase keywords, double-quoted strings,
 * single spaces and only the parentheses the tree needs. Parsing it back gives
 * the same tree (spans aside). `null` (match everything) formats as "".
 */
export function formatExpression(ast: Expr | null): string {
  return ast === null ? '' : format(ast);
}

function format(expr: Expr): string {
  switch (expr.type) {
    case 'and':
    case 'or': {
      const own = STRENGTH[expr.type];
      // Left-associative: a right child of the same kind keeps its parentheses.
      return `${formatChild(expr.left, own)} ${expr.type} ${formatChild(expr.right, own + 1)}`;
    }
    case 'not':
      return `not ${formatChild(expr.expr, STRENGTH.not)}`;
    case 'compare':
      return `${formatField(expr.field)} ${expr.op} ${formatLiteral(expr.value)}`;
    case 'in':
      return `${formatField(expr.field)} ${expr.negated ? 'not in' : 'in'} [${expr.values.map(formatLiteral).join(', ')}]`;
    case 'has':
      return `${formatField(expr.field)} has ${formatLiteral(expr.value)}`;
    case 'contains':
      return `${formatField(expr.field)} ~ ${formatLiteral(expr.value)}`;
  }
}

function formatChild(child: Expr, required: number): string {
  const text = format(child);
  return strengthOf(child) < required ? `(${text})` : text;
}

export function formatField(field: FieldRef): string {
  switch (field.kind) {
    case 'param':
      // A hyperparameter named like a run field (`status`) is written quoted, as the parser reads it back.
      return RUN_FIELD_NAMES.has(field.path.toLowerCase()) ? `[${JSON.stringify(field.path)}]` : field.path;
    case 'run':
      return field.name;
    case 'metric':
      return `${field.agg}(${BARE_METRIC_KEY.test(field.key) ? field.key : quote(field.key)})`;
  }
}

export function formatLiteral(value: Literal): string {
  return typeof value === 'string' ? quote(value) : String(value);
}

/** A JSON string: the lexer reads back every escape it writes (\n, \", \u0001, a lone surrogate as \ud800). */
function quote(text: string): string {
  return JSON.stringify(text);
}
