import {
  GraphQLError,
  getNamedType,
  isCompositeType,
  isInterfaceType,
  isListType,
  isNonNullType,
  isObjectType,
  Kind,
  type ASTVisitor,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLNamedType,
  type GraphQLOutputType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValidationContext,
  type ValidationRule,
  type ValueNode,
} from 'graphql';
import { MAX_RUNS_PER_FINISH } from './services/finish-runs';
import { MAX_GROUP_METRICS } from './services/run-groups';
import { MAX_RUNS_PER_SUBMIT } from './services/runs';

/** Query shape limits: a client cannot make one request walk the whole database. */
export const MAX_DEPTH = 12;
export const MAX_COST = 100_000;
/**
 * Expensive fields (the weighted ones below) one operation may resolve, aliases and list items included:
 * aliases otherwise multiply a field that is cheap to ask for and dear to answer.
 */
export const MAX_EXPENSIVE_FIELDS = 10;
/**
 * Field selections in an operation once its fragments are spread (each spread counted every time it occurs).
 * Bounds the document itself: graphql-js's validation compares same-named fields pairwise, so a document of
 * thousands of repeated fields would stall it even when each field is cheap.
 */
export const MAX_FIELDS = 1_000;
/**
 * The measuring work one document may cost, in field visits across all its operations: without a bound for the
 * whole document, thousands of operations each spreading one shared fragment at a different page size (which
 * defeats the fragment cache) would be measured one by one before any was refused.
 */
const MAX_DOCUMENT_FIELD_VISITS = 10 * MAX_FIELDS;
/** Operations in one document: a request runs one of them; clients send one, or a handful from a shared file. */
export const MAX_OPERATIONS = 50;
/** Assumed length of a list field without a `first` argument, for cost estimation. */
const DEFAULT_LIST_SIZE = 100;
/** Metric series assumed per run when metricSeries names no keys (the store bounds the real number at run time). */
const ASSUMED_KEYS_PER_RUN = 2;
/** metricSeries points per unit of cost: the store's 2,000,000-point bound per query is half of MAX_COST. */
const POINTS_PER_COST_UNIT = 40;

type Arguments = (name: string) => unknown;

interface FieldWeight {
  /** Cost of resolving the field once, on top of its selections. */
  cost: number;
  /** Items the field returns, when its arguments say (overrides `first` and the list default). */
  size?: number;
  /** Counts towards MAX_EXPENSIVE_FIELDS. */
  expensive: boolean;
}

/**
 * What the fields that do real work cost, in units of "one object resolved". Everything not listed costs 1
 * per object (scalars 0), multiplied through lists and connections by their size.
 */
export const FIELD_WEIGHTS: Record<string, (args: Arguments) => FieldWeight> = {
  // Reads every finished run in the finding's scope with its metric summaries, then bootstraps an interval:
  // on a 1,000-run project about 80 ms of database and CPU.
  'Finding.evidence': () => ({ cost: 2_000, expensive: true }),
  // Reads every run of the project and fits a few hundred small trees: 0.3 s at 100 runs, seconds at the 2,000-run
  // cap (docs/performance.md). At most five per request.
  'Project.importance': () => ({ cost: 19_000, expensive: true }),
  // Reads every run of the project and runs a permutation test per candidate rule (a few thousand shuffles each).
  'Project.suggestedFindings': () => ({ cost: 19_000, expensive: true }),
  // A directory read in the artifact store (one lstat per file, or a request to S3) for each run it is asked of.
  'Run.artifacts': () => ({ cost: 10, size: 1, expensive: true }),
  // A scan of the viewer's teams' projects, runs and findings for the text (ILIKE, no index).
  'Query.search': () => ({ cost: 500, expensive: true }),
  // Reads every run matching the filter with its parameters and one summary per metric column, then groups them in
  // memory: ~40 ms of database and CPU at 10,000 runs and three columns (docs/performance.md).
  // One answer (its `first` caps the groups, not copies of it); a group's metrics are its columns, at most MAX_GROUP_METRICS.
  'Project.runGroups': () => ({ cost: 2_000, size: 1, expensive: true }),
  'RunGroup.metrics': () => ({ cost: 0, size: MAX_GROUP_METRICS, expensive: false }),
  // A page of one group's runs re-forms the groups first (every matching run's parameters); without a group, a plain page.
  'Project.runs': (args) => ({ cost: args('group') == null ? 0 : 1_000, expensive: args('group') != null }),
  'Query.runs': (args) => ({ cost: args('group') == null ? 0 : 1_000, expensive: args('group') != null }),
  // A count over every run matching the filter (metric filters join the metric summaries).
  'RunConnection.totalCount': () => ({ cost: 1_000, expensive: true }),
  // One page of a console log (at most 5,000 lines, which the service checks), read by its primary key; a search
  // scans the run's lines. Its lines are counted here rather than as a list of unknown length.
  'Run.logs': (args) => ({ cost: Math.max(1, numberOr(args('first'), numberOr(args('last'), 500))) / 10, size: 1, expensive: args('search') != null }),
  // A submitRuns batch answers with every run it stored: what is selected for each run counts once per run of the
  // input (up to MAX_RUNS_PER_SUBMIT, which the service enforces), not once per page of 100.
  'Mutation.submitRuns': (args) => {
    const runs = listLength((args('input') as { runs?: unknown } | undefined)?.runs);
    return { cost: 0, size: runs === undefined ? MAX_RUNS_PER_SUBMIT : Math.min(Math.max(runs, 1), MAX_RUNS_PER_SUBMIT), expensive: false };
  },
  'SubmitRunsPayload.runs': () => ({ cost: 0, size: 1, expensive: false }),
  // Likewise a finishRuns batch answers with each of its runs (the service bounds points and series per request).
  'Mutation.finishRuns': (args) => {
    const runs = listLength((args('input') as { runs?: unknown } | undefined)?.runs);
    return { cost: 0, size: runs === undefined ? MAX_RUNS_PER_FINISH : Math.min(Math.max(runs, 1), MAX_RUNS_PER_FINISH), expensive: false };
  },
  'FinishRunsPayload.runs': () => ({ cost: 0, size: 1, expensive: false }),
  // A submit's warnings are computed with its run (no further reads) and are few: one per finding it breaks.
  'SubmitRunPayload.warnings': () => ({ cost: 0, size: 1, expensive: false }),
  // Points read and sent: runIds × keys (assumed per run when not named) × maxPoints, up to the store's bound.
  'Query.metricSeries': (args) => {
    const runIds = listLength(args('runIds')) ?? 1;
    const keys = listLength(args('keys'));
    const series = runIds * (keys ?? ASSUMED_KEYS_PER_RUN);
    const maxPoints = Math.max(3, numberOr(args('maxPoints'), 1000));
    const points = Math.min(series * maxPoints, 2_000_000);
    return { cost: points / POINTS_PER_COST_UNIT, size: series, expensive: true };
  },
};

const listLength = (value: unknown) => (Array.isArray(value) ? value.length : value == null ? undefined : 1);
const numberOr = (value: unknown, fallback: number) => (typeof value === 'number' && Number.isFinite(value) ? value : fallback);

/**
 * The weighted fields that can count as expensive, named in the refusal (a weight only for size, such as
 * submitRuns', is not one). Probed with every argument given, since Run.logs is expensive only with a search.
 */
const EXPENSIVE_FIELD_NAMES = Object.entries(FIELD_WEIGHTS)
  .filter(([, weight]) => weight(() => 'probe').expensive)
  .map(([name]) => name);

function unwrapIsList(type: GraphQLOutputType): boolean {
  const inner = isNonNullType(type) ? type.ofType : type;
  return isListType(inner);
}

/** A literal or variable argument value as plain JSON (lists of literals included), or undefined. */
function valueOf(node: ValueNode, variables: Record<string, unknown> | undefined): unknown {
  switch (node.kind) {
    case Kind.VARIABLE:
      return variables?.[node.name.value];
    case Kind.INT:
    case Kind.FLOAT:
      return Number(node.value);
    case Kind.STRING:
    case Kind.ENUM:
      return node.value;
    case Kind.BOOLEAN:
      return node.value;
    case Kind.NULL:
      return null;
    case Kind.LIST:
      return node.values.map((value) => valueOf(value, variables));
    case Kind.OBJECT:
      return Object.fromEntries(node.fields.map((field) => [field.name.value, valueOf(field.value, variables)]));
    default:
      return undefined;
  }
}

export interface OperationMeasure {
  depth: number;
  cost: number;
  /** Expensive field resolutions, list items and aliases included. */
  expensive: number;
  /** Field selections with fragments spread. */
  fields: number;
}

const EMPTY: OperationMeasure = { depth: 0, cost: 0, expensive: 0, fields: 0 };

class FragmentCycle extends Error {}
/** Thrown once an operation visits more field nodes than MAX_FIELDS: its expansion is larger still, stop there. */
class TooManyFields extends Error {}

/**
 * Measures every operation of a document in one pass over it: each fragment is measured once and its result
 * reused wherever it is spread (a fragment's type condition fixes its parent type), so the work is linear in
 * the document however often fragments spread one another. A fragment cycle is refused, not followed.
 */
export function measureDocument(
  schema: GraphQLSchema,
  document: DocumentNode,
  variables?: Record<string, unknown>,
): Map<OperationDefinitionNode, OperationMeasure> | { cycle: string } {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  const measured = new Map<string, OperationMeasure>();
  const visiting = new Set<string>();
  let visitedFields = 0;
  let operationFieldVisits = 0;

  function measureFragment(name: string, pageSize: number): OperationMeasure {
    // A fragment on a connection counts its nodes by the page size of where it is spread.
    const key = `${name}:${pageSize}`;
    const known = measured.get(key);
    if (known) return known;
    const fragment = fragments.get(name);
    if (!fragment) return EMPTY;
    if (visiting.has(name)) throw new FragmentCycle(name);
    visiting.add(name);
    const result = measureSet(fragment.selectionSet, schema.getType(fragment.typeCondition.name.value), pageSize);
    visiting.delete(name);
    measured.set(key, result);
    return result;
  }

  /** `pageSize`: the `first` of the connection whose selections these are (its nodes and edges come that many). */
  function measureField(selection: FieldNode, parent: GraphQLNamedType | null | undefined, pageSize: number): OperationMeasure {
    if (++visitedFields > MAX_DOCUMENT_FIELD_VISITS || ++operationFieldVisits > MAX_FIELDS) throw new TooManyFields();
    const field = isObjectType(parent) || isInterfaceType(parent) ? parent.getFields()[selection.name.value] : undefined;
    if (!field) return { ...EMPTY, fields: 1 };
    const args: Arguments = (name) => {
      const node = selection.arguments?.find((a) => a.name.value === name);
      return node ? valueOf(node.value, variables) : field.args.find((a) => a.name === name)?.defaultValue;
    };
    const weight = FIELD_WEIGHTS[`${parent!.name}.${field.name}`]?.(args);
    const own = { cost: weight?.cost ?? 0, expensive: weight?.expensive ? 1 : 0 };
    const named = getNamedType(field.type);
    if (!selection.selectionSet || !isCompositeType(named)) return { depth: 0, cost: own.cost, expensive: own.expensive, fields: 1 };
    // A list's size is its `first` argument (a missing one means its declared default; a nonsensical one,
    // negative or huge, cannot lower the cost), else DEFAULT_LIST_SIZE. A connection is one object whose nodes
    // and edges come `first` at a time: its count and page info are not multiplied.
    const requested = args('first');
    const first = typeof requested === 'number' ? Math.max(1, requested) : undefined;
    const connection = isObjectType(named) && ('nodes' in named.getFields() || 'edges' in named.getFields());
    const inConnection = selection.name.value === 'nodes' || selection.name.value === 'edges';
    const size = connection ? 1 : (weight?.size ?? (inConnection ? pageSize : (first ?? (unwrapIsList(field.type) ? DEFAULT_LIST_SIZE : 1))));
    const inner = measureSet(selection.selectionSet, named, connection ? (first ?? DEFAULT_LIST_SIZE) : 1);
    return {
      depth: 1 + inner.depth,
      cost: own.cost + size * (1 + inner.cost),
      expensive: own.expensive + size * inner.expensive,
      fields: 1 + inner.fields,
    };
  }

  function measureSet(selectionSet: SelectionSetNode, parent: GraphQLNamedType | null | undefined, pageSize: number): OperationMeasure {
    let depth = 0;
    let cost = 0;
    let expensive = 0;
    let fields = 0;
    for (const selection of selectionSet.selections) {
      const inner =
        selection.kind === Kind.FIELD
          ? measureField(selection, parent, pageSize)
          : selection.kind === Kind.FRAGMENT_SPREAD
            ? measureFragment(selection.name.value, pageSize)
            : measureSet(selection.selectionSet, selection.typeCondition ? schema.getType(selection.typeCondition.name.value) : parent, pageSize);
      depth = Math.max(depth, inner.depth);
      cost += inner.cost;
      expensive += inner.expensive;
      fields += inner.fields;
    }
    return { depth, cost, expensive, fields };
  }

  const result = new Map<OperationDefinitionNode, OperationMeasure>();
  try {
    for (const definition of document.definitions) {
      if (definition.kind !== Kind.OPERATION_DEFINITION) continue;
      const root = schema.getRootType(definition.operation);
      if (!root) continue;
      operationFieldVisits = 0;
      try {
        const measure = measureSet(definition.selectionSet, root, 1);
        // The operation's own level counts: `{ viewer { email } }` is 2 deep.
        result.set(definition, { ...measure, depth: measure.depth + 1 });
      } catch (error) {
        if (!(error instanceof TooManyFields)) throw error;
        result.set(definition, { depth: 0, cost: 0, expensive: 0, fields: Number.POSITIVE_INFINITY });
      }
    }
  } catch (error) {
    if (error instanceof FragmentCycle) return { cycle: error.message };
    throw error;
  }
  return result;
}

/** Why the operations of a document are refused, or an empty list. Each message names the limit it broke. */
export function queryLimitProblems(schema: GraphQLSchema, document: DocumentNode, variables?: Record<string, unknown>): GraphQLError[] {
  const operations = document.definitions.filter((definition) => definition.kind === Kind.OPERATION_DEFINITION).length;
  if (operations > MAX_OPERATIONS)
    return [tooComplex(`This document holds ${operations.toLocaleString('en')} operations; the limit is ${MAX_OPERATIONS}. Send the one you want to run.`)];
  const measures = measureDocument(schema, document, variables);
  if ('cycle' in measures) return [tooComplex(`The fragment ${measures.cycle} spreads itself (directly or through other fragments).`)];
  const problems: GraphQLError[] = [];
  for (const [operation, { depth, cost, expensive, fields }] of measures) {
    const nodes = [operation];
    if (fields > MAX_FIELDS) {
      const count = Number.isFinite(fields) ? fields.toLocaleString('en') : `more than ${MAX_FIELDS.toLocaleString('en')}`;
      problems.push(tooComplex(`This query selects ${count} fields once its fragments are spread; the limit is ${MAX_FIELDS.toLocaleString('en')}.`, nodes));
      continue;
    }
    if (depth > MAX_DEPTH) problems.push(tooComplex(`This query is nested ${depth} levels deep; the limit is ${MAX_DEPTH}.`, nodes));
    if (expensive > MAX_EXPENSIVE_FIELDS)
      problems.push(
        tooComplex(
          `This query asks for expensive fields (${EXPENSIVE_FIELD_NAMES.join(', ')}) ${Math.round(expensive).toLocaleString('en')} times, aliases and list items included; the limit is ${MAX_EXPENSIVE_FIELDS}. Send separate requests.`,
          nodes,
        ),
      );
    if (cost > MAX_COST)
      problems.push(
        tooComplex(
          `This query's estimated cost is ${Math.round(cost).toLocaleString('en')}; the limit is ${MAX_COST.toLocaleString('en')}. Ask for fewer items per page.`,
          nodes,
        ),
      );
  }
  return problems;
}

function tooComplex(message: string, nodes?: OperationDefinitionNode[]): GraphQLError {
  return new GraphQLError(message, { ...(nodes ? { nodes } : {}), extensions: { code: 'QUERY_TOO_COMPLEX', http: { status: 400 } } });
}

/** The same limits as a validation rule, for the WebSocket path where graphql-ws validates. */
export function queryLimitsRule(variables?: Record<string, unknown>): ValidationRule {
  return (context: ValidationContext): ASTVisitor => {
    for (const problem of queryLimitProblems(context.getSchema(), context.getDocument(), variables)) context.reportError(problem);
    return {};
  };
}
