import { and, asc, eq, gt, inArray, isNull, lt, or, sql } from 'drizzle-orm';
import { alias } from 'drizzle-orm/pg-core';
import { apiTokens, memberships, teams, users, type ApiToken, type Membership, type Role, type Team, type TokenScope, type User } from '../schema/accounts';
import type { Handle } from './handle';

/** Users, teams, memberships and API tokens. */

/** What anyone in a shared team may see of a user: never the password or tokens. */
export interface UserSummary {
  id: string;
  email: string;
  name: string | null;
}

export async function usersByIds(handle: Handle, ids: readonly string[]): Promise<UserSummary[]> {
  if (ids.length === 0) return [];
  return handle.db
    .select({ id: users.id, email: users.email, name: users.name })
    .from(users)
    .where(inArray(users.id, [...ids]));
}

export async function teamsByIds(handle: Handle, ids: readonly string[]): Promise<Team[]> {
  if (ids.length === 0) return [];
  return handle.db
    .select()
    .from(teams)
    .where(inArray(teams.id, [...ids]));
}

// ---- users ----

export async function hasAnyUser(handle: Handle): Promise<boolean> {
  const [row] = await handle.db.select({ id: users.id }).from(users).limit(1);
  return row !== undefined;
}

/**
 * True when there are no users yet; the caller's transaction then holds a lock on the users table until it ends,
 * so two processes starting an empty installation at once create one first user, not two. Only inside a transaction.
 */
export async function claimEmptyInstallation(tx: Handle): Promise<boolean> {
  await tx.db.execute(sql`lock table ${users} in share row exclusive mode`);
  return !(await hasAnyUser(tx));
}

/** The oldest user: the one `tuneboard start` created on the first start. */
export async function firstUser(handle: Handle): Promise<User | null> {
  const [user] = await handle.db.select().from(users).orderBy(asc(users.createdAt)).limit(1);
  return user ?? null;
}

/** E-mails are unique case-insensitively. */
export async function userByEmail(handle: Handle, email: string): Promise<User | null> {
  const [user] = await handle.db
    .select()
    .from(users)
    .where(sql`lower(${users.email}) = lower(${email})`);
  return user ?? null;
}

/** The user with this e-mail, created when there is none (also when another process creates it meanwhile). */
export async function findOrCreateUser(handle: Handle, values: { email: string; name?: string | null }): Promise<{ user: User; created: boolean }> {
  const existing = await userByEmail(handle, values.email);
  if (existing) return { user: existing, created: false };
  const [created] = await handle.db
    .insert(users)
    .values({ email: values.email, name: values.name ?? null })
    .onConflictDoNothing()
    .returning();
  if (created) return { user: created, created: true };
  const raced = await userByEmail(handle, values.email);
  if (!raced) throw new Error(`The user ${values.email} could neither be created nor found`);
  return { user: raced, created: false };
}

// ---- teams and memberships ----

export async function teamById(handle: Handle, id: string): Promise<Team | null> {
  const [team] = await handle.db.select().from(teams).where(eq(teams.id, id));
  return team ?? null;
}

export interface TeamWithMemberCount extends Team {
  members: number;
}

/** Teams named `name`, case-insensitively (names are not unique), oldest first. */
export async function teamsNamed(handle: Handle, name: string): Promise<TeamWithMemberCount[]> {
  return handle.db
    .select({
      id: teams.id,
      name: teams.name,
      createdAt: teams.createdAt,
      members: sql<number>`(select count(*)::int from ${memberships} m where m.team_id = ${teams.id})`,
    })
    .from(teams)
    .where(sql`lower(${teams.name}) = lower(${name})`)
    .orderBy(teams.createdAt);
}

/** A new team without members; see `createTeamWithOwner` for a team and its owner at once. */
export async function createTeam(handle: Handle, name: string): Promise<Team> {
  const [team] = await handle.db.insert(teams).values({ name }).returning();
  return team!;
}

/** A new team and its owner's membership, in one transaction. */
export async function createTeamWithOwner(handle: Handle, name: string, ownerId: string): Promise<Team> {
  return handle.db.transaction(async (db) => {
    const [team] = await db.insert(teams).values({ name }).returning();
    await db.insert(memberships).values({ userId: ownerId, teamId: team!.id, role: 'owner' });
    return team!;
  });
}

/** Adds the user to the team, or sets their role when they are a member already. */
export async function setMembership(handle: Handle, values: { userId: string; teamId: string; role: Role }): Promise<void> {
  await handle.db
    .insert(memberships)
    .values(values)
    .onConflictDoUpdate({ target: [memberships.userId, memberships.teamId], set: { role: values.role } });
}

/** The team's memberships, oldest first. */
export async function membersOfTeam(handle: Handle, teamId: string): Promise<Membership[]> {
  return handle.db.select().from(memberships).where(eq(memberships.teamId, teamId)).orderBy(memberships.createdAt);
}

// ---- API tokens ----

/** What is stored of a token: its hash and first characters, never the secret. */
export interface NewToken {
  userId: string;
  name: string;
  tokenHash: string;
  prefix: string;
}

export async function insertToken(handle: Handle, values: NewToken): Promise<ApiToken> {
  const [token] = await handle.db.insert(apiTokens).values(values).returning();
  return token!;
}

/** The user's own tokens (scope 'all'), oldest first; subscription tickets are left out. */
export async function fullTokensOfUser(handle: Handle, userId: string): Promise<ApiToken[]> {
  return handle.db
    .select()
    .from(apiTokens)
    .where(and(eq(apiTokens.userId, userId), eq(apiTokens.scope, 'all')))
    .orderBy(apiTokens.createdAt);
}

/** Revokes one of the user's tokens (again, if revoked already); null when the user has no token of that id. */
export async function revokeTokenOfUser(handle: Handle, userId: string, tokenId: string): Promise<ApiToken | null> {
  const [token] = await handle.db
    .update(apiTokens)
    .set({ revokedAt: new Date() })
    .where(and(eq(apiTokens.id, tokenId), eq(apiTokens.userId, userId)))
    .returning();
  return token ?? null;
}

/** Revokes the user's live tokens of this name. */
/** Deletes every token of this user with this name (and the tickets derived from them): they stop working at once. */
export async function deleteTokensNamed(handle: Handle, userId: string, name: string): Promise<void> {
  await handle.db.delete(apiTokens).where(and(eq(apiTokens.userId, userId), eq(apiTokens.name, name)));
}

export async function recordTokenUse(handle: Handle, tokenId: string): Promise<void> {
  await handle.db
    .update(apiTokens)
    .set({ lastUsedAt: sql`now()` })
    .where(eq(apiTokens.id, tokenId));
}

/** Who holds a token, and their teams. */
export interface TokenHolder {
  userId: string;
  email: string;
  tokenId: string;
  scope: TokenScope;
  memberships: { teamId: string; role: Role }[];
}

const parentTokens = alias(apiTokens, 'parent_token');

/**
 * The holder of the token with this hash, or null when it is unknown, revoked or expired, or a ticket whose
 * parent token is revoked, expired or gone. `expiredTicketsPass`: an expired subscription ticket still counts
 * (the checks of a socket it opened while it was valid).
 */
export async function tokenHolder(handle: Handle, tokenHash: string, options: { expiredTicketsPass: boolean }): Promise<TokenHolder | null> {
  return holderOfRows(await tokenHolderQuery(handle, tokenHash, options));
}

/** One row per membership of the token's holder (one with null team and role when there is none). */
export interface TokenHolderRow {
  userId: string;
  email: string;
  tokenId: string;
  scope: TokenScope;
  teamId: string | null;
  role: Role | null;
}

/**
 * The query behind tokenHolder, the one definition of a valid token, also embedded whole by the statement that
 * counts a request and authenticates it at once (rate-limits.ts). Its columns, in order, are TOKEN_HOLDER_COLUMNS.
 */
export function tokenHolderQuery(handle: Handle, tokenHash: string, options: { expiredTicketsPass: boolean }) {
  const now = new Date();
  const unexpired = or(isNull(apiTokens.expiresAt), gt(apiTokens.expiresAt, now));
  return handle.db
    .select({
      userId: users.id,
      email: users.email,
      tokenId: apiTokens.id,
      scope: apiTokens.scope,
      teamId: memberships.teamId,
      role: memberships.role,
    })
    .from(apiTokens)
    .innerJoin(users, eq(users.id, apiTokens.userId))
    .leftJoin(parentTokens, eq(parentTokens.id, apiTokens.parentId))
    .leftJoin(memberships, eq(memberships.userId, users.id))
    .where(
      and(
        eq(apiTokens.tokenHash, tokenHash),
        isNull(apiTokens.revokedAt),
        options.expiredTicketsPass ? or(eq(apiTokens.scope, 'subscribe'), unexpired) : unexpired,
        or(isNull(apiTokens.parentId), and(isNull(parentTokens.revokedAt), or(isNull(parentTokens.expiresAt), gt(parentTokens.expiresAt, now)))),
      ),
    );
}

/** tokenHolderQuery's columns, in the order of its select. */
export const TOKEN_HOLDER_COLUMNS = ['user_id', 'email', 'token_id', 'scope', 'team_id', 'role'] as const;

export function holderOfRows(rows: readonly TokenHolderRow[]): TokenHolder | null {
  const first = rows[0];
  if (!first) return null;
  const held: TokenHolder['memberships'] = [];
  for (const row of rows) if (row.teamId && row.role) held.push({ teamId: row.teamId, role: row.role });
  return { userId: first.userId, email: first.email, tokenId: first.tokenId, scope: first.scope, memberships: held };
}

/**
 * Stores a subscription ticket derived from `parentId`, and in the same transaction deletes the user's tickets
 * that expired and have not been used since `idleSince`: tickets are minted on every (re)connect, so the dead
 * ones go here rather than pile up.
 */
export async function insertSubscriptionTicket(handle: Handle, values: NewToken & { parentId: string; expiresAt: Date; idleSince: Date }): Promise<ApiToken> {
  const { idleSince, ...ticket } = values;
  return handle.db.transaction(async (db) => {
    await db
      .delete(apiTokens)
      .where(
        and(
          eq(apiTokens.userId, ticket.userId),
          eq(apiTokens.scope, 'subscribe'),
          lt(apiTokens.expiresAt, new Date()),
          lt(sql`coalesce(${apiTokens.lastUsedAt}, ${apiTokens.createdAt})`, idleSince),
        ),
      );
    const [row] = await db
      .insert(apiTokens)
      .values({ ...ticket, scope: 'subscribe' })
      .returning();
    return row!;
  });
}
