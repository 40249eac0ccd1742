export {
  RUN_FIELDS,
  RUN_STATUSES,
  referencedParamPaths,
  type CompareExpr,
  type CompareOp,
  type ContainsExpr,
  type Expr,
  type FieldRef,
  type FilterError,
  type HasExpr,
  type InExpr,
  type LeafExpr,
  type Literal,
  type LogicalExpr,
  type MetricAggregate,
  type NotExpr,
  type ParseResult,
  type RunFieldName,
  type RunStatus,
  type Span,
} from './ast';
export { FILTER_LIMITS, parseExpression } from './parser';
export { checkExpression, compileFilter, type FieldDescription, type Vocabulary } from './check';
export { evaluate, type MetricSummary, type RunRecord } from './evaluate';
export { formatExpression, formatField, formatLiteral } from './format';
export { formatPathKey } from './lexer';
