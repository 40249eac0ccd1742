import { isTerminalRunStatus, mlflowStore, runStore, type Project, type Run } from '@tuneboard/db';
import {
  formatOpenPath,
  inferParamText,
  inferSchemas,
  OPEN_LIMITS,
  type FlatOpenConfig,
  type InferredSchema,
  type OpenType,
  type TypedLeaf,
} from '@tuneboard/hparams';
import { invalid, notFound } from './errors';
import { judgeAgainstFindings } from './runs';
import { currentDeclaredSchema, inferredStateOf } from './hparam-schemas';
import type { Scope } from './scope';

/**
 * Params added to a run after it was created (MLflow logs them one by one, or in batches, while the run goes):
 * each arrives as text, is typed through the project's schema, merged into the run's config and flat params, and
 * learned into the project's inferred schema under the project lock. A param is immutable once logged: the same
 * text again is fine, another one is refused. The run is then judged against the team's findings again: a run
 * whose params contradict one is never refused (its script already runs) but carries the warning.
 */

/** The tag that carries what the findings and the schema say about a run's params (MLflow users see it in their UI). */
export const WARNINGS_TAG = 'tuneboard.warnings';

/**
 * The typed value of param text when the schema already knows the path's type: a string path keeps `"32"` a
 * string, a float path reads `"2"` as the float 2; text that does not fit the known type is read as if unknown
 * (and the schema then warns that the types differ).
 */
export function typeParamValue(text: string, known: OpenType | undefined): TypedLeaf {
  const inferred = inferParamText(text);
  if (known === undefined || known === 'null' || known === inferred.type) return inferred;
  if (known === 'string') return { type: 'string', value: text };
  if (known === 'float' && inferred.type === 'integer') return { type: 'float', value: inferred.value };
  return inferred;
}

/** The flat path of an MLflow param key: the key is one top-level key of the config (`batch_size`, `["optimizer.lr"]`). */
export const paramPath = (key: string) => formatOpenPath([key]);

export interface ParamWarning {
  code: 'FINDING_VIOLATED' | 'POLICY_OVERRIDDEN' | 'TYPE_CONTRADICTS' | 'PATHS_NOT_LEARNED';
  message: string;
  findingId: string | null;
}

/**
 * Appends params to a run of a declared or inferred project (the caller has checked write access). Returns the
 * run as it is now and the warnings the params brought (type contradictions, findings contradicted).
 */
export async function appendParams(ctx: Scope, run: Run, params: readonly { key: string; value: string }[]): Promise<{ run: Run; warnings: ParamWarning[] }> {
  if (params.length === 0) return { run, warnings: [] };
  const project = (await ctx.loaders.project.load(run.projectId)) as Project | null;
  if (!project) throw notFound('Run', run.id);
  if (project.schemaKind === 'builtin')
    throw invalid(
      `Experiment ${project.id} ("${project.name}") runs Tuneboard's built-in trainer schema; params logged from your own code need a project with an inferred or declared schema`,
      [{ path: 'experiment_id', message: 'the project schema is built-in' }],
    );
  for (const { key } of params) {
    const path = paramPath(key);
    if (path.length > OPEN_LIMITS.maxPathLength)
      throw invalid(`Param key "${key.slice(0, 60)}…" is longer than ${OPEN_LIMITS.maxPathLength} characters`, [{ path: 'params.key', message: 'too long' }]);
  }
  const declaredTypes = new Map<string, OpenType>();
  if (project.schemaKind === 'declared')
    for (const entry of (await currentDeclaredSchema(ctx.store, project.id))?.schema.paths ?? []) declaredTypes.set(entry.path, entry.type);
  let learnedWarnings: ParamWarning[] = [];
  const result = await mlflowStore.appendRunParams(ctx.store, project.id, run.id, (state) => {
    const inferred = inferredStateOf({ inferredSchema: state.inferredSchema as InferredSchema | null });
    const currentConfig = (state.run.config as Record<string, unknown> | null) ?? {};
    const currentTypes = (state.run.paramTypes as Record<string, unknown> | null) ?? {};
    const fresh: FlatOpenConfig = {};
    const recorded: { key: string; value: string }[] = [];
    const seen = new Map<string, string>();
    for (const { key, value } of params) {
      const before = state.logged.get(key) ?? seen.get(key);
      if (before !== undefined) {
        if (before !== value)
          throw invalid(
            `Changing param values is not allowed. Param with key='${key}' was already logged with value='${before}' for run ID='${run.id}'. Attempted logging new value '${value}'.`,
            [{ path: 'params', message: `param ${key} is already logged with another value` }],
          );
        continue;
      }
      seen.set(key, value);
      const path = paramPath(key);
      const known = declaredTypes.get(path) ?? (Object.hasOwn(inferred.paths, path) ? inferred.paths[path]!.type : undefined);
      const leaf = typeParamValue(value, known);
      // A run logged with Tuneboard's own SDK has its config already: a param is new only where the config has nothing.
      const existing = Object.hasOwn(currentConfig, key) ? currentConfig[key] : undefined;
      if (existing !== undefined) {
        if (existing === leaf.value && (currentTypes[path] === undefined || currentTypes[path] === leaf.type)) continue;
        throw invalid(
          typeof existing === 'object' && existing !== null
            ? `Param '${key}' would replace the section '${key}' of the run's config; log it under another key`
            : `Changing param values is not allowed. Param with key='${key}' is already ${JSON.stringify(existing)} in run ID='${run.id}'. Attempted logging new value '${value}'.`,
          [{ path: 'params', message: `param ${key} is already set` }],
        );
      }
      Object.defineProperty(fresh, path, { value: leaf, enumerable: true, writable: true, configurable: true });
      recorded.push({ key, value });
    }
    if (recorded.length === 0) return null;
    // Learn only the new paths, as one more look at a run the schema already counted.
    const learned = inferSchemas(inferred, [fresh]);
    learned.schema.runs = inferred.runs;
    learnedWarnings =
      project.schemaKind === 'inferred'
        ? learned.warnings[0]!.map((w) => ({
            code: w.path === '' ? ('PATHS_NOT_LEARNED' as const) : ('TYPE_CONTRADICTS' as const),
            message: w.message,
            findingId: null,
          }))
        : [];
    const config = { ...((state.run.config as Record<string, unknown> | null) ?? {}) };
    const flatParams = { ...((state.run.flatParams as Record<string, unknown> | null) ?? {}) };
    const paramTypes = { ...((state.run.paramTypes as Record<string, unknown> | null) ?? {}) };
    for (const { key } of recorded) {
      const path = paramPath(key);
      const leaf = fresh[path]!;
      for (const [target, name, value] of [
        [config, key, leaf.value],
        [flatParams, path, leaf.value],
        [paramTypes, path, leaf.type],
      ] as const)
        Object.defineProperty(target, name, { value, enumerable: true, writable: true, configurable: true });
    }
    return { config, flatParams, paramTypes, inferredSchema: learned.schema, params: recorded };
  });
  if (!result) throw notFound('Run', run.id);
  if (!result.changed) return { run: result.run, warnings: [] };
  ctx.loaders.run.clear(run.id);
  // Finished runs are the evidence of findings: their params changing may change a verdict.
  if (isTerminalRunStatus(result.run.status)) ctx.rechecks.projectChanged(project.id);
  return { run: result.run, warnings: await rejudge(ctx, result.run, learnedWarnings) };
}

/** Flat values a finding may test (null values are absent to a rule). */
function findingParams(run: Run): Record<string, number | string | boolean> {
  const params: Record<string, number | string | boolean> = {};
  for (const [path, value] of Object.entries((run.flatParams as Record<string, unknown> | null) ?? {}))
    if (typeof value === 'number' || typeof value === 'string' || typeof value === 'boolean')
      Object.defineProperty(params, path, { value, enumerable: true, writable: true, configurable: true });
  return params;
}

/**
 * Judges a run's params against the team's findings again. A run MLflow already started cannot be refused: a
 * contradicted finding (a policy too), like a param whose type contradicts the schema, becomes a line of the run's
 * `tuneboard.warnings` tag (MLflow's UI shows it), and a newly contradicted finding an annotation on the run page
 * recording the violation.
 */
export async function rejudge(ctx: Scope, run: Run, typeWarnings: readonly ParamWarning[] = []): Promise<ParamWarning[]> {
  const judged = await judgeAgainstFindings(ctx, run.projectId, { params: findingParams(run), name: run.name, tags: run.tags }, null, { dryRun: true });
  const findings: ParamWarning[] = judged.warnings.map((w) => ({ code: 'FINDING_VIOLATED', message: w.message, findingId: w.findingId }));
  if (findings.length === 0 && typeWarnings.length === 0) return [];
  const current = (await mlflowStore.runTagsOf(ctx.store, [run.id])).find((tag) => tag.key === WARNINGS_TAG)?.value;
  const lines = new Set(current ? current.split('\n') : []);
  const fresh = [...typeWarnings, ...findings].filter((w) => !lines.has(w.message));
  if (fresh.length > 0) {
    for (const w of fresh) lines.add(w.message);
    await mlflowStore.setRunTags(ctx.store, run.id, [{ key: WARNINGS_TAG, value: [...lines].join('\n').slice(0, MAX_WARNINGS_TAG) }]);
    const violated = fresh.filter((w) => w.findingId !== null);
    if (violated.length > 0)
      await runStore.addAnnotation(ctx.store, {
        runId: run.id,
        authorId: ctx.actor?.userId ?? null,
        body: `Logged through the MLflow API, this run's params contradict ${violated.length === 1 ? 'a finding' : `${violated.length} findings`} of the team (recorded, not refused):\n${violated.map((w) => w.message).join('\n')}`,
      });
  }
  return [...typeWarnings, ...findings];
}

/** MLflow's tag value limit. */
const MAX_WARNINGS_TAG = 8000;
