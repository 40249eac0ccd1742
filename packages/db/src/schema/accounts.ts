import { sql } from 'drizzle-orm';
import { check, index, pgTable, primaryKey, text, uniqueIndex, uuid, type AnyPgColumn } from 'drizzle-orm/pg-core';
import { createdAt, id, timestampColumn } from './columns';

export const ROLES = ['owner', 'member', 'viewer'] as const;
export type Role = (typeof ROLES)[number];
export const TOKEN_SCOPES = ['all', 'subscribe'] as const;
export type TokenScope = (typeof TOKEN_SCOPES)[number];

export const users = pgTable(
  'users',
  {
    id: id(),
    email: text('email').notNull(),
    name: text('name'),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex('users_email_lower_idx').on(sql`lower(${t.email})`)],
);

export const teams = pgTable(
  'teams',
  {
    id: id(),
    name: text('name').notNull(),
    createdAt: createdAt(),
  },
  // Names are not unique installation-wide: a unique name would tell anyone which teams exist (and let them
  // squat a name another group will want). Teams are found by id; a name is for people.
  (t) => [index('teams_name_lower_idx').on(sql`lower(${t.name})`)],
);

export const memberships = pgTable(
  'memberships',
  {
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    teamId: uuid('team_id')
      .notNull()
      .references(() => teams.id, { onDelete: 'cascade' }),
    role: text('role', { enum: ROLES }).notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    primaryKey({ columns: [t.userId, t.teamId] }),
    index('memberships_team_idx').on(t.teamId),
    check('memberships_role_check', sql`${t.role} in ('owner', 'member', 'viewer')`),
  ],
);

// Only the SHA-256 of a token is stored; the token itself is shown once when it is created.
export const apiTokens = pgTable(
  'api_tokens',
  {
    id: id(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    tokenHash: text('token_hash').notNull(),
    // The first characters of the token, so a user can tell their tokens apart in a list.
    prefix: text('prefix').notNull(),
    createdAt: createdAt(),
    lastUsedAt: timestampColumn('last_used_at'),
    revokedAt: timestampColumn('revoked_at'),
    // What the token may do: 'all' (a person's or a worker's token) or 'subscribe' (a short-lived ticket the
    // dashboard hands the browser for its WebSocket, so the browser never holds the long-lived token).
    scope: text('scope', { enum: TOKEN_SCOPES }).notNull().default('all'),
    expiresAt: timestampColumn('expires_at'),
    // A ticket is derived from its parent token and dies with it (revoked or deleted).
    parentId: uuid('parent_id').references((): AnyPgColumn => apiTokens.id, { onDelete: 'cascade' }),
  },
  (t) => [
    uniqueIndex('api_tokens_hash_idx').on(t.tokenHash),
    index('api_tokens_user_idx').on(t.userId),
    index('api_tokens_parent_idx').on(t.parentId),
    check('api_tokens_scope_check', sql`${t.scope} in ('all', 'subscribe')`),
  ],
);

// Membership needs the invited person's consent: an owner issues an invitation (a secret link, stored as its
// SHA-256), and only the person who accepts it before it expires joins the team.
export const invitations = pgTable(
  'invitations',
  {
    id: id(),
    teamId: uuid('team_id')
      .notNull()
      .references(() => teams.id, { onDelete: 'cascade' }),
    role: text('role', { enum: ROLES }).notNull(),
    // Optional: when set, only a user with this e-mail may accept.
    email: text('email'),
    tokenHash: text('token_hash').notNull(),
    invitedBy: uuid('invited_by').references(() => users.id, { onDelete: 'set null' }),
    createdAt: createdAt(),
    expiresAt: timestampColumn('expires_at').notNull(),
    acceptedBy: uuid('accepted_by').references(() => users.id, { onDelete: 'set null' }),
    acceptedAt: timestampColumn('accepted_at'),
    revokedAt: timestampColumn('revoked_at'),
  },
  (t) => [
    uniqueIndex('invitations_token_hash_idx').on(t.tokenHash),
    index('invitations_team_idx').on(t.teamId, t.createdAt),
    check('invitations_role_check', sql`${t.role} in ('owner', 'member', 'viewer')`),
  ],
);

export type User = typeof users.$inferSelect;
export type Team = typeof teams.$inferSelect;
export type Membership = typeof memberships.$inferSelect;
export type ApiToken = typeof apiTokens.$inferSelect;
export type Invitation = typeof invitations.$inferSelect;
