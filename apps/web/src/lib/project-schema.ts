// What a project's hyperparameter schema gives the dashboard: the filter vocabulary (the built-in one, or the
// project's declared/learned paths as the API reads them), the table's param columns, and values shown as their type.
import type { FieldDescription, Vocabulary } from '@tuneboard/filter';
import { canonicalOpenPath, formatOpenPattern, parseOpenPath, pathLookup } from '@tuneboard/hparams';
import type { HparamSchemaKind } from '@/graphql/generated/graphql';
import { formatMetric } from './metric-value';

export interface SchemaPathInfo {
  path: string;
  /** integer, float, boolean, string or null. */
  type: string;
  /** An enumeration's values (the built-in schema's optimizer.name, a declared enum). */
  categories?: readonly string[] | null;
}

export interface ProjectSchemaInfo {
  kind: HparamSchemaKind;
  paths: readonly SchemaPathInfo[];
}

/** Open schemas (declared, inferred) hold any config: runs come from the team's own scripts, not Tuneboard's trainer. */
export function isOpenSchema(kind: HparamSchemaKind | undefined | null): boolean {
  return kind === 'DECLARED' || kind === 'INFERRED';
}

/**
 * The paths a filter, rule or scope may name, as the API reads them: for a built-in project the table of the
 * built-in schema's paths the API sends (looked up as @tuneboard/hparams does, without loading its zod schema into
 * the page), otherwise the project's paths (any index of `layers[]` is `layers[3]`). Undefined while the schema
 * loads: expressions are then checked for syntax only.
 */
export function schemaVocabulary(schema: ProjectSchemaInfo): Vocabulary;
export function schemaVocabulary(schema: ProjectSchemaInfo | null | undefined): Vocabulary | undefined;
export function schemaVocabulary(schema: ProjectSchemaInfo | null | undefined): Vocabulary | undefined {
  if (!schema) return undefined;
  if (!isOpenSchema(schema.kind)) return builtinVocabulary(schema.paths);
  const types = new Map(schema.paths.map((entry) => [entry.path, entry.type]));
  const describe = (path: string): FieldDescription | undefined => {
    const canonical = canonicalOpenPath(path);
    if (canonical === undefined) return undefined;
    const parsed = parseOpenPath(canonical);
    const type = types.get(canonical) ?? (parsed.ok ? types.get(formatOpenPattern(parsed.segments)) : undefined);
    if (type === undefined || type === 'null') return undefined;
    return { type: type === 'integer' || type === 'float' ? 'number' : (type as 'string' | 'boolean') };
  };
  const suggest = (unknown: string): string | undefined => closestPath(unknown, [...types.keys()]);
  return { describe, suggest };
}

function builtinVocabulary(paths: readonly SchemaPathInfo[]): Vocabulary {
  const table = new Map<string, FieldDescription>(
    paths.flatMap((entry) =>
      entry.type === 'null'
        ? []
        : [
            [
              entry.path,
              {
                type: entry.type === 'integer' || entry.type === 'float' ? 'number' : (entry.type as 'string' | 'boolean'),
                ...(entry.categories ? { values: entry.categories } : {}),
              },
            ],
          ],
    ),
  );
  return pathLookup(table);
}

/** The nearest path within about one edit in three letters, compared case-insensitively, for "did you mean". */
export function closestPath(unknown: string, candidates: readonly string[]): string | undefined {
  const word = unknown.trim().toLowerCase();
  const tolerance = Math.max(1, Math.floor(word.length / 3));
  let best: string | undefined;
  let bestDistance = tolerance + 1;
  for (const candidate of candidates) {
    const distance = editDistance(word, candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) row[j] = Math.min(previous[j]! + 1, row[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    previous = row;
  }
  return previous[b.length]!;
}

/** The run's type of one path (`paramTypes`, from the API for open schemas); undefined for built-in runs. */
export function paramTypeOf(paramTypes: unknown, path: string): string | undefined {
  if (typeof paramTypes !== 'object' || paramTypes === null) return undefined;
  const type = (paramTypes as Record<string, unknown>)[path];
  return typeof type === 'string' ? type : undefined;
}

/**
 * A hyperparameter as text, keeping its type: a float logged as `2.0` stays "2.0" (JSON gives the number 2,
 * which would read as the integer 2), and other numbers read compactly as in the rest of the tables.
 */
export function formatParamValue(value: unknown, type?: string): string {
  if (value === null || value === undefined) return type === 'null' ? 'null' : '';
  if (typeof value === 'number') {
    if (type === 'float' && Number.isInteger(value) && Math.abs(value) < 1e21) return `${value}.0`;
    // Typed values are shown exactly as logged (0.0003, not 3.00e-4): they are what the script was given.
    if (type === 'integer' || type === 'float') return String(value);
    return formatMetric(value);
  }
  if (typeof value === 'string' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}
