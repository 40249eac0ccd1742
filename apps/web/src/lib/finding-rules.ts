// Findings read in the browser with the API's own expression language (@tuneboard/filter): whether a run
// follows a finding, and where a simple rule such as `batchSize <= 32` puts its boundary on a chart.
import { evaluate, parseExpression, referencedParamPaths, type CompareOp, type Expr, type Vocabulary } from '@tuneboard/filter';
import { findingCovers, ruleProblems } from '@tuneboard/findings';
import { checkFilterText, type MarkedFilterError } from './filter-check';
import { formatMetric } from './metric-value';

export interface RuleBound {
  value: number;
  op: Extract<CompareOp, '<' | '<=' | '>' | '>='>;
}

/** The numeric bounds a rule sets on one hyperparameter (one for `batchSize <= 32`, two for a range). */
export interface RuleBoundary {
  path: string;
  bounds: RuleBound[];
}

function parse(text: string): Expr | null | undefined {
  const parsed = parseExpression(text);
  return parsed.ok ? parsed.ast : undefined;
}

/**
 * The boundary of a rule made of `and`-ed numeric comparisons on the path; undefined when the rule is
 * anything else (an `or`, a `not`, a category test), which has no single line to draw.
 */
export function ruleBoundary(rule: string, path: string): RuleBoundary | undefined {
  const ast = parse(rule);
  if (!ast) return undefined;
  const bounds: RuleBound[] = [];
  const collect = (node: Expr): boolean => {
    if (node.type === 'and') return collect(node.left) && collect(node.right);
    if (node.type !== 'compare' || node.field.kind !== 'param') return false;
    if (node.field.path !== path) return true; // a condition on another hyperparameter: not drawn on this axis
    if (node.op === '=' || node.op === '!=' || typeof node.value !== 'number') return false;
    bounds.push({ value: node.value, op: node.op });
    return true;
  };
  return collect(ast) && bounds.length > 0 ? { path, bounds } : undefined;
}

/** The axis a finding's chart uses: the first hyperparameter its rule reads. */
export function ruleAxis(rule: string): string | undefined {
  const ast = parse(rule);
  return ast ? referencedParamPaths(ast)[0] : undefined;
}

export interface FindingRuleSource {
  id: string;
  rule: string;
  scope: string;
  status: string;
}

export interface CheckedRun {
  params: Record<string, unknown>;
  status: string;
  name: string;
  tags: readonly string[];
}

export interface FindingCheck<F> {
  finding: F;
  follows: boolean;
}

/**
 * Which active findings speak about a run (their scope covers it) and whether it follows each: what the API's
 * `Run.findings` answers, computed here once per table page instead of once per run on the server.
 */
export function checkRunAgainstFindings<F extends FindingRuleSource>(findings: readonly F[], run: CheckedRun): FindingCheck<F>[] {
  const record = {
    params: run.params as Record<string, number | string | boolean>,
    status: run.status.toLowerCase(),
    name: run.name,
    tags: run.tags,
    metrics: {},
  };
  return findings.flatMap((finding) => {
    if (finding.status.toUpperCase() === 'RETIRED') return [];
    const rule = parse(finding.rule);
    const scope = parse(finding.scope);
    if (!rule || scope === undefined || !findingCovers({ rule, scope }, record)) return [];
    return [{ finding, follows: evaluate(rule, record) }];
  });
}

/** A rule or scope checked as it is typed: the filter bar's check, plus the API's own rule problems (@tuneboard/findings). */
export function checkFindingExpression(text: string, kind: 'rule' | 'scope', vocabulary?: Vocabulary): MarkedFilterError[] {
  if (kind === 'rule' && text.trim() === '') return ruleProblems(null).map(({ message }) => ({ message, start: 0, end: 0, line: '', column: 0, width: 1 }));
  const errors = checkFilterText(text, vocabulary);
  if (errors.length > 0 || kind === 'scope') return errors;
  const ast = parse(text);
  if (ast === undefined) return [];
  return ruleProblems(ast).map(({ message }) => ({ message, start: 0, end: text.length, line: text, column: 0, width: Math.max(1, text.length) }));
}

const OP_SYMBOLS: Record<RuleBound['op'], string> = { '<': '<', '<=': '≤', '>': '>', '>=': '≥' };

/** Chart labels for a boundary; the arrow points to the side of the line that follows the rule. */
export function boundaryLines(boundary: RuleBoundary): { x: number; label: string }[] {
  return boundary.bounds.map(({ value, op }) => {
    const text = `${boundary.path} ${OP_SYMBOLS[op]} ${formatMetric(value)}`;
    return { x: value, label: op.startsWith('<') ? `← ${text}` : `${text} →` };
  });
}
