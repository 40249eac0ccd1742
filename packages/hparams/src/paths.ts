// The flat names of hyperparameters (`optimizer.learningRate`,
// `model.convLayers[0].kernelSize`) used by filters, comparisons and findings.
// The vocabulary is read from the zod schema, so a field added there is known
// here without a second list to keep in step.
import { z } from 'zod';
import { closestMatch } from './closest';
import { deriveFacts } from './derived';
import { pathLookup, toPattern } from './path-lookup';
import { runConfigSchema, type RunConfig } from './schema';

export type HparamPathType = 'number' | 'string' | 'boolean';
export type HparamValue = number | string | boolean;

export interface HparamPathInfo {
  type: HparamPathType;
  description: string;
  /** The allowed values of an enum. */
  values?: readonly string[];
  /** Computed from the config (params, flopsPerSample, model.depth, model.width), not set by the user. */
  derived?: boolean;
  /** A number that is always whole. */
  integer?: boolean;
}

interface VocabularyEntry extends HparamPathInfo {
  /** Only present while the discriminator at `path` has one of `values` (e.g. optimizer.beta1 for adam). */
  variant?: { path: string; values: string[] };
}

const DERIVED_PATHS: Record<string, HparamPathInfo> = {
  params: { type: 'number', integer: true, derived: true, description: 'Trainable parameters of the model' },
  flopsPerSample: {
    type: 'number',
    integer: true,
    derived: true,
    description: 'Approximate forward-pass FLOPs per sample (2 × multiply-adds of conv and dense layers)',
  },
  'model.depth': {
    type: 'number',
    integer: true,
    derived: true,
    description: 'Hidden dense layers of an MLP, or convolution layers of a CNN',
  },
  'model.width': {
    type: 'number',
    integer: true,
    derived: true,
    description: 'Units of the widest hidden layer of an MLP, or filters of the widest convolution of a CNN',
  },
};

const vocabulary: ReadonlyMap<string, VocabularyEntry> = buildVocabulary();

/** Every path pattern, array indices written `[]` (e.g. `model.convLayers[].kernelSize`), for autocomplete. */
export function knownPaths(): string[] {
  return [...vocabulary.keys()];
}

const lookup = pathLookup(vocabulary);

/** What a path means, for any index (`model.convLayers[7].stride`); undefined for an unknown path. */
export function describePath(path: string): HparamPathInfo | undefined {
  const entry = lookup.describe(path);
  if (!entry) return undefined;
  const { variant: _variant, ...info } = entry;
  return info;
}

/** The known path nearest to a mistyped one (see `PathLookup.suggest`). */
export const suggestPath = (unknown: string): string | undefined => lookup.suggest(unknown);

/**
 * Every leaf of the config as a flat path, plus the derived scalars. Absent
 * optional fields (a conv layer without `pool`) are absent from the map.
 */
/**
 * One value of a flattened configuration (`flattenConfig`) by path, or undefined when it has no such path.
 * Own keys only: "__proto__", "constructor" and the like are not hyperparameters.
 */
export function paramAt(flat: Readonly<Record<string, unknown>>, path: string): unknown {
  return Object.hasOwn(flat, path) ? flat[path] : undefined;
}

export function flattenConfig(config: RunConfig): Record<string, HparamValue> {
  const flat: Record<string, HparamValue> = {};
  collectLeaves(config, '', flat);
  const facts = deriveFacts(config);
  flat.params = facts.parameterCount;
  flat.flopsPerSample = facts.flopsPerSample;
  const widths = config.model.kind === 'mlp' ? config.model.hiddenLayers : config.model.convLayers.map((layer) => layer.filters);
  flat['model.depth'] = widths.length;
  flat['model.width'] = Math.max(0, ...widths);
  return flat;
}

/**
 * The keys a config object may hold at `objectPath` (`''` for the root,
 * `model.convLayers[1]`), given the input's discriminators: the keys of the
 * chosen optimizer, not of every optimizer. For "did you mean" on unknown keys.
 */
export function allowedKeys(objectPath: string, input: unknown): string[] {
  const prefix = objectPath === '' ? '' : `${toPattern(objectPath)}.`;
  const keys = new Set<string>();
  for (const [pattern, entry] of vocabulary) {
    if (entry.derived || !pattern.startsWith(prefix)) continue;
    if (entry.variant && !matchesVariant(entry.variant, input)) continue;
    const key = /^[^.[]+/.exec(pattern.slice(prefix.length))?.[0];
    if (key) keys.add(key);
  }
  return [...keys];
}

/**
 * For a key that belongs to another variant (`convLayers` in an MLP): the
 * discriminator that would allow it, e.g. `{ path: 'model.kind', values: ['cnn'] }`.
 */
export function variantOfKey(objectPath: string, key: string): { path: string; values: readonly string[] } | undefined {
  const prefix = objectPath === '' ? key : `${toPattern(objectPath)}.${key}`;
  for (const [pattern, entry] of vocabulary) {
    if (entry.variant && (pattern === prefix || pattern.startsWith(`${prefix}.`) || pattern.startsWith(`${prefix}[`))) {
      return entry.variant;
    }
  }
  return undefined;
}

export function closestKey(key: string, objectPath: string, input: unknown): string | undefined {
  return closestMatch(key, allowedKeys(objectPath, input));
}

/** An input whose discriminator is missing or unknown gets every option's keys. */
function matchesVariant(variant: NonNullable<VocabularyEntry['variant']>, input: unknown): boolean {
  const tag = valueAt(input, variant.path);
  return typeof tag !== 'string' || !vocabulary.get(variant.path)?.values?.includes(tag) || variant.values.includes(tag);
}

function valueAt(input: unknown, path: string): unknown {
  let value = input;
  for (const key of path.split('.')) {
    value = typeof value === 'object' && value !== null && Object.hasOwn(value, key) ? (value as Record<string, unknown>)[key] : undefined;
  }
  return value;
}

function collectLeaves(value: unknown, path: string, flat: Record<string, HparamValue>): void {
  if (typeof value === 'number' || typeof value === 'string' || typeof value === 'boolean') {
    flat[path] = value;
  } else if (Array.isArray(value)) {
    value.forEach((item, i) => collectLeaves(item, `${path}[${i}]`, flat));
  } else if (typeof value === 'object' && value !== null) {
    for (const [key, child] of Object.entries(value)) {
      collectLeaves(child, path === '' ? key : `${path}.${key}`, flat);
    }
  }
}

function buildVocabulary(): Map<string, VocabularyEntry> {
  const entries = new Map<string, VocabularyEntry>();
  const optionCounts = new Map<string, number>();
  walkSchema(runConfigSchema, '', undefined, undefined, entries, optionCounts);
  for (const entry of entries.values()) {
    const variant = entry.variant;
    if (!variant) continue;
    // A field every option has (optimizer.learningRate) belongs to no single variant.
    if (variant.values.length >= (optionCounts.get(variant.path) ?? 0)) {
      delete entry.variant;
    } else {
      entry.description += ` (only when ${variant.path} is ${variant.values.join(' or ')})`;
    }
  }
  for (const [path, info] of Object.entries(DERIVED_PATHS)) entries.set(path, { ...info });
  return entries;
}

function walkSchema(
  schema: z.ZodType,
  path: string,
  description: string | undefined,
  variant: VocabularyEntry['variant'],
  entries: Map<string, VocabularyEntry>,
  optionCounts: Map<string, number>,
): void {
  // Wrappers carry the description (`.default(0).describe(…)`), so the outermost one wins.
  description = description ?? schema.description;
  const child = (inner: z.ZodType, childPath: string, childVariant = variant) => walkSchema(inner, childPath, undefined, childVariant, entries, optionCounts);

  if (schema instanceof z.ZodOptional || schema instanceof z.ZodDefault) {
    walkSchema(schema.unwrap() as z.ZodType, path, description, variant, entries, optionCounts);
  } else if (schema instanceof z.ZodPipe) {
    walkSchema(schema.in as z.ZodType, path, description, variant, entries, optionCounts);
  } else if (schema instanceof z.ZodDiscriminatedUnion) {
    const discriminator: string = schema.def.discriminator;
    const discriminatorPath = join(path, discriminator);
    const options = schema.options as z.ZodObject[];
    optionCounts.set(discriminatorPath, options.length);
    for (const option of options) {
      const tag = option.shape[discriminator];
      const values = tag instanceof z.ZodLiteral ? [...tag.values].map(String) : [];
      for (const [key, field] of Object.entries(option.shape)) {
        const fieldVariant = key === discriminator ? undefined : { path: discriminatorPath, values };
        child(field as z.ZodType, join(path, key), fieldVariant);
      }
    }
  } else if (schema instanceof z.ZodObject) {
    for (const [key, field] of Object.entries(schema.shape)) child(field as z.ZodType, join(path, key));
  } else if (schema instanceof z.ZodArray) {
    walkSchema(schema.element as z.ZodType, `${path}[]`, description, variant, entries, optionCounts);
  } else {
    addLeaf(entries, path, leafInfo(schema, description ?? path), variant);
  }
}

function leafInfo(schema: z.ZodType, description: string): HparamPathInfo {
  if (schema instanceof z.ZodEnum) return { type: 'string', description, values: schema.options.map(String) };
  if (schema instanceof z.ZodLiteral) return { type: 'string', description, values: [...schema.values].map(String) };
  if (schema instanceof z.ZodBoolean) return { type: 'boolean', description };
  if (schema instanceof z.ZodNumber) {
    return schema.isInt ? { type: 'number', description, integer: true } : { type: 'number', description };
  }
  if (schema instanceof z.ZodString) return { type: 'string', description };
  throw new Error(`paths.ts does not know how to describe a ${schema.def.type} field`);
}

/** The same path in several union options merges: enum values and variant values add up. */
function addLeaf(entries: Map<string, VocabularyEntry>, path: string, info: HparamPathInfo, variant: VocabularyEntry['variant']): void {
  const existing = entries.get(path);
  if (!existing) {
    entries.set(path, { ...info, ...(variant ? { variant: { ...variant, values: [...variant.values] } } : {}) });
    return;
  }
  if (info.values) existing.values = [...new Set([...(existing.values ?? []), ...info.values])];
  if (existing.variant && variant) {
    existing.variant.values = [...new Set([...existing.variant.values, ...variant.values])];
  }
}

function join(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}
