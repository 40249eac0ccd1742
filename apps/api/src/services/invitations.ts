import { invitationStore, type Invitation, type Role, type Team } from '@tuneboard/db';
import { randomBytes } from 'node:crypto';
import { hashToken, validateEmail } from './accounts';
import { isUuid, requireActor, requireTeam } from './access';
import { invalid, notFound } from './errors';
import type { Scope } from './scope';

/**
 * Membership needs the invited person's consent: an owner creates an invitation (a secret shown once, only its
 * SHA-256 stored) and the person joins by accepting it, signed in as themselves, before it expires. Nothing here
 * looks a user up by e-mail, so no answer tells whether an address has an account.
 */

const INVITATION_PREFIX = 'tbi_';
export const DEFAULT_INVITATION_HOURS = 72;
export const MAX_INVITATION_HOURS = 30 * 24;
const MAX_LISTED_INVITATIONS = 200;

export type { Invitation };

/** An invitation to a team the actor owns; the secret is in the answer, once. */
export async function createInvitation(
  scope: Scope,
  input: { teamId: string; role: Role; email?: string | null; expiresInHours?: number | null },
): Promise<{ token: string; invitation: Invitation }> {
  requireTeam(scope, input.teamId, 'admin', 'Team', input.teamId);
  const hours = input.expiresInHours ?? DEFAULT_INVITATION_HOURS;
  if (!Number.isInteger(hours) || hours < 1 || hours > MAX_INVITATION_HOURS) {
    const message = `An invitation lasts 1 to ${MAX_INVITATION_HOURS} hours, not ${hours}`;
    throw invalid(message, [{ path: 'expiresInHours', message }]);
  }
  const email = input.email != null ? validateEmail(input.email) : null;
  const token = INVITATION_PREFIX + randomBytes(32).toString('base64url');
  const invitation = await invitationStore.createInvitation(scope.store, {
    teamId: input.teamId,
    role: input.role,
    email,
    tokenHash: hashToken(token),
    invitedBy: requireActor(scope).userId,
    expiresAt: new Date(Date.now() + hours * 3_600_000),
  });
  return { token, invitation };
}

/**
 * Makes the actor a member of the invitation's team, once, and returns the team. Every invitation that cannot be
 * accepted (unknown, expired, revoked, used, or for another e-mail) is the same NOT_FOUND, so a caller cannot
 * tell these apart. A user already in the team keeps the stronger of their role and the invited one.
 */
export async function acceptInvitation(scope: Scope, token: string): Promise<Team> {
  const viewer = requireActor(scope);
  const accepted = await invitationStore.acceptInvitation(scope.store, { tokenHash: hashToken(token), userId: viewer.userId, email: viewer.email });
  // One answer for every reason, and no echo of the secret.
  if (!accepted) throw notFound('Invitation', '(this token)');
  // Later steps of this request (the team's role, projects) must see the membership.
  (viewer.roles as Map<string, Role>).set(accepted.teamId, accepted.role);
  return (await scope.loaders.team.load(accepted.teamId))!;
}

/** Revokes a pending invitation of a team the actor owns; an accepted or already revoked one is returned unchanged. */
export async function revokeInvitation(scope: Scope, id: string): Promise<Invitation> {
  requireActor(scope);
  const invitation = isUuid(id) ? await invitationStore.invitationById(scope.store, id) : null;
  if (!invitation) throw notFound('Invitation', id);
  requireTeam(scope, invitation.teamId, 'admin', 'Invitation', id);
  return (await invitationStore.revokeInvitation(scope.store, id))!;
}

/** The invitations of a team the actor owns, newest first. */
export async function teamInvitations(scope: Scope, teamId: string): Promise<Invitation[]> {
  requireTeam(scope, teamId, 'admin', 'Team', teamId);
  return invitationStore.invitationsOfTeam(scope.store, teamId, MAX_LISTED_INVITATIONS);
}

export function invitationStatus(invitation: Invitation, now = Date.now()): 'PENDING' | 'ACCEPTED' | 'REVOKED' | 'EXPIRED' {
  if (invitation.acceptedAt) return 'ACCEPTED';
  if (invitation.revokedAt) return 'REVOKED';
  if (invitation.expiresAt.getTime() <= now) return 'EXPIRED';
  return 'PENDING';
}
