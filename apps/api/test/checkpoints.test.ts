import { TuneboardClient, TuneboardError } from '@tuneboard/sdk';
import { runWorker, type ProgressReporter } from '@tuneboard/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CREATE_PROJECT, startTestApi, SUBMIT_RUN, testDatabases, type TestApi, type TestUser } from './harness';

// 600 spirals in batches of 32: 19 steps an epoch, 4 epochs. Trains in well under a second an epoch on wasm.
const CONFIG = {
  dataset: { name: 'spirals', trainSize: 600, testSize: 100 },
  model: { kind: 'mlp', hiddenLayers: [16] },
  optimizer: { name: 'adam', learningRate: 0.01 },
  batchSize: 32,
  epochs: 4,
};
const PER_EPOCH = 19;
const REGISTER = `mutation($name: String!) { registerWorker(name: $name, capabilities: { backend: "wasm", device: "cpu", gpu: false }) { id } }`;
const CLAIM = `mutation($w: ID!) { claimRun(workerId: $w) { leaseToken attempt run { id checkpoint { epoch step path } } } }`;
const RECORD = `mutation($i: RecordCheckpointInput!) { recordCheckpoint(input: $i) { checkpoint { epoch step path attempt savedAt } } }`;
const RUN = `query($id: ID!) {
  run(id: $id) {
    status attempt error
    checkpoint { epoch step path attempt }
    loss: metric(key: "train.loss") { pointCount firstStep lastStep }
    accuracy: metric(key: "test.accuracy") { pointCount lastStep }
    model: artifacts(path: "model") { path }
    checkpoints: artifacts(path: "checkpoints") { path }
  }
}`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function recordingProgress(): ProgressReporter & { lines: string[] } {
  const lines: string[] = [];
  return { lines, log: (line) => void lines.push(line), start() {}, update() {}, done: (line) => void lines.push(line) };
}

for (const database of testDatabases()) {
  describe(`checkpoints and resuming on ${database.name}`, () => {
    let api: TestApi;
    let alice: TestUser;
    let projectId: string;

    beforeAll(async () => {
      // A 1 s lease, so a lost worker's run is handed on within the test.
      api = await startTestApi(database, { leaseSeconds: 1 });
      alice = await api.user('alice@example.com', 'vision');
      projectId = (await alice.ok(CREATE_PROJECT, { teamId: alice.teamId, name: 'resumable' })).createProject.id;
    });
    afterAll(() => api?.close());

    it('resumes a run whose worker was lost from its last checkpoint, keeping the history before it, and stores the trained model', async () => {
      const runId = (await alice.ok(SUBMIT_RUN, { input: { projectId, hparams: CONFIG } })).submitRun.run.id as string;

      // Worker A loses its network right after recording the checkpoint of epoch 2, and its process stops.
      const stopA = new AbortController();
      let cut = false;
      const real = new TuneboardClient({ url: api.server.url, token: alice.token });
      const partitioned = new Proxy(real, {
        get(target, property, receiver) {
          const value = Reflect.get(target, property, receiver) as unknown;
          if (typeof value !== 'function') return value;
          return async (...args: unknown[]) => {
            if (cut) throw new TuneboardError('Cannot reach Tuneboard: the network is down', 'NETWORK', [], true);
            const answer = await (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
            if (property === 'recordCheckpoint' && (args[0] as { epoch: number }).epoch === 2) ((cut = true), stopA.abort());
            return answer;
          };
        },
      });
      await runWorker({ client: partitioned, maxRuns: 1, signal: stopA.signal, progress: recordingProgress(), name: 'doomed' });
      expect(cut).toBe(true);
      // Its lease expires; the run goes back to the queue with its history up to (at least) the checkpoint.
      await sleep(2_000);
      const lost = (await alice.ok(RUN, { id: runId })).run;
      expect(lost).toMatchObject({ status: 'QUEUED', attempt: 1, checkpoint: { epoch: 2, step: 2 * PER_EPOCH, attempt: 1 } });
      expect(lost.loss.pointCount).toBeGreaterThanOrEqual(2 * PER_EPOCH);

      // Worker B picks it up and trains epochs 3 and 4 only.
      const loggedSteps: number[] = [];
      const clientB = new TuneboardClient({ url: api.server.url, token: alice.token });
      const logMetrics = clientB.logMetrics.bind(clientB);
      clientB.logMetrics = async (id, series, options) => {
        for (const s of series) if (s.key === 'train.loss') loggedSteps.push(...s.steps);
        return logMetrics(id, series, options);
      };
      const progressB = recordingProgress();
      await runWorker({ client: clientB, maxRuns: 1, progress: progressB, name: 'rescuer' });
      expect(progressB.lines).toContainEqual(expect.stringMatching(new RegExp(`: resuming from the checkpoint after epoch 2 \\(step ${2 * PER_EPOCH}\\)$`)));
      expect(Math.min(...loggedSteps)).toBe(2 * PER_EPOCH);

      const run = (await alice.ok(RUN, { id: runId })).run;
      expect(run).toMatchObject({
        status: 'SUCCEEDED',
        attempt: 2,
        error: null,
        checkpoint: { epoch: 3, step: 3 * PER_EPOCH, attempt: 2, path: 'checkpoints/attempt-2/epoch-3' },
        // Every step once: nothing lost before the checkpoint, nothing doubled after it.
        loss: { pointCount: 4 * PER_EPOCH, firstStep: 0, lastStep: 4 * PER_EPOCH - 1 },
        accuracy: { pointCount: 4, lastStep: 4 * PER_EPOCH },
      });
      expect(run.model.map((a: { path: string }) => a.path)).toEqual(['model/model.json', 'model/weights.bin']);
      expect(run.checkpoints.map((a: { path: string }) => a.path)).toEqual(['checkpoints/attempt-1', 'checkpoints/attempt-2']);
      const modelJson = JSON.parse(new TextDecoder().decode(await real.downloadArtifact(runId, 'model/model.json')));
      expect(modelJson).toMatchObject({ format: 'layers-model', weightsManifest: [{ paths: ['weights.bin'] }] });
    });

    describe('recordCheckpoint refuses what it cannot keep', () => {
      let bob: TestUser;
      let vera: TestUser;
      let workerId: string;

      beforeAll(async () => {
        bob = await api.user('bob@example.com', 'other');
        vera = await api.user('vera@example.com', 'vision', 'viewer');
        workerId = (await alice.ok(REGISTER, { name: 'manual' })).registerWorker.id;
      });

      const claimed = async () => {
        const runId = (await alice.ok(SUBMIT_RUN, { input: { projectId, hparams: CONFIG } })).submitRun.run.id as string;
        const lease = (await alice.ok(CLAIM, { w: workerId })).claimRun;
        expect(lease.run.id).toBe(runId);
        const client = new TuneboardClient({ url: api.server.url, token: alice.token });
        await client.uploadArtifact(runId, 'ckpt/state.json', new TextEncoder().encode('{}'));
        return { runId, leaseToken: lease.leaseToken as string, client };
      };
      const code = (answer: { errors?: { extensions?: { code?: string } }[] }) => answer.errors?.[0]?.extensions?.code;

      it('names each bad field, a stale lease, another team and a viewer', async () => {
        const { runId, leaseToken } = await claimed();
        const input = { runId, leaseToken, epoch: 1, step: PER_EPOCH, path: 'ckpt' };
        const bad = async (patch: Record<string, unknown>) => (await alice.request(RECORD, { i: { ...input, ...patch } })).errors?.[0];
        expect(await bad({ epoch: 0 })).toMatchObject({ message: 'epoch must be at least 1', extensions: { code: 'BAD_USER_INPUT' } });
        expect(await bad({ step: -5 })).toMatchObject({ message: 'step must be at least 1' });
        expect((await bad({ path: '../ckpt' }))?.extensions?.code).toBe('BAD_USER_INPUT');
        expect((await bad({ path: '/etc' }))?.extensions?.code).toBe('BAD_USER_INPUT');
        expect(await bad({ path: 'elsewhere' })).toMatchObject({ message: expect.stringContaining('elsewhere/state.json is not stored for this run') });
        expect(code(await alice.request(RECORD, { i: { ...input, leaseToken: '00000000-0000-4000-8000-000000000000' } }))).toBe('CONFLICT');
        expect(code(await bob.request(RECORD, { i: input }))).toBe('NOT_FOUND');
        expect(code(await vera.request(RECORD, { i: input }))).toBe('FORBIDDEN');
        expect((await alice.ok(RUN, { id: runId })).run.checkpoint).toBeNull();

        const recorded = (await alice.ok(RECORD, { i: input })).recordCheckpoint.checkpoint;
        expect(recorded).toMatchObject({ epoch: 1, step: PER_EPOCH, path: 'ckpt', attempt: 1 });
        await alice.ok(`mutation($i: FinishRunInput!) { finishRun(input: $i) { status } }`, { i: { runId, leaseToken, outcome: 'SUCCEEDED' } });
        expect(await bad({ epoch: 2 })).toMatchObject({ message: 'The run is succeeded; only a run being trained records checkpoints' });
      });

      it('a run handed back on purpose keeps its history up to the checkpoint and resumes there', async () => {
        const { runId, leaseToken, client } = await claimed();
        const steps = Array.from({ length: 60 }, (_, i) => i);
        await client.logMetrics(runId, [{ key: 'train.loss', steps, values: steps.map((s) => 1 / (s + 1)) }], { leaseToken });
        await alice.ok(RECORD, { i: { runId, leaseToken, epoch: 2, step: 2 * PER_EPOCH, path: 'ckpt' } });
        await client.releaseRun(runId, leaseToken);
        const again = (await alice.ok(CLAIM, { w: workerId })).claimRun;
        expect(again).toMatchObject({ attempt: 1, run: { id: runId, checkpoint: { epoch: 2, step: 2 * PER_EPOCH, path: 'ckpt' } } });
        // Claiming cut the history back to the checkpoint's step.
        expect((await alice.ok(RUN, { id: runId })).run.loss).toEqual({ pointCount: 2 * PER_EPOCH + 1, firstStep: 0, lastStep: 2 * PER_EPOCH });
        await alice.ok(`mutation($i: FinishRunInput!) { finishRun(input: $i) { status } }`, {
          i: { runId, leaseToken: again.leaseToken, outcome: 'FAILED', error: 'test' },
        });
      });
    });
  });
}
