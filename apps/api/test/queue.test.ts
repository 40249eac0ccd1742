import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CREATE_PROJECT, MLP_CONFIG, startTestApi, SUBMIT_RUN, testDatabases, type TestApi, type TestUser } from './harness';

const REGISTER = `mutation($name: String!, $c: WorkerCapabilitiesInput!) { registerWorker(name: $name, capabilities: $c) { id } }`;
const CLAIM = `mutation($w: ID!) { claimRun(workerId: $w) { leaseToken attempt run { id status backend device } } }`;
const HEARTBEAT = `mutation($r: ID!, $l: ID!) { heartbeatRun(runId: $r, leaseToken: $l) { cancelled leaseExpiresAt } }`;
const FINISH = `mutation($i: FinishRunInput!) { finishRun(input: $i) { status error finishedAt } }`;
const RUN = `query($id: ID!) { run(id: $id) { status attempt error } }`;
const LOG = `mutation($r: ID!, $s: [MetricSeriesInput!], $l: ID) { logMetrics(runId: $r, series: $s, leaseToken: $l) { accepted } }`;
const WASM = { backend: 'wasm', device: 'cpu (wasm SIMD, 1 thread)', gpu: false };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

for (const database of testDatabases()) {
  describe(`the run queue on ${database.name}`, () => {
    let api: TestApi;
    let alice: TestUser;
    let projectId: string;

    beforeAll(async () => {
      api = await startTestApi(database, { leaseSeconds: 1 });
      alice = await api.user('alice@example.com', 'vision');
      projectId = (await alice.ok(CREATE_PROJECT, { teamId: alice.teamId, name: 'queue' })).createProject.id;
    });
    afterAll(() => api?.close());

    const submit = async (extra: Record<string, unknown> = {}) =>
      (await alice.ok(SUBMIT_RUN, { input: { projectId, hparams: MLP_CONFIG, ...extra } })).submitRun.run.id as string;
    const register = async (name: string, capabilities = WASM) => (await alice.ok(REGISTER, { name, c: capabilities })).registerWorker.id as string;
    const drain = async (workerId: string) => {
      for (;;) {
        const claim = await alice.ok(CLAIM, { w: workerId });
        if (!claim.claimRun) return;
        await alice.ok(FINISH, { i: { runId: claim.claimRun.run.id, leaseToken: claim.claimRun.leaseToken, outcome: 'SUCCEEDED' } });
      }
    };

    it('hands each queued run to exactly one of two competing workers, oldest first', async () => {
      await drain(await register('cleanup'));
      const runIds = [];
      for (let i = 0; i < 5; i++) runIds.push(await submit());
      const workers = [await register('w1'), await register('w2')];
      const claims = await Promise.all(Array.from({ length: 8 }, (_, i) => alice.ok(CLAIM, { w: workers[i % 2] })));
      const claimed = claims.map((c) => c.claimRun).filter(Boolean);
      expect(claimed.map((c) => c.run.id).sort()).toEqual([...runIds].sort());
      expect(claimed.every((c) => c.run.status === 'RUNNING' && c.run.backend === 'wasm' && c.attempt === 1)).toBe(true);
      for (const c of claimed) await alice.ok(FINISH, { i: { runId: c.run.id, leaseToken: c.leaseToken, outcome: 'SUCCEEDED' } });
    });

    it('requeues the run of a lost worker, and fails it after its last attempt with the reason', async () => {
      await drain(await register('cleanup-1'));
      const runId = await submit({ maxAttempts: 2 });
      const worker = await register('doomed');
      const first = (await alice.ok(CLAIM, { w: worker })).claimRun;
      expect(first.run.id).toBe(runId);
      await sleep(2_000); // no heartbeat: the 1 s lease expires and the sweep requeues the run
      expect((await alice.ok(RUN, { id: runId })).run).toMatchObject({ status: 'QUEUED', attempt: 1 });
      // The lost worker wakes up: its lease is gone, so it may neither heart-beat nor finish.
      const stale = await alice.request(FINISH, { i: { runId, leaseToken: first.leaseToken, outcome: 'SUCCEEDED' } });
      expect(stale.errors?.[0]?.extensions?.code).toBe('CONFLICT');
      const second = (await alice.ok(CLAIM, { w: worker })).claimRun;
      expect(second).toMatchObject({ attempt: 2, run: { id: runId } });
      await sleep(2_000);
      const failed = (await alice.ok(RUN, { id: runId })).run;
      expect(failed.status).toBe('FAILED');
      expect(failed.error).toBe('Its worker stopped responding (lease expired) on each of 2 attempts');
    });

    it('keeps a run while its worker heart-beats', async () => {
      await drain(await register('cleanup-3'));
      const runId = await submit();
      const worker = await register('alive');
      const lease = (await alice.ok(CLAIM, { w: worker })).claimRun;
      expect(lease.run.id).toBe(runId);
      for (let i = 0; i < 6; i++) {
        await sleep(400);
        expect((await alice.ok(HEARTBEAT, { r: runId, l: lease.leaseToken })).heartbeatRun.cancelled).toBe(false);
      }
      const finished = await alice.ok(FINISH, { i: { runId, leaseToken: lease.leaseToken, outcome: 'DIVERGED', divergedAtStep: 17 } });
      expect(finished.finishRun.status).toBe('DIVERGED');
    });

    it('tells the worker of a cancelled run to stop, and keeps it cancelled', async () => {
      await drain(await register('cleanup-4'));
      const runId = await submit();
      const worker = await register('cancellable');
      const lease = (await alice.ok(CLAIM, { w: worker })).claimRun;
      expect(lease.run.id).toBe(runId);
      expect((await alice.ok(`mutation($r: ID!) { cancelRun(runId: $r) { status finishedAt } }`, { r: runId })).cancelRun.status).toBe('CANCELLED');
      expect((await alice.ok(HEARTBEAT, { r: runId, l: lease.leaseToken })).heartbeatRun.cancelled).toBe(true);
      await alice.ok(FINISH, { i: { runId, leaseToken: lease.leaseToken, outcome: 'SUCCEEDED' } });
      expect((await alice.ok(RUN, { id: runId })).run.status).toBe('CANCELLED');
    });

    it('gives a GPU-only run to a GPU worker only, and never claims EXTERNAL runs', async () => {
      await drain(await register('cleanup-2'));
      const gpuRun = await submit({ requirements: { gpu: true } });
      const external = await submit({ execution: 'EXTERNAL' });
      expect((await alice.ok(RUN, { id: external })).run.status).toBe('RUNNING');
      expect((await alice.ok(CLAIM, { w: await register('cpu-only') })).claimRun).toBeNull();
      const gpuWorker = await register('gpu', { backend: 'tensorflow-gpu', device: 'NVIDIA A100', gpu: true });
      const lease = (await alice.ok(CLAIM, { w: gpuWorker })).claimRun;
      expect(lease.run).toMatchObject({ id: gpuRun, device: 'NVIDIA A100' });
      expect((await alice.ok(CLAIM, { w: gpuWorker })).claimRun).toBeNull();
      const bad = await alice.request(SUBMIT_RUN, { input: { projectId, hparams: MLP_CONFIG, requirements: { backends: ['tpu'] } } });
      expect(bad.errors?.[0]?.message).toContain('requirements.backends must list some of tensorflow-gpu, tensorflow, wasm, cpu');
    });

    it("starts a retried run's history afresh and refuses the lost worker's late metrics", async () => {
      await drain(await register('cleanup-5'));
      const runId = await submit();
      const worker = await register('flaky');
      const first = (await alice.ok(CLAIM, { w: worker })).claimRun;
      const steps = (n: number) => Array.from({ length: n }, (_, i) => i);
      const log = (leaseToken: string, n: number, value: number) =>
        alice.request(`mutation($r: ID!, $s: [MetricSeriesInput!], $l: ID) { logMetrics(runId: $r, series: $s, leaseToken: $l) { accepted } }`, {
          r: runId,
          s: [{ key: 'test.accuracy', steps: steps(n), values: steps(n).map(() => value) }],
          l: leaseToken,
        });
      expect((await log(first.leaseToken, 100, 0.9)).errors).toBeUndefined();
      await sleep(2_000); // the first worker is lost; its lease expires
      const second = (await alice.ok(CLAIM, { w: worker })).claimRun;
      expect(second).toMatchObject({ attempt: 2, run: { id: runId } });
      const late = await log(first.leaseToken, 100, 0.5);
      expect(late.errors?.[0]?.extensions?.code).toBe('CONFLICT');
      expect((await log(second.leaseToken, 50, 0.1)).errors).toBeUndefined();
      await alice.ok(FINISH, { i: { runId, leaseToken: second.leaseToken, outcome: 'DIVERGED', divergedAtStep: 49 } });
      const metric = (await alice.ok(`query($id: ID!) { run(id: $id) { metric(key: "test.accuracy") { pointCount lastStep last } } }`, { id: runId })).run
        .metric;
      expect(metric).toEqual({ pointCount: 50, lastStep: 49, last: 0.1 });
    });

    it('takes a run back from a worker that stops on purpose, without counting the attempt', async () => {
      await drain(await register('cleanup-7'));
      const runId = await submit({ maxAttempts: 1 });
      const worker = await register('restarting');
      const lease = (await alice.ok(CLAIM, { w: worker })).claimRun;
      await alice.ok(LOG, { r: runId, s: [{ key: 'train.loss', steps: [0, 1], values: [2, 1] }], l: lease.leaseToken });
      const released = await alice.ok(`mutation($r: ID!, $l: ID!) { releaseRun(runId: $r, leaseToken: $l) { status attempt metrics { key } } }`, {
        r: runId,
        l: lease.leaseToken,
      });
      expect(released.releaseRun).toEqual({ status: 'QUEUED', attempt: 0, metrics: [] });
      // With maxAttempts 1, the next worker still gets its one attempt.
      const again = (await alice.ok(CLAIM, { w: worker })).claimRun;
      expect(again).toMatchObject({ attempt: 1, run: { id: runId } });
    });

    it('does not let a cancellation overwrite a run that just finished', async () => {
      await drain(await register('cleanup-6'));
      const runId = await submit();
      const lease = (await alice.ok(CLAIM, { w: await register('finisher') })).claimRun;
      await alice.ok(FINISH, { i: { runId, leaseToken: lease.leaseToken, outcome: 'SUCCEEDED' } });
      const late = await alice.request(`mutation($r: ID!) { cancelRun(runId: $r) { status } }`, { r: runId });
      expect(late.errors?.[0]?.message).toBe('A succeeded run cannot be cancelled');
      expect((await alice.ok(RUN, { id: runId })).run.status).toBe('SUCCEEDED');
    });

    it("never hands a worker another team's runs", async () => {
      const bob = await api.user('bob@b.io', 'other-team');
      const bobWorker = (await bob.ok(REGISTER, { name: 'bob-worker', c: WASM })).registerWorker.id;
      await submit();
      expect((await bob.ok(CLAIM, { w: bobWorker })).claimRun).toBeNull();
      const aliceWorker = await register('alice-w');
      // A worker id of another user is unknown to the caller.
      expect((await bob.request(CLAIM, { w: aliceWorker })).errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    });
  });
}
