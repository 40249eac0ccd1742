import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CREATE_PROJECT, METRIC_SERIES, startTestApi, SUBMIT_RUN, testDatabases, type TestApi, type TestUser } from '../apps/api/test/harness';

/**
 * The whole loop over real HTTP: runs submitted through GraphQL are claimed by real `tuneboard worker`
 * processes, trained with TensorFlow.js, and their metrics stream back.
 */

const BIN = fileURLToPath(new URL('../apps/api/bin/tuneboard.mjs', import.meta.url));
// Small enough to train in a second or two on one core, real enough to learn: two spirals, an MLP.
const spirals = (epochs: number, seed = 1) => ({
  dataset: { name: 'spirals', trainSize: 1024, testSize: 256 },
  model: { kind: 'mlp', hiddenLayers: [64, 64], activation: 'relu' },
  optimizer: { name: 'adam', learningRate: 0.01 },
  batchSize: 32,
  epochs,
  seed,
});
const STEPS_PER_EPOCH = 1024 / 32;

const children = new Set<ChildProcess>();
function startWorker(api: TestApi, user: TestUser, name: string): ChildProcess {
  const child = spawn(process.execPath, [BIN, 'worker', '--name', name], {
    env: { ...process.env, TUNEBOARD_API_URL: api.server.url, TUNEBOARD_TOKEN: user.token, TUNEBOARD_BACKEND: 'wasm' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk) => (stderr += chunk));
  child.on('exit', () => children.delete(child));
  Object.defineProperty(child, 'log', { get: () => stderr });
  children.add(child);
  return child;
}
const stopWorkers = () =>
  Promise.all([...children].map((child) => new Promise<void>((resolve) => (child.once('exit', () => resolve()), child.kill('SIGKILL')))));

async function waitFor<T>(what: string, probe: () => Promise<T | undefined | null | false>, timeoutMs = 90_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

const RUN = `query($id: ID!) { run(id: $id) { status attempt backend device error results metrics { key pointCount firstStep lastStep last } } }`;

for (const database of testDatabases()) {
  describe(`workers training submitted runs on ${database.name}`, () => {
    let api: TestApi;
    let alice: TestUser;
    let projectId: string;

    beforeAll(async () => {
      api = await startTestApi(database, { leaseSeconds: 3 });
      alice = await api.user('alice@example.com', 'vision');
      projectId = (await alice.ok(CREATE_PROJECT, { teamId: alice.teamId, name: 'spirals' })).createProject.id;
    });
    afterEach(stopWorkers);
    afterAll(async () => {
      await stopWorkers();
      await api?.close();
    });

    const submit = async (hparams: unknown, name?: string) =>
      (await alice.ok(SUBMIT_RUN, { input: { projectId, hparams, ...(name ? { name } : {}) } })).submitRun.run.id as string;
    const run = async (id: string) => (await alice.ok(RUN, { id })).run;
    const finished = (id: string) =>
      waitFor(`run ${id} to finish`, async () => {
        const r = await run(id);
        return ['SUCCEEDED', 'FAILED', 'DIVERGED', 'CANCELLED'].includes(r.status) ? r : null;
      });

    it('trains a submitted run: metrics arrive in order with no gaps, the run succeeds and records its backend', async () => {
      const id = await submit(spirals(10));
      startWorker(api, alice, 'solo');
      const done = await finished(id);
      expect(done).toMatchObject({ status: 'SUCCEEDED', attempt: 1, backend: 'wasm', error: null });
      expect(done.device).toContain('wasm');
      const { metricSeries } = await alice.ok(METRIC_SERIES, { runIds: [id], keys: ['train.loss', 'test.accuracy'], maxPoints: 100_000 });
      const loss = metricSeries.find((s: { key: string }) => s.key === 'train.loss');
      expect(loss.steps).toEqual(Array.from({ length: 10 * STEPS_PER_EPOCH }, (_, i) => i));
      const accuracy = metricSeries.find((s: { key: string }) => s.key === 'test.accuracy');
      expect(accuracy.steps).toHaveLength(10);
      // It learned something: two spirals are far from separable by chance.
      expect(accuracy.values.at(-1)).toBeGreaterThan(0.8);
    });

    it('shares five queued runs between two workers, training each exactly once', async () => {
      const ids = [];
      for (let i = 0; i < 5; i++) ids.push(await submit(spirals(2, i), `shared-${i}`));
      startWorker(api, alice, 'one');
      startWorker(api, alice, 'two');
      const runs = await Promise.all(ids.map(finished));
      expect(runs.map((r) => [r.status, r.attempt])).toEqual(ids.map(() => ['SUCCEEDED', 1]));
      for (const r of runs) {
        const loss = r.metrics.find((m: { key: string }) => m.key === 'train.loss');
        expect(loss).toMatchObject({ pointCount: 2 * STEPS_PER_EPOCH, firstStep: 0, lastStep: 2 * STEPS_PER_EPOCH - 1 });
      }
    });

    it('finishes a run on another worker when its worker is killed mid-run, with no duplicated or missing steps', async () => {
      const epochs = 40;
      const id = await submit(spirals(epochs), 'survivor');
      const doomed = startWorker(api, alice, 'doomed');
      await waitFor('the first worker to be training', async () => {
        const r = await run(id);
        const loss = r.metrics.find((m: { key: string }) => m.key === 'train.loss');
        return r.status === 'RUNNING' && loss?.pointCount > 100;
      });
      doomed.kill('SIGKILL');
      startWorker(api, alice, 'rescuer');
      const done = await finished(id);
      expect(done).toMatchObject({ status: 'SUCCEEDED', attempt: 2 });
      const { metricSeries } = await alice.ok(METRIC_SERIES, { runIds: [id], keys: ['train.loss'], maxPoints: 100_000 });
      expect(metricSeries[0].pointCount).toBe(epochs * STEPS_PER_EPOCH);
      expect(metricSeries[0].steps).toEqual(Array.from({ length: epochs * STEPS_PER_EPOCH }, (_, i) => i));
    });

    it('hands a run back when its worker is stopped on purpose (SIGTERM), without using up an attempt', async () => {
      const id = await submit({ ...spirals(40) }, 'interrupted');
      const stopped = startWorker(api, alice, 'deploying');
      await waitFor('the run to be training', async () => {
        const r = await run(id);
        return r.status === 'RUNNING' && r.metrics.some((m: { key: string; pointCount: number }) => m.key === 'train.loss' && m.pointCount > 50);
      });
      stopped.kill('SIGTERM');
      await waitFor('the run to be queued again', async () => (await run(id)).status === 'QUEUED', 20_000);
      startWorker(api, alice, 'replacement');
      const done = await finished(id);
      expect(done).toMatchObject({ status: 'SUCCEEDED', attempt: 1 });
      const loss = done.metrics.find((m: { key: string }) => m.key === 'train.loss');
      expect(loss).toMatchObject({ pointCount: 40 * STEPS_PER_EPOCH, firstStep: 0, lastStep: 40 * STEPS_PER_EPOCH - 1 });
    });

    it('cancels a running run: its worker stops within a few seconds and it stays cancelled', async () => {
      const id = await submit(spirals(400), 'too-long');
      startWorker(api, alice, 'canceller');
      await waitFor('the run to start', async () => (await run(id)).status === 'RUNNING');
      await alice.ok(`mutation($r: ID!) { cancelRun(runId: $r) { status } }`, { r: id });
      const cancelledAt = Date.now();
      // The worker is free again once it took the cancellation: it trains the next run.
      const next = await submit(spirals(1), 'after-cancel');
      const nextRun = await finished(next);
      expect(nextRun.status).toBe('SUCCEEDED');
      expect(Date.now() - cancelledAt).toBeLessThan(20_000);
      expect((await run(id)).status).toBe('CANCELLED');
    });

    it('marks a run diverged with the step and learning rate when its loss blows up', async () => {
      const id = await submit(
        { ...spirals(2), optimizer: { name: 'sgd', learningRate: 9 }, model: { kind: 'mlp', hiddenLayers: [64, 64], activation: 'relu' } },
        'blow-up',
      );
      startWorker(api, alice, 'diverger');
      const done = await finished(id);
      expect(done.status).toBe('DIVERGED');
      const detail = await alice.ok(`query($id: ID!) { run(id: $id) { divergedAtStep divergedLearningRate } }`, { id });
      expect(detail.run.divergedAtStep).toBeGreaterThanOrEqual(0);
      expect(detail.run.divergedLearningRate).toBe(9);
    });
  });
}
