// Validation with messages a person can act on. Zod checks the structure; its
// issues are rewritten here so each names the field, the value and the rule.
// Checks that need several fields (shapes through the CNN, batch vs dataset)
// run only once the structure is valid.
import type { z } from 'zod';
import { DATASETS } from './datasets';
import { deriveFacts, stepsPerEpoch, totalSteps, traceLayers, type ShapeProblem } from './derived';
import { closestKey, describePath, suggestPath, variantOfKey } from './paths';
import { LIMITS, runConfigSchema, type ConvLayerConfig, type RunConfig } from './schema';

export interface ValidationIssue {
  /** Flat path of the field at fault (`model.convLayers[2].kernelSize`); `''` for the config as a whole. */
  path: string;
  message: string;
}

export type ValidationResult = { ok: true; config: RunConfig } | { ok: false; issues: ValidationIssue[] };

/** Every problem with `input`, or the config with its defaults applied (what gets stored). */
export function validateRunConfig(input: unknown): ValidationResult {
  const parsed = runConfigSchema.safeParse(input);
  if (!parsed.success) {
    return { ok: false, issues: firstPerPath(parsed.error.issues.flatMap((issue) => describeIssue(issue, input))) };
  }
  const issues = crossFieldIssues(parsed.data);
  return issues.length > 0 ? { ok: false, issues } : { ok: true, config: parsed.data };
}

/** What a discriminator chooses, for "… is not a known model kind". */
const CHOICE_NOUNS: Record<string, string> = {
  'dataset.name': 'dataset',
  'model.kind': 'model kind',
  'optimizer.name': 'optimizer',
  'schedule.kind': 'schedule kind',
};

function describeIssue(issue: z.core.$ZodIssue, input: unknown): ValidationIssue[] {
  const path = formatPath(issue.path);
  const label = path === '' ? 'The run config' : path;
  const value = valueAt(input, issue.path);
  const got = `got ${show(value)}`;
  switch (issue.code) {
    case 'invalid_type':
      if (value === undefined) return [{ path, message: `${label} is required${oneOf(path)}` }];
      return [{ path, message: `${label} must be ${expectedKind(issue.expected, path, value)}, ${got}` }];
    case 'too_small':
      if (issue.origin === 'array') {
        const count = Array.isArray(value) ? value.length : 0;
        return [
          {
            path,
            message: `${label} needs at least ${issue.minimum} ${plural(Number(issue.minimum), 'entry', 'entries')}, ${count === 0 ? 'got none' : `got ${count}`}`,
          },
        ];
      }
      return [{ path, message: `${label} must be ${issue.inclusive ? 'at least' : 'greater than'} ${issue.minimum}, ${got}` }];
    case 'too_big':
      if (issue.origin === 'array') {
        const count = Array.isArray(value) ? value.length : 0;
        return [{ path, message: `${label} allows at most ${issue.maximum} ${plural(Number(issue.maximum), 'entry', 'entries')}, got ${count}` }];
      }
      return [{ path, message: `${label} must be ${issue.inclusive ? 'at most' : 'less than'} ${issue.maximum}, ${got}` }];
    case 'invalid_value':
    case 'invalid_union': {
      const allowed = 'values' in issue ? issue.values : 'options' in issue ? issue.options : undefined;
      if (!allowed) break;
      if (value === undefined) return [{ path, message: `${label} is required${oneOf(path, allowed)}` }];
      const noun = CHOICE_NOUNS[path];
      const known = allowed.map(String).join(', ');
      const message = noun ? `${label} ${show(value)} is not a known ${noun}; known: ${known}` : `${label} ${show(value)} is not allowed; use one of: ${known}`;
      return [{ path, message }];
    }
    case 'unrecognized_keys':
      return issue.keys.map((key) => unknownKeyIssue(path, key, input));
  }
  return [{ path, message: `${label}: ${issue.message}` }];
}

function unknownKeyIssue(objectPath: string, key: string, input: unknown): ValidationIssue {
  const path = joinPath(objectPath, key);
  const variant = variantOfKey(objectPath, key);
  if (variant) {
    const chosen = valueAt(input, variant.path.split('.'));
    return { path, message: `${path} only applies when ${variant.path} is ${variant.values.join(' or ')}, not ${show(chosen)}` };
  }
  const sibling = closestKey(key, objectPath, input);
  const suggestion = sibling ? joinPath(objectPath, sibling) : settingElsewhere(path, objectPath);
  const hint = suggestion ? `did you mean ${suggestion}?` : 'remove it or check the spelling';
  return { path, message: `${path} is not a known setting; ${hint}` };
}

/** A setting written in the wrong section (`learningRate` at the top level belongs in `optimizer`). */
function settingElsewhere(path: string, objectPath: string): string | undefined {
  const suggestion = suggestPath(path);
  if (!suggestion || suggestion.includes('[]') || describePath(suggestion)?.derived) return undefined;
  // Same section means a key of another variant (beta1 for sgd): not a place to move it to.
  const section = suggestion.slice(0, Math.max(0, suggestion.lastIndexOf('.')));
  return section === objectPath ? undefined : suggestion;
}

function joinPath(objectPath: string, key: string): string {
  return objectPath === '' ? key : `${objectPath}.${key}`;
}

function expectedKind(expected: string, path: string, value: unknown): string {
  switch (expected) {
    case 'int':
      return 'a whole number';
    case 'number':
      if (typeof value === 'number') return 'a finite number'; // NaN or ±Infinity
      return describePath(path)?.integer ? 'a whole number' : 'a number';
    case 'boolean':
      return 'true or false';
    case 'array':
      return 'a list';
    case 'object':
      return 'an object';
    case 'string':
      return `a string${oneOf(path)}`;
    default:
      return `a ${expected}`;
  }
}

function oneOf(path: string, values: readonly unknown[] | undefined = describePath(path)?.values): string {
  return values && values.length > 0 ? ` (one of: ${values.map(String).join(', ')})` : '';
}

function crossFieldIssues(config: RunConfig): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const { dataset } = config;
  const info = DATASETS[dataset.name];

  if (dataset.trainSize + dataset.testSize > info.available) {
    issues.push({
      path: 'dataset.trainSize',
      message: `dataset.trainSize ${dataset.trainSize} + dataset.testSize ${dataset.testSize} = ${dataset.trainSize + dataset.testSize} is more than the ${count(info.available)} samples ${dataset.name} has`,
    });
  }
  if (config.batchSize > dataset.trainSize) {
    issues.push({
      path: 'batchSize',
      message: `batchSize ${config.batchSize} is larger than dataset.trainSize ${dataset.trainSize}`,
    });
  }

  const trace = traceLayers(config);
  if (!trace.ok) {
    issues.push(shapeIssue(trace.problem, config));
  } else {
    const { parameterCount } = deriveFacts(config);
    if (parameterCount > LIMITS.maxParams) {
      issues.push({
        path: 'model',
        message: `model has ${count(parameterCount)} parameters, more than the limit of ${count(LIMITS.maxParams)}`,
      });
    }
  }

  issues.push(...scheduleIssues(config));
  const rangeTest = config.lrRangeTest;
  if (rangeTest && rangeTest.endLearningRate <= rangeTest.startLearningRate) {
    issues.push({
      path: 'lrRangeTest.endLearningRate',
      message: `lrRangeTest.endLearningRate ${rangeTest.endLearningRate} must be above lrRangeTest.startLearningRate ${rangeTest.startLearningRate}: the range test raises the learning rate`,
    });
  }
  return issues;
}

function shapeIssue(problem: ShapeProblem, config: RunConfig): ValidationIssue {
  if (problem.kind === 'notAnImage') {
    return {
      path: problem.path,
      message: `model.kind cnn needs image input (height × width × channels), but ${config.dataset.name} samples have shape [${problem.inputShape.join(', ')}]; use mlp`,
    };
  }
  const [height, width] = problem.input;
  const layers = config.model.kind === 'cnn' ? config.model.convLayers : [];
  // What shrank the input: the previous layer for a kernel, this layer's convolution for a pool.
  const shrinkingLayer = problem.window === 'kernel' ? problem.layer - 1 : problem.layer;
  const shrinkingConv = layers[shrinkingLayer];
  const steps = shrinkingConv ? shrinkSteps(shrinkingConv, problem.window === 'kernel') : [];
  const cause = shrinkingLayer < 0 ? ` (${config.dataset.name} images)` : steps.length > 0 ? ` (after ${listOf(steps)} in layer ${shrinkingLayer})` : '';
  return {
    path: problem.path,
    message: `${problem.path} ${problem.value} is larger than its ${height}×${width} input${cause}`,
  };
}

/** The operations of one conv layer that make its output smaller than its input. */
function shrinkSteps(layer: ConvLayerConfig, withPool: boolean): string[] {
  const steps: string[] = [];
  if (layer.padding === 'valid' && layer.kernelSize > 1) steps.push(`kernel ${layer.kernelSize} with valid padding`);
  if (layer.stride > 1) steps.push(`stride ${layer.stride}`);
  if (withPool && layer.pool) {
    const poolStride = layer.pool.stride === layer.pool.size ? '' : ` stride ${layer.pool.stride}`;
    steps.push(`${layer.pool.kind} pooling ${layer.pool.size}${poolStride}`);
  }
  return steps;
}

function scheduleIssues(config: RunConfig): ValidationIssue[] {
  const { schedule, optimizer } = config;
  const issues: ValidationIssue[] = [];
  if (schedule.kind === 'warmupCosine' && schedule.warmupSteps > totalSteps(config)) {
    issues.push({
      path: 'schedule.warmupSteps',
      message: `schedule.warmupSteps ${schedule.warmupSteps} is longer than the whole run (${totalSteps(config)} steps: ${config.epochs} epochs × ${stepsPerEpoch(config)} steps per epoch)`,
    });
  }
  if ((schedule.kind === 'cosine' || schedule.kind === 'warmupCosine') && schedule.minLearningRate > optimizer.learningRate) {
    issues.push({
      path: 'schedule.minLearningRate',
      message: `schedule.minLearningRate ${schedule.minLearningRate} is above optimizer.learningRate ${optimizer.learningRate}, so the learning rate would rise instead of decay`,
    });
  }
  return issues;
}

/** Zod may report one field twice (e.g. not a safe integer and above the maximum): keep the first. */
function firstPerPath(issues: ValidationIssue[]): ValidationIssue[] {
  const seen = new Set<string>();
  return issues.filter((issue) => !seen.has(issue.path) && seen.add(issue.path));
}

/** ['model', 'convLayers', 2, 'kernelSize'] → 'model.convLayers[2].kernelSize' */
function formatPath(segments: readonly PropertyKey[]): string {
  return segments.map((segment, i) => (typeof segment === 'number' ? `[${segment}]` : i === 0 ? String(segment) : `.${String(segment)}`)).join('');
}

function valueAt(input: unknown, segments: readonly PropertyKey[]): unknown {
  let value = input;
  for (const segment of segments) {
    if (typeof value !== 'object' || value === null || !Object.hasOwn(value, segment)) return undefined;
    value = (value as Record<PropertyKey, unknown>)[segment];
  }
  return value;
}

function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'an object';
  return String(value);
}

function count(n: number): string {
  return n.toLocaleString('en-US');
}

/** ['a', 'b', 'c'] → 'a, b and c' */
function listOf(items: readonly string[]): string {
  return items.length <= 1 ? items.join('') : `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`;
}

function plural(n: number, one: string, many: string): string {
  return n === 1 ? one : many;
}
