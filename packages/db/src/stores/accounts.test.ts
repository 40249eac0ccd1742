import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabases, type TestStore } from '../testing';
import { inTransaction } from './handle';
import * as accountStore from './accounts';
import * as invitationStore from './invitations';

const token = (userId: string, name: string) => ({ userId, name, tokenHash: `hash-${name}-${Math.random()}`, prefix: 'tb_xxxxxx' });

for (const database of testDatabases()) {
  describe(`account and invitation stores on ${database.name}`, () => {
    let store: TestStore;

    // Opening PGlite migrates a fresh database: slow on a busy machine.
    beforeAll(async () => {
      store = await database.open();
    }, 60_000);
    afterAll(() => store?.destroy());

    it('claims an empty installation once, inside a transaction', async () => {
      expect(await inTransaction(store, (tx) => accountStore.claimEmptyInstallation(tx))).toBe(true);
      await accountStore.findOrCreateUser(store, { email: 'first@x.io' });
      expect(await inTransaction(store, (tx) => accountStore.claimEmptyInstallation(tx))).toBe(false);
      expect((await accountStore.firstUser(store))?.email).toBe('first@x.io');
    });

    it('finds users by e-mail whatever its case, and creates each once', async () => {
      const created = await accountStore.findOrCreateUser(store, { email: 'Ada@X.io', name: 'Ada' });
      expect(created.created).toBe(true);
      const again = await accountStore.findOrCreateUser(store, { email: 'ada@x.io' });
      expect(again).toEqual({ user: created.user, created: false });
      expect((await accountStore.userByEmail(store, 'ADA@x.IO'))?.id).toBe(created.user.id);
      expect(await accountStore.userByEmail(store, 'nobody@x.io')).toBeNull();
    });

    it('counts the members of teams of a name and upserts memberships', async () => {
      const { user } = await accountStore.findOrCreateUser(store, { email: 'owner@x.io' });
      const team = await accountStore.createTeamWithOwner(store, 'Vision', user.id);
      await accountStore.createTeam(store, 'vision');
      const named = await accountStore.teamsNamed(store, 'VISION');
      expect(named.map((t) => [t.name, t.members])).toEqual([
        ['Vision', 1],
        ['vision', 0],
      ]);
      await accountStore.setMembership(store, { userId: user.id, teamId: team.id, role: 'viewer' });
      expect((await accountStore.membersOfTeam(store, team.id)).map((m) => m.role)).toEqual(['viewer']);
    });

    it('finds the holder of a token, and refuses revoked tokens and tickets of revoked parents', async () => {
      const { user } = await accountStore.findOrCreateUser(store, { email: 'holder@x.io' });
      const team = await accountStore.createTeamWithOwner(store, 'holders', user.id);
      const parent = await accountStore.insertToken(store, token(user.id, 'laptop'));
      const holder = await accountStore.tokenHolder(store, parent.tokenHash, { expiredTicketsPass: false });
      expect(holder).toMatchObject({ userId: user.id, tokenId: parent.id, scope: 'all', memberships: [{ teamId: team.id, role: 'owner' }] });

      const expired = await accountStore.insertSubscriptionTicket(store, {
        ...token(user.id, 'ticket'),
        parentId: parent.id,
        expiresAt: new Date(Date.now() - 1000),
        idleSince: new Date(Date.now() - 600_000),
      });
      expect(await accountStore.tokenHolder(store, expired.tokenHash, { expiredTicketsPass: false })).toBeNull();
      expect((await accountStore.tokenHolder(store, expired.tokenHash, { expiredTicketsPass: true }))?.scope).toBe('subscribe');

      expect((await accountStore.fullTokensOfUser(store, user.id)).map((t) => t.id)).toEqual([parent.id]);
      expect(await accountStore.revokeTokenOfUser(store, 'ffffffff-ffff-4fff-bfff-ffffffffffff', parent.id)).toBeNull();
      expect((await accountStore.revokeTokenOfUser(store, user.id, parent.id))?.revokedAt).toBeInstanceOf(Date);
      expect(await accountStore.tokenHolder(store, parent.tokenHash, { expiredTicketsPass: false })).toBeNull();
      expect(await accountStore.tokenHolder(store, expired.tokenHash, { expiredTicketsPass: true })).toBeNull();
    });

    it('deletes expired, idle tickets when it issues one', async () => {
      const { user } = await accountStore.findOrCreateUser(store, { email: 'tickets@x.io' });
      const parent = await accountStore.insertToken(store, token(user.id, 'parent'));
      const ticket = (expiresAt: Date, idleSince: Date) =>
        accountStore.insertSubscriptionTicket(store, { ...token(user.id, 'subscription ticket'), parentId: parent.id, expiresAt, idleSince });
      const old = await ticket(new Date(Date.now() - 1000), new Date(0));
      // Nothing was idle since before the epoch, so `old` stays; the next ticket's cut-off is in the future.
      await ticket(new Date(Date.now() + 120_000), new Date(Date.now() + 60_000));
      expect(await accountStore.tokenHolder(store, old.tokenHash, { expiredTicketsPass: true })).toBeNull();
      expect(await accountStore.tokenHolder(store, parent.tokenHash, { expiredTicketsPass: false })).not.toBeNull();
    });

    it('deletes the tokens of a name and records uses', async () => {
      const { user } = await accountStore.findOrCreateUser(store, { email: 'worker@x.io' });
      const first = await accountStore.insertToken(store, token(user.id, 'local worker'));
      const other = await accountStore.insertToken(store, token(user.id, 'laptop'));
      const older = await accountStore.insertToken(store, token(user.id, 'local worker'));
      await accountStore.deleteTokensNamed(store, user.id, 'local worker');
      await accountStore.recordTokenUse(store, other.id);
      const tokens = await accountStore.fullTokensOfUser(store, user.id);
      expect(tokens.map((t) => t.id)).not.toContain(first.id);
      expect(tokens.map((t) => t.id)).not.toContain(older.id);
      expect(await accountStore.tokenHolder(store, first.tokenHash, { expiredTicketsPass: false })).toBeNull();
      expect(tokens.find((t) => t.id === other.id)).toMatchObject({ revokedAt: null, lastUsedAt: expect.any(Date) });
    });

    it('accepts an invitation once, for its e-mail only, keeping the stronger role', async () => {
      const { user: owner } = await accountStore.findOrCreateUser(store, { email: 'inviter@x.io' });
      const { user: guest } = await accountStore.findOrCreateUser(store, { email: 'Guest@x.io' });
      const team = await accountStore.createTeamWithOwner(store, 'invited', owner.id);
      const invite = (tokenHash: string, role: 'owner' | 'member' | 'viewer', email: string | null, expiresAt = new Date(Date.now() + 3_600_000)) =>
        invitationStore.createInvitation(store, { teamId: team.id, role, email, tokenHash, invitedBy: owner.id, expiresAt });

      await invite('for-someone-else', 'member', 'other@x.io');
      expect(await invitationStore.acceptInvitation(store, { tokenHash: 'for-someone-else', userId: guest.id, email: guest.email })).toBeNull();
      await invite('expired', 'member', null, new Date(Date.now() - 1000));
      expect(await invitationStore.acceptInvitation(store, { tokenHash: 'expired', userId: guest.id, email: guest.email })).toBeNull();

      await invite('member', 'member', 'guest@X.IO');
      expect(await invitationStore.acceptInvitation(store, { tokenHash: 'member', userId: guest.id, email: guest.email })).toEqual({
        teamId: team.id,
        role: 'member',
      });
      expect(await invitationStore.acceptInvitation(store, { tokenHash: 'member', userId: guest.id, email: guest.email })).toBeNull();

      // A weaker invitation leaves the member's role; a stronger one raises it.
      await invite('viewer', 'viewer', null);
      expect((await invitationStore.acceptInvitation(store, { tokenHash: 'viewer', userId: guest.id, email: guest.email }))?.role).toBe('member');
      await invite('owner', 'owner', null);
      expect((await invitationStore.acceptInvitation(store, { tokenHash: 'owner', userId: guest.id, email: guest.email }))?.role).toBe('owner');

      const pending = await invite('pending', 'viewer', null);
      expect((await invitationStore.revokeInvitation(store, pending.id))?.revokedAt).toBeInstanceOf(Date);
      expect(await invitationStore.acceptInvitation(store, { tokenHash: 'pending', userId: guest.id, email: guest.email })).toBeNull();
      const listed = await invitationStore.invitationsOfTeam(store, team.id, 200);
      expect(listed).toHaveLength(6);
      expect(listed[0]!.id).toBe(pending.id);
      expect((await invitationStore.invitationsOfTeam(store, team.id, 2)).length).toBe(2);
    });
  });
}
