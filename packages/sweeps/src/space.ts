// A sweep's search space: per flat hyperparameter path (the vocabulary of @tuneboard/hparams), a range, a choice or
// a fixed value, optionally active only when a categorical path takes certain values (`optimizer.momentum` only when
// `optimizer.name` is "momentum"). Checked here for shape; whether a path exists in a project's schema, and within
// its bounds, is the service's check against that schema.

export type Scalar = number | string | boolean;

/** Active only when the configuration's value at `path` is one of `in`. */
export interface Condition {
  path: string;
  in: readonly Scalar[];
}

export interface FloatParam {
  type: 'float';
  low: number;
  high: number;
  /** Sampled uniformly in log space (learning rates, weight decay). */
  log?: boolean;
  /** For the grid method: this many points from low to high (log-spaced when `log`). */
  grid?: number;
  when?: Condition;
}

export interface IntParam {
  type: 'int';
  low: number;
  high: number;
  log?: boolean;
  grid?: number;
  when?: Condition;
}

export interface CategoricalParam {
  type: 'categorical';
  values: readonly Scalar[];
  when?: Condition;
}

export interface FixedParam {
  type: 'fixed';
  value: Scalar;
  when?: Condition;
}

export type ParamSpec = FloatParam | IntParam | CategoricalParam | FixedParam;
export type SearchSpace = Readonly<Record<string, ParamSpec>>;
export type Configuration = Record<string, Scalar>;

export interface SpaceIssue {
  /** Where in the space: `optimizer.learningRate.low`. */
  path: string;
  message: string;
}

export const SPACE_LIMITS = { params: 64, categories: 256, gridPoints: 100, intGridValues: 1_000 } as const;

const isScalar = (value: unknown): value is Scalar =>
  typeof value === 'string' || typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value));

/** Every shape problem of a space, each at its path; empty when the space is usable. */
export function validateSpace(space: SearchSpace): SpaceIssue[] {
  const issues: SpaceIssue[] = [];
  const paths = Object.keys(space);
  if (paths.length === 0) issues.push({ path: '', message: 'The search space is empty: give at least one path.' });
  if (paths.length > SPACE_LIMITS.params)
    issues.push({ path: '', message: `The search space has ${paths.length} paths; at most ${SPACE_LIMITS.params} are allowed.` });
  for (const [path, spec] of Object.entries(space)) {
    const at = (field: string) => (field ? `${path}.${field}` : path);
    if (spec.type === 'float' || spec.type === 'int') {
      const integer = spec.type === 'int';
      if (!Number.isFinite(spec.low) || !Number.isFinite(spec.high) || (integer && (!Number.isInteger(spec.low) || !Number.isInteger(spec.high))))
        issues.push({ path: at('low'), message: `low and high must be finite ${integer ? 'integers' : 'numbers'}.` });
      else if (spec.low >= spec.high) issues.push({ path: at('high'), message: `high (${spec.high}) must be greater than low (${spec.low}).` });
      else if (spec.log && spec.low <= 0) issues.push({ path: at('low'), message: `A log-scaled range must start above 0 (low is ${spec.low}).` });
      if (spec.grid !== undefined && (!Number.isInteger(spec.grid) || spec.grid < 2 || spec.grid > SPACE_LIMITS.gridPoints))
        issues.push({ path: at('grid'), message: `grid must be a whole number of points from 2 to ${SPACE_LIMITS.gridPoints}.` });
    } else if (spec.type === 'categorical') {
      if (!Array.isArray(spec.values) || spec.values.length === 0) issues.push({ path: at('values'), message: 'Give at least one value to choose from.' });
      else if (spec.values.length > SPACE_LIMITS.categories)
        issues.push({ path: at('values'), message: `At most ${SPACE_LIMITS.categories} values (${spec.values.length} given).` });
      else {
        spec.values.forEach((value, i) => {
          if (!isScalar(value)) issues.push({ path: at(`values[${i}]`), message: 'A value must be a string, a finite number or a boolean.' });
        });
        const seen = new Set(spec.values.map((value) => JSON.stringify(value)));
        if (seen.size !== spec.values.length) issues.push({ path: at('values'), message: 'The values repeat; give each once.' });
      }
    } else if (spec.type === 'fixed') {
      if (!isScalar(spec.value)) issues.push({ path: at('value'), message: 'A fixed value must be a string, a finite number or a boolean.' });
    } else {
      issues.push({ path, message: `Unknown parameter type "${(spec as { type: unknown }).type}": use float, int, categorical or fixed.` });
    }
    if (spec.when) issues.push(...conditionIssues(space, path, spec.when));
  }
  if (issues.length === 0 && orderedPaths(space) === undefined)
    issues.push({ path: '', message: 'The conditions form a cycle: a path cannot depend on itself, directly or through others.' });
  return issues;
}

function conditionIssues(space: SearchSpace, path: string, when: Condition): SpaceIssue[] {
  const target = space[when.path];
  if (when.path === path) return [{ path: `${path}.when.path`, message: 'A path cannot be conditional on itself.' }];
  if (!target)
    return [{ path: `${path}.when.path`, message: `"${when.path}" is not in the search space; a condition reads a categorical or fixed path of it.` }];
  if (target.type !== 'categorical' && target.type !== 'fixed')
    return [{ path: `${path}.when.path`, message: `"${when.path}" is a ${target.type} range; a condition reads a categorical or fixed path.` }];
  if (!Array.isArray(when.in) || when.in.length === 0) return [{ path: `${path}.when.in`, message: 'Give at least one value the condition accepts.' }];
  const allowed = target.type === 'fixed' ? [target.value] : target.values;
  const known = new Set(allowed.map((value) => JSON.stringify(value)));
  return when.in.flatMap((value, i) =>
    known.has(JSON.stringify(value))
      ? []
      : [
          {
            path: `${path}.when.in[${i}]`,
            message: `${JSON.stringify(value)} is not one of ${when.path}'s values (${allowed.map((v) => JSON.stringify(v)).join(', ')}).`,
          },
        ],
  );
}

/** Paths with every condition's path before the paths it controls; undefined when the conditions form a cycle. */
export function orderedPaths(space: SearchSpace): string[] | undefined {
  const order: string[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (path: string): boolean => {
    if (state.get(path) === 'done') return true;
    if (state.get(path) === 'visiting') return false;
    state.set(path, 'visiting');
    const parent = space[path]?.when?.path;
    if (parent !== undefined && space[parent] && !visit(parent)) return false;
    state.set(path, 'done');
    order.push(path);
    return true;
  };
  for (const path of Object.keys(space).sort()) if (!visit(path)) return undefined;
  return order;
}

/** Whether `spec` applies given the values chosen so far. */
export function isActive(spec: ParamSpec, chosen: Readonly<Configuration>): boolean {
  if (!spec.when) return true;
  if (!Object.hasOwn(chosen, spec.when.path)) return false;
  const value = JSON.stringify(chosen[spec.when.path]);
  return spec.when.in.some((accepted) => JSON.stringify(accepted) === value);
}

/** Whether `value` lies in the spec's range or choices (a configuration proposed from outside, or an old run). */
export function fitsParam(spec: ParamSpec, value: Scalar): boolean {
  switch (spec.type) {
    case 'float':
      return typeof value === 'number' && value >= spec.low && value <= spec.high;
    case 'int':
      return typeof value === 'number' && Number.isInteger(value) && value >= spec.low && value <= spec.high;
    case 'categorical':
      return spec.values.some((choice) => choice === value);
    case 'fixed':
      return spec.value === value;
  }
}

/** The values of the grid method for one path: the choices, the fixed value, or `grid` points along the range. */
export function gridValues(spec: ParamSpec): Scalar[] | undefined {
  switch (spec.type) {
    case 'categorical':
      return [...spec.values];
    case 'fixed':
      return [spec.value];
    case 'int': {
      if (spec.grid === undefined) {
        const count = spec.high - spec.low + 1;
        return count <= SPACE_LIMITS.intGridValues ? Array.from({ length: count }, (_, i) => spec.low + i) : undefined;
      }
      return [...new Set(spacedPoints(spec.low, spec.high, spec.grid, spec.log).map(Math.round))];
    }
    case 'float':
      return spec.grid === undefined ? undefined : spacedPoints(spec.low, spec.high, spec.grid, spec.log).map((x) => +x.toPrecision(12));
  }
}

function spacedPoints(low: number, high: number, count: number, log = false): number[] {
  const [a, b] = log ? [Math.log(low), Math.log(high)] : [low, high];
  return Array.from({ length: count }, (_, i) => {
    const x = a + ((b - a) * i) / (count - 1);
    return log ? Math.exp(x) : x;
  });
}
