import * as tf from '@tensorflow/tfjs';
import { init, TuneboardClient, TuneboardError, tuneboardCallback } from '@tuneboard/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { METRIC_SERIES, startTestApi, testDatabases, type TestApi, type TestUser } from '../apps/api/test/harness';

const CONFIG = {
  dataset: { name: 'spirals', trainSize: 512, testSize: 128 },
  model: { kind: 'mlp', hiddenLayers: [8] },
  optimizer: { name: 'adam', learningRate: 0.01 },
  batchSize: 64,
  epochs: 2,
};

// The SDK against a real API on the embedded store (its HTTP path does not depend on the database kind).
const [database] = testDatabases();

describe('the SDK: logging from your own training code', () => {
  let api: TestApi;
  let alice: TestUser;
  let client: TuneboardClient;

  beforeAll(async () => {
    api = await startTestApi(database!);
    alice = await api.user('alice@example.com', 'vision');
    client = new TuneboardClient({ url: api.server.url, token: alice.token });
  });
  afterAll(() => api?.close());

  it('init / log / finish: creates the project and a running run, buffers points, stores them all', async () => {
    const run = await init({ client, project: 'my-script', hparams: CONFIG, tags: ['sdk'] });
    expect(run.name).toBe('spirals-mlp-adam-lr1e-2-bs64');
    expect((await client.run(run.id))?.status).toBe('RUNNING');
    for (let step = 0; step < 3000; step++) run.log({ 'train.loss': 1 / (step + 1), 'train.learning_rate': 0.01 });
    run.log({ 'test.accuracy': 0.93 }, 2999);
    await run.finish();
    expect((await client.run(run.id))?.status).toBe('SUCCEEDED');
    const { metricSeries } = await alice.ok(METRIC_SERIES, { runIds: [run.id], maxPoints: 10_000 });
    expect(metricSeries.map((s: { key: string; pointCount: number }) => [s.key, s.pointCount])).toEqual([
      ['test.accuracy', 1],
      ['train.learning_rate', 3000],
      ['train.loss', 3000],
    ]);
    expect(run.droppedPoints).toBe(0);
    // A second init finds the project rather than creating another.
    const again = await init({ client, project: 'MY-SCRIPT', hparams: CONFIG });
    const projects = await alice.ok(`{ projects { name } }`);
    expect(projects.projects).toEqual([{ name: 'my-script' }]);
    await again.finish('CANCELLED');
  });

  it('rejects an invalid configuration before sending anything, with every problem', async () => {
    const error = await init({ client, project: 'my-script', hparams: { ...CONFIG, batchSize: 0, optimizer: { name: 'adam', learningRate: 0 } } }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(TuneboardError);
    expect((error as TuneboardError).code).toBe('BAD_USER_INPUT');
    expect((error as TuneboardError).problems.map((p) => p.path).sort()).toEqual(['batchSize', 'optimizer.learningRate']);
  });

  it('tuneboardCallback logs every batch and epoch of a TF.js model.fit', async () => {
    await tf.setBackend('cpu');
    const run = await init({ client, project: 'fit', hparams: CONFIG });
    const model = tf.sequential({
      layers: [tf.layers.dense({ inputShape: [2], units: 8, activation: 'relu' }), tf.layers.dense({ units: 2, activation: 'softmax' })],
    });
    model.compile({ optimizer: tf.train.adam(0.01), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
    const x = tf.randomNormal([256, 2], 0, 1, 'float32', 7);
    const y = tf.oneHot(
      tf.tensor1d(
        Array.from({ length: 256 }, (_, i) => i % 2),
        'int32',
      ),
      2,
    );
    await model.fit(x, y, { epochs: 3, batchSize: 64, validationSplit: 0.25, callbacks: [tuneboardCallback(run)] });
    await run.finish();
    tf.dispose([x, y]);
    const { metricSeries } = await alice.ok(METRIC_SERIES, { runIds: [run.id], maxPoints: 1000 });
    const byKey = Object.fromEntries(metricSeries.map((s: { key: string; steps: number[] }) => [s.key, s.steps]));
    // 192 training samples / 64 = 3 batches per epoch, 3 epochs.
    expect(byKey['train.loss']).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    expect(byKey['train.accuracy']).toHaveLength(9);
    expect(byKey['test.loss']).toEqual([2, 5, 8]);
    expect(byKey['test.accuracy']).toEqual([2, 5, 8]);
    expect(byKey.epoch).toEqual([2, 5, 8]);
  });

  it('keeps logging when the API is briefly unreachable, and loses nothing', async () => {
    let failures = 0;
    const flaky: typeof fetch = async (input, init) => {
      const body = String(init?.body ?? '');
      if (body.includes('logMetrics') && failures < 3) {
        failures++;
        throw new TypeError('fetch failed (connection reset)');
      }
      return fetch(input, init);
    };
    const flakyClient = new TuneboardClient({ url: api.server.url, token: alice.token, fetch: flaky });
    const run = await init({ client: flakyClient, project: 'flaky', hparams: CONFIG, buffer: { retryBaseMs: 10 } });
    for (let step = 0; step < 500; step++) run.log({ 'train.loss': step }, step);
    await run.finish();
    expect(failures).toBe(3);
    const { metricSeries } = await alice.ok(METRIC_SERIES, { runIds: [run.id], maxPoints: 1000 });
    expect(metricSeries[0].steps).toEqual(Array.from({ length: 500 }, (_, i) => i));
  });
});
