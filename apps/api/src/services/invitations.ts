import { invitations, type Role, type Store } from '@tuneboard/db';
import { desc, eq } from 'drizzle-orm';
import { randomBytes } from 'node:crypto';
import { hashToken, validateEmail } from './accounts';

/**
 * Membership needs the invited person's consent: an owner creates an invitation (a secret shown once, only its
 * SHA-256 stored) and the person joins by accepting it, signed in as themselves, before it expires. Nothing here
 * looks a user up by e-mail, so no answer tells whether an address has an account.
 */

const INVITATION_PREFIX = 'tbi_';
export const DEFAULT_INVITATION_HOURS = 72;
export const MAX_INVITATION_HOURS = 30 * 24;

export type Invitation = typeof invitations.$inferSelect;

export class InvitationError extends Error {
  constructor(
    message: string,
    readonly path: string,
  ) {
    super(message);
    this.name = 'InvitationError';
  }
}

export async function createInvitation(
  store: Store,
  input: { teamId: string; role: Role; email?: string | null; invitedBy: string; expiresInHours?: number | null },
): Promise<{ token: string; invitation: Invitation }> {
  const hours = input.expiresInHours ?? DEFAULT_INVITATION_HOURS;
  if (!Number.isInteger(hours) || hours < 1 || hours > MAX_INVITATION_HOURS)
    throw new InvitationError(`An invitation lasts 1 to ${MAX_INVITATION_HOURS} hours, not ${hours}`, 'expiresInHours');
  let email: string | null = null;
  if (input.email != null) {
    try {
      email = validateEmail(input.email);
    } catch (error) {
      throw new InvitationError((error as Error).message, 'email');
    }
  }
  const token = INVITATION_PREFIX + randomBytes(32).toString('base64url');
  const [invitation] = await store.db
    .insert(invitations)
    .values({
      teamId: input.teamId,
      role: input.role,
      email,
      tokenHash: hashToken(token),
      invitedBy: input.invitedBy,
      expiresAt: new Date(Date.now() + hours * 3_600_000),
    })
    .returning();
  return { token, invitation: invitation! };
}

const ROLE_RANK = `array['owner', 'member', 'viewer']`;

/**
 * Makes the user a member of the invitation's team, once. Returns null for every invitation that cannot be
 * accepted (unknown, expired, revoked, used, or for another e-mail), so a caller cannot tell these apart. A user
 * already in the team keeps the stronger of their role and the invited one.
 */
export async function acceptInvitation(store: Store, token: string, user: { id: string; email: string }): Promise<{ teamId: string; role: Role } | null> {
  return store.transaction(async (query) => {
    const [accepted] = await query<{ team_id: string; role: Role }>(
      `update invitations set accepted_by = $2, accepted_at = now()
       where token_hash = $1 and accepted_at is null and revoked_at is null and expires_at > now()
         and (email is null or lower(email) = lower($3))
       returning team_id, role`,
      [hashToken(token), user.id, user.email],
    );
    if (!accepted) return null;
    const [membership] = await query<{ role: Role }>(
      `insert into memberships (user_id, team_id, role) values ($1, $2, $3)
       on conflict (user_id, team_id) do update set role = case
         when array_position(${ROLE_RANK}, excluded.role) < array_position(${ROLE_RANK}, memberships.role) then excluded.role
         else memberships.role end
       returning role`,
      [user.id, accepted.team_id, accepted.role],
    );
    return { teamId: accepted.team_id, role: membership!.role };
  });
}

export async function findInvitation(store: Store, id: string): Promise<Invitation | null> {
  const [invitation] = await store.db.select().from(invitations).where(eq(invitations.id, id));
  return invitation ?? null;
}

/** Revokes a pending invitation; an accepted or already revoked one is returned unchanged. */
export async function revokeInvitation(store: Store, id: string): Promise<Invitation | null> {
  await store.query(`update invitations set revoked_at = now() where id = $1 and accepted_at is null and revoked_at is null`, [id]);
  return findInvitation(store, id);
}

export async function teamInvitations(store: Store, teamId: string, limit = 200): Promise<Invitation[]> {
  return store.db.select().from(invitations).where(eq(invitations.teamId, teamId)).orderBy(desc(invitations.createdAt)).limit(limit);
}

export function invitationStatus(invitation: Invitation, now = Date.now()): 'PENDING' | 'ACCEPTED' | 'REVOKED' | 'EXPIRED' {
  if (invitation.acceptedAt) return 'ACCEPTED';
  if (invitation.revokedAt) return 'REVOKED';
  if (invitation.expiresAt.getTime() <= now) return 'EXPIRED';
  return 'PENDING';
}
