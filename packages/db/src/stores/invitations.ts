import { and, desc, eq, gt, isNull, or, sql } from 'drizzle-orm';
import { invitations, memberships, type Invitation, type Role } from '../schema/accounts';
import type { Handle } from './handle';

/** Invitations to join a team: stored as the SHA-256 of their secret, accepted once. */

export async function createInvitation(
  handle: Handle,
  values: { teamId: string; role: Role; email: string | null; tokenHash: string; invitedBy: string; expiresAt: Date },
): Promise<Invitation> {
  const [invitation] = await handle.db.insert(invitations).values(values).returning();
  return invitation!;
}

export async function invitationById(handle: Handle, id: string): Promise<Invitation | null> {
  const [invitation] = await handle.db.select().from(invitations).where(eq(invitations.id, id));
  return invitation ?? null;
}

/** The team's invitations, newest first. */
export async function invitationsOfTeam(handle: Handle, teamId: string, limit: number): Promise<Invitation[]> {
  return handle.db.select().from(invitations).where(eq(invitations.teamId, teamId)).orderBy(desc(invitations.createdAt)).limit(limit);
}

/** Revokes a pending invitation; an accepted or already revoked one is returned unchanged (null when there is none). */
export async function revokeInvitation(handle: Handle, id: string): Promise<Invitation | null> {
  await handle.db
    .update(invitations)
    .set({ revokedAt: sql`now()` })
    .where(and(eq(invitations.id, id), isNull(invitations.acceptedAt), isNull(invitations.revokedAt)));
  return invitationById(handle, id);
}

/** Roles from strongest to weakest: a member who accepts an invitation keeps the stronger of the two. */
const ROLE_RANK = sql.raw(`array['owner', 'member', 'viewer']`);

/**
 * Marks the invitation with this hash accepted by the user and makes them a member of its team, in one
 * transaction. Null for every invitation that cannot be accepted (unknown, expired, revoked, used, or for
 * another e-mail), so a caller cannot tell these apart. A user already in the team keeps the stronger of their
 * role and the invited one; the role returned is the one they now have.
 */
export async function acceptInvitation(
  handle: Handle,
  values: { tokenHash: string; userId: string; email: string },
): Promise<{ teamId: string; role: Role } | null> {
  return handle.db.transaction(async (db) => {
    const [accepted] = await db
      .update(invitations)
      .set({ acceptedBy: values.userId, acceptedAt: sql`now()` })
      .where(
        and(
          eq(invitations.tokenHash, values.tokenHash),
          isNull(invitations.acceptedAt),
          isNull(invitations.revokedAt),
          gt(invitations.expiresAt, sql`now()`),
          or(isNull(invitations.email), sql`lower(${invitations.email}) = lower(${values.email})`),
        ),
      )
      .returning({ teamId: invitations.teamId, role: invitations.role });
    if (!accepted) return null;
    const [membership] = await db
      .insert(memberships)
      .values({ userId: values.userId, teamId: accepted.teamId, role: accepted.role })
      .onConflictDoUpdate({
        target: [memberships.userId, memberships.teamId],
        set: {
          role: sql`case when array_position(${ROLE_RANK}, excluded.role) < array_position(${ROLE_RANK}, ${memberships.role})
            then excluded.role else ${memberships.role} end`,
        },
      })
      .returning({ role: memberships.role });
    return { teamId: accepted.teamId, role: membership!.role };
  });
}
