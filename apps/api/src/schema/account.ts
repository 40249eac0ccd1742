import { apiTokens, memberships, projects, teams, users, type Role } from '@tuneboard/db';
import { and, eq, isNull } from 'drizzle-orm';
import { badUserInput, conflict, notFound } from '../errors';
import type { Resolvers } from '../generated/resolvers-types';
import { requireTeam, requireViewer } from '../services/access';
import { addMember, findOrCreateUser, issueToken } from '../services/accounts';

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

  extend type Query {
    "The teams the viewer belongs to."
    teams: [Team!]!
  }

  extend type Mutation {
    "Creates a team owned by the viewer."
    createTeam(name: String!): Team!
    "Adds a user (created if new) to a team; owners only."
    addTeamMember(teamId: ID!, email: String!, role: Role! = MEMBER): TeamMember!
    "Creates an API token for the viewer."
    createToken(name: String!): CreatedToken!
    revokeToken(id: ID!): ApiToken!
  }
`;

const toRole = (role: Role) => role.toUpperCase() as 'OWNER' | 'MEMBER' | 'VIEWER';
const fromRole = (role: 'OWNER' | 'MEMBER' | 'VIEWER') => role.toLowerCase() as Role;

export const resolvers: Resolvers = {
  Query: {
    viewer: (_parent, _args, ctx) => requireViewer(ctx),
    teams: async (_parent, _args, ctx) => {
      const viewer = requireViewer(ctx);
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
    tokens: (viewer, _args, ctx) => ctx.store.db.select().from(apiTokens).where(eq(apiTokens.userId, viewer.userId)).orderBy(apiTokens.createdAt),
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
      const viewer = requireViewer(ctx);
      const trimmed = name.trim();
      if (trimmed === '' || trimmed.length > 100) throw badUserInput('A team name must have 1 to 100 characters', [{ path: 'name', message: 'must have 1 to 100 characters' }]);
      const team = await ctx.store.db.transaction(async (tx) => {
        const [created] = await tx.insert(teams).values({ name: trimmed }).onConflictDoNothing().returning();
        if (!created) return null;
        await tx.insert(memberships).values({ userId: viewer.userId, teamId: created.id, role: 'owner' });
        return created;
      });
      if (!team) throw conflict(`A team named "${trimmed}" already exists`);
      // The viewer was built before the team existed; later resolvers in this request must see the new role.
      (viewer.roles as Map<string, Role>).set(team.id, 'owner');
      return team;
    },
    addTeamMember: async (_parent, { teamId, email, role }, ctx) => {
      requireTeam(ctx, teamId, 'admin', 'Team', teamId);
      let user;
      try {
        user = await findOrCreateUser(ctx.store, email);
      } catch (error) {
        throw badUserInput((error as Error).message, [{ path: 'email', message: (error as Error).message }]);
      }
      await addMember(ctx.store, user.id, teamId, fromRole(role));
      return { userId: user.id, role: fromRole(role) };
    },
    createToken: async (_parent, { name }, ctx) => {
      const viewer = requireViewer(ctx);
      if (name.trim() === '') throw badUserInput('A token needs a name', [{ path: 'name', message: 'must not be empty' }]);
      const issued = await issueToken(ctx.store, viewer.userId, name.trim());
      const [apiToken] = await ctx.store.db.select().from(apiTokens).where(eq(apiTokens.id, issued.id));
      return { token: issued.token, apiToken: apiToken! };
    },
    revokeToken: async (_parent, { id }, ctx) => {
      const viewer = requireViewer(ctx);
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

