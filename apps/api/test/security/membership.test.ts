import { openStore } from '@tuneboard/db';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer } from '../../src/server';
import { CREATE_PROJECT, MLP_CONFIG, postGraphQL, startTestApi, SUBMIT_RUN, testDatabases, type TestApi, type TestDatabase, type TestUser } from '../harness';
import { cliJson, killAllChildren, makeTempDir, runCli, type ChildEnv } from '../process-harness';

/** Issue 9, items 4 (membership without consent), 5 (leases not enforced) and 14 (existence oracles). */

const REGISTER = `mutation($name: String!, $c: WorkerCapabilitiesInput!, $t: [ID!]) { registerWorker(name: $name, capabilities: $c, teamIds: $t) { id teamIds } }`;
const CLAIM = `mutation($w: ID!) { claimRun(workerId: $w) { leaseToken run { id } } }`;
const HEARTBEAT = `mutation($r: ID!, $l: ID!) { heartbeatRun(runId: $r, leaseToken: $l) { cancelled } }`;
const FINISH = `mutation($i: FinishRunInput!) { finishRun(input: $i) { status } }`;
const SET_STATUS = `mutation($i: SetRunStatusInput!) { setRunStatus(input: $i) { status } }`;
const LOG = `mutation($r: ID!, $s: [MetricSeriesInput!], $l: ID) { logMetrics(runId: $r, series: $s, leaseToken: $l) { accepted } }`;
const RUN = `query($id: ID!) { run(id: $id) { status metrics { key pointCount } annotations { body author { email } } } }`;
const INVITE = `mutation($t: ID!, $r: Role!, $e: String, $h: Int) {
  createInvitation(teamId: $t, role: $r, email: $e, expiresInHours: $h) { token invitation { id role email status expiresAt team { id } } }
}`;
const ACCEPT = `mutation($token: String!) { acceptInvitation(token: $token) { id name role } }`;
const REVOKE = `mutation($id: ID!) { revokeInvitation(id: $id) { status } }`;
const TEAMS = `{ viewer { teams { id name role } } }`;
const MEMBERS = `query { teams { id members { user { email } role } } }`;
const WASM = { backend: 'wasm', device: 'cpu', gpu: false };

const code = (result: { errors?: { extensions?: { code?: string } }[] }) => result.errors?.[0]?.extensions?.code;
const series = (n: number, value = 1) => [{ key: 'train.loss', steps: Array.from({ length: n }, (_, i) => i), values: Array.from({ length: n }, () => value) }];

for (const database of testDatabases()) {
  describe(`membership, leases and oracles on ${database.name}`, () => {
    let api: TestApi;
    let alice: TestUser; // owner of team "vision"
    let carol: TestUser; // member of "vision"
    let bob: TestUser; // owner of team "speech", a stranger to alice's team

    beforeAll(async () => {
      api = await startTestApi(database, { leaseSeconds: 30 });
      alice = await api.user('alice@example.com', 'vision');
      carol = await api.user('carol@example.com', 'vision', 'member');
      bob = await api.user('Bob@Example.com', 'speech');
    });
    afterAll(() => api?.close());

    const project = async (owner: TestUser, name: string) => (await owner.ok(CREATE_PROJECT, { teamId: owner.teamId, name })).createProject.id as string;
    const submit = async (user: TestUser, projectId: string, extra: Record<string, unknown> = {}) =>
      (await user.ok(SUBMIT_RUN, { input: { projectId, hparams: MLP_CONFIG, ...extra } })).submitRun.run.id as string;
    const teamIdsOf = async (user: TestUser) => ((await user.ok(TEAMS)).viewer.teams as { id: string }[]).map((team) => team.id).sort();
    /** Claims until the worker gets `runId` (older queued runs are finished out of the way). */
    const claim = async (user: TestUser, workerId: string, runId: string) => {
      for (;;) {
        const lease = (await user.ok(CLAIM, { w: workerId })).claimRun;
        if (!lease) throw new Error(`run ${runId} was never claimed`);
        if (lease.run.id === runId) return lease.leaseToken as string;
        await user.ok(FINISH, { i: { runId: lease.run.id, leaseToken: lease.leaseToken, outcome: 'SUCCEEDED' } });
      }
    };

    it('#4 nobody joins a team without accepting an invitation: addTeamMember is gone, an invitation alone adds no one', async () => {
      const old = await alice.request(`mutation($t: ID!) { addTeamMember(teamId: $t, email: "Bob@Example.com") { role } }`, { t: alice.teamId });
      expect(code(old)).toBe('GRAPHQL_VALIDATION_FAILED');

      const invited = (await alice.ok(INVITE, { t: alice.teamId, r: 'OWNER', e: 'bob@example.com' })).createInvitation;
      expect(invited.token).toMatch(/^tbi_\S{40,}$/);
      expect(invited.invitation).toMatchObject({ role: 'OWNER', email: 'bob@example.com', status: 'PENDING', team: { id: alice.teamId } });
      // Until bob accepts, he is not in alice's team and her team does not list him.
      expect(await teamIdsOf(bob)).toEqual([bob.teamId]);
      const members = (await alice.ok(MEMBERS)).teams.find((t: { id: string }) => t.id === alice.teamId).members;
      expect(members.map((m: { user: { email: string } }) => m.user.email)).not.toContain('Bob@Example.com');
      // Only the person named may accept: alice's member carol cannot use bob's invitation.
      expect(code(await carol.request(ACCEPT, { token: invited.token }))).toBe('NOT_FOUND');

      const joined = (await bob.ok(ACCEPT, { token: invited.token })).acceptInvitation;
      expect(joined).toEqual({ id: alice.teamId, name: 'vision', role: 'OWNER' });
      expect(await teamIdsOf(bob)).toEqual([alice.teamId, bob.teamId].sort());
      // The secret is of no more use.
      expect(code(await bob.request(ACCEPT, { token: invited.token }))).toBe('NOT_FOUND');
      await api.store.query(`delete from memberships where user_id = (select id from users where email = 'Bob@Example.com') and team_id = $1`, [alice.teamId]);
    });

    it('#4 an invitation that is expired, revoked, used or for another e-mail is refused with one indistinguishable answer', async () => {
      const dave = await api.user('dave@example.com', 'dave-team');
      const make = async (email?: string) => (await alice.ok(INVITE, { t: alice.teamId, r: 'MEMBER', e: email ?? null })).createInvitation;
      const expired = await make();
      await api.store.query(`update invitations set expires_at = now() - interval '1 second' where id = $1`, [expired.invitation.id]);
      const revoked = await make();
      expect((await alice.ok(REVOKE, { id: revoked.invitation.id })).revokeInvitation.status).toBe('REVOKED');
      const used = await make();
      await carol.ok(ACCEPT, { token: used.token }); // carol is in the team already: she keeps her role
      const forSomeoneElse = await make('erin@example.com');
      const answers = await Promise.all(
        [expired.token, revoked.token, used.token, forSomeoneElse.token, 'tbi_unknown'].map((token) => dave.request(ACCEPT, { token })),
      );
      for (const answer of answers) {
        expect(answer.errors).toHaveLength(1);
        expect(answer.errors![0]).toMatchObject({ message: 'Invitation (this token) was not found', extensions: { code: 'NOT_FOUND' } });
      }
      expect(await teamIdsOf(dave)).toEqual([dave.teamId]);
      // Only owners invite, see invitations, revoke.
      expect(code(await carol.request(INVITE, { t: alice.teamId, r: 'OWNER' }))).toBe('FORBIDDEN');
      expect(code(await dave.request(INVITE, { t: alice.teamId, r: 'OWNER' }))).toBe('NOT_FOUND');
      expect(code(await dave.request(REVOKE, { id: forSomeoneElse.invitation.id }))).toBe('NOT_FOUND');
      expect(code(await carol.request(`query { teams { invitations { id } } }`))).toBe('FORBIDDEN');
      const listed = (await alice.ok(`query { teams { id invitations { id status } } }`)).teams.find((t: { id: string }) => t.id === alice.teamId).invitations;
      expect(Object.fromEntries(listed.map((i: { id: string; status: string }) => [i.id, i.status]))).toMatchObject({
        [expired.invitation.id]: 'EXPIRED',
        [revoked.invitation.id]: 'REVOKED',
        [used.invitation.id]: 'ACCEPTED',
        [forSomeoneElse.invitation.id]: 'PENDING',
      });
      expect((await alice.ok(MEMBERS)).teams.find((t: { id: string }) => t.id === alice.teamId).members).toContainEqual({
        user: { email: 'carol@example.com' },
        role: 'MEMBER',
      });
      expect(code(await alice.request(INVITE, { t: alice.teamId, r: 'MEMBER', h: 24 * 365 }))).toBe('BAD_USER_INPUT');
    });

    it("#4 a worker trains only the teams its registration names: alice's worker never claims bob's runs, even after she joins bob's team", async () => {
      const bobRun = await submit(bob, await project(bob, 'bob-queue'));
      const aliceWorker = (await alice.ok(REGISTER, { name: 'alice-w', c: WASM })).registerWorker;
      expect(aliceWorker.teamIds).toEqual([alice.teamId]);
      expect((await alice.ok(CLAIM, { w: aliceWorker.id })).claimRun?.run.id).not.toBe(bobRun);

      // Alice joins bob's team with her consent; the worker registered before does not widen to it.
      const invited = (await bob.ok(INVITE, { t: bob.teamId, r: 'MEMBER', e: 'alice@example.com' })).createInvitation;
      await alice.ok(ACCEPT, { token: invited.token });
      for (let i = 0; i < 5; i++) {
        const lease = (await alice.ok(CLAIM, { w: aliceWorker.id })).claimRun;
        if (!lease) break;
        expect(lease.run.id).not.toBe(bobRun);
        await alice.ok(FINISH, { i: { runId: lease.run.id, leaseToken: lease.leaseToken, outcome: 'SUCCEEDED' } });
      }
      expect((await bob.ok(RUN, { id: bobRun })).run.status).toBe('QUEUED');

      // A worker registered for bob's team by name takes it; once alice leaves the team, it takes no more.
      const forBob = (await alice.ok(REGISTER, { name: 'alice-for-bob', c: WASM, t: [bob.teamId] })).registerWorker;
      expect(forBob.teamIds).toEqual([bob.teamId]);
      const lease = (await alice.ok(CLAIM, { w: forBob.id })).claimRun;
      expect(lease.run.id).toBe(bobRun);
      await alice.ok(FINISH, { i: { runId: bobRun, leaseToken: lease.leaseToken, outcome: 'SUCCEEDED' } });
      const next = await submit(bob, await project(bob, 'bob-queue-2'));
      await api.store.query(`delete from memberships where user_id = (select id from users where email = 'alice@example.com') and team_id = $1`, [bob.teamId]);
      expect((await alice.ok(CLAIM, { w: forBob.id })).claimRun).toBeNull();
      expect((await bob.ok(RUN, { id: next })).run.status).toBe('QUEUED');
      await bob.ok(`mutation($r: ID!) { cancelRun(runId: $r) { status } }`, { r: next });
    });

    it('#4 registerWorker names only teams where the user may train', async () => {
      const viewer = await api.user('vic@example.com', 'vision', 'viewer');
      expect(code(await alice.request(REGISTER, { name: 'w', c: WASM, t: [bob.teamId] }))).toBe('NOT_FOUND');
      expect(code(await alice.request(REGISTER, { name: 'w', c: WASM, t: ['not-a-team'] }))).toBe('NOT_FOUND');
      expect(code(await viewer.request(REGISTER, { name: 'w', c: WASM, t: [alice.teamId] }))).toBe('FORBIDDEN');
      expect(code(await viewer.request(REGISTER, { name: 'w', c: WASM }))).toBe('BAD_USER_INPUT');
      expect(code(await alice.request(REGISTER, { name: 'w', c: WASM, t: [] }))).toBe('BAD_USER_INPUT');
    });

    it('#4 `tuneboard worker` registers only for the teams named by --team or TUNEBOARD_WORKER_TEAMS', { timeout: 120_000 }, async () => {
      const env = { TUNEBOARD_API_URL: api.server.url, TUNEBOARD_TOKEN: alice.token, TUNEBOARD_BACKEND: 'wasm' };
      const foreign = await runCli(['worker', '--name', 'cli-foreign', '--team', bob.teamId], env, 60_000);
      expect(foreign.code).not.toBe(0);
      expect(foreign.stderr).toContain(`tuneboard: Team ${bob.teamId} was not found`);

      const running = runCli(['worker', '--name', 'cli-env'], { ...env, TUNEBOARD_WORKER_TEAMS: ` ${alice.teamId} ,` }, 60_000);
      const deadline = Date.now() + 60_000;
      let rows: { team_ids: string[] | string }[] = [];
      while (rows.length === 0 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 250));
        rows = await api.store.query(`select team_ids from workers where name = 'cli-env'`);
      }
      await killAllChildren();
      await running;
      expect(rows).toHaveLength(1);
      // pg returns uuid[] as an array, PGlite may return its text form.
      expect(String(rows[0]!.team_ids).replace(/[{}]/g, '')).toBe(alice.teamId);
    });

    it('#4 the CLI never joins an existing team by its name: a squatted name is refused, naming the teams and --team-id', { timeout: 120_000 }, async () => {
      const { env, squatterTeamId, done } = await squattedInstallation(database);
      try {
        const refused = await runCli(['user', 'create', '--email', 'newcomer@corp.io', '--team', 'Research'], env);
        expect(refused.code).toBe(1);
        expect(refused.stdout).toBe('');
        expect(refused.stderr).toContain(`A team named "Research" already exists: ${squatterTeamId}`);
        expect(refused.stderr).toContain('--team-id <id>');
        expect(refused.stderr).toContain('--new-team');
        // Nothing was written: the newcomer does not exist yet.
        expect((await runCli(['token', 'create', '--email', 'newcomer@corp.io'], env)).stderr).toContain('No user with the email');

        const own = cliJson<{ team: { id: string; name: string } }>(
          await runCli(['user', 'create', '--email', 'newcomer@corp.io', '--team', 'Research', '--new-team'], env),
        );
        expect(own.team.name).toBe('Research');
        expect(own.team.id).not.toBe(squatterTeamId);
        const joined = cliJson<{ team: { id: string } }>(await runCli(['user', 'create', '--email', 'helper@corp.io', '--team-id', own.team.id], env));
        expect(joined.team.id).toBe(own.team.id);
      } finally {
        await killAllChildren();
        await done();
      }
    });

    it('#5 a member cannot change the status of a run a worker holds; the answer names the worker and cancelRun', async () => {
      const projectId = await project(alice, 'held');
      const runId = await submit(alice, projectId);
      const worker = (await alice.ok(REGISTER, { name: 'gpu-box-7', c: WASM })).registerWorker.id;
      const leaseToken = await claim(alice, worker, runId);
      for (const status of ['SUCCEEDED', 'QUEUED', 'FAILED']) {
        const refused = await carol.request(SET_STATUS, { i: { runId, status } });
        expect(code(refused)).toBe('CONFLICT');
        expect(refused.errors![0]!.message).toContain('held by worker "gpu-box-7"');
        expect(refused.errors![0]!.message).toContain('cancelRun');
      }
      // A member may not override; the owner's own status change without override is refused too.
      expect(code(await carol.request(SET_STATUS, { i: { runId, status: 'SUCCEEDED', override: true } }))).toBe('FORBIDDEN');
      expect(code(await alice.request(SET_STATUS, { i: { runId, status: 'SUCCEEDED' } }))).toBe('CONFLICT');
      expect((await alice.ok(RUN, { id: runId })).run.status).toBe('RUNNING');
      expect((await alice.ok(HEARTBEAT, { r: runId, l: leaseToken })).heartbeatRun.cancelled).toBe(false);
      // Cancelling stays possible for members.
      expect((await carol.ok(`mutation($r: ID!) { cancelRun(runId: $r) { status } }`, { r: runId })).cancelRun.status).toBe('CANCELLED');
    });

    it("#5 an owner's override releases the lease first and is recorded; the worker's lease then changes nothing", async () => {
      const projectId = await project(alice, 'override');
      const runId = await submit(alice, projectId);
      const worker = (await alice.ok(REGISTER, { name: 'stuck-box', c: WASM })).registerWorker.id;
      const leaseToken = await claim(alice, worker, runId);
      await alice.ok(LOG, { r: runId, s: series(10), l: leaseToken });
      expect((await alice.ok(SET_STATUS, { i: { runId, status: 'FAILED', override: true } })).setRunStatus.status).toBe('FAILED');
      const run = (await alice.ok(RUN, { id: runId })).run;
      expect(run.annotations).toEqual([
        { body: 'Owner override: status set from running to failed; the lease of worker "stuck-box" was released.', author: { email: 'alice@example.com' } },
      ]);
      expect(code(await alice.request(HEARTBEAT, { r: runId, l: leaseToken }))).toBe('CONFLICT');
      expect(code(await alice.request(FINISH, { i: { runId, leaseToken, outcome: 'SUCCEEDED' } }))).toBe('CONFLICT');
      expect(code(await alice.request(LOG, { r: runId, s: series(20, 9), l: leaseToken }))).toBe('CONFLICT');
      expect((await alice.ok(RUN, { id: runId })).run).toMatchObject({ status: 'FAILED', metrics: [{ key: 'train.loss', pointCount: 10 }] });
    });

    it('#5 metrics go into a held run only with its current lease: none without it, none with a stale one, none after it finished', async () => {
      const projectId = await project(alice, 'lease-metrics');
      const runId = await submit(alice, projectId);
      const worker = (await alice.ok(REGISTER, { name: 'logger', c: WASM })).registerWorker.id;
      const leaseToken = await claim(alice, worker, runId);
      const withoutLease = await carol.request(LOG, { r: runId, s: series(5, 7) });
      expect(code(withoutLease)).toBe('CONFLICT');
      expect(withoutLease.errors![0]!.message).toContain('worker "logger"');
      expect(code(await carol.request(LOG, { r: runId, s: series(5, 7), l: '00000000-0000-4000-8000-000000000000' }))).toBe('CONFLICT');
      expect((await alice.ok(LOG, { r: runId, s: series(3), l: leaseToken.toUpperCase() })).logMetrics.accepted).toBe(3);
      await alice.ok(FINISH, { i: { runId, leaseToken, outcome: 'SUCCEEDED' } });
      const late = await alice.request(LOG, { r: runId, s: series(50, 5), l: leaseToken });
      expect(code(late)).toBe('CONFLICT');
      expect(late.errors![0]!.message).toContain('it is succeeded');
      expect((await alice.ok(RUN, { id: runId })).run).toMatchObject({ status: 'SUCCEEDED', metrics: [{ key: 'train.loss', pointCount: 3 }] });
    });

    it('#5 runs nobody holds (EXTERNAL runs of the SDK) keep taking metrics and status changes without a lease', async () => {
      const projectId = await project(alice, 'external');
      const runId = await submit(alice, projectId, { execution: 'EXTERNAL' });
      expect((await carol.ok(LOG, { r: runId, s: series(4) })).logMetrics.accepted).toBe(4);
      expect((await carol.ok(SET_STATUS, { i: { runId, status: 'SUCCEEDED' } })).setRunStatus.status).toBe('SUCCEEDED');
      // Evaluation metrics logged after the end, as before.
      expect((await carol.ok(LOG, { r: runId, s: [{ key: 'eval.accuracy', steps: [0], values: [0.9] }] })).logMetrics.accepted).toBe(1);
    });

    it('#14 createTeam never says whether a name is taken: any name, even an existing one, makes a new team', async () => {
      const first = (await carol.ok(`mutation { createTeam(name: "speech") { id name role } }`)).createTeam;
      const second = (await carol.ok(`mutation { createTeam(name: "SPEECH") { id name role } }`)).createTeam;
      expect(first).toMatchObject({ name: 'speech', role: 'OWNER' });
      expect(second).toMatchObject({ name: 'SPEECH', role: 'OWNER' });
      expect(new Set([first.id, second.id, bob.teamId]).size).toBe(3);
      // Bob's team gained nobody.
      expect((await bob.ok(MEMBERS)).teams.find((t: { id: string }) => t.id === bob.teamId).members).toHaveLength(1);
      expect(code(await carol.request(`mutation { createTeam(name: "  ") { id } }`))).toBe('BAD_USER_INPUT');
    });

    it('#14 inviting an e-mail reveals nothing about accounts and creates none', async () => {
      const countUsers = async () => (await api.store.query<{ n: number }>(`select count(*)::int as n from users`))[0]!.n;
      const before = await countUsers();
      const existing = (await alice.ok(INVITE, { t: alice.teamId, r: 'MEMBER', e: 'bob@EXAMPLE.com' })).createInvitation.invitation;
      const unknown = (await alice.ok(INVITE, { t: alice.teamId, r: 'MEMBER', e: 'nobody@EXAMPLE.com' })).createInvitation.invitation;
      // The address comes back as the owner typed it (bob is stored as "Bob@Example.com"), whether or not it has an account.
      expect(existing).toMatchObject({ email: 'bob@EXAMPLE.com', status: 'PENDING' });
      expect(unknown).toMatchObject({ email: 'nobody@EXAMPLE.com', status: 'PENDING' });
      expect(Object.keys(existing)).toEqual(Object.keys(unknown));
      expect(await countUsers()).toBe(before);
      // Bob accepts with his stored e-mail in another case: the invitation matches case-insensitively.
      expect(
        (await bob.ok(ACCEPT, { token: (await alice.ok(INVITE, { t: alice.teamId, r: 'VIEWER', e: 'BOB@example.COM' })).createInvitation.token }))
          .acceptInvitation.role,
      ).toBe('VIEWER');
      expect(code(await postGraphQL(api.server.url, null, { query: ACCEPT, variables: { token: 'tbi_x' } }))).toBe('UNAUTHENTICATED');
    });
  });
}

/**
 * An installation where a squatter registered the team name "research" through the API before the administrator
 * creates a user for the real research group with the CLI. The CLI runs as a separate process on the same
 * database: PostgreSQL shared with the server, or an embedded data directory the server has released.
 */
async function squattedInstallation(database: TestDatabase): Promise<{ env: ChildEnv; squatterTeamId: string; done(): Promise<void> }> {
  const squat = async (url: string, token: string) =>
    (await postGraphQL(url, token, { query: `mutation { createTeam(name: "research") { id } }` })).data.createTeam.id as string;
  if (database.name === 'postgres') {
    const api = await startTestApi(database);
    const squatter = await api.user('squatter@evil.io', 'squatters');
    const squatterTeamId = await squat(api.server.url, squatter.token);
    return { env: { DATABASE_URL: api.store.databaseUrl! }, squatterTeamId, done: () => api.close() };
  }
  const dir = makeTempDir('squat');
  const dataDir = join(dir.path, 'data');
  const store = await openStore({ dataDir });
  const server = await startServer({ store, port: 0, logger: pino({ level: 'error' }) });
  const { createUserWithToken } = await import('../../src/services/accounts');
  const squatter = await createUserWithToken(store, { email: 'squatter@evil.io', team: 'squatters' });
  const squatterTeamId = await squat(server.url, squatter.token);
  await server.stop();
  await store.close();
  return { env: { TUNEBOARD_DATA_DIR: dataDir }, squatterTeamId, done: async () => dir.remove() };
}
