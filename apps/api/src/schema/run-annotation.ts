import type { Resolvers } from '../generated/resolvers-types';
import { annotationsOfRuns, MAX_ANNOTATED_RUNS } from '../services/run-annotations';

export const typeDefs = /* GraphQL */ `
  extend type RunAnnotation {
    "The run it is about."
    runId: ID!
  }

  extend type Query {
    "The annotations of many runs at once (at most ${MAX_ANNOTATED_RUNS}), oldest first; runs you may not read are left out."
    runAnnotations(runIds: [ID!]!): [RunAnnotation!]!
  }
`;

export const resolvers: Resolvers = {
  Query: {
    runAnnotations: (_parent, { runIds }, ctx) => annotationsOfRuns(ctx, runIds),
  },
};
