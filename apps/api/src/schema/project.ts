import { projects, runs } from '@tuneboard/db';
import { and, count, eq, isNull, sql } from 'drizzle-orm';
import { badUserInput, conflict } from '../errors';
import type { Resolvers } from '../generated/resolvers-types';
import { loadProject, requireTeam, requireViewer } from '../services/access';
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
    projects: async (_parent, { teamId }, ctx) => {
      const viewer = requireViewer(ctx);
      const teamIds = teamId ? [teamId] : [...viewer.roles.keys()];
      if (teamId) requireTeam(ctx, teamId, 'read', 'Team', teamId);
      if (teamIds.length === 0) return [];
      return ctx.store.db
        .select()
        .from(projects)
        .where(and(sql`${projects.teamId} in ${teamIds}`, isNull(projects.deletedAt)))
        .orderBy(projects.name);
    },
    project: (_parent, { id }, ctx) => loadProject(ctx, id, 'read'),
  },
  Project: {
    team: async (project, _args, ctx) => (await ctx.loaders.team.load(project.teamId))!,
    runCount: async (project, _args, ctx) => {
      const [row] = await ctx.store.db
        .select({ n: count() })
        .from(runs)
        .where(and(eq(runs.projectId, project.id), isNull(runs.deletedAt)));
      return row?.n ?? 0;
    },
    runs: (project, args, ctx) => listRuns(ctx, project.id, args),
  },
  Mutation: {
    createProject: async (_parent, { teamId, name, description }, ctx) => {
      requireTeam(ctx, teamId, 'write', 'Team', teamId);
      const trimmed = name.trim();
      if (trimmed === '' || trimmed.length > 100)
        throw badUserInput('A project name must have 1 to 100 characters', [{ path: 'name', message: 'must have 1 to 100 characters' }]);
      const [project] = await ctx.store.db
        .insert(projects)
        .values({ teamId, name: trimmed, description: description ?? '' })
        .onConflictDoNothing()
        .returning();
      if (!project) throw conflict(`This team already has a project named "${trimmed}"`);
      return project;
    },
  },
};
