import { apiTokens, memberships, projects, type Role } from '@tuneboard/db';
import { and, eq, isNull } from 'drizzle-orm';
import { badUserInput, notFound } from '../services/errors';
import type { Resolvers } from '../generated/resolvers-types';
import { requireTeam, requireActor } from '../services/access';
import { AccountError, createTeam, issueSubscriptionTicket, issueToken } from '../services/accounts';

export const typeDefs = /* GraphQL */ `
  enum Role {
    OWNER
    MEMBER
    VIEWER
  }

  type Viewer {
    id: ID!
    email: String!
    teams: [Team!]!
    "The viewer's API tokens (never the secrets)."
    tokens: [ApiToken!]!
  }

  type User {
    id: ID!
    email: String!
  }

  type Team {
    id: ID!
    name: String!
    "The viewer's role in this team."
    role: Role!
    members: [TeamMember!]!
    projects: [Project!]!
  }

  type TeamMember {
    user: User!
    role: Role!
  }

  type ApiToken {
    id: ID!
    name: String!
    "The first characters of the token, to tell tokens apart."
    prefix: String!
    createdAt: DateTime!
    lastUsedAt: DateTime
    revokedAt: DateTime
  }

  type CreatedToken {
    "The secret. Shown this once; only its hash is stored."
    token: String!
    apiToken: ApiToken!
  }

  "A short-lived secret that opens WebSocket subscriptions as its creator, and nothing else."
  type SubscriptionTicket {
    token: String!
    "After this it can no longer open a socket; a socket it opened stays open until its parent token is revoked."
    expiresAt: DateTime!
  }

  extend type Query {
    "The teams the viewer belongs to."
    teams: [Team!]!
  }

  extend type Mutation {
    "Creates a team owned by the viewer. Names need not be unique: teams are told apart by id."
    createTeam(name: String!): Team!
    "Creates an API token for the viewer."
    createToken(name: String!): CreatedToken!
    revokeToken(id: ID!): ApiToken!
    "A ticket for the WebSocket, so a browser never holds the long-lived token; needs a full API token."
    createSubscriptionTicket: SubscriptionTicket!
  }
`;

export const toRole = (role: Role) => role.toUpperCase() as 'OWNER' | 'MEMBER' | 'VIEWER';
export const fromRole = (role: 'OWNER' | 'MEMBER' | 'VIEWER') => role.toLowerCase() as Role;

export const resolvers: Resolvers = {
  Query: {
    viewer: (_parent, _args, ctx) => requireActor(ctx),
    teams: async (_parent, _args, ctx) => {
      const viewer = requireActor(ctx);
      const rows = await Promise.all([...viewer.roles.keys()].map((id) => ctx.loaders.team.load(id)));
      return rows.filter((team) => team !== null).sort((a, b) => a.name.localeCompare(b.name));
    },
  },
  Viewer: {
    id: (viewer) => viewer.userId,
    teams: async (viewer, _args, ctx) => {
      const rows = await Promise.all([...viewer.roles.keys()].map((id) => ctx.loaders.team.load(id)));
      return rows.filter((team) => team !== null).sort((a, b) => a.name.localeCompare(b.name));
    },
    // Subscription tickets are the dashboard's plumbing, not tokens a person manages.
    tokens: (viewer, _args, ctx) =>
      ctx.store.db
        .select()
        .from(apiTokens)
        .where(and(eq(apiTokens.userId, viewer.userId), eq(apiTokens.scope, 'all')))
        .orderBy(apiTokens.createdAt),
  },
  Team: {
    role: (team, _args, ctx) => toRole(requireTeam(ctx, team.id, 'read', 'Team', team.id)),
    members: async (team, _args, ctx) => {
      requireTeam(ctx, team.id, 'read', 'Team', team.id);
      const rows = await ctx.store.db.select().from(memberships).where(eq(memberships.teamId, team.id)).orderBy(memberships.createdAt);
      return rows.map((row) => ({ userId: row.userId, role: row.role }));
    },
    projects: (team, _args, ctx) => {
      requireTeam(ctx, team.id, 'read', 'Team', team.id);
      return ctx.store.db
        .select()
        .from(projects)
        .where(and(eq(projects.teamId, team.id), isNull(projects.deletedAt)))
        .orderBy(projects.name);
    },
  },
  TeamMember: {
    user: async (member, _args, ctx) => (await ctx.loaders.user.load(member.userId))!,
    role: (member) => toRole(member.role),
  },
  Mutation: {
    createTeam: async (_parent, { name }, ctx) => {
      const viewer = requireActor(ctx);
      let team;
      try {
        team = await createTeam(ctx.store, name, viewer.userId);
      } catch (error) {
        if (error instanceof AccountError) throw badUserInput(error.message, [{ path: 'name', message: 'must have 1 to 100 characters' }]);
        throw error;
      }
      // The viewer was built before the team existed; later resolvers in this request must see the new role.
      (viewer.roles as Map<string, Role>).set(team.id, 'owner');
      return team;
    },
    createToken: async (_parent, { name }, ctx) => {
      const viewer = requireActor(ctx);
      if (name.trim() === '') throw badUserInput('A token needs a name', [{ path: 'name', message: 'must not be empty' }]);
      const issued = await issueToken(ctx.store, viewer.userId, name.trim());
      const [apiToken] = await ctx.store.db.select().from(apiTokens).where(eq(apiTokens.id, issued.id));
      return { token: issued.token, apiToken: apiToken! };
    },
    createSubscriptionTicket: (_parent, _args, ctx) => issueSubscriptionTicket(ctx.store, requireActor(ctx)),
    revokeToken: async (_parent, { id }, ctx) => {
      const viewer = requireActor(ctx);
      const [token] = await ctx.store.db
        .update(apiTokens)
        .set({ revokedAt: new Date() })
        .where(and(eq(apiTokens.id, id), eq(apiTokens.userId, viewer.userId)))
        .returning()
        .catch(() => []);
      if (!token) throw notFound('Token', id);
      // Open subscriptions end now (here before answering, on other replicas through NOTIFY), not at the
      // next periodic re-check.
      await ctx.events.publishTokenRevoked(viewer.userId);
      return token;
    },
  },
};

