import { init, TuneboardClient } from '@tuneboard/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CREATE_PROJECT, LOG_METRICS, MLP_CONFIG, startTestApi, SUBMIT_RUN, testDatabases, type TestApi, type TestUser } from './harness';

const RUN = `query($id: ID!) { run(id: $id) { status lastSeenAt finishedAt } }`;
const TOUCH = `mutation($r: ID!) { touchRun(runId: $r) { id status lastSeenAt } }`;
const SET_STATUS = `mutation($r: ID!, $s: RunStatus!) { setRunStatus(input: { runId: $r, status: $s }) { status } }`;
const RUN_EVENTS = `subscription($id: ID!) { runEvents(runId: $id) { kind run { status } } }`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

for (const database of testDatabases()) {
  describe(`lost EXTERNAL runs on ${database.name}`, () => {
    let api: TestApi;
    let alice: TestUser;
    let mallory: TestUser;
    let projectId: string;

    beforeAll(async () => {
      // A 1 s timeout (the sweep looks every 250 ms) so the test need not wait five minutes.
      api = await startTestApi(database, { externalRunTimeoutSeconds: 1 });
      alice = await api.user('alice@example.com', 'vision');
      mallory = await api.user('mallory@example.com', 'other');
      projectId = (await alice.ok(CREATE_PROJECT, { teamId: alice.teamId, name: 'scripts' })).createProject.id;
    });
    afterAll(() => api?.close());

    const external = async () => (await alice.ok(SUBMIT_RUN, { input: { projectId, hparams: MLP_CONFIG, execution: 'EXTERNAL' } })).submitRun.run.id as string;
    const status = async (runId: string) => (await alice.ok(RUN, { id: runId })).run.status as string;

    it('marks an EXTERNAL run with no heartbeat LOST after the timeout, telling subscribers', async () => {
      const runId = await external();
      expect((await alice.ok(RUN, { id: runId })).run.lastSeenAt).not.toBeNull();
      const client = alice.subscribe();
      const statuses: string[] = [];
      let live!: () => void;
      const listening = new Promise<void>((resolve) => (live = resolve));
      const unsubscribe = client.subscribe(
        { query: RUN_EVENTS, variables: { id: runId } },
        {
          next: (message) => {
            live();
            const event = message.data?.runEvents as { kind: string; run: { status: string } } | undefined;
            if (event?.kind === 'STATUS_CHANGED') statuses.push(event.run.status);
          },
          error: (error) => {
            throw error;
          },
          complete: () => {},
        },
      );
      // Probes (metric batches, which are heartbeats too) until the subscription delivers.
      for (let step = 0; ; step++) {
        await alice.ok(LOG_METRICS, { runId, points: [{ key: 'probe', step, value: 0 }] });
        if (await Promise.race([listening.then(() => true), sleep(100).then(() => false)])) break;
        if (step > 100) throw new Error('the subscription never delivered an event');
      }
      expect(await status(runId)).toBe('RUNNING');
      await sleep(2_500);
      expect(await status(runId)).toBe('LOST');
      expect((await alice.ok(RUN, { id: runId })).run.finishedAt).toBeNull();
      expect(statuses).toEqual(['LOST']);
      // The filter language knows the status.
      const lost = await alice.ok(`query($p: ID!) { runs(projectId: $p, filter: "status = \\"lost\\"") { nodes { id } } }`, { p: projectId });
      expect(lost.runs.nodes.map((n: { id: string }) => n.id)).toContain(runId);
      // It reports again: subscribers see it running.
      await alice.ok(LOG_METRICS, { runId, points: [{ key: 'train.loss', step: 0, value: 0.5 }] });
      for (let i = 0; i < 50 && statuses.length < 2; i++) await sleep(50);
      unsubscribe();
      expect(statuses.slice(0, 2)).toEqual(['LOST', 'RUNNING']);
    });

    it('keeps a run RUNNING while its script heart-beats (touchRun), and through the SDK’s background heartbeat', async () => {
      const runId = await external();
      for (let i = 0; i < 8; i++) {
        await sleep(300);
        expect((await alice.ok(TOUCH, { r: runId })).touchRun.status).toBe('RUNNING');
      }
      expect(await status(runId)).toBe('RUNNING');

      const client = new TuneboardClient({ url: api.server.url, token: alice.token });
      const run = await init({ project: 'scripts', hparams: MLP_CONFIG, client, heartbeatIntervalMs: 250 });
      await sleep(2_500);
      expect(await status(run.id)).toBe('RUNNING');
      await run.finish();
      expect(await status(run.id)).toBe('SUCCEEDED');
    });

    it('brings a LOST run back to RUNNING when it logs again, or ends it with the status it reports', async () => {
      const [a, b, c] = [await external(), await external(), await external()];
      await sleep(2_500);
      expect([await status(a), await status(b), await status(c)]).toEqual(['LOST', 'LOST', 'LOST']);
      await alice.ok(LOG_METRICS, { runId: a, points: [{ key: 'train.loss', step: 0, value: 0.5 }] });
      expect(await status(a)).toBe('RUNNING');
      expect((await alice.ok(TOUCH, { r: b })).touchRun.status).toBe('RUNNING');
      expect((await alice.ok(SET_STATUS, { r: c, s: 'SUCCEEDED' })).setRunStatus.status).toBe('SUCCEEDED');
      // A heartbeat racing the script's own finish changes nothing and is no error.
      expect((await alice.ok(TOUCH, { r: c })).touchRun.status).toBe('SUCCEEDED');
      // Only the sweep makes a run lost.
      const manual = await alice.request(SET_STATUS, { r: a, s: 'LOST' });
      expect(manual.errors?.[0]?.extensions?.code).toBe('CONFLICT');
      // A lost run may be cancelled like any unfinished one.
      await sleep(2_500);
      expect(await status(b)).toBe('LOST');
      expect((await alice.ok(`mutation($r: ID!) { cancelRun(runId: $r) { status } }`, { r: b })).cancelRun.status).toBe('CANCELLED');
    });

    it('watches a queued run set RUNNING by hand (no worker holds it) like an EXTERNAL one', async () => {
      const runId = (await alice.ok(SUBMIT_RUN, { input: { projectId, hparams: MLP_CONFIG } })).submitRun.run.id;
      expect((await alice.ok(RUN, { id: runId })).run.lastSeenAt).toBeNull();
      await alice.ok(SET_STATUS, { r: runId, s: 'RUNNING' });
      await sleep(2_500);
      expect(await status(runId)).toBe('LOST');
    });

    it('marks a silent run of an inferred-schema project (any config, logged from the team’s own code) LOST too', async () => {
      const created = await alice.ok(`mutation($t: ID!) { createProject(teamId: $t, name: "xgboost", schemaKind: INFERRED) { id } }`, { t: alice.teamId });
      const submitted = await alice.ok(SUBMIT_RUN, {
        input: { projectId: created.createProject.id, hparamsText: '{"max_depth": 6, "eta": 0.3}', execution: 'EXTERNAL' },
      });
      const runId = submitted.submitRun.run.id as string;
      expect((await alice.ok(RUN, { id: runId })).run.lastSeenAt).not.toBeNull();
      await sleep(2_500);
      expect(await status(runId)).toBe('LOST');
    });

    it('answers touchRun on another team’s run or an unknown id NOT_FOUND, and on a queued run CONFLICT', async () => {
      const runId = await external();
      const foreign = await mallory.request(TOUCH, { r: runId });
      expect(foreign.errors?.[0]).toMatchObject({ message: `Run ${runId} was not found`, extensions: { code: 'NOT_FOUND' } });
      const bad = await alice.request(TOUCH, { r: 'not-a-run' });
      expect(bad.errors?.[0]).toMatchObject({ message: 'Run not-a-run was not found', extensions: { code: 'NOT_FOUND' } });
      const queued = (await alice.ok(SUBMIT_RUN, { input: { projectId, hparams: MLP_CONFIG } })).submitRun.run.id;
      const refused = await alice.request(TOUCH, { r: queued });
      expect(refused.errors?.[0]?.extensions?.code).toBe('CONFLICT');
      expect(refused.errors?.[0]?.message).toContain('only runs your own script reports (EXTERNAL) take heartbeats');
    });
  });
}
