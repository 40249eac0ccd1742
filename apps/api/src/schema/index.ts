import { makeExecutableSchema } from '@graphql-tools/schema';
import { printSchema, type GraphQLSchema } from 'graphql';
import * as account from './account';
import * as artifact from './artifact';
import { mapDomainErrors } from './domain-errors';
import * as finding from './finding';
import * as invitation from './invitation';
import * as log from './log';
import * as metric from './metric';
import * as project from './project';
import * as run from './run';
import * as scalars from './scalars';
import * as worker from './worker';

/** One module per domain, each registering its types and root fields together. */
const domains = [scalars, account, invitation, project, run, artifact, metric, log, worker, finding];

export function buildSchema(): GraphQLSchema {
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
