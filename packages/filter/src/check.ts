import { leavesOf, RUN_STATUSES, type Expr, type FieldRef, type FilterError, type LeafExpr, type Literal, type ParseResult, type Span } from './ast';
import { formatField, formatLiteral } from './format';
import { parseExpression } from './parser';

export interface FieldDescription {
  type: 'number' | 'string' | 'boolean';
  /** For enumerations: the only strings the field takes. */
  values?: readonly string[];
}

/** What hyperparameter paths exist (usually built from the hparams schema). */
export interface Vocabulary {
  describe(path: string): FieldDescription | undefined;
  /** The closest known path to a mistyped one, for "did you mean". */
  suggest?(path: string): string | undefined;
}

const RUN_FIELD_TYPES = {
  status: { type: 'string', values: RUN_STATUSES },
  name: { type: 'string' },
  backend: { type: 'string' },
  device: { type: 'string' },
} as const satisfies Record<string, FieldDescription>;

const ORDERING_OPS: ReadonlySet<string> = new Set(['<', '<=', '>', '>=']);

/** Type-checks a parsed expression; an empty list means it is fine. */
export function checkExpression(ast: Expr | null, vocabulary: Vocabulary): FilterError[] {
  return leavesOf(ast).flatMap((leaf) => checkTest(leaf, vocabulary));
}

/** Parse and check in one step: what the filter bar, the API and findings call. */
export function compileFilter(text: string, vocabulary: Vocabulary): ParseResult {
  const parsed = parseExpression(text);
  if (!parsed.ok) return parsed;
  const errors = checkExpression(parsed.ast, vocabulary);
  return errors.length > 0 ? { ok: false, errors } : parsed;
}

function checkTest(leaf: LeafExpr, vocabulary: Vocabulary): FilterError[] {
  const label = formatField(leaf.field);
  const opText = leaf.type === 'has' ? 'has' : leaf.type === 'contains' ? '~' : leaf.type === 'in' ? null : leaf.op;

  if (leaf.field.kind === 'run' && leaf.field.name === 'tags') {
    return leaf.type === 'has' ? [] : [error('tags is a list of labels; test it with has, e.g. tags has "baseline"', leaf.opSpan)];
  }
  if (leaf.type === 'has') return [error('"has" only applies to tags', leaf.opSpan)];

  const description = describeField(leaf.field, vocabulary);
  if (description === undefined) return [unknownParam(leaf.field, vocabulary, leaf.fieldSpan)];

  if (leaf.type === 'contains') {
    return description.type === 'string' ? [] : [error(`"~" needs text; ${label} is a ${description.type}`, leaf.opSpan)];
  }
  if (opText !== null && ORDERING_OPS.has(opText) && description.type !== 'number') {
    return [error(`"${opText}" needs a number; ${label} is a ${description.type}`, leaf.opSpan)];
  }
  const values: Array<[Literal, Span]> =
    leaf.type === 'in' ? leaf.values.map((value, i) => [value, leaf.valueSpans[i] ?? leaf.span]) : [[leaf.value, leaf.valueSpan]];
  return values.flatMap(([value, span]) => checkValue(label, description, value, span));
}

function checkValue(label: string, description: FieldDescription, value: Literal, span: Span): FilterError[] {
  if (typeof value !== description.type) {
    return [error(`${label} is a ${description.type}; ${formatLiteral(value)} is a ${typeof value}`, span)];
  }
  if (typeof value === 'string' && description.values !== undefined && !description.values.includes(value)) {
    const allowed = description.values.map((v) => formatLiteral(v)).join(', ');
    return [error(`${label} must be one of ${allowed}; got ${formatLiteral(value)}`, span)];
  }
  return [];
}

function describeField(field: FieldRef, vocabulary: Vocabulary): FieldDescription | undefined {
  switch (field.kind) {
    case 'param':
      return vocabulary.describe(field.path);
    case 'metric':
      return { type: 'number' };
    case 'run':
      return field.name === 'tags' ? undefined : RUN_FIELD_TYPES[field.name];
  }
}

function unknownParam(field: FieldRef, vocabulary: Vocabulary, span: Span): FilterError {
  // The vocabulary speaks canonical paths; the message shows them as the filter is typed (`["status"]`).
  const path = field.kind === 'param' ? field.path : formatField(field);
  const suggestion = vocabulary.suggest?.(path);
  const hint = suggestion !== undefined && suggestion !== path ? ` — did you mean "${formatField({ kind: 'param', path: suggestion })}"?` : '';
  return error(`Unknown hyperparameter "${formatField(field)}"${hint}`, span);
}

function error(message: string, span: Span): FilterError {
  return { message, start: span.start, end: span.end };
}
