import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CREATE_PROJECT, LOG_METRICS, METRIC_SERIES, MLP_CONFIG, startTestApi, SUBMIT_RUN, testDatabases, type TestApi, type TestUser } from './harness';

for (const database of testDatabases()) {
  describe(`cross-team isolation on ${database.name}`, () => {
    let api: TestApi;
    let alice: TestUser; // team A
    let bob: TestUser; // team B
    let projectA: string;
    let runA: string;

    beforeAll(async () => {
      api = await startTestApi(database);
      alice = await api.user('alice@a.io', 'team-a');
      bob = await api.user('bob@b.io', 'team-b');
      projectA = (await alice.ok(CREATE_PROJECT, { teamId: alice.teamId, name: 'secret' })).createProject.id;
      runA = (await alice.ok(SUBMIT_RUN, { input: { projectId: projectA, hparams: MLP_CONFIG } })).submitRun.run.id;
      await alice.ok(LOG_METRICS, { runId: runA, points: [{ key: 'loss', step: 0, value: 0.5 }] });
    });
    afterAll(() => api?.close());

    const expectNotFound = (result: { errors?: { extensions?: { code?: string }; message: string }[] }, what: string, id: string) => {
      expect(result.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
      // Word for word what a nonexistent id gets: nothing tells bob the run exists.
      expect(result.errors?.[0]?.message).toBe(`${what} ${id} was not found`);
    };

    it("cannot read team A's project or run, exactly as if they did not exist", async () => {
      expectNotFound(await bob.request(`query($id: ID!) { project(id: $id) { name } }`, { id: projectA }), 'Project', projectA);
      expectNotFound(await bob.request(`query($id: ID!) { run(id: $id) { name } }`, { id: runA }), 'Run', runA);
      const missing = '11111111-1111-4111-8111-111111111111';
      expectNotFound(await bob.request(`query($id: ID!) { run(id: $id) { name } }`, { id: missing }), 'Run', missing);
    });

    it("cannot list team A's projects or runs", async () => {
      expect((await bob.ok(`{ projects { id } }`)).projects).toEqual([]);
      expectNotFound(await bob.request(`query($p: ID!) { runs(projectId: $p) { totalCount } }`, { p: projectA }), 'Project', projectA);
      expect((await bob.request(`query($t: ID!) { projects(teamId: $t) { id } }`, { t: alice.teamId })).errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
      // Asking for series of a foreign run returns nothing rather than an error that would confirm it exists.
      expect((await bob.ok(METRIC_SERIES, { runIds: [runA] })).metricSeries).toEqual([]);
    });

    it('cannot write to team A: submit, log metrics, change status, annotate, create projects', async () => {
      expectNotFound(await bob.request(SUBMIT_RUN, { input: { projectId: projectA, hparams: MLP_CONFIG } }), 'Project', projectA);
      expectNotFound(await bob.request(LOG_METRICS, { runId: runA, points: [{ key: 'loss', step: 1, value: 9 }] }), 'Run', runA);
      expectNotFound(await bob.request(`mutation($id: ID!) { setRunStatus(input: { runId: $id, status: CANCELLED }) { id } }`, { id: runA }), 'Run', runA);
      expectNotFound(await bob.request(`mutation($id: ID!) { annotateRun(runId: $id, body: "x") { id } }`, { id: runA }), 'Run', runA);
      expect((await bob.request(CREATE_PROJECT, { teamId: alice.teamId, name: 'intrusion' })).errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
      // And nothing changed.
      const run = await alice.ok(`query($id: ID!) { run(id: $id) { status metrics { pointCount } annotations { id } } }`, { id: runA });
      expect(run.run).toEqual({ status: 'QUEUED', metrics: [{ pointCount: 1 }], annotations: [] });
    });

    it("cannot subscribe to team A's run events", async () => {
      const client = bob.subscribe();
      const outcome = await new Promise<string>((resolve) => {
        client.subscribe(
          { query: `subscription($id: ID!) { runEvents(runId: $id) { kind } }`, variables: { id: runA } },
          { next: (message) => resolve(JSON.stringify(message)), error: (error) => resolve(JSON.stringify(error)), complete: () => resolve('complete') },
        );
      });
      // The subscription ends at once with the same NOT_FOUND a nonexistent run gets, and never an event.
      expect(JSON.parse(outcome)).toEqual({ errors: [expect.objectContaining({ message: `Run ${runA} was not found`, extensions: { code: 'NOT_FOUND' } })] });
    });

    it('serves only subscriptions over the WebSocket, and a revoked token loses the socket', async () => {
      const dave = await api.user('dave@a.io', 'team-a');
      const client = dave.subscribe();
      const once = (payload: { query: string; variables?: Record<string, unknown> }) =>
        new Promise<string>((resolve) => {
          client.subscribe(payload, {
            next: (m) => resolve(JSON.stringify(m)),
            error: (e) => resolve(Array.isArray(e) ? JSON.stringify(e) : `closed ${(e as { code?: number }).code} ${(e as { reason?: string }).reason}`),
            complete: () => resolve('complete'),
          });
        });
      expect(await once({ query: 'mutation { createToken(name: "sneaky") { token } }' })).toContain('Send mutations over HTTP');
      const tokens = await dave.ok('{ viewer { tokens { id } } }');
      await dave.ok('mutation($id: ID!) { revokeToken(id: $id) { revokedAt } }', { id: tokens.viewer.tokens[0].id });
      // The socket opened before the revocation is closed (4401); an operation after that cannot reconnect (4403).
      const outcome = await once({ query: 'subscription($id: ID!) { runEvents(runId: $id) { kind } }', variables: { id: runA } });
      expect(outcome).toMatch(/4401|4403|revoked/);
    });

    it('a viewer of team A can read but not write', async () => {
      const carol = await api.user('carol@a.io', 'team-a', 'viewer');
      expect((await carol.ok(`query($id: ID!) { run(id: $id) { id } }`, { id: runA })).run.id).toBe(runA);
      const write = await carol.request(LOG_METRICS, { runId: runA, points: [{ key: 'loss', step: 5, value: 1 }] });
      expect(write.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
      expect(write.errors?.[0]?.message).toBe('Your role in this team is viewer; an owner or member can do this');
    });
  });
}
