import type { Resolvers } from '../generated/resolvers-types';
import { loadProject } from '../services/access';
import { countRuns, createProject, listProjects } from '../services/projects';
import { listRuns } from '../services/run-listing';

export const typeDefs = /* GraphQL */ `
  "A project (an MLflow experiment): the runs of one modelling question."
  type Project {
    id: ID!
    team: Team!
    name: String!
    description: String!
    createdAt: DateTime!
    runCount: Int!
    runs(filter: String, orderBy: RunOrder, first: Int = 50, after: String, ids: [ID!]): RunConnection!
  }

  extend type Query {
    "Projects of the viewer's teams (or of one team)."
    projects(teamId: ID): [Project!]!
    project(id: ID!): Project
  }

  extend type Mutation {
    createProject(teamId: ID!, name: String!, description: String): Project!
  }
`;

export const resolvers: Resolvers = {
  Query: {
    projects: (_parent, { teamId }, ctx) => listProjects(ctx, teamId),
    project: (_parent, { id }, ctx) => loadProject(ctx, id, 'read'),
  },
  Project: {
    team: async (project, _args, ctx) => (await ctx.loaders.team.load(project.teamId))!,
    runCount: (project, _args, ctx) => countRuns(ctx, project.id),
    runs: (project, args, ctx) => listRuns(ctx, project.id, args),
  },
  Mutation: {
    createProject: (_parent, { teamId, name, description }, ctx) => createProject(ctx, { teamId, name, description }),
  },
};
