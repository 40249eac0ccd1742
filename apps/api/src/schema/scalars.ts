import { GraphQLError, GraphQLScalarType, Kind, type ValueNode } from 'graphql';

/**
 * MetricValue: a float that may be NaN or ±Infinity. A diverging run produces such values and they must be
 * stored and returned faithfully; GraphQL's Float (and JSON) cannot carry them, so they travel as the strings
 * "NaN", "Infinity" and "-Infinity".
 */
const NON_FINITE: Record<string, number> = { NaN: Number.NaN, Infinity: Number.POSITIVE_INFINITY, '-Infinity': Number.NEGATIVE_INFINITY };

export function serializeMetricValue(value: unknown): number | string {
  if (typeof value !== 'number') throw new GraphQLError(`MetricValue cannot represent ${String(value)}`);
  if (Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return 'Infinity';
  if (value === Number.NEGATIVE_INFINITY) return '-Infinity';
  return value;
}

export function parseMetricValue(value: unknown): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'string' && value in NON_FINITE) return NON_FINITE[value]!;
  throw new GraphQLError(`A metric value must be a number or one of "NaN", "Infinity", "-Infinity"; got ${JSON.stringify(value)}`, {
    extensions: { code: 'BAD_USER_INPUT' },
  });
}

export const MetricValue = new GraphQLScalarType({
  name: 'MetricValue',
  description: 'A metric value: a number, or one of the strings "NaN", "Infinity", "-Infinity".',
  serialize: serializeMetricValue,
  parseValue: parseMetricValue,
  parseLiteral(ast) {
    if (ast.kind === Kind.INT || ast.kind === Kind.FLOAT) return Number(ast.value);
    if (ast.kind === Kind.STRING) return parseMetricValue(ast.value);
    throw new GraphQLError('A metric value must be a number or one of "NaN", "Infinity", "-Infinity"');
  },
});

export const DateTime = new GraphQLScalarType({
  name: 'DateTime',
  description: 'An ISO-8601 timestamp in UTC.',
  serialize(value) {
    if (value instanceof Date) return value.toISOString();
    if (typeof value === 'string') return new Date(value).toISOString();
    throw new GraphQLError(`DateTime cannot represent ${String(value)}`);
  },
  parseValue(value) {
    const date = new Date(String(value));
    if (Number.isNaN(date.getTime())) throw new GraphQLError(`"${String(value)}" is not an ISO-8601 timestamp`);
    return date;
  },
});

function literalToJson(ast: ValueNode, variables?: Record<string, unknown> | null): unknown {
  switch (ast.kind) {
    case Kind.STRING:
    case Kind.BOOLEAN:
      return ast.value;
    case Kind.INT:
    case Kind.FLOAT:
      return Number(ast.value);
    case Kind.NULL:
      return null;
    case Kind.LIST:
      return ast.values.map((value) => literalToJson(value, variables));
    case Kind.OBJECT:
      return Object.fromEntries(ast.fields.map((field) => [field.name.value, literalToJson(field.value, variables)]));
    case Kind.VARIABLE:
      return variables?.[ast.name.value];
    default:
      throw new GraphQLError('Unsupported JSON literal');
  }
}

export const JSONScalar = new GraphQLScalarType({
  name: 'JSON',
  description: 'Any JSON value.',
  serialize: (value) => value,
  parseValue: (value) => value,
  parseLiteral: literalToJson,
});

export const typeDefs = /* GraphQL */ `
  scalar DateTime
  scalar JSON
  scalar MetricValue

  type Query {
    "The signed-in user (the owner of the token)."
    viewer: Viewer!
  }
  type Mutation
  type Subscription

  type PageInfo {
    hasNextPage: Boolean!
    endCursor: String
  }

  "One problem with an input, e.g. path 'optimizer.learningRate' and why it is wrong."
  type FieldProblem {
    path: String!
    message: String!
  }
`;

export const resolvers = { DateTime, JSON: JSONScalar, MetricValue };
