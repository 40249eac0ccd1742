import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CREATE_PROJECT, METRIC_SERIES, MLP_CONFIG, startTestApi, SUBMIT_RUN, testDatabases, type TestApi, type TestUser } from './harness';

const REGISTER = `mutation($name: String!, $c: WorkerCapabilitiesInput!) { registerWorker(name: $name, capabilities: $c) { id } }`;
const CLAIM = `mutation($w: ID!) { claimRun(workerId: $w) { leaseToken run { id } } }`;
const HEARTBEAT = `mutation($r: ID!, $l: ID!) { heartbeatRun(runId: $r, leaseToken: $l) { cancelled pruned leaseExpiresAt } }`;
const FINISH = `mutation($i: FinishRunInput!) { finishRun(input: $i) { status } }`;
const LOG = `mutation($r: ID!, $s: [MetricSeriesInput!], $l: ID) { logMetrics(runId: $r, series: $s, leaseToken: $l) { accepted } }`;
const PRUNE = `mutation($r: ID!, $d: PruningInput!) {
  pruneRun(runId: $r, decision: $d) { id status finishedAt pruning { reason resource unit value cutoff competitors decidedAt } }
}`;
const RUN = `query($id: ID!) { run(id: $id) { status pruning { reason resource } } }`;
const SET_STATUS = `mutation($i: SetRunStatusInput!) { setRunStatus(input: $i) { status } }`;
const WASM = { backend: 'wasm', device: 'cpu (wasm SIMD, 1 thread)', gpu: false };
const DECISION = { reason: "test.accuracy 0.81 below the rung's top third, 0.86", resource: 3, unit: 'epoch', value: 0.81, cutoff: 0.86, competitors: 7 };

for (const database of testDatabases()) {
  describe(`pruneRun on ${database.name}`, () => {
    let api: TestApi;
    let alice: TestUser;
    let projectId: string;

    beforeAll(async () => {
      api = await startTestApi(database);
      alice = await api.user('alice@example.com', 'vision');
      projectId = (await alice.ok(CREATE_PROJECT, { teamId: alice.teamId, name: 'pruning' })).createProject.id;
    });
    afterAll(() => api?.close());

    const submit = async () => (await alice.ok(SUBMIT_RUN, { input: { projectId, hparams: MLP_CONFIG } })).submitRun.run.id as string;
    /** A run leased to a fresh worker (earlier queued runs are finished first, so the claim gets this one). */
    const leased = async () => {
      const worker = (await alice.ok(REGISTER, { name: 'w', c: WASM })).registerWorker.id as string;
      const runId = await submit();
      for (;;) {
        const claim = (await alice.ok(CLAIM, { w: worker })).claimRun;
        if (claim.run.id === runId) return { runId, leaseToken: claim.leaseToken as string };
        await alice.ok(FINISH, { i: { runId: claim.run.id, leaseToken: claim.leaseToken, outcome: 'SUCCEEDED' } });
      }
    };

    it('ends a running run as PRUNED with its decision; its history stays; the worker is told to stop and cannot overwrite it', async () => {
      const { runId, leaseToken } = await leased();
      await alice.ok(LOG, { r: runId, s: [{ key: 'test.accuracy', steps: [1, 2, 3], values: [0.5, 0.7, 0.81] }], l: leaseToken });
      const pruned = (await alice.ok(PRUNE, { r: runId, d: DECISION })).pruneRun;
      expect(pruned).toMatchObject({ id: runId, status: 'PRUNED', pruning: { ...DECISION } });
      expect(pruned.finishedAt).not.toBeNull();
      expect(Date.parse(pruned.pruning.decidedAt)).toBeGreaterThan(Date.now() - 60_000);

      expect((await alice.ok(HEARTBEAT, { r: runId, l: leaseToken })).heartbeatRun).toEqual({ cancelled: true, pruned: true, leaseExpiresAt: null });
      // A worker that missed the beat and reports its outcome leaves the run pruned.
      expect((await alice.ok(FINISH, { i: { runId, leaseToken, outcome: 'SUCCEEDED' } })).finishRun.status).toBe('PRUNED');
      const series = (await alice.ok(METRIC_SERIES, { runIds: [runId], keys: ['test.accuracy'] })).metricSeries;
      expect(series[0]).toMatchObject({ steps: [1, 2, 3], values: [0.5, 0.7, 0.81] });
      expect((await alice.ok(RUN, { id: runId })).run).toEqual({ status: 'PRUNED', pruning: { reason: DECISION.reason, resource: 3 } });

      // The filter language and setRunStatus know it: final, and only pruneRun makes a run pruned.
      const found = await alice.ok(`query($p: ID!) { runs(projectId: $p, filter: "status = \\"pruned\\"") { nodes { id } } }`, { p: projectId });
      expect(found.runs.nodes.map((n: { id: string }) => n.id)).toEqual([runId]);
      const again = await alice.request(SET_STATUS, { i: { runId, status: 'SUCCEEDED' } });
      expect(again.errors?.[0]?.message).toBe('A pruned run cannot become succeeded; pruned is final');
    });

    it('prunes a queued run too (the decision needs only a reason and a resource)', async () => {
      const runId = await submit();
      const pruned = (await alice.ok(PRUNE, { r: runId, d: { reason: 'median rule', resource: 0 } })).pruneRun;
      expect(pruned).toMatchObject({
        status: 'PRUNED',
        pruning: { reason: 'median rule', resource: 0, unit: null, value: null, cutoff: null, competitors: null },
      });
    });

    it('refuses a finished run, and each bad input, with BAD_USER_INPUT naming the field', async () => {
      const finished = await leased();
      await alice.ok(FINISH, { i: { runId: finished.runId, leaseToken: finished.leaseToken, outcome: 'SUCCEEDED' } });
      const done = await alice.request(PRUNE, { r: finished.runId, d: DECISION });
      expect(done.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      expect(done.errors?.[0]?.message).toBe('A succeeded run cannot be pruned; only a queued or running one');

      const runId = await submit();
      const refuse = async (decision: Record<string, unknown>, path: string) => {
        const result = await alice.request(PRUNE, { r: runId, d: { ...DECISION, ...decision } });
        expect(result.errors?.[0]?.extensions?.code, path).toBe('BAD_USER_INPUT');
        expect(result.errors?.[0]?.message, path).toContain(path);
      };
      await refuse({ reason: '' }, 'decision.reason is required');
      await refuse({ reason: '   ' }, 'decision.reason is required');
      await refuse({ reason: 'x'.repeat(501) }, 'decision.reason has 501 characters; the limit is 500');
      await refuse({ unit: 'u'.repeat(41) }, 'decision.unit has 41 characters');
      await refuse({ resource: -1 }, 'decision.resource must be a finite number');
      await refuse({ competitors: -2 }, 'decision.competitors must be a whole number');
      // JSON has no NaN or Infinity; GraphQL's Float refuses them as variables before the service sees them.
      const nan = await alice.request(PRUNE, { r: runId, d: { ...DECISION, value: 'NaN' } });
      expect(nan.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      // Nothing was recorded by the refusals.
      expect((await alice.ok(RUN, { id: runId })).run).toEqual({ status: 'QUEUED', pruning: null });
    });

    it("a viewer may not prune (FORBIDDEN); another team's run is NOT_FOUND; setRunStatus cannot make a run pruned", async () => {
      const runId = await submit();
      const viewer = await api.user('vic@example.com', 'vision', 'viewer');
      const stranger = await api.user('mallory@example.com', 'elsewhere');
      expect((await viewer.request(PRUNE, { r: runId, d: DECISION })).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
      expect((await stranger.request(PRUNE, { r: runId, d: DECISION })).errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
      expect((await alice.request(PRUNE, { r: '00000000-0000-4000-8000-000000000000', d: DECISION })).errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
      const bySet = await alice.request(SET_STATUS, { i: { runId, status: 'PRUNED' } });
      expect(bySet.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      expect(bySet.errors?.[0]?.message).toBe('A run becomes pruned only through pruneRun, which records the decision');
      expect((await alice.ok(RUN, { id: runId })).run.status).toBe('QUEUED');
    });
  });
}
