import { makeExecutableSchema } from '@graphql-tools/schema';
import { Kind, parse, printSchema, type GraphQLSchema } from 'graphql';
import * as account from './account';
import * as artifact from './artifact';
import { mapDomainErrors } from './domain-errors';
import * as finding from './finding';
import * as importance from './importance';
import * as invitation from './invitation';
import * as log from './log';
import * as metric from './metric';
import * as metricGroup from './metric-group';
import * as project from './project';
import * as run from './run';
import * as runAnnotation from './run-annotation';
import * as runGroup from './run-group';
import * as scalars from './scalars';
import * as search from './search';
import * as suggestion from './suggestion';
import * as worker from './worker';

/** One module per domain, each registering its types and root fields together. */
const domains = [
  scalars,
  account,
  invitation,
  project,
  run,
  runAnnotation,
  runGroup,
  artifact,
  metric,
  metricGroup,
  log,
  worker,
  finding,
  importance,
  suggestion,
  search,
];

/**
 * Refuses two domains defining a type of the same name. makeExecutableSchema would merge them silently (a second
 * `input FinishRunInput` once made the first one's required fields required in both); `extend type` is the way to
 * add to another domain's type.
 */
export function assertDistinctTypeNames(typeDefs: readonly string[]): void {
  const seen = new Set<string>();
  for (const source of typeDefs)
    for (const definition of parse(source).definitions) {
      if (!('name' in definition) || !definition.name || definition.kind === Kind.OPERATION_DEFINITION || definition.kind.endsWith('Extension')) continue;
      if (definition.kind === Kind.DIRECTIVE_DEFINITION) continue;
      const name = definition.name.value;
      if (seen.has(name)) throw new Error(`The GraphQL type ${name} is defined twice; rename one, or add to the other with \`extend\``);
      seen.add(name);
    }
}

export function buildSchema(): GraphQLSchema {
  assertDistinctTypeNames(domains.map((d) => d.typeDefs));
  return makeExecutableSchema({
    typeDefs: domains.map((d) => d.typeDefs),
    resolvers: domains.map((d) => mapDomainErrors(d.resolvers as Record<string, unknown>)) as never,
    // Every field the SDL promises must be backed by a resolver or a model property: fail at start, not at query time.
    resolverValidationOptions: { requireResolversToMatchSchema: 'error' },
  });
}

/** The SDL as published in apps/api/schema.graphql. */
export function printPublishedSchema(): string {
  return printSchema(buildSchema()) + '\n';
}
