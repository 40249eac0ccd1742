import { accountStore, inTransaction, type ApiToken, type Handle, type Role, type Store, type Team, type TokenScope } from '@tuneboard/db';
import { createHash, randomBytes } from 'node:crypto';
import { isUuid, requireActor, requireTeam } from './access';
import { conflict, DomainError, invalid, notFound, unauthenticated } from './errors';
import type { Scope } from './scope';

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

export async function issueToken(handle: Handle, userId: string, name: string): Promise<IssuedToken & { apiToken: ApiToken }> {
  const token = newTokenSecret();
  const apiToken = await accountStore.insertToken(handle, { userId, name, ...storedForm(token) });
  return { id: apiToken.id, name, token, apiToken };
}

/** What is kept of a secret: its hash, and its first characters to tell tokens apart. */
function storedForm(token: string): { tokenHash: string; prefix: string } {
  return { tokenHash: hashToken(token), prefix: token.slice(0, TOKEN_PREFIX.length + 6) };
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
  accountStore.recordTokenUse(store, tokenId).catch(() => {});
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

/**
 * The viewer a token belongs to, or null for an unknown, revoked or expired token, or a ticket whose parent
 * token is revoked, expired or gone. A ticket presented over HTTP is refused with a message saying why.
 */
export async function authenticate(store: Store, token: string, use: TokenUse): Promise<Actor | null> {
  return actorOf(store, await accountStore.tokenHolder(store, hashToken(token), { expiredTicketsPass: use === 'socket' }), use);
}

/** authenticate's answer for the holder a lookup found (null: the token is not valid). */
export function actorOf(store: Store, holder: accountStore.TokenHolder | null, use: TokenUse): Actor | null {
  if (!holder) return null;
  if (holder.scope === 'subscribe' && use === 'http')
    throw unauthenticated('This token is a subscription ticket: it only opens WebSocket subscriptions. Send a full API token over HTTP.');
  recordTokenUse(store, holder.tokenId);
  const roles = new Map<string, Role>();
  for (const membership of holder.memberships) roles.set(membership.teamId, membership.role);
  return { userId: holder.userId, email: holder.email, tokenId: holder.tokenId, scope: holder.scope, roles };
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
 * A short-lived ticket that opens WebSocket subscriptions as the actor, and nothing else: the dashboard hands
 * it to the browser so the browser never holds the long-lived token. It dies with the token that minted it.
 */
export async function issueSubscriptionTicket(scope: Scope): Promise<SubscriptionTicket> {
  const viewer = requireActor(scope);
  if (viewer.scope !== 'all') throw unauthenticated('Only a full API token can create subscription tickets');
  const token = newTokenSecret();
  const expiresAt = new Date(Date.now() + SUBSCRIPTION_TICKET_SECONDS * 1000);
  await accountStore.insertSubscriptionTicket(scope.store, {
    userId: viewer.userId,
    name: 'subscription ticket',
    ...storedForm(token),
    parentId: viewer.tokenId,
    expiresAt,
    idleSince: new Date(Date.now() - EXPIRED_TICKET_IDLE_SECONDS * 1000),
  });
  return { token, expiresAt };
}

/** The actor's own API tokens (never the secrets); subscription tickets are the dashboard's plumbing, left out. */
export function listTokens(scope: Scope): Promise<ApiToken[]> {
  return accountStore.fullTokensOfUser(scope.store, requireActor(scope).userId);
}

/** A new API token for the actor: the secret is in the answer, once. */
export async function createToken(scope: Scope, name: string): Promise<{ token: string; apiToken: ApiToken }> {
  const viewer = requireActor(scope);
  if (name.trim() === '') throw invalid('A token needs a name', [{ path: 'name', message: 'must not be empty' }]);
  const issued = await issueToken(scope.store, viewer.userId, name.trim());
  return { token: issued.token, apiToken: issued.apiToken };
}

/** Revokes one of the actor's tokens; the subscriptions it opened end now. */
export async function revokeToken(scope: Scope, id: string): Promise<ApiToken> {
  const viewer = requireActor(scope);
  const token = isUuid(id) ? await accountStore.revokeTokenOfUser(scope.store, viewer.userId, id) : null;
  if (!token) throw notFound('Token', id);
  // Open subscriptions end now (here before answering, on other replicas through NOTIFY), not at the
  // next periodic re-check.
  await scope.events.publishTokenRevoked(viewer.userId);
  return token;
}

/** The e-mail trimmed, or BAD_USER_INPUT saying it is not one. */
export function validateEmail(email: string): string {
  const normalized = email.trim();
  if (!/^[^@\s]+@[^@\s]+$/.test(normalized) || normalized.length > 320) {
    const message = `"${email}" is not an email address`;
    throw invalid(message, [{ path: 'email', message }]);
  }
  return normalized;
}

export function validateTeamName(name: string): string {
  const trimmed = name.trim();
  if (trimmed === '' || trimmed.length > 100)
    throw invalid('A team name must have 1 to 100 characters', [{ path: 'name', message: 'must have 1 to 100 characters' }]);
  return trimmed;
}

/** The actor's teams, by name. */
export async function listTeams(scope: Scope): Promise<Team[]> {
  const viewer = requireActor(scope);
  const rows = await Promise.all([...viewer.roles.keys()].map((id) => scope.loaders.team.load(id)));
  return rows.filter((team) => team !== null).sort((a, b) => a.name.localeCompare(b.name));
}

/** The members of a team the actor is in, in the order they joined. */
export async function teamMembers(scope: Scope, teamId: string): Promise<{ userId: string; role: Role }[]> {
  requireTeam(scope, teamId, 'read', 'Team', teamId);
  const rows = await accountStore.membersOfTeam(scope.store, teamId);
  return rows.map((row) => ({ userId: row.userId, role: row.role }));
}

/** A new team owned by the actor, whatever other teams are called: names are not unique, teams are found by id. */
export async function createTeam(scope: Scope, name: string): Promise<Team> {
  const viewer = requireActor(scope);
  const team = await accountStore.createTeamWithOwner(scope.store, validateTeamName(name), viewer.userId);
  // The actor was built before the team existed; later steps of this request must see the new role.
  (viewer.roles as Map<string, Role>).set(team.id, 'owner');
  return team;
}

/** `--team NAME` named teams that exist already: joining one must be asked for by id, never happen silently. */
export class TeamNameTakenError extends DomainError {
  constructor(
    readonly teamName: string,
    readonly existing: accountStore.TeamWithMemberCount[],
  ) {
    super(
      'CONFLICT',
      `${existing.length === 1 ? 'A team' : `${existing.length} teams`} named "${teamName}" already exist${existing.length === 1 ? 's' : ''}: ` +
        existing
          .map((team) => `${team.id} ("${team.name}", created ${team.createdAt.toISOString()}, ${team.members} member${team.members === 1 ? '' : 's'})`)
          .join('; ') +
        '. Nobody joins an existing team by its name. To add the user to one of these, pass --team-id <id> instead of --team; ' +
        'to create another team with this name anyway, add --new-team.',
    );
    this.name = 'TeamNameTakenError';
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
  /** The first token's name, as the tokens page lists it (default "cli": made by `tuneboard user create`). */
  tokenName?: string;
}

export interface CreatedUser {
  user: { id: string; email: string };
  team: { id: string; name: string };
  token: string;
}

/**
 * A user (created when new) in a team, with a fresh token: what `tuneboard user create` prints. Whoever runs it
 * holds the database, so this is the administrator's act; still, a team is joined only when named by id (or
 * `joinExisting`), so a team squatting a name never gains a member by accident. All or nothing: one transaction.
 */
export async function createUserWithToken(store: Store, input: NewUserInput): Promise<CreatedUser> {
  return inTransaction(store, (tx) => createUserWithTokenIn(tx, input));
}

async function createUserWithTokenIn(tx: Handle, input: NewUserInput): Promise<CreatedUser> {
  const email = validateEmail(input.email);
  let team: { id: string; name: string };
  let created = false;
  if (input.teamId !== undefined) {
    const found = /^[0-9a-f-]{36}$/i.test(input.teamId) ? await accountStore.teamById(tx, input.teamId) : null;
    if (!found) throw new DomainError('NOT_FOUND', `No team with the id ${input.teamId}`);
    team = found;
  } else {
    const name = validateTeamName(input.team ?? '');
    const existing = input.newTeam ? [] : await accountStore.teamsNamed(tx, name);
    if (existing.length === 1 && input.joinExisting) team = existing[0]!;
    else if (existing.length > 0) throw new TeamNameTakenError(name, existing);
    else {
      team = await accountStore.createTeam(tx, name);
      created = true;
    }
  }
  const { user } = await accountStore.findOrCreateUser(tx, { email });
  // The first member of a new team owns it.
  await accountStore.setMembership(tx, { userId: user.id, teamId: team.id, role: input.role ?? (created ? 'owner' : 'member') });
  const token = await issueToken(tx, user.id, input.tokenName ?? 'cli');
  return { user: { id: user.id, email: user.email }, team: { id: team.id, name: team.name }, token: token.token };
}

export function hasAnyUser(store: Store): Promise<boolean> {
  return accountStore.hasAnyUser(store);
}

/** The owner's token made on the first start (or by `tuneboard admin bootstrap`), named so the tokens page says so. */
export const FIRST_TOKEN_NAME = 'owner (first start)';

/**
 * The first user, team and owner token of an empty installation, or null when users exist. Two processes
 * starting on the same empty database create one first user between them.
 */
export async function createFirstUser(store: Store, input: { email?: string; team?: string } = {}): Promise<CreatedUser | null> {
  // The common case, every later start, without taking the lock.
  if (await accountStore.hasAnyUser(store)) return null;
  return inTransaction(store, async (tx) => {
    if (!(await accountStore.claimEmptyInstallation(tx))) return null;
    return createUserWithTokenIn(tx, { email: input.email ?? 'admin@localhost', team: input.team ?? 'default', role: 'owner', tokenName: FIRST_TOKEN_NAME });
  });
}

/** `tuneboard admin bootstrap`: as `createFirstUser`, but refuses when users exist. */
export async function bootstrap(store: Store, input: { email?: string; team?: string } = {}): Promise<CreatedUser> {
  const created = await createFirstUser(store, input);
  if (!created) throw conflict('This Tuneboard already has users; use `tuneboard user create` or `tuneboard token create`.');
  return created;
}

/** A new token for the user with this e-mail (`tuneboard token create`), or null when there is no such user. */
export async function issueTokenForEmail(
  store: Store,
  email: string,
  name: string,
): Promise<{ user: { id: string; email: string }; token: string; name: string } | null> {
  const user = await accountStore.userByEmail(store, email);
  if (!user) return null;
  const token = await issueToken(store, user.id, name);
  return { user: { id: user.id, email: user.email }, token: token.token, name: token.name };
}

/**
 * A token for the local workers `tuneboard start` runs, held by the first user; null when there is none. One
 * per start: the previous ones of this name are deleted (not just revoked), so the tokens page does not fill up
 * with a revoked "local worker" per restart.
 */
export async function issueLocalWorkerToken(store: Store, name: string): Promise<string | null> {
  const owner = await accountStore.firstUser(store);
  if (!owner) return null;
  await accountStore.deleteTokensNamed(store, owner.id, name);
  return (await issueToken(store, owner.id, name)).token;
}
