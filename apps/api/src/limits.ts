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
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLOutputType,
  type GraphQLSchema,
  type SelectionSetNode,
  type ValidationContext,
  type ValidationRule,
} from 'graphql';

/** Query shape limits: a client cannot make one request walk the whole database. */
export const MAX_DEPTH = 12;
export const MAX_COST = 100_000;
/** Assumed length of a list field without a `first` argument, for cost estimation. */
const DEFAULT_LIST_SIZE = 100;

function unwrapIsList(type: GraphQLOutputType): boolean {
  const inner = isNonNullType(type) ? type.ofType : type;
  return isListType(inner);
}

function argumentNumber(field: FieldNode, name: string, variables: Record<string, unknown> | undefined): number | undefined {
  const arg = field.arguments?.find((a) => a.name.value === name);
  if (!arg) return undefined;
  if (arg.value.kind === Kind.INT) return Number(arg.value.value);
  if (arg.value.kind === Kind.VARIABLE) {
    const value = variables?.[arg.value.name.value];
    return typeof value === 'number' ? value : undefined;
  }
  return undefined;
}

/**
 * Rejects operations nested deeper than MAX_DEPTH or whose estimated cost exceeds MAX_COST. Cost: one per
 * object field, multiplied through connections by their `first` argument and through lists by DEFAULT_LIST_SIZE.
 */
export function queryLimitsRule(variables?: Record<string, unknown>): ValidationRule {
  return (context: ValidationContext): ASTVisitor => {
    const schema = context.getSchema();
    const fragments = new Map<string, FragmentDefinitionNode>();
    for (const definition of context.getDocument().definitions)
      if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);

    function measure(selectionSet: SelectionSetNode, parent: ReturnType<GraphQLSchema['getType']>, depth: number, seen: Set<string>): { depth: number; cost: number } {
      let maxDepth = depth;
      let cost = 0;
      for (const selection of selectionSet.selections) {
        if (selection.kind === Kind.FIELD) {
          if (!selection.selectionSet) continue;
          const field = isObjectType(parent) || isInterfaceType(parent) ? parent.getFields()[selection.name.value] : undefined;
          if (!field) continue;
          const named = getNamedType(field.type);
          if (!isCompositeType(named)) continue;
          // A connection's size is its `first` argument; its nodes/edges lists are already counted by it.
          // A missing `first` means its declared default; a nonsensical one (negative, huge) cannot lower the cost.
          const declared = field.args.find((a) => a.name === 'first')?.defaultValue;
          const requested = argumentNumber(selection, 'first', variables) ?? (typeof declared === 'number' ? declared : undefined);
          const first = requested === undefined ? undefined : Math.max(1, requested);
          const inConnection = selection.name.value === 'nodes' || selection.name.value === 'edges';
          const size = first ?? (unwrapIsList(field.type) && !inConnection ? DEFAULT_LIST_SIZE : 1);
          const inner = measure(selection.selectionSet, named, depth + 1, seen);
          maxDepth = Math.max(maxDepth, inner.depth);
          cost += size * (1 + inner.cost);
        } else {
          const fragment = selection.kind === Kind.FRAGMENT_SPREAD ? fragments.get(selection.name.value) : selection;
          if (!fragment || (selection.kind === Kind.FRAGMENT_SPREAD && seen.has(selection.name.value))) continue;
          const typeName = fragment.typeCondition?.name.value;
          const type = typeName ? schema.getType(typeName) : parent;
          const nextSeen = selection.kind === Kind.FRAGMENT_SPREAD ? new Set([...seen, selection.name.value]) : seen;
          const inner = measure(fragment.selectionSet, type, depth, nextSeen);
          maxDepth = Math.max(maxDepth, inner.depth);
          cost += inner.cost;
        }
      }
      return { depth: maxDepth, cost };
    }

    return {
      OperationDefinition(operation) {
        const root = schema.getRootType(operation.operation);
        if (!root) return;
        const { depth, cost } = measure(operation.selectionSet, root, 1, new Set());
        if (depth > MAX_DEPTH)
          context.reportError(new GraphQLError(`This query is nested ${depth} levels deep; the limit is ${MAX_DEPTH}.`, { nodes: [operation] }));
        if (cost > MAX_COST)
          context.reportError(
            new GraphQLError(`This query's estimated cost is ${cost.toLocaleString('en')}; the limit is ${MAX_COST.toLocaleString('en')}. Ask for fewer items per page.`, {
              nodes: [operation],
            }),
          );
      },
    };
  };
}
