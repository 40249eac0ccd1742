// The submit form's state is the run configuration itself (JSON, as the API takes it), edited by path.
// Validation is packages/hparams' own validateRunConfig, so the form shows exactly the API's messages.
import { runConfigSchema, type ValidationIssue } from '@tuneboard/hparams';

export type ConfigDraft = Record<string, unknown>;
type PathKey = string | number;

/** A new project's first run: a small MLP on MNIST (real data, a few seconds per epoch on a CPU). */
export const INITIAL_CONFIG: ConfigDraft = {
  dataset: { name: 'mnist', trainSize: 2000, testSize: 500 },
  model: { kind: 'mlp', hiddenLayers: [32, 32], activation: 'relu', dropout: 0 },
  optimizer: { name: 'adam', learningRate: 0.01 },
  schedule: { kind: 'constant' },
  batchSize: 32,
  epochs: 5,
  seed: 0,
};

/** `model.convLayers[2].pool.size` → ['model', 'convLayers', 2, 'pool', 'size'] */
export function pathKeys(path: string): PathKey[] {
  return [...path.matchAll(/([^.[\]]+)|\[(\d+)\]/g)].map((match) => (match[2] !== undefined ? Number(match[2]) : match[1]!));
}

export function getAt(config: unknown, path: string): unknown {
  let value = config;
  for (const key of pathKeys(path)) {
    if (typeof value !== 'object' || value === null) return undefined;
    value = (value as Record<PathKey, unknown>)[key];
  }
  return value;
}

/** A copy with the value at path replaced; undefined removes an object key (the schema's default applies). */
export function setAt<T>(config: T, path: string, value: unknown): T {
  return setKeys(config, pathKeys(path), value) as T;
}

function setKeys(node: unknown, keys: PathKey[], value: unknown): unknown {
  const [key, ...rest] = keys;
  if (key === undefined) return value;
  if (typeof key === 'number') {
    const array = Array.isArray(node) ? [...node] : [];
    array[key] = setKeys(array[key], rest, value);
    return array;
  }
  const object = typeof node === 'object' && node !== null && !Array.isArray(node) ? { ...(node as Record<string, unknown>) } : {};
  const child = setKeys(object[key], rest, value);
  if (child === undefined) delete object[key];
  else object[key] = child;
  return object;
}

/**
 * What a number field holds for the text typed: a number when it reads as one, nothing when empty (the
 * default applies), otherwise the text itself so validation says "must be a number, got …".
 */
export function numberFromInput(text: string): number | string | undefined {
  const trimmed = text.trim();
  if (trimmed === '') return undefined;
  const value = Number(trimmed);
  return Number.isFinite(value) ? value : text;
}

export function inputFromValue(value: unknown): string {
  return value === undefined || value === null ? '' : String(value);
}

export function issuesByPath(issues: readonly ValidationIssue[]): Map<string, string[]> {
  const byPath = new Map<string, string[]>();
  for (const issue of issues) byPath.set(issue.path, [...(byPath.get(issue.path) ?? []), issue.message]);
  return byPath;
}

/** The API reports hyperparameter problems under `hparams.`; the form's paths start at the config. */
export function issuesFromApiProblems(problems: readonly { path: string; message: string }[]): ValidationIssue[] {
  return problems.map((problem) => ({ path: problem.path.replace(/^hparams\.?/, ''), message: problem.message }));
}

type OptimizerVariant = (typeof runConfigSchema.shape.optimizer.options)[number];
type ScheduleVariant = (typeof scheduleVariants)[number];
const scheduleVariants = runConfigSchema.shape.schedule.unwrap().options;

export const OPTIMIZER_NAMES = runConfigSchema.shape.optimizer.options.map((o: OptimizerVariant) => o.shape.name.value);
export const SCHEDULE_KINDS = scheduleVariants.map((o: ScheduleVariant) => o.shape.kind.value);

/** The settings the chosen optimizer takes (learningRate, beta1, …), read from the schema. */
export function optimizerSettingKeys(name: unknown): string[] {
  const variant = runConfigSchema.shape.optimizer.options.find((o: OptimizerVariant) => o.shape.name.value === name);
  return variant ? Object.keys(variant.shape).filter((key) => key !== 'name') : ['learningRate'];
}

export function scheduleSettingKeys(kind: unknown): string[] {
  const variant = scheduleVariants.find((o: ScheduleVariant) => o.shape.kind.value === kind);
  return variant ? Object.keys(variant.shape).filter((key) => key !== 'kind') : [];
}

/** Switching optimizer keeps the settings the new one shares (learning rate, weight decay), drops the rest. */
export function withOptimizer(config: ConfigDraft, name: string): ConfigDraft {
  const previous = (getAt(config, 'optimizer') ?? {}) as Record<string, unknown>;
  const next: Record<string, unknown> = { name };
  for (const key of optimizerSettingKeys(name)) if (key in previous) next[key] = previous[key];
  return { ...config, optimizer: next };
}

/** Required settings of each schedule get a starting value; the rest fall back to the schema's defaults. */
const SCHEDULE_STARTING_VALUES: Record<string, Record<string, unknown>> = {
  step: { stepSize: 100, gamma: 0.5 },
  exponential: { gamma: 0.999 },
  warmupCosine: { warmupSteps: 50 },
};

export function withSchedule(config: ConfigDraft, kind: string): ConfigDraft {
  return { ...config, schedule: { kind, ...SCHEDULE_STARTING_VALUES[kind] } };
}

/** Switching model kind starts the other layer editor from a small working model; activation and dropout carry over. */
export function withModelKind(config: ConfigDraft, kind: 'mlp' | 'cnn'): ConfigDraft {
  const previous = (getAt(config, 'model') ?? {}) as Record<string, unknown>;
  const shared = { activation: previous.activation ?? 'relu', dropout: previous.dropout ?? 0 };
  const model =
    kind === 'mlp'
      ? { kind, hiddenLayers: [64], ...shared }
      : { kind, convLayers: [{ filters: 8, kernelSize: 3, pool: { kind: 'max', size: 2 } }], dense: [], ...shared };
  // A CNN needs images: move from spirals to MNIST rather than show an error for a choice just made.
  const dataset = (getAt(config, 'dataset') ?? {}) as Record<string, unknown>;
  const nextDataset = kind === 'cnn' && dataset.name === 'spirals' ? { ...dataset, name: 'mnist', trainSize: 2000, testSize: 500 } : dataset;
  return { ...config, model, dataset: nextDataset };
}

export function parseTags(text: string): string[] {
  return [
    ...new Set(
      text
        .split(/[,\s]+/)
        .map((tag) => tag.trim())
        .filter(Boolean),
    ),
  ];
}
