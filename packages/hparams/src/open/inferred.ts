// Inferred schemas: any JSON config is accepted and each path's type is learned
// from the runs. The learned type is the first one seen and does not drift: a
// later run that contradicts it gets a warning naming the path and both types,
// and its value keeps its own type (a warning, never a refusal).
import { count } from './flatten';
import { DRAFT_2020_12 } from './declared';
import { formatOpenPath, parseOpenPath, setOwn, type PathSegment } from './path-syntax';
import type { FlatOpenConfig, OpenIssue, OpenType, TypedLeaf } from './types';

export const INFERRED_LIMITS = {
  /** Distinct strings remembered per path; more are counted as `moreCategories`. */
  maxCategories: 20,
  /** Paths one project learns; later new paths are still stored with their runs, only not learned. */
  maxPaths: 5000,
} as const;

export interface InferredPath {
  /** The first non-null type seen; `null` while only null was seen. */
  type: OpenType;
  /** Runs that have this path, whatever its type. */
  runs: number;
  /** Runs per type seen, e.g. `{ integer: 12, float: 1 }`. */
  types: Partial<Record<OpenType, number>>;
  /** Smallest and largest number seen (integers and floats alike). */
  min?: number;
  max?: number;
  /** Distinct strings seen, in first-seen order, up to `INFERRED_LIMITS.maxCategories`. */
  categories?: string[];
  moreCategories?: boolean;
}

export interface InferredSchema {
  /** Runs learned from. */
  runs: number;
  paths: Record<string, InferredPath>;
}

export function emptyInferredSchema(): InferredSchema {
  return { runs: 0, paths: {} };
}

/**
 * Learns one run's flat config (from `flattenOpenConfig`). Returns the updated schema (the input is not changed)
 * and this run's warnings: `model.depth was integer in 12 runs; this run has float 2.5`. Integer and float are
 * different types here too, so `2.0` where integers were seen is a warning, as is `0` where floats were.
 */
export function inferSchema(existing: InferredSchema | undefined, flat: FlatOpenConfig): { schema: InferredSchema; warnings: OpenIssue[] } {
  const schema: InferredSchema = existing ? structuredClone(existing) : emptyInferredSchema();
  return { schema, warnings: learnInto(schema, flat) };
}

/**
 * inferSchema for several runs in order, each learning from the state the one before left: the same schema and
 * warnings as calling it run by run, but the schema (hundreds of paths) is copied once, not once a run.
 */
export function inferSchemas(existing: InferredSchema | undefined, flats: readonly FlatOpenConfig[]): { schema: InferredSchema; warnings: OpenIssue[][] } {
  const schema: InferredSchema = existing ? structuredClone(existing) : emptyInferredSchema();
  return { schema, warnings: flats.map((flat) => learnInto(schema, flat)) };
}

/** Learns one run into `schema` (changed in place); this run's warnings. */
function learnInto(schema: InferredSchema, flat: FlatOpenConfig): OpenIssue[] {
  const warnings: OpenIssue[] = [];
  let known = Object.keys(schema.paths).length;
  let unlearned = 0;
  schema.runs += 1;
  for (const [path, leaf] of Object.entries(flat)) {
    let entry = Object.hasOwn(schema.paths, path) ? schema.paths[path] : undefined;
    if (!entry) {
      if (known >= INFERRED_LIMITS.maxPaths) {
        unlearned += 1;
        continue;
      }
      known += 1;
      entry = { type: leaf.type, runs: 0, types: {} };
      setOwn(schema.paths, path, entry);
    }
    const warning = contradiction(path, entry, leaf);
    if (warning) warnings.push(warning);
    if (entry.type === 'null' && leaf.type !== 'null') entry.type = leaf.type;
    entry.runs += 1;
    entry.types[leaf.type] = (entry.types[leaf.type] ?? 0) + 1;
    if (leaf.type === 'integer' || leaf.type === 'float') {
      entry.min = entry.min === undefined ? leaf.value : Math.min(entry.min, leaf.value);
      entry.max = entry.max === undefined ? leaf.value : Math.max(entry.max, leaf.value);
    } else if (leaf.type === 'string') {
      const categories = (entry.categories ??= []);
      if (!categories.includes(leaf.value)) {
        if (categories.length < INFERRED_LIMITS.maxCategories) categories.push(leaf.value);
        else entry.moreCategories = true;
      }
    }
  }
  if (unlearned > 0) {
    warnings.push({
      path: '',
      message: `This project already learned ${count(INFERRED_LIMITS.maxPaths)} paths; ${count(unlearned)} new ${unlearned === 1 ? 'path' : 'paths'} of this run ${unlearned === 1 ? 'is' : 'are'} stored but not added to the schema`,
    });
  }
  return warnings;
}

function contradiction(path: string, entry: InferredPath, leaf: TypedLeaf): OpenIssue | undefined {
  if (leaf.type === 'null' || entry.type === 'null' || leaf.type === entry.type) return undefined;
  const runs = entry.types[entry.type] ?? 0;
  let message = `${path} was ${entry.type} in ${count(runs)} ${runs === 1 ? 'run' : 'runs'}; this run has ${leaf.type} ${showLeaf(leaf)}`;
  if (entry.type === 'float' && leaf.type === 'integer') message += ` (write ${leaf.value}.0 to log a float)`;
  return { path, message };
}

/** `2.0` for a whole float, so the message shows why it differs from integer 2. */
export function showLeaf(leaf: TypedLeaf): string {
  if (leaf.type === 'string') return JSON.stringify(leaf.value);
  if (leaf.type === 'float' && Number.isInteger(leaf.value) && Math.abs(leaf.value) < 1e21) return `${leaf.value}.0`;
  return String(leaf.value);
}

interface TreeNode {
  leaf?: InferredPath;
  /** Where the leaf was seen first, for notes. */
  leafPath?: string;
  keys?: Map<string, TreeNode>;
  items?: TreeNode;
}

/**
 * A JSON Schema (draft 2020-12) document for the learned paths, for a team to promote its inferred schema to a
 * declared one and edit it. Types only, no ranges or enums (the runs seen so far do not bound the next ones):
 * integer and float seen at one path become `number`, null makes the type nullable, and a path seen in every run is
 * required. Objects stay open to new keys. `compileDeclaredSchema` accepts the result.
 * `notes` lists paths whose runs disagree in ways one JSON Schema type cannot hold, and what was chosen.
 */
export function promoteToDeclared(inferred: InferredSchema): { document: Record<string, unknown>; notes: OpenIssue[] } {
  const notes: OpenIssue[] = [];
  const root: TreeNode = { keys: new Map() };
  for (const [path, entry] of Object.entries(inferred.paths)) {
    const parsed = parseOpenPath(path);
    if (!parsed.ok || parsed.segments.length === 0) {
      notes.push({ path, message: `${path} is not a valid path and was left out` });
      continue;
    }
    let node = root;
    for (const segment of parsed.segments) node = childOf(node, segment);
    if (node.leaf) node.leaf = mergeEntries(node.leaf, entry);
    else {
      node.leaf = { ...entry, types: { ...entry.types } };
      node.leafPath = path;
    }
  }
  if (root.keys!.size === 0) {
    notes.push({ path: '', message: 'No paths were learned yet, so the schema allows no keys; log a run first' });
    return { document: { $schema: DRAFT_2020_12, type: 'object', additionalProperties: false }, notes };
  }
  const document = { $schema: DRAFT_2020_12, ...emit(root, [], inferred.runs, notes, true) };
  return { document, notes };
}

function childOf(node: TreeNode, segment: PathSegment): TreeNode {
  if (typeof segment === 'number') return (node.items ??= {});
  node.keys ??= new Map();
  let child = node.keys.get(segment);
  if (!child) {
    child = {};
    node.keys.set(segment, child);
  }
  return child;
}

function mergeEntries(a: InferredPath, b: InferredPath): InferredPath {
  const types = { ...a.types };
  for (const [type, n] of Object.entries(b.types) as [OpenType, number][]) types[type] = (types[type] ?? 0) + n;
  const merged: InferredPath = { type: a.type === 'null' ? b.type : a.type, runs: Math.max(a.runs, b.runs), types };
  const min = Math.min(a.min ?? Infinity, b.min ?? Infinity);
  const max = Math.max(a.max ?? -Infinity, b.max ?? -Infinity);
  if (Number.isFinite(min)) merged.min = min;
  if (Number.isFinite(max)) merged.max = max;
  if (a.categories || b.categories) merged.categories = [...new Set([...(a.categories ?? []), ...(b.categories ?? [])])];
  return merged;
}

/** Runs in which something under `node` was present (at least the most of any of its leaves). */
function runsUnder(node: TreeNode): number {
  let runs = node.leaf?.runs ?? 0;
  for (const child of node.keys?.values() ?? []) runs = Math.max(runs, runsUnder(child));
  if (node.items) runs = Math.max(runs, runsUnder(node.items));
  return runs;
}

function emit(node: TreeNode, segments: PathSegment[], totalRuns: number, notes: OpenIssue[], countsRequired: boolean): Record<string, unknown> {
  const path = formatOpenPath(segments);
  const isObject = node.keys !== undefined && node.keys.size > 0;
  if ((isObject || node.items) && node.leaf) {
    notes.push({
      path: node.leafPath ?? path,
      message: `${node.leafPath ?? path} was ${node.leaf.type === 'integer' ? 'an' : 'a'} ${node.leaf.type} in some runs and ${isObject ? 'an object' : 'a list'} in others; promoted as ${isObject ? 'an object' : 'a list'}`,
    });
  }
  if (isObject) {
    if (node.items) notes.push({ path, message: `${path} was a list in some runs and an object in others; promoted as an object` });
    const properties: Record<string, unknown> = {};
    const required: string[] = [];
    for (const [key, child] of node.keys!) {
      Object.defineProperty(properties, key, {
        value: emit(child, [...segments, key], totalRuns, notes, countsRequired),
        enumerable: true,
        writable: true,
        configurable: true,
      });
      if (countsRequired && runsUnder(child) === totalRuns && totalRuns > 0) required.push(key);
    }
    return { type: 'object', properties, ...(required.length > 0 ? { required } : {}) };
  }
  if (node.items) {
    // Entries exist only in runs whose list is long enough: nothing inside a list is required.
    return { type: 'array', items: emit(node.items, [...segments, 0], totalRuns, notes, false) };
  }
  return leafSchema(node.leaf!, path, notes);
}

function leafSchema(entry: InferredPath, path: string, notes: OpenIssue[]): Record<string, unknown> {
  const seen = (Object.keys(entry.types) as OpenType[]).filter((type) => type !== 'null' && (entry.types[type] ?? 0) > 0);
  const nullable = (entry.types.null ?? 0) > 0;
  let type: string;
  if (seen.length === 0) type = 'null';
  else if (seen.every((t) => t === 'integer' || t === 'float')) type = seen.includes('float') ? 'number' : 'integer';
  else {
    type = entry.type === 'float' ? 'number' : entry.type;
    if (seen.length > 1) {
      notes.push({ path, message: `${path} was ${seen.join(' and ')} in different runs; promoted as ${entry.type}, the type seen first` });
    }
  }
  const schema: Record<string, unknown> = { type: nullable && type !== 'null' ? [type, 'null'] : type };
  if (type === 'number' && entry.min !== undefined && entry.max !== undefined && entry.min > 0 && entry.max / entry.min >= 100) {
    // Spans two decades or more, all positive: a learning rate or a weight decay, drawn on a log axis.
    schema.exclusiveMinimum = 0;
    schema['x-scale'] = 'log';
  }
  if (type === 'string' && entry.categories && entry.categories.length > 0) schema.examples = [...entry.categories];
  return schema;
}
