import { projectStore, type HparamSchemaKind, type Project, type ProjectSchema, type Store } from '@tuneboard/db';
import type { FieldDescription, Vocabulary } from '@tuneboard/filter';
import {
  canonicalOpenPath,
  compileDeclaredSchema,
  describePath,
  emptyInferredSchema,
  flattenOpenConfig,
  formatOpenPattern,
  knownPaths,
  parseOpenPath,
  promoteToDeclared,
  readConfigText,
  setOwn,
  type DeclaredSchema,
  type FlatOpenConfig,
  type InferredSchema,
  type OpenIssue,
  type OpenType,
} from '@tuneboard/hparams';
import { loadProject } from './access';
import { invalid, notFound } from './errors';
import type { Scope } from './scope';

/**
 * A project's hyperparameter schema: built-in (the trainer's), declared (a versioned JSON Schema) or inferred
 * (learned from the runs). Every kind answers with the same flat, typed path vocabulary.
 */

export const HPARAM_SCHEMA_KIND_NAMES: readonly HparamSchemaKind[] = ['builtin', 'declared', 'inferred'];

/** A compiled schema document, or `invalid` with every problem at `<argument>.<path>`. */
export function compileSchemaDocument(document: unknown, argument = 'schema'): DeclaredSchema {
  const result = compileDeclaredSchema(document);
  if (!result.ok)
    throw invalid(
      `Invalid ${argument}: ${result.issues.map((issue) => issue.message).join('; ')}`,
      result.issues.map((issue) => ({ path: at(argument, issue.path), message: issue.message })),
    );
  return result.schema;
}

const at = (argument: string, path: string) => (path === '' ? argument : `${argument}.${path}`);

// Compiling a schema with Ajv takes milliseconds; a version never changes, so each is compiled once per process.
const compiled = new Map<string, DeclaredSchema>();
const MAX_COMPILED = 200;

/** The project's current declared version, compiled; null when it has none. */
export async function currentDeclaredSchema(store: Store, projectId: string): Promise<{ version: ProjectSchema; schema: DeclaredSchema } | null> {
  const version = await projectStore.currentSchemaVersion(store, projectId);
  if (!version) return null;
  let schema = compiled.get(version.id);
  if (!schema) {
    schema = compileSchemaDocument(version.document);
    if (compiled.size >= MAX_COMPILED) compiled.delete(compiled.keys().next().value!);
    compiled.set(version.id, schema);
  }
  return { version, schema };
}

/** A validated kind name, for callers that pass it as text (the CLI). */
export function schemaKind(kind: string, argument = 'kind'): HparamSchemaKind {
  const lower = kind.toLowerCase() as HparamSchemaKind;
  if (!HPARAM_SCHEMA_KIND_NAMES.includes(lower))
    throw invalid(`Unknown schema kind "${kind}"; use ${HPARAM_SCHEMA_KIND_NAMES.join(', ')}`, [{ path: argument, message: 'unknown schema kind' }]);
  return lower;
}

/**
 * An open run's config as given: `hparamsText` (JSON text, which keeps 2.0 apart from 2) when there is one, else
 * `hparams`. The parsed value and its typed flat paths, or `invalid` with every problem at `hparams.<path>`.
 */
export function readOpenConfig(input: { hparams?: unknown; hparamsText?: string | null }): { value: unknown; flat: FlatOpenConfig } {
  if (input.hparamsText != null) {
    const result = readConfigText(input.hparamsText);
    if (!result.ok) throw configProblems(result.issues, 'hparamsText');
    return { value: result.value, flat: result.flat };
  }
  if (input.hparams === undefined || input.hparams === null)
    throw invalid('Give the configuration as hparams (JSON) or hparamsText (JSON text)', [{ path: 'hparams', message: 'required' }]);
  const result = flattenOpenConfig(input.hparams);
  if (!result.ok) throw configProblems(result.issues, 'hparams');
  return { value: input.hparams, flat: result.flat };
}

/** A config's problems as field problems: `hparams.<path>`, or the argument itself for the config as a whole. */
export function configProblems(issues: readonly OpenIssue[], argument: 'hparams' | 'hparamsText' = 'hparams') {
  return invalid(
    `Invalid hyperparameters: ${issues.map((issue) => issue.message).join('; ')}`,
    issues.map((issue) => ({ path: issue.path === '' ? argument : `hparams.${issue.path}`, message: issue.message })),
  );
}

/** Flat values and their types, as runs store them (`flat_params`, `param_types`). */
export function splitFlat(flat: FlatOpenConfig): { params: Record<string, unknown>; types: Record<string, OpenType> } {
  const params: Record<string, unknown> = {};
  const types: Record<string, OpenType> = {};
  for (const [path, leaf] of Object.entries(flat)) {
    setOwn(params, path, leaf.value);
    setOwn(types, path, leaf.type);
  }
  return { params, types };
}

export const inferredStateOf = (project: Pick<Project, 'inferredSchema'>): InferredSchema =>
  (project.inferredSchema as InferredSchema | null) ?? emptyInferredSchema();

/**
 * Sets a project's schema kind (owners and members). A declared schema needs a document, or an earlier version to
 * fall back on; a changed document becomes the next version, and stored runs keep the version they were checked against.
 */
export async function setProjectSchema(scope: Scope, projectId: string, input: { kind: HparamSchemaKind; document?: unknown }): Promise<Project> {
  const project = await loadProject(scope, projectId, 'write');
  if (input.document != null) compileSchemaDocument(input.document);
  if (input.document != null && input.kind !== 'declared')
    throw invalid('Only a declared schema takes a schema document', [{ path: 'schema', message: `not used with kind ${input.kind}` }]);
  if (input.kind === 'declared' && input.document == null && !(await projectStore.currentSchemaVersion(scope.store, project.id)))
    throw invalid('A declared schema needs its JSON Schema document', [{ path: 'schema', message: 'required for kind declared' }]);
  const result = await projectStore.setProjectSchema(scope.store, project.id, {
    kind: input.kind,
    ...(input.document != null ? { document: input.document } : {}),
    createdById: scope.actor?.userId ?? null,
  });
  if (!result) throw notFound('Project', projectId);
  scope.loaders.project.clear(project.id).prime(project.id, result.project);
  return result.project;
}

/** Makes an inferred project declared, with a JSON Schema written from what its runs taught it. */
export async function promoteInferredSchema(scope: Scope, projectId: string): Promise<Project> {
  const project = await loadProject(scope, projectId, 'write');
  if (project.schemaKind !== 'inferred')
    throw invalid(`Only an inferred schema can be promoted; this project's schema is ${project.schemaKind}`, [
      { path: 'projectId', message: `the schema is ${project.schemaKind}` },
    ]);
  const { document } = promoteToDeclared(inferredStateOf(project));
  return setProjectSchema(scope, project.id, { kind: 'declared', document });
}

export interface HparamSchemaVersionView {
  version: ProjectSchema;
  /** Live runs validated against this version. */
  runs: number;
}

/** Every declared version of a project, newest first, with how many runs each validated (readers of the project). */
export async function schemaVersionHistory(scope: Scope, project: Project): Promise<HparamSchemaVersionView[]> {
  const [versions, counts] = await Promise.all([
    projectStore.schemaVersionsOf(scope.store, project.id),
    projectStore.runsPerSchemaVersion(scope.store, project.id),
  ]);
  return versions.map((version) => ({ version, runs: counts.get(version.version) ?? 0 }));
}

export interface HparamPathView {
  path: string;
  type: string;
  runs: number | null;
  min: number | null;
  max: number | null;
  categories: readonly string[] | null;
  description: string | null;
  unit: string | null;
  scale: string | null;
}

export interface HparamSchemaView {
  kind: HparamSchemaKind;
  version: number | null;
  document: unknown;
  paths: HparamPathView[];
}

const NO_FACTS = { runs: null, min: null, max: null, categories: null, description: null, unit: null, scale: null };

/** What a project's schema says, the same shape for every kind (the caller has already read the project). */
export async function hparamSchemaOf(scope: Scope, project: Project): Promise<HparamSchemaView> {
  if (project.schemaKind === 'builtin') {
    const paths = knownPaths().flatMap((path) => {
      const info = describePath(path.replaceAll('[]', '[0]'));
      if (!info) return [];
      const type = info.type === 'number' ? (info.integer ? 'integer' : 'float') : info.type;
      return [{ ...NO_FACTS, path, type, categories: info.values ?? null, description: info.description }];
    });
    return { kind: 'builtin', version: null, document: null, paths };
  }
  const inferred = inferredStateOf(project);
  if (project.schemaKind === 'inferred') {
    const paths = Object.entries(inferred.paths).map(([path, entry]) => ({
      ...NO_FACTS,
      path,
      type: entry.type,
      runs: entry.runs,
      min: entry.min ?? null,
      max: entry.max ?? null,
      categories: entry.categories ?? null,
    }));
    return { kind: 'inferred', version: null, document: null, paths };
  }
  const current = await currentDeclaredSchema(scope.store, project.id);
  const paths = (current?.schema.paths ?? []).map((entry) => {
    const seen = inferred.paths[entry.path];
    return {
      path: entry.path,
      type: entry.type,
      runs: seen?.runs ?? null,
      min: entry.minimum ?? entry.exclusiveMinimum ?? null,
      max: entry.maximum ?? entry.exclusiveMaximum ?? null,
      categories: entry.values ? entry.values.map(String) : null,
      description: entry.description ?? null,
      unit: entry.unit ?? null,
      scale: entry.scale ?? null,
    };
  });
  // Paths only runs logged while the project was inferred have stay filterable (vocabularyOf), so they are listed too.
  const declared = new Set(paths.map((entry) => entry.path));
  for (const [path, entry] of Object.entries(inferred.paths))
    if (!declared.has(path))
      paths.push({
        ...NO_FACTS,
        path,
        type: entry.type,
        runs: entry.runs,
        min: entry.min ?? null,
        max: entry.max ?? null,
        categories: entry.categories ?? null,
      });
  return { kind: 'declared', version: current?.version.version ?? null, document: current?.version.document ?? null, paths };
}

/** The paths a filter may name in this project: the built-in vocabulary, the declared paths, or the learned ones. */
export async function vocabularyOf(store: Store, project: Project): Promise<Vocabulary | null> {
  if (project.schemaKind === 'builtin') return null;
  const types = new Map<string, OpenType>();
  if (project.schemaKind === 'declared') {
    const current = await currentDeclaredSchema(store, project.id);
    for (const entry of current?.schema.paths ?? []) types.set(entry.path, entry.type);
  }
  // Runs logged while the project was inferred stay filterable after it is declared.
  for (const [path, entry] of Object.entries(inferredStateOf(project).paths)) if (!types.has(path)) types.set(path, entry.type);
  const describe = (path: string): FieldDescription | undefined => {
    const canonical = canonicalOpenPath(path);
    if (canonical === undefined) return undefined;
    const parsed = parseOpenPath(canonical);
    const type = types.get(canonical) ?? (parsed.ok ? types.get(formatOpenPattern(parsed.segments)) : undefined);
    if (type === undefined || type === 'null') return undefined;
    return { type: type === 'integer' || type === 'float' ? 'number' : type };
  };
  return { describe };
}
