// Any JSON config as flat, typed paths: the vocabulary that filters, sorting,
// columns, charts and finding rules use for every kind of project schema.
import { formatSegment, setOwn } from './path-syntax';
import { JsonNumber, parseCollecting, typedValueOf, type TypedJson } from './typed-json';
import type { FlatOpenConfig, OpenIssue } from './types';

export const OPEN_LIMITS = {
  /** Characters of one path as written (`model.layers[3].heads` is 21). */
  maxPathLength: 200,
  /** Leaves of one config. */
  maxPaths: 2000,
  /** Segments of one path (`model.layers[3].heads` is 4 deep). */
  maxDepth: 16,
} as const;

export type FlattenResult = { ok: true; flat: FlatOpenConfig } | { ok: false; issues: OpenIssue[] };

/**
 * Every leaf of a config as `path → { type, value }`. Accepts `parseConfigText`'s output (numbers keep how they
 * were written) or plain JS values (a whole number is then an integer, see `typedValueOf`). Empty objects and lists
 * have no leaves, and undefined values are skipped as JSON.stringify would. Every problem is reported at once.
 */
export function flattenOpenConfig(config: unknown): FlattenResult {
  const issues: OpenIssue[] = [];
  if (!isPlainObject(config)) {
    return { ok: false, issues: [{ path: '', message: `The config must be a JSON object such as {"lr": 0.001}, got ${describeValue(config)}` }] };
  }
  const flat: FlatOpenConfig = {};
  let leaves = 0;

  const visit = (value: unknown, path: string, depth: number): void => {
    if (value === undefined) return;
    if (depth > OPEN_LIMITS.maxDepth) {
      issues.push({ path, message: `${path} is nested ${depth} levels deep, more than the limit of ${OPEN_LIMITS.maxDepth}` });
      return;
    }
    if (path.length > OPEN_LIMITS.maxPathLength) {
      issues.push({
        path,
        message: `${path} is ${path.length} characters long, more than the limit of ${OPEN_LIMITS.maxPathLength}; use shorter keys`,
      });
      return;
    }
    if (Array.isArray(value)) {
      value.forEach((item, i) => visit(item, path + formatSegment(i, false), depth + 1));
      return;
    }
    if (isPlainObject(value)) {
      for (const key of Object.keys(value)) visit(value[key], path + formatSegment(key, false), depth + 1);
      return;
    }
    const leaf = typeof value === 'bigint' && Number.isSafeInteger(Number(value)) ? typedValueOf(Number(value)) : typedValueOf(value);
    if (!leaf) {
      issues.push({ path, message: `${path} must be ${typeof value === 'number' ? 'a finite number' : 'a JSON value'}, got ${describeValue(value)}` });
      return;
    }
    leaves += 1;
    if (leaves <= OPEN_LIMITS.maxPaths) setOwn(flat, path, leaf);
  };

  for (const key of Object.keys(config)) visit(config[key], formatSegment(key, true), 1);
  if (leaves > OPEN_LIMITS.maxPaths) {
    issues.unshift({ path: '', message: `The config has ${count(leaves)} values, more than the limit of ${count(OPEN_LIMITS.maxPaths)} paths` });
  }
  return issues.length > 0 ? { ok: false, issues } : { ok: true, flat };
}

/** `parseConfigText` then `flattenOpenConfig`: a config file or `--config` text as typed paths, or every problem. */
export function readConfigText(text: string): { ok: true; value: TypedJson; flat: FlatOpenConfig } | { ok: false; issues: OpenIssue[] } {
  const parsed = parseCollecting(text);
  if (parsed.value === undefined) return { ok: false, issues: parsed.issues };
  // A duplicate key or an inexact integer does not stop the limits from being checked too.
  const flattened = flattenOpenConfig(parsed.value);
  const issues = [...parsed.issues, ...(flattened.ok ? [] : flattened.issues)];
  return flattened.ok && issues.length === 0 ? { ok: true, value: parsed.value, flat: flattened.flat } : { ok: false, issues };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value) || value instanceof JsonNumber) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** For messages: `"abc"`, `2.5`, `NaN`, `a list`, `a Date`. */
export function describeValue(value: unknown): string {
  if (value instanceof JsonNumber) return value.text;
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === null) return 'null';
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'bigint') return `${value} (too large to be exact)`;
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'object') {
    const name = Object.getPrototypeOf(value)?.constructor?.name;
    return isPlainObject(value) ? 'an object' : `a ${name ?? 'non-JSON object'}`;
  }
  return String(value);
}

export function count(n: number): string {
  return n.toLocaleString('en-US');
}
