import { TuneboardClient } from '@tuneboard/sdk';
import { runWorker, type ProgressReporter } from '@tuneboard/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CREATE_PROJECT, startTestApi, SUBMIT_RUN, testDatabases, type TestApi, type TestUser } from './harness';

// 600 spirals in batches of 32: 19 steps an epoch, 6 epochs, a checkpoint after each (as in checkpoints.test.ts).
const CONFIG = {
  dataset: { name: 'spirals', trainSize: 600, testSize: 100 },
  model: { kind: 'mlp', hiddenLayers: [16] },
  optimizer: { name: 'adam', learningRate: 0.01 },
  batchSize: 32,
  epochs: 6,
};
const PER_EPOCH = 19;
const PRUNE = `mutation($r: ID!, $d: PruningInput!) { pruneRun(runId: $r, decision: $d) { status } }`;
const RUN = `query($id: ID!) {
  run(id: $id) {
    status error
    pruning { reason resource unit value cutoff competitors }
    loss: metric(key: "train.loss") { pointCount firstStep lastStep }
    accuracy: metric(key: "test.accuracy") { pointCount }
  }
}`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

for (const database of testDatabases()) {
  describe(`a worker's run pruned mid-training on ${database.name}`, () => {
    let api: TestApi;
    let alice: TestUser;
    let projectId: string;

    beforeAll(async () => {
      // A 3 s lease: the worker beats every second, so the pruning reaches it quickly.
      api = await startTestApi(database, { leaseSeconds: 3 });
      alice = await api.user('alice@example.com', 'vision');
      projectId = (await alice.ok(CREATE_PROJECT, { teamId: alice.teamId, name: 'asha' })).createProject.id;
    });
    afterAll(() => api?.close());

    it('stops training at the next heartbeat and ends PRUNED with the decision, keeping the history logged before it', async () => {
      const runId = (await alice.ok(SUBMIT_RUN, { input: { projectId, hparams: CONFIG } })).submitRun.run.id as string;
      const decision = { reason: "test.accuracy 0.81 below the rung's top third, 0.86", resource: 2, unit: 'epoch', value: 0.81, cutoff: 0.86, competitors: 7 };
      const client = new TuneboardClient({ url: api.server.url, token: alice.token });
      const recordCheckpoint = client.recordCheckpoint.bind(client);
      const finishes: unknown[] = [];
      const finishRun = client.finishRun.bind(client);
      client.finishRun = async (input) => (finishes.push(input), finishRun(input));
      // The sweep prunes the run once its epoch-2 checkpoint is in; training waits long enough for a heartbeat to hear it.
      client.recordCheckpoint = async (input) => {
        const answer = await recordCheckpoint(input);
        if (input.epoch === 2) {
          expect((await alice.ok(PRUNE, { r: runId, d: decision })).pruneRun.status).toBe('PRUNED');
          await sleep(2_000);
        }
        return answer;
      };
      const lines: string[] = [];
      const progress: ProgressReporter = { log: (line) => void lines.push(line), start() {}, update() {}, done: (line) => void lines.push(line) };
      await runWorker({ client, maxRuns: 1, progress, name: 'pruned-worker' });

      expect(lines).toContain('pruned (early stopping); its history so far is kept');
      expect(finishes).toEqual([]);
      const run = (await alice.ok(RUN, { id: runId })).run;
      expect(run).toMatchObject({ status: 'PRUNED', error: null, pruning: decision });
      // The history up to the pruning stays; training did not go on to the end.
      expect(run.loss.pointCount).toBeGreaterThanOrEqual(2 * PER_EPOCH);
      expect(run.loss.lastStep).toBeLessThan(6 * PER_EPOCH - 1);
      expect(run.loss.firstStep).toBe(0);
      expect(run.accuracy.pointCount).toBeGreaterThanOrEqual(2);
    });
  });
}
