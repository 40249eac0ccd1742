// Declared schemas: a team's hyperparameter space as a JSON Schema (draft
// 2020-12, what Pydantic v2 and current editors write). Ajv checks the document
// and validates configs; this module refuses the parts of JSON Schema that have
// no fixed, typed paths, lists the typed paths, and words Ajv's errors like the
// built-in schema's (`optimizer.lr must be at most 0.1, got 0.5`).
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import { closestMatch } from '../closest';
import { count, describeValue, flattenOpenConfig, OPEN_LIMITS } from './flatten';
import { formatOpenPath, formatOpenPattern, parseOpenPath, setOwn, type PathSegment } from './path-syntax';
import { plainOf } from './typed-json';
import type { FlatOpenConfig, OpenIssue, OpenType, TypedLeaf } from './types';

export const DRAFT_2020_12 = 'https://json-schema.org/draft/2020-12/schema';

/** One typed hyperparameter of a declared schema. */
export interface DeclaredPath {
  /** List indices written `[]`: `model.layers[].heads` stands for every layer. */
  path: string;
  type: OpenType;
  /** null is allowed as well (`type: ["integer", "null"]`, or Pydantic's `anyOf` with `{ type: "null" }`). */
  nullable?: boolean;
  /** Required here and in every object above it. */
  required: boolean;
  /** From `enum` or `const`. */
  values?: readonly (string | number | boolean | null)[];
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  default?: unknown;
  description?: string;
  /** `x-unit`, e.g. "tokens" or "s". */
  unit?: string;
  /** `x-scale`: how charts draw the axis. */
  scale?: 'log' | 'linear';
}

export type DeclaredValidation = { ok: true; config: unknown; flat: FlatOpenConfig } | { ok: false; issues: OpenIssue[] };

export interface DeclaredSchema {
  document: Record<string, unknown>;
  paths: DeclaredPath[];
  /**
   * Every problem of a config (its text parsed with `parseConfigText`, or plain JS), or the config with the
   * schema's defaults applied and its flat paths typed by the schema (a declared integer written `2.0` is integer 2).
   */
  validate(config: unknown): DeclaredValidation;
}

export type CompileResult = { ok: true; schema: DeclaredSchema } | { ok: false; issues: OpenIssue[] };

// One instance for every schema: `addUsedSchema: false` keeps documents (and their `$id`s) out of its registry.
// Formats are annotations here: Ajv without ajv-formats would only warn about them. Made on first use, so that
// importing @tuneboard/hparams does not pay for it.
let sharedAjv: Ajv2020 | undefined;
function getAjv(): Ajv2020 {
  sharedAjv ??= new Ajv2020({ allErrors: true, useDefaults: true, strict: false, verbose: true, addUsedSchema: false, validateFormats: false });
  return sharedAjv;
}

/** Keywords Tuneboard reads or that only annotate. */
const KNOWN_KEYWORDS: ReadonlySet<string> = new Set([
  '$schema',
  '$id',
  '$defs',
  'definitions',
  '$ref',
  '$comment',
  'title',
  'description',
  'default',
  'examples',
  'deprecated',
  'readOnly',
  'writeOnly',
  'format',
  'type',
  'enum',
  'const',
  'properties',
  'required',
  'additionalProperties',
  'items',
  'minItems',
  'maxItems',
  'uniqueItems',
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'exclusiveMaximum',
  'multipleOf',
  'minLength',
  'maxLength',
  'pattern',
  'anyOf',
  'oneOf',
  'allOf',
  'minProperties',
  'maxProperties',
  'contentMediaType',
  'contentEncoding',
]);

/** Valid JSON Schema whose configs have no fixed, typed paths — and what to write instead. */
const UNFLATTENABLE: Record<string, string> = {
  patternProperties: 'keys matched by a pattern have no fixed paths; list each key under properties',
  propertyNames: 'keys constrained by a schema have no fixed paths; list each key under properties',
  dependentSchemas: 'a schema that changes with other keys has no fixed paths; list every key under properties',
  dependentRequired: 'requirements that change with other keys are not supported; use required',
  unevaluatedProperties: 'use additionalProperties: false instead',
  unevaluatedItems: 'describe the list with items',
  prefixItems: 'lists whose entries have different types are not supported; use items with one schema for every entry',
  contains: 'describe every entry of the list with items',
  minContains: 'describe every entry of the list with items',
  maxContains: 'describe every entry of the list with items',
  if: 'conditional schemas (if/then/else) give a path different types; use one type per path',
  then: 'conditional schemas (if/then/else) give a path different types; use one type per path',
  else: 'conditional schemas (if/then/else) give a path different types; use one type per path',
  not: '"not" does not say what a path is; give its type',
  $dynamicRef: 'dynamic references are not supported; use $ref to #/$defs/…',
  $dynamicAnchor: 'dynamic references are not supported; use $ref to #/$defs/…',
  $anchor: 'use $ref to #/$defs/… instead of anchors',
  $recursiveRef: 'recursive schemas have no fixed paths',
  dependencies: 'use required, and list every key under properties',
};

const SCALES = ['log', 'linear'] as const;

/** Checks a JSON Schema document and, when Tuneboard can flatten it, compiles it. Every problem is reported at once. */
export function compileDeclaredSchema(doc: unknown): CompileResult {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    return {
      ok: false,
      issues: [{ path: '', message: `The schema must be a JSON Schema object such as {"type": "object", "properties": {…}}, got ${describeValue(doc)}` }],
    };
  }
  const document = doc as Record<string, unknown>;
  const declared = document.$schema;
  if (declared !== undefined && !(typeof declared === 'string' && /^https?:\/\/json-schema\.org\/draft\/2020-12\/schema#?$/.test(declared))) {
    return {
      ok: false,
      issues: [
        {
          path: '$schema',
          message: `$schema ${describeValue(declared)} is not supported; Tuneboard reads JSON Schema draft 2020-12 (${DRAFT_2020_12}), or leave $schema out`,
        },
      ],
    };
  }
  const ajv = getAjv();
  if (!ajv.validateSchema(document)) {
    return { ok: false, issues: firstPerPath((ajv.errors ?? []).map((error) => metaIssue(error, document))) };
  }
  const walker = new SchemaWalker(document);
  walker.walk(document, [], [], true, new Set());
  if (walker.issues.length > 0) {
    // A definition used in several places is walked (and reported) once per use.
    const seen = new Set<string>();
    return { ok: false, issues: walker.issues.filter((issue) => !seen.has(issue.message) && seen.add(issue.message)) };
  }

  let validateFn: ValidateFunction;
  try {
    validateFn = ajv.compile(document);
  } catch (error) {
    return { ok: false, issues: [{ path: '', message: `The schema cannot be compiled: ${(error as Error).message}` }] };
  } finally {
    ajv.removeSchema(document);
  }
  const paths = walker.paths;
  const byPattern = new Map(paths.map((entry) => [entry.path, entry]));
  return {
    ok: true,
    schema: { document, paths, validate: (config) => validateConfig(validateFn, byPattern, config) },
  };
}

function validateConfig(validateFn: ValidateFunction, byPattern: Map<string, DeclaredPath>, config: unknown): DeclaredValidation {
  const typed = flattenOpenConfig(config);
  const plain = plainOf(config); // a copy, so defaults are not written into the caller's object
  const issues: OpenIssue[] = typed.ok ? [] : [...typed.issues];
  if (!validateFn(plain)) {
    issues.push(...(validateFn.errors ?? []).flatMap((error) => configIssue(error, plain, config)));
  }
  if (issues.length > 0) return { ok: false, issues: firstPerPath(issues) };
  const withDefaults = flattenOpenConfig(plain);
  if (!typed.ok) return { ok: false, issues: typed.issues }; // not reached: its issues were returned above
  if (!withDefaults.ok) return { ok: false, issues: withDefaults.issues }; // defaults pushed it past a limit
  const flat: FlatOpenConfig = {};
  const inexact: OpenIssue[] = [];
  for (const [path, leaf] of Object.entries(withDefaults.flat)) {
    // Keys the config wrote keep how their numbers were written; defaults come from the schema.
    const written = Object.hasOwn(typed.flat, path) ? typed.flat[path]! : leaf;
    const parsed = parseOpenPath(path);
    const declared = parsed.ok ? byPattern.get(formatOpenPattern(parsed.segments)) : undefined;
    if (declared && written.type !== declared.type && (written.type === 'integer' || written.type === 'float')) {
      if (declared.type === 'float') setOwn<TypedLeaf>(flat, path, { type: 'float', value: written.value });
      else if (declared.type === 'integer' && !Number.isSafeInteger(written.value)) {
        // Ajv calls 1e20 an integer, but it is not an exact one.
        inexact.push({ path, message: `${path} must be a whole number between ±${Number.MAX_SAFE_INTEGER}, got ${written.value}` });
      } else if (declared.type === 'integer') setOwn<TypedLeaf>(flat, path, { type: 'integer', value: written.value });
      else setOwn<TypedLeaf>(flat, path, written);
    } else {
      setOwn<TypedLeaf>(flat, path, written);
    }
  }
  return inexact.length > 0 ? { ok: false, issues: inexact } : { ok: true, config: plain, flat };
}

class SchemaWalker {
  readonly issues: OpenIssue[] = [];
  readonly paths: DeclaredPath[] = [];

  constructor(private readonly document: Record<string, unknown>) {}

  /**
   * `at` is where `node` is in the schema document, `config` the hyperparameter path it describes.
   * `refs` holds the references being followed, to refuse recursion.
   */
  walk(node: unknown, at: PathSegment[], config: PathSegment[], required: boolean, refs: Set<string>, nullable = false): void {
    if (typeof node === 'boolean') {
      if (node) this.problem(at, config, 'true allows any value, so the path has no type; give it a type');
      return; // false: the key is forbidden, so it has no path
    }
    const schema = node as Record<string, unknown>;
    let ok = true;
    for (const key of Object.keys(schema)) {
      if (key.startsWith('x-') || KNOWN_KEYWORDS.has(key)) continue;
      ok = false;
      const reason = UNFLATTENABLE[key];
      if (reason) this.problem([...at, key], config, `Tuneboard cannot flatten ${key}: ${reason}`);
      else {
        const near = closestMatch(key, [...KNOWN_KEYWORDS, 'x-unit', 'x-scale']);
        this.problem(
          [...at, key],
          config,
          `${key} is not a JSON Schema keyword Tuneboard knows; ${near ? `did you mean ${near}?` : 'use an x- prefix for your own annotations'}`,
        );
      }
    }
    if (!ok) return;

    if (typeof schema.$ref === 'string') {
      const ref = schema.$ref;
      if (!ref.startsWith('#')) {
        this.problem(
          [...at, '$ref'],
          config,
          `$ref ${JSON.stringify(ref)} points outside this schema; Tuneboard only follows references inside it, such as #/$defs/Optimizer`,
        );
        return;
      }
      if (refs.has(ref)) {
        this.problem([...at, '$ref'], config, `$ref ${JSON.stringify(ref)} refers back to itself; recursive schemas have no fixed paths`);
        return;
      }
      const target = resolvePointer(this.document, ref.slice(1));
      if (target === undefined) {
        this.problem([...at, '$ref'], config, `$ref ${JSON.stringify(ref)} points to nothing in this schema`);
        return;
      }
      const { $ref: _ref, ...siblings } = schema;
      const merged = typeof target === 'object' && target !== null ? { ...(target as object), ...siblings } : target;
      // Problems inside the target are reported where they are written (`["$defs"].Layer.…`).
      this.walk(merged, pointerSegments(ref.slice(1), this.document), config, required, new Set([...refs, ref]), nullable);
      return;
    }
    if (Array.isArray(schema.allOf)) {
      if (schema.allOf.length !== 1) {
        this.problem([...at, 'allOf'], config, 'allOf with several schemas is not supported; merge them into one');
        return;
      }
      const { allOf: _allOf, ...siblings } = schema;
      const only = schema.allOf[0];
      this.walk(typeof only === 'object' && only !== null ? { ...only, ...siblings } : only, [...at, 'allOf', 0], config, required, refs, nullable);
      return;
    }
    for (const keyword of ['anyOf', 'oneOf'] as const) {
      const branches = schema[keyword];
      if (!Array.isArray(branches)) continue;
      const nonNull = branches.map((branch, i) => [branch, i] as const).filter(([branch]) => !isNullSchema(branch));
      if (nonNull.length !== 1) {
        this.problem([...at, keyword], config, `${keyword} of several types cannot be one typed path; use one type (and null, if it may be empty), or an enum`);
        return;
      }
      const [branch, index] = nonNull[0]!;
      const { [keyword]: _branches, ...siblings } = schema;
      const merged = typeof branch === 'object' && branch !== null ? { ...siblings, ...branch } : branch;
      this.walk(merged, [...at, keyword, index], config, required, refs, nullable || branches.length > 1);
      return;
    }

    const configPath = formatOpenPattern(config);
    if (config.length > OPEN_LIMITS.maxDepth) {
      this.problem(at, config, `${configPath} is nested ${config.length} levels deep, more than the limit of ${OPEN_LIMITS.maxDepth}`);
      return;
    }
    if (configPath.length > OPEN_LIMITS.maxPathLength) {
      this.problem(at, config, `${configPath} is ${configPath.length} characters long, more than the limit of ${OPEN_LIMITS.maxPathLength}`);
      return;
    }
    const kind = this.kindOf(schema, at, config);
    if (kind === undefined) return;
    if (config.length === 0 && (kind.type !== 'object' || kind.nullable)) {
      this.problem(at, config, 'a config is an object of hyperparameters; use "type": "object" with properties');
      return;
    }
    if (kind.nullable) nullable = true;
    if (kind.type === 'object') this.object(schema, at, config, required, refs);
    else if (kind.type === 'array') this.array(schema, at, config, refs);
    else this.leaf(schema, kind.type, at, config, required, nullable);
  }

  private object(schema: Record<string, unknown>, at: PathSegment[], config: PathSegment[], required: boolean, refs: Set<string>): void {
    const properties = (schema.properties ?? {}) as Record<string, unknown>;
    const extra = schema.additionalProperties;
    if (typeof extra === 'object' && extra !== null) {
      this.problem(
        [...at, 'additionalProperties'],
        config,
        'an object whose keys are not listed has no fixed paths; list each key under properties (or set additionalProperties to false)',
      );
      return;
    }
    if (Object.keys(properties).length === 0) {
      if (extra !== false) this.problem(at, config, 'an object without properties accepts any keys, which have no declared types; list them under properties');
      return;
    }
    const requiredKeys = new Set(Array.isArray(schema.required) ? (schema.required as string[]) : []);
    for (const [key, child] of Object.entries(properties)) {
      this.walk(child, [...at, 'properties', key], [...config, key], required && requiredKeys.has(key), refs);
    }
  }

  private array(schema: Record<string, unknown>, at: PathSegment[], config: PathSegment[], refs: Set<string>): void {
    if (schema.items === undefined || typeof schema.items === 'boolean') {
      this.problem(at, config, 'a list must say what its entries are with items, such as {"type": "integer"}');
      return;
    }
    // An entry exists only when the list is long enough, so no list entry is required.
    this.walk(schema.items, [...at, 'items'], [...config, 0], false, refs);
  }

  private leaf(schema: Record<string, unknown>, type: OpenType, at: PathSegment[], config: PathSegment[], required: boolean, nullable: boolean): void {
    const entry: DeclaredPath = { path: formatOpenPattern(config), type, required };
    if (nullable) entry.nullable = true;
    const values = schema.enum ?? (schema.const !== undefined ? [schema.const] : undefined);
    if (Array.isArray(values)) {
      const bad = values.find((value) => value !== null && !fitsType(value, type));
      if (bad !== undefined) {
        this.problem(
          [...at, schema.enum ? 'enum' : 'const'],
          config,
          `${describeValue(bad)} is not a ${typeNoun(type)}; every value of one path must have the same type`,
        );
        return;
      }
      entry.values = values as DeclaredPath['values'];
      if (values.includes(null)) entry.nullable = true;
    }
    for (const key of ['minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum'] as const) {
      if (typeof schema[key] === 'number') entry[key] = schema[key];
    }
    if (typeof schema.description === 'string') entry.description = schema.description;
    else if (typeof schema.title === 'string') entry.description = schema.title;
    const unit = schema['x-unit'];
    if (unit !== undefined) {
      if (typeof unit === 'string' && unit !== '') entry.unit = unit;
      else this.problem([...at, 'x-unit'], config, `x-unit must be a non-empty string such as "tokens", got ${describeValue(unit)}`);
    }
    const scale = schema['x-scale'];
    if (scale !== undefined) {
      if (!SCALES.includes(scale as never)) {
        this.problem([...at, 'x-scale'], config, `x-scale must be one of: ${SCALES.join(', ')}, got ${describeValue(scale)}`);
      } else if (type !== 'integer' && type !== 'float') {
        this.problem([...at, 'x-scale'], config, `x-scale applies to numbers, but this path is a ${typeNoun(type)}`);
      } else if (scale === 'log' && !(Number(entry.minimum) > 0 || Number(entry.exclusiveMinimum) >= 0)) {
        this.problem([...at, 'x-scale'], config, 'x-scale log needs positive values; add "exclusiveMinimum": 0 or a minimum above 0');
      } else {
        entry.scale = scale as 'log' | 'linear';
      }
    }
    if (schema.default !== undefined) {
      const problem = defaultProblem(schema.default, entry);
      if (problem) this.problem([...at, 'default'], config, problem);
      entry.default = schema.default;
    }
    this.paths.push(entry);
  }

  /** The JSON type a schema describes, from `type`, else from `enum`/`const`, `properties` or `items`. */
  private kindOf(
    schema: Record<string, unknown>,
    at: PathSegment[],
    config: PathSegment[],
  ): { type: OpenType | 'object' | 'array'; nullable: boolean } | undefined {
    let types: string[];
    if (schema.type !== undefined) types = Array.isArray(schema.type) ? [...(schema.type as string[])] : [schema.type as string];
    else if (schema.enum !== undefined || schema.const !== undefined) {
      const values = (schema.enum as unknown[] | undefined) ?? [schema.const];
      types = [...new Set(values.map(jsonTypeOf))];
    } else if (schema.properties !== undefined) types = ['object'];
    else if (schema.items !== undefined) types = ['array'];
    else {
      this.problem(at, config, 'says nothing about the type of this path; add "type", such as "number"');
      return undefined;
    }
    const nullable = types.includes('null') && types.length > 1;
    let rest = types.filter((type) => !(nullable && type === 'null'));
    if (rest.includes('integer') && rest.includes('number')) rest = rest.filter((type) => type !== 'integer');
    if (rest.length !== 1) {
      this.problem([...at, schema.type !== undefined ? 'type' : 'enum'], config, `a path must have one type, not ${rest.join(' or ')}`);
      return undefined;
    }
    const type = rest[0]!;
    return { type: type === 'number' ? 'float' : (type as OpenType | 'object' | 'array'), nullable };
  }

  private problem(at: PathSegment[], config: PathSegment[], what: string): void {
    const schemaPath = formatOpenPath(at);
    const about = config.length > 0 ? ` (hyperparameter ${formatOpenPattern(config)})` : '';
    this.issues.push({ path: schemaPath, message: `${schemaPath === '' ? 'The schema' : schemaPath}${about}: ${what}` });
  }
}

function isNullSchema(schema: unknown): boolean {
  if (typeof schema !== 'object' || schema === null) return false;
  const { type, const: constant, enum: values } = schema as Record<string, unknown>;
  return type === 'null' || (constant === null && type === undefined) || (Array.isArray(values) && values.length === 1 && values[0] === null);
}

function jsonTypeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

function fitsType(value: unknown, type: OpenType): boolean {
  switch (type) {
    case 'integer':
      return Number.isInteger(value);
    case 'float':
      return typeof value === 'number' && Number.isFinite(value);
    case 'null':
      return value === null;
    default:
      return typeof value === type;
  }
}

function typeNoun(type: OpenType): string {
  return type === 'integer' ? 'whole number' : type === 'float' ? 'number' : type === 'null' ? 'null' : type;
}

function defaultProblem(value: unknown, entry: DeclaredPath): string | undefined {
  if (value === null && entry.nullable) return undefined;
  if (!fitsType(value, entry.type)) return `default ${describeValue(value)} is not a ${typeNoun(entry.type)}`;
  if (entry.values && !entry.values.includes(value as never)) return `default ${describeValue(value)} is not one of: ${entry.values.map(String).join(', ')}`;
  const n = value as number;
  if (entry.minimum !== undefined && n < entry.minimum) return `default ${n} is below the minimum ${entry.minimum}`;
  if (entry.maximum !== undefined && n > entry.maximum) return `default ${n} is above the maximum ${entry.maximum}`;
  if (entry.exclusiveMinimum !== undefined && n <= entry.exclusiveMinimum) return `default ${n} must be greater than ${entry.exclusiveMinimum}`;
  if (entry.exclusiveMaximum !== undefined && n >= entry.exclusiveMaximum) return `default ${n} must be less than ${entry.exclusiveMaximum}`;
  return undefined;
}

/** `/properties/lr/minimum` (a JSON pointer) → its segments, numbers where the document has a list. */
function pointerSegments(pointer: string, document: unknown): PathSegment[] {
  if (pointer === '') return [];
  const segments: PathSegment[] = [];
  let node = document;
  for (const raw of pointer.split('/').slice(1)) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    const segment: PathSegment = Array.isArray(node) && /^\d+$/.test(key) ? Number(key) : key;
    segments.push(segment);
    node = typeof node === 'object' && node !== null ? (node as Record<PropertyKey, unknown>)[segment] : undefined;
  }
  return segments;
}

function resolvePointer(document: unknown, pointer: string): unknown {
  let node = document;
  for (const segment of pointerSegments(pointer, document)) {
    if (typeof node !== 'object' || node === null || !Object.hasOwn(node, segment)) return undefined;
    node = (node as Record<PropertyKey, unknown>)[segment];
  }
  return node;
}

/** A problem of the schema document itself, found by the draft 2020-12 meta-schema. */
function metaIssue(error: ErrorObject, document: unknown): OpenIssue {
  const path = formatOpenPath(pointerSegments(error.instancePath, document));
  const label = path === '' ? 'The schema' : path;
  const got = describeValue(error.data);
  switch (error.keyword) {
    case 'type':
      return { path, message: `${label} must be ${expectedKinds(String(error.params.type))}, got ${got}` };
    case 'enum':
      return { path, message: `${label} ${got} is not allowed; use one of: ${(error.params.allowedValues as unknown[]).map(String).join(', ')}` };
    default:
      return { path, message: `${label} ${error.message ?? 'is not valid JSON Schema'}` };
  }
}

/** One Ajv error of a config, worded like the built-in schema's issues. */
function configIssue(error: ErrorObject, plain: unknown, original: unknown): OpenIssue[] {
  const segments = pointerSegments(error.instancePath, plain);
  const path = formatOpenPath(segments);
  const label = path === '' ? 'The config' : path;
  const written = valueAtSegments(original, segments);
  const got = `got ${describeValue(written === undefined ? error.data : written)}`;
  const params = error.params as Record<string, unknown>;
  const limit = params.limit;
  switch (error.keyword) {
    case 'required': {
      const child = formatOpenPath([...segments, String(params.missingProperty)]);
      return [{ path: child, message: `${child} is required` }];
    }
    case 'additionalProperties': {
      const key = String(params.additionalProperty);
      const child = formatOpenPath([...segments, key]);
      const known = Object.keys(((error.parentSchema ?? {}) as { properties?: object }).properties ?? {});
      const near = closestMatch(key, known);
      const hint = near ? `did you mean ${formatOpenPath([...segments, near])}?` : 'remove it or check the spelling';
      return [{ path: child, message: `${child} is not a known setting; ${hint}` }];
    }
    case 'type':
      return [{ path, message: `${label} must be ${expectedKinds(String(params.type))}, ${got}` }];
    case 'minimum':
      return [{ path, message: `${label} must be at least ${limit}, ${got}` }];
    case 'maximum':
      return [{ path, message: `${label} must be at most ${limit}, ${got}` }];
    case 'exclusiveMinimum':
      return [{ path, message: `${label} must be greater than ${limit}, ${got}` }];
    case 'exclusiveMaximum':
      return [{ path, message: `${label} must be less than ${limit}, ${got}` }];
    case 'multipleOf':
      return [{ path, message: `${label} must be a multiple of ${params.multipleOf}, ${got}` }];
    case 'enum':
      return [
        { path, message: `${label} ${describeValue(error.data)} is not allowed; use one of: ${(params.allowedValues as unknown[]).map(String).join(', ')}` },
      ];
    case 'const':
      return [{ path, message: `${label} must be ${describeValue(params.allowedValue)}, ${got}` }];
    case 'minItems':
    case 'maxItems': {
      const n = Array.isArray(error.data) ? error.data.length : 0;
      const entries = `${limit} ${limit === 1 ? 'entry' : 'entries'}`;
      return [
        {
          path,
          message:
            error.keyword === 'minItems'
              ? `${label} needs at least ${entries}, ${n === 0 ? 'got none' : `got ${n}`}`
              : `${label} allows at most ${entries}, got ${n}`,
        },
      ];
    }
    case 'minLength':
      return [{ path, message: `${label} must be at least ${count(Number(limit))} characters long, ${got}` }];
    case 'maxLength':
      return [{ path, message: `${label} must be at most ${count(Number(limit))} characters long, ${got}` }];
    case 'pattern':
      return [{ path, message: `${label} ${describeValue(error.data)} does not match the pattern ${params.pattern}` }];
    case 'anyOf':
    case 'oneOf':
      return []; // the branch's own error says what is wrong
    default:
      return [{ path, message: `${label} ${error.message ?? 'is not valid'}` }];
  }
}

/** `integer,null` → `a whole number or null`. */
function expectedKinds(types: string): string {
  const words: Record<string, string> = {
    integer: 'a whole number',
    number: 'a number',
    boolean: 'true or false',
    string: 'a string',
    object: 'an object',
    array: 'a list',
    null: 'null',
  };
  return types
    .split(',')
    .map((type) => words[type] ?? `a ${type}`)
    .join(' or ');
}

function valueAtSegments(value: unknown, segments: readonly PathSegment[]): unknown {
  let node = value;
  for (const segment of segments) {
    if (typeof node !== 'object' || node === null || !Object.hasOwn(node, segment)) return undefined;
    node = (node as Record<PropertyKey, unknown>)[segment];
  }
  return node;
}

/** Ajv may report one path twice (the type in both branches of a nullable anyOf): keep the first, as validate.ts does. */
function firstPerPath(issues: OpenIssue[]): OpenIssue[] {
  const seen = new Set<string>();
  return issues.filter((issue) => !seen.has(issue.path) && seen.add(issue.path));
}
