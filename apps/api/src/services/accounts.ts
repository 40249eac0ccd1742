import { apiTokens, memberships, teams, users, type Role, type Store, type TokenScope } from '@tuneboard/db';
import { and, eq, gt, isNull, lt, or, sql } from 'drizzle-orm';
import { alias } from 'drizzle-orm/pg-core';
import { createHash, randomBytes } from 'node:crypto';
import { unauthenticated } from './errors';

/** Users, teams, memberships and API tokens: shared by the resolvers, `npm start` and the CLI. */

const TOKEN_PREFIX = 'tb_';

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export interface IssuedToken {
  id: string;
  name: string;
  /** The secret itself: returned once, never stored. */
  token: string;
}

function newTokenSecret(): string {
  return TOKEN_PREFIX + randomBytes(32).toString('base64url');
}

export async function issueToken(store: Store, userId: string, name: string): Promise<IssuedToken> {
  const token = newTokenSecret();
  const [row] = await store.db
    .insert(apiTokens)
    .values({ userId, name, tokenHash: hashToken(token), prefix: token.slice(0, TOKEN_PREFIX.length + 6) })
    .returning({ id: apiTokens.id });
  return { id: row!.id, name, token };
}

const lastRecordedUse = new Map<string, number>();
const TOKEN_USE_RESOLUTION_MS = 60_000;
const TOKEN_USES_REMEMBERED = 10_000;

/**
 * Keeps "last used" for the token list: written at most once a minute per token by this process (and never
 * in the request's way), so authentication stays one read on the hot path.
 */
function recordTokenUse(store: Store, tokenId: string): void {
  const now = Date.now();
  if (now - (lastRecordedUse.get(tokenId) ?? 0) < TOKEN_USE_RESOLUTION_MS) return;
  // Every page load mints a subscription ticket: forget uses older than the resolution, or this map only grows.
  if (lastRecordedUse.size >= TOKEN_USES_REMEMBERED)
    for (const [id, at] of lastRecordedUse) if (now - at >= TOKEN_USE_RESOLUTION_MS) lastRecordedUse.delete(id);
  lastRecordedUse.set(tokenId, now);
  store.query('update api_tokens set last_used_at = now() where id = $1', [tokenId]).catch(() => {});
}

export interface Actor {
  userId: string;
  email: string;
  tokenId: string;
  /** 'all' for a person's or a worker's token; 'subscribe' for a subscription ticket. */
  scope: TokenScope;
  /** teamId → role, for every team the user belongs to. */
  roles: ReadonlyMap<string, Role>;
}

/**
 * Where a token is presented. A subscription ticket is refused over HTTP; its expiry bounds when it can open
 * a WebSocket ('socket-connect'), not how long that socket stays open ('socket': the checks of an open
 * socket), so a live page is not cut off every few minutes. Revoking the ticket's parent ends the socket.
 */
export type TokenUse = 'http' | 'socket-connect' | 'socket';

const parentTokens = alias(apiTokens, 'parent_token');

/**
 * The viewer a token belongs to, or null for an unknown, revoked or expired token, or a ticket whose parent
 * token is revoked, expired or gone. A ticket presented over HTTP is refused with a message saying why.
 */
export async function authenticate(store: Store, token: string, use: TokenUse): Promise<Actor | null> {
  const now = new Date();
  const unexpired = or(isNull(apiTokens.expiresAt), gt(apiTokens.expiresAt, now));
  const rows = await store.db
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
        eq(apiTokens.tokenHash, hashToken(token)),
        isNull(apiTokens.revokedAt),
        use === 'socket' ? or(eq(apiTokens.scope, 'subscribe'), unexpired) : unexpired,
        or(
          isNull(apiTokens.parentId),
          and(isNull(parentTokens.revokedAt), or(isNull(parentTokens.expiresAt), gt(parentTokens.expiresAt, now))),
        ),
      ),
    );
  const first = rows[0];
  if (!first) return null;
  if (first.scope === 'subscribe' && use === 'http')
    throw unauthenticated(
      'This token is a subscription ticket: it only opens WebSocket subscriptions. Send a full API token over HTTP.',
    );
  recordTokenUse(store, first.tokenId);
  const roles = new Map<string, Role>();
  for (const row of rows) if (row.teamId && row.role) roles.set(row.teamId, row.role);
  return { userId: first.userId, email: first.email, tokenId: first.tokenId, scope: first.scope, roles };
}

/** How long a subscription ticket may be used to open a WebSocket. */
export const SUBSCRIPTION_TICKET_SECONDS = 120;
/**
 * Expired tickets are deleted once no socket has used them for this long: an open socket re-checks its
 * ticket every minute (which records its use), so a ticket an open socket still holds is never deleted.
 */
const EXPIRED_TICKET_IDLE_SECONDS = 600;

export interface SubscriptionTicket {
  token: string;
  expiresAt: Date;
}

/**
 * A short-lived ticket that opens WebSocket subscriptions as the viewer, and nothing else: the dashboard hands
 * it to the browser so the browser never holds the long-lived token. It dies with the token that minted it.
 */
export async function issueSubscriptionTicket(store: Store, viewer: Actor): Promise<SubscriptionTicket> {
  if (viewer.scope !== 'all') throw unauthenticated('Only a full API token can create subscription tickets');
  const token = newTokenSecret();
  const expiresAt = new Date(Date.now() + SUBSCRIPTION_TICKET_SECONDS * 1000);
  await store.db.transaction(async (tx) => {
    // Tickets are minted on every (re)connect; the dead ones go here so they do not pile up.
    await tx
      .delete(apiTokens)
      .where(
        and(
          eq(apiTokens.userId, viewer.userId),
          eq(apiTokens.scope, 'subscribe'),
          lt(apiTokens.expiresAt, new Date()),
          lt(sql`coalesce(${apiTokens.lastUsedAt}, ${apiTokens.createdAt})`, new Date(Date.now() - EXPIRED_TICKET_IDLE_SECONDS * 1000)),
        ),
      );
    await tx.insert(apiTokens).values({
      userId: viewer.userId,
      name: 'subscription ticket',
      tokenHash: hashToken(token),
      prefix: token.slice(0, TOKEN_PREFIX.length + 6),
      scope: 'subscribe',
      expiresAt,
      parentId: viewer.tokenId,
    });
  });
  return { token, expiresAt };
}

/** The e-mail trimmed, or an AccountError saying it is not one. */
export function validateEmail(email: string): string {
  const normalized = email.trim();
  if (!/^[^@\s]+@[^@\s]+$/.test(normalized) || normalized.length > 320) throw new AccountError(`"${email}" is not an email address`);
  return normalized;
}

export async function findOrCreateUser(store: Store, email: string, name?: string): Promise<{ id: string; email: string; created: boolean }> {
  const normalized = validateEmail(email);
  const [existing] = await store.db.select().from(users).where(sql`lower(${users.email}) = lower(${normalized})`);
  if (existing) return { id: existing.id, email: existing.email, created: false };
  const [created] = await store.db.insert(users).values({ email: normalized, name: name ?? null }).returning();
  return { id: created!.id, email: created!.email, created: true };
}

/** Teams named `name` (names are not unique), oldest first. */
export async function teamsNamed(store: Store, name: string) {
  return store.db
    .select({ id: teams.id, name: teams.name, createdAt: teams.createdAt, members: sql<number>`(select count(*)::int from memberships m where m.team_id = ${teams.id})` })
    .from(teams)
    .where(sql`lower(${teams.name}) = lower(${name.trim()})`)
    .orderBy(teams.createdAt);
}

export function validateTeamName(name: string): string {
  const trimmed = name.trim();
  if (trimmed === '' || trimmed.length > 100) throw new AccountError('A team name must have 1 to 100 characters');
  return trimmed;
}

/** A new team owned by `ownerId`, whatever other teams are called: names are not unique, teams are found by id. */
export async function createTeam(store: Store, name: string, ownerId: string) {
  const trimmed = validateTeamName(name);
  return store.db.transaction(async (tx) => {
    const [team] = await tx.insert(teams).values({ name: trimmed }).returning();
    await tx.insert(memberships).values({ userId: ownerId, teamId: team!.id, role: 'owner' });
    return team!;
  });
}

export async function addMember(store: Store, userId: string, teamId: string, role: Role): Promise<void> {
  await store.db
    .insert(memberships)
    .values({ userId, teamId, role })
    .onConflictDoUpdate({ target: [memberships.userId, memberships.teamId], set: { role } });
}

export class AccountError extends Error {
  override name = 'AccountError';
}

/** `--team NAME` named teams that exist already: joining one must be asked for by id, never happen silently. */
export class TeamNameTakenError extends AccountError {
  constructor(
    readonly teamName: string,
    readonly existing: { id: string; name: string; createdAt: Date; members: number }[],
  ) {
    super(
      `${existing.length === 1 ? 'A team' : `${existing.length} teams`} named "${teamName}" already exist${existing.length === 1 ? 's' : ''}: ` +
        existing.map((team) => `${team.id} ("${team.name}", created ${team.createdAt.toISOString()}, ${team.members} member${team.members === 1 ? '' : 's'})`).join('; ') +
        '. Nobody joins an existing team by its name. To add the user to one of these, pass --team-id <id> instead of --team; ' +
        'to create another team with this name anyway, add --new-team.',
    );
  }
}

export interface NewUserInput {
  email: string;
  /** Creates a new team with this name (refused when teams of that name exist, unless `newTeam` or `joinExisting`). */
  team?: string;
  /** Joins this existing team instead. */
  teamId?: string;
  role?: Role;
  /** Create the team even though teams of that name exist. */
  newTeam?: boolean;
  /** Join the one team of that name if it exists (tests, which create users in named teams); never for the CLI. */
  joinExisting?: boolean;
}

/**
 * A user (created when new) in a team, with a fresh token: what `tuneboard user create` prints. Whoever runs it
 * holds the database, so this is the administrator's act; still, a team is joined only when named by id (or
 * `joinExisting`), so a team squatting a name never gains a member by accident.
 */
export async function createUserWithToken(store: Store, input: NewUserInput) {
  validateEmail(input.email);
  let team: { id: string; name: string };
  let created = false;
  if (input.teamId !== undefined) {
    const [found] = /^[0-9a-f-]{36}$/i.test(input.teamId) ? await store.db.select().from(teams).where(eq(teams.id, input.teamId)) : [];
    if (!found) throw new AccountError(`No team with the id ${input.teamId}`);
    team = found;
  } else {
    const name = validateTeamName(input.team ?? '');
    const existing = input.newTeam ? [] : await teamsNamed(store, name);
    if (existing.length === 1 && input.joinExisting) team = existing[0]!;
    else if (existing.length > 0) throw new TeamNameTakenError(name, existing);
    else {
      [team] = (await store.db.insert(teams).values({ name }).returning()) as [typeof teams.$inferSelect];
      created = true;
    }
  }
  const user = await findOrCreateUser(store, input.email);
  // The first member of a new team owns it.
  await addMember(store, user.id, team.id, input.role ?? (created ? 'owner' : 'member'));
  const token = await issueToken(store, user.id, 'cli');
  return { user: { id: user.id, email: user.email }, team: { id: team.id, name: team.name }, token: token.token };
}

export async function hasAnyUser(store: Store): Promise<boolean> {
  const [row] = await store.db.select({ id: users.id }).from(users).limit(1);
  return row !== undefined;
}

/** The first user, team and owner token of an empty installation; refuses when users exist. */
export async function bootstrap(store: Store, input: { email?: string; team?: string } = {}) {
  if (await hasAnyUser(store)) throw new AccountError('This Tuneboard already has users; use `tuneboard user create` or `tuneboard token create`.');
  return createUserWithToken(store, { email: input.email ?? 'admin@localhost', team: input.team ?? 'default', role: 'owner' });
}
