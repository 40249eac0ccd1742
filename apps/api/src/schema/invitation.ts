import type { Resolvers } from '../generated/resolvers-types';
import { acceptInvitation, createInvitation, invitationStatus, revokeInvitation, teamInvitations } from '../services/invitations';
import { fromRole, toRole } from './account';

export const typeDefs = /* GraphQL */ `
  "An owner's offer to join a team. Nobody becomes a member without accepting one, signed in as themselves."
  type Invitation {
    id: ID!
    team: Team!
    role: Role!
    "When set, only the user with this e-mail may accept; as the owner typed it."
    email: String
    invitedBy: User
    createdAt: DateTime!
    expiresAt: DateTime!
    status: InvitationStatus!
    acceptedBy: User
    acceptedAt: DateTime
    revokedAt: DateTime
  }

  enum InvitationStatus {
    PENDING
    ACCEPTED
    REVOKED
    EXPIRED
  }

  type CreatedInvitation {
    "The secret to hand to the invited person. Shown this once; only its hash is stored."
    token: String!
    invitation: Invitation!
  }

  extend type Team {
    "The team's invitations, newest first (at most 200); owners only."
    invitations: [Invitation!]!
  }

  extend type Mutation {
    """
    Invites someone to a team; owners only. Hand them the returned token: they join by calling
    acceptInvitation with it. With email, only the user with that e-mail can accept. Expires after
    expiresInHours (1 to 720).
    """
    createInvitation(teamId: ID!, role: Role! = MEMBER, email: String, expiresInHours: Int = 72): CreatedInvitation!
    """
    Joins the invitation's team as the signed-in user (once per invitation). An unknown, expired, revoked or used
    invitation, or one for another e-mail, is NOT_FOUND: the answer is the same whatever the reason.
    """
    acceptInvitation(token: String!): Team!
    "Withdraws a pending invitation; owners only."
    revokeInvitation(id: ID!): Invitation!
  }
`;

export const resolvers: Resolvers = {
  Team: {
    invitations: (team, _args, ctx) => teamInvitations(ctx, team.id),
  },
  Invitation: {
    team: async (invitation, _args, ctx) => (await ctx.loaders.team.load(invitation.teamId))!,
    role: (invitation) => toRole(invitation.role),
    invitedBy: (invitation, _args, ctx) => (invitation.invitedBy ? ctx.loaders.user.load(invitation.invitedBy) : null),
    acceptedBy: (invitation, _args, ctx) => (invitation.acceptedBy ? ctx.loaders.user.load(invitation.acceptedBy) : null),
    status: (invitation) => invitationStatus(invitation),
  },
  Mutation: {
    createInvitation: (_parent, { teamId, role, email, expiresInHours }, ctx) => createInvitation(ctx, { teamId, role: fromRole(role), email, expiresInHours }),
    acceptInvitation: (_parent, { token }, ctx) => acceptInvitation(ctx, token),
    revokeInvitation: (_parent, { id }, ctx) => revokeInvitation(ctx, id),
  },
};
