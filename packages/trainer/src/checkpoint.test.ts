import { stepsPerEpoch, type RunConfig } from '@tuneboard/hparams';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend, type TrainingBackend } from './backends';
import { CheckpointMismatchError, type ModelFiles, type TrainingCheckpoint } from './checkpoint';
import { loadDataset } from './datasets';
import type { MetricPoint } from './metrics';
import { spiralsMlp } from './test-configs';
import { trainRun, type TrainOptions } from './train';

let wasm: TrainingBackend;

beforeAll(async () => {
  wasm = await selectBackend({ name: 'wasm' });
});

async function train(config: RunConfig, options: Partial<TrainOptions> = {}) {
  const points: MetricPoint[] = [];
  const checkpoints: TrainingCheckpoint[] = [];
  let model: ModelFiles | undefined;
  const result = await trainRun(config, {
    backend: wasm,
    onMetrics: (batch) => points.push(...batch),
    onCheckpoint: async (checkpoint) => void checkpoints.push(checkpoint),
    onModel: async (files) => void (model = files),
    ...options,
  });
  const series = (key: string) => points.filter((point) => point.key === key);
  return { result, series, checkpoints, model };
}

const config = (optimizer: Record<string, unknown>) =>
  spiralsMlp({
    epochs: 3,
    seed: 7,
    dataset: { name: 'spirals', trainSize: 320, testSize: 100 },
    model: { kind: 'mlp', hiddenLayers: [16, 16], dropout: 0.1 },
    optimizer,
  });

describe('checkpoints', () => {
  it.each([
    { name: 'adam', learningRate: 0.01 },
    { name: 'momentum', learningRate: 0.05, momentum: 0.9 },
    { name: 'rmsprop', learningRate: 0.005 },
  ])('resumes $name from an epoch checkpoint as if the run had never stopped', async (optimizer) => {
    const run = config(optimizer);
    const perEpoch = stepsPerEpoch(run);
    const whole = await train(run);
    expect(whole.checkpoints.map(({ epoch, step }) => ({ epoch, step }))).toEqual([
      { epoch: 1, step: perEpoch },
      { epoch: 2, step: 2 * perEpoch },
    ]);

    // A new process would build a fresh model: the second trainRun does, from the first checkpoint's bytes only.
    const tensorsBefore = wasm.tf.memory().numTensors;
    const resumed = await train(run, { resumeFrom: whole.checkpoints[0]!.files });
    expect(wasm.tf.memory().numTensors).toBe(tensorsBefore);
    expect(resumed.result).toMatchObject({ status: 'succeeded', steps: 3 * perEpoch, resumedFromEpoch: 1 });
    const losses = resumed.series('train.loss');
    expect(losses[0]!.step).toBe(perEpoch);
    expect(losses).toHaveLength(2 * perEpoch);
    const expected = new Map(whole.series('train.loss').map((point) => [point.step, point.value]));
    // Weights and moments round-trip exactly; Adam's bias correction is recomputed from the iteration count
    // rather than accumulated, so the last digits may differ.
    for (const point of losses) expect(point.value).toBeCloseTo(expected.get(point.step)!, 4);
    expect(resumed.result.finalMetrics['test.accuracy']).toBeCloseTo(whole.result.finalMetrics['test.accuracy']!, 2);
    expect(resumed.checkpoints.map((checkpoint) => checkpoint.epoch)).toEqual([2]);
  });

  it('hands over the trained model in TF.js format, loadable by tf.loadLayersModel with the same predictions', async () => {
    const run = config({ name: 'adam', learningRate: 0.01 });
    const { model, result } = await train(run);
    expect(result.status).toBe('succeeded');
    const json = JSON.parse(new TextDecoder().decode(model!['model.json']));
    expect(json).toMatchObject({ format: 'layers-model', weightsManifest: [{ paths: ['weights.bin'] }] });
    const { tf } = wasm;
    const loaded = await tf.loadLayersModel(
      tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: json.weightsManifest[0].weights, weightData: model!['weights.bin'].slice().buffer }),
    );
    const dataset = await loadDataset(run.dataset);
    const features = dataset.inputShape.reduce((a, b) => a * b, 1);
    const inputs = tf.tensor2d(dataset.test.inputs.slice(0, 100 * features), [100, features]);
    const predicted = Array.from(tf.tidy(() => (loaded.predict(inputs) as ReturnType<typeof tf.tensor2d>).argMax(1).dataSync()));
    const labels = dataset.test.labels.slice(0, 100);
    const accuracy = predicted.reduce((sum: number, label: number, i: number) => sum + (label === labels[i] ? 1 : 0), 0) / 100;
    expect(accuracy).toBeCloseTo(result.finalMetrics['test.accuracy']!, 2);
    loaded.dispose();
    inputs.dispose();
  });

  it('refuses a checkpoint of another model or optimizer, naming what differs', async () => {
    const { checkpoints } = await train(config({ name: 'adam', learningRate: 0.01 }));
    const files = checkpoints[0]!.files;
    const wider = {
      ...config({ name: 'adam', learningRate: 0.01 }),
      model: { ...config({ name: 'adam', learningRate: 0.01 }).model, hiddenLayers: [32, 16] },
    } as RunConfig;
    await expect(train(wider, { resumeFrom: files })).rejects.toThrow(CheckpointMismatchError);
    await expect(train(wider, { resumeFrom: files })).rejects.toThrow(/do not fit this model \(\[2×32\]/);
    await expect(train(config({ name: 'sgd', learningRate: 0.1 }), { resumeFrom: files })).rejects.toThrow(/holds Adam state; this run trains with SGD/);
    const longer = { ...config({ name: 'adam', learningRate: 0.01 }), epochs: 3, batchSize: 64 } as RunConfig;
    await expect(train(longer, { resumeFrom: files })).rejects.toThrow(/does not fit this run's 3 epochs of 5 steps/);
  });
});
