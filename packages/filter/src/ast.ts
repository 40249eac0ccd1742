/** Character offsets into the source text, end exclusive. */
export interface Span {
  start: number;
  end: number;
}

export const RUN_STATUSES = ['queued', 'running', 'succeeded', 'failed', 'cancelled', 'diverged', 'lost', 'pruned'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

/** Reserved top-level names that address the run itself rather than a hyperparameter. */
export const RUN_FIELDS = ['status', 'name', 'tags', 'backend', 'device'] as const;
export type RunFieldName = (typeof RUN_FIELDS)[number];

export const METRIC_AGGREGATES = ['last', 'min', 'max'] as const;
export type MetricAggregate = (typeof METRIC_AGGREGATES)[number];

export type FieldRef = { kind: 'param'; path: string } | { kind: 'run'; name: RunFieldName } | { kind: 'metric'; key: string; agg: MetricAggregate };

export type Literal = number | string | boolean;

export type CompareOp = '=' | '!=' | '<' | '<=' | '>' | '>=';

/*
 * Leaves carry the spans of their parts besides their own, so that a checker
 * can point at the exact token at fault (the field, the operator or one value).
 */
interface LeafSpans {
  span: Span;
  fieldSpan: Span;
  opSpan: Span;
}

export interface LogicalExpr {
  type: 'and' | 'or';
  left: Expr;
  right: Expr;
  span: Span;
}

export interface NotExpr {
  type: 'not';
  expr: Expr;
  span: Span;
}

export interface CompareExpr extends LeafSpans {
  type: 'compare';
  field: FieldRef;
  op: CompareOp;
  value: Literal;
  valueSpan: Span;
}

export interface InExpr extends LeafSpans {
  type: 'in';
  field: FieldRef;
  values: Literal[];
  negated: boolean;
  valueSpans: Span[];
}

export interface HasExpr extends LeafSpans {
  type: 'has';
  field: FieldRef;
  value: string;
  valueSpan: Span;
}

export interface ContainsExpr extends LeafSpans {
  type: 'contains';
  field: FieldRef;
  value: string;
  valueSpan: Span;
}

export type LeafExpr = CompareExpr | InExpr | HasExpr | ContainsExpr;
export type Expr = LogicalExpr | NotExpr | LeafExpr;

export interface FilterError {
  message: string;
  start: number;
  end: number;
}

export type ParseResult = { ok: true; ast: Expr | null } | { ok: false; errors: FilterError[] };

export function leavesOf(ast: Expr | null): LeafExpr[] {
  if (ast === null) return [];
  switch (ast.type) {
    case 'and':
    case 'or':
      return [...leavesOf(ast.left), ...leavesOf(ast.right)];
    case 'not':
      return leavesOf(ast.expr);
    default:
      return [ast];
  }
}

/** Hyperparameter paths the expression reads, each once, in order of first use. */
export function referencedParamPaths(ast: Expr | null): string[] {
  const paths = new Set<string>();
  for (const leaf of leavesOf(ast)) {
    if (leaf.field.kind === 'param') paths.add(leaf.field.path);
  }
  return [...paths];
}
