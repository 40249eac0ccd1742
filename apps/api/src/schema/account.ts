import type { Role } from '@tuneboard/db';
import type { Resolvers } from '../generated/resolvers-types';
import { requireTeam, requireActor } from '../services/access';
import { createTeam, createToken, issueSubscriptionTicket, listTeams, listTokens, revokeToken, teamMembers } from '../services/accounts';
import { listProjects } from '../services/projects';

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
    "Whether this request was authenticated with it (the dashboard marks the token you are signed in with)."
    current: Boolean!
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
    teams: (_parent, _args, ctx) => listTeams(ctx),
  },
  Viewer: {
    id: (viewer) => viewer.userId,
    // The parent is the actor itself.
    teams: (_viewer, _args, ctx) => listTeams(ctx),
    tokens: (_viewer, _args, ctx) => listTokens(ctx),
  },
  ApiToken: {
    current: (token, _args, ctx) => ctx.actor?.tokenId === token.id,
  },
  Team: {
    role: (team, _args, ctx) => toRole(requireTeam(ctx, team.id, 'read', 'Team', team.id)),
    members: (team, _args, ctx) => teamMembers(ctx, team.id),
    projects: (team, _args, ctx) => listProjects(ctx, team.id),
  },
  TeamMember: {
    user: async (member, _args, ctx) => (await ctx.loaders.user.load(member.userId))!,
    role: (member) => toRole(member.role),
  },
  Mutation: {
    createTeam: (_parent, { name }, ctx) => createTeam(ctx, name),
    createToken: (_parent, { name }, ctx) => createToken(ctx, name),
    createSubscriptionTicket: (_parent, _args, ctx) => issueSubscriptionTicket(ctx),
    revokeToken: (_parent, { id }, ctx) => revokeToken(ctx, id),
  },
};
