import { learningRateAt, stepsPerEpoch, totalSteps, type RunConfig } from '@tuneboard/hparams';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend, type TrainingBackend } from './backends';
import type { MetricPoint } from './metrics';
import { mnistCnn, parseConfig, spiralsMlp } from './test-configs';
import { isDivergedLoss } from './session';
import { trainRun, type TrainOptions } from './train';

let wasm: TrainingBackend;

beforeAll(async () => {
  wasm = await selectBackend({ name: 'wasm' });
});

async function train(config: RunConfig, options: Partial<TrainOptions> = {}) {
  const points: MetricPoint[] = [];
  const result = await trainRun(config, { backend: wasm, onMetrics: (batch) => points.push(...batch), ...options });
  const series = (key: string) => points.filter((point) => point.key === key);
  return { result, points, series };
}

describe('trainRun', () => {
  it('trains a small MLP on spirals to 95% test accuracy within seconds', async () => {
    const started = performance.now();
    const { result } = await train(spiralsMlp());
    const seconds = (performance.now() - started) / 1000;
    expect(result.status).toBe('succeeded');
    expect(result.finalMetrics['test.accuracy']).toBeGreaterThanOrEqual(0.95);
    expect(seconds).toBeLessThan(10);
  });

  it('emits per-step and per-epoch metrics at the documented steps', async () => {
    const config = spiralsMlp({ epochs: 2, dataset: { name: 'spirals', trainSize: 330, testSize: 100 } });
    const { result, series } = await train(config);
    const perEpoch = stepsPerEpoch(config); // 11: the last batch holds 10 samples
    expect(series('train.loss').map((point) => point.step)).toEqual([...Array(2 * perEpoch).keys()]);
    expect(series('train.learning_rate')).toHaveLength(2 * perEpoch);
    for (const key of ['train.epoch_loss', 'train.accuracy', 'test.loss', 'test.accuracy']) {
      expect(series(key).map((point) => point.step)).toEqual([perEpoch, 2 * perEpoch]);
    }
    expect(series('train.samples_per_second').map((point) => point.step)).toEqual([10, 11, 20, 22]);
    expect(series('train.samples_per_second').every((point) => point.value > 0)).toBe(true);
    expect(result.steps).toBe(2 * perEpoch);
    expect(result.finalMetrics['test.accuracy']).toBe(series('test.accuracy').at(-1)?.value);
    expect(result.backend).toEqual({ name: 'wasm', device: wasm.device });
    const wallTimes = series('train.loss').map((point) => point.wallTime);
    expect(wallTimes).toEqual([...wallTimes].sort((a, b) => a - b));
    expect(Math.abs((wallTimes[0] ?? 0) - Date.now())).toBeLessThan(60_000);
  });

  it('sets the learning rate of every step from the schedule', async () => {
    for (const optimizer of [
      { name: 'sgd', learningRate: 0.1 },
      { name: 'adam', learningRate: 0.01 },
    ]) {
      const config = spiralsMlp({
        epochs: 3,
        dataset: { name: 'spirals', trainSize: 320, testSize: 50 },
        optimizer,
        schedule: { kind: 'oneCycle', pctStart: 0.25 },
      });
      const total = totalSteps(config);
      const { series } = await train(config);
      const used = new Map(series('train.learning_rate').map((point) => [point.step, point.value]));
      for (const step of [0, 1, 7, Math.round(0.25 * total), 20, total - 1]) {
        expect(used.get(step)).toBeCloseTo(learningRateAt(config, step, total), 12);
      }
      // The schedule really moves: peak well above the start.
      expect(Math.max(...used.values())).toBeGreaterThan(10 * (used.get(0) ?? 0));
    }
  });

  it('gives identical losses for the same seed on the same backend, and others for another seed', async () => {
    const config = spiralsMlp({ epochs: 1, model: { kind: 'mlp', hiddenLayers: [32], dropout: 0.2 } });
    const losses = async (seed: number) => (await train({ ...config, seed })).series('train.loss').map((p) => p.value);
    const first = await losses(1);
    expect(await losses(1)).toEqual(first);
    expect(await losses(2)).not.toEqual(first);
  });

  it('counts a non-finite loss, or one above 100 × that of guessing, as diverged', () => {
    for (const loss of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 231]) {
      expect(isDivergedLoss(loss, 10)).toBe(true);
    }
    for (const loss of [0, 2.3, 16.1, 230]) expect(isDivergedLoss(loss, 10)).toBe(false);
    expect(isDivergedLoss(70, 2)).toBe(true);
  });

  // ReLU's loss shoots up and falls back to ln(classes) once every unit is dead; ELU's keeps growing.
  for (const activation of ['relu', 'elu'] as const) {
    it(`stops as diverged with the step and learning rate (sgd at lr 10, ${activation})`, async () => {
      const config = parseConfig({
        dataset: { name: 'mnist', trainSize: 2000, testSize: 100 },
        model: { kind: 'mlp', hiddenLayers: [128, 128], activation },
        optimizer: { name: 'sgd', learningRate: 10 },
        schedule: { kind: 'exponential', gamma: 0.99 },
        batchSize: 32,
        epochs: 5,
      });
      const { result, series } = await train(config);
      expect(result.status).toBe('diverged');
      const step = result.divergedAtStep ?? -1;
      expect(step).toBeGreaterThan(0);
      expect(step).toBeLessThan(20);
      expect(result.divergedLearningRate).toBeCloseTo(learningRateAt(config, step, totalSteps(config)), 12);
      // Every loss up to it was emitted (its own only if finite), none after it, and no epoch finished.
      const lossSteps = series('train.loss').map((point) => point.step);
      expect(lossSteps.filter((lossStep) => lossStep < step)).toEqual([...Array(step).keys()]);
      expect(Math.max(...lossSteps)).toBeLessThanOrEqual(step);
      if (lossSteps.includes(step)) expect(result.finalMetrics['train.loss']).toBeGreaterThan(230);
      expect(series('test.accuracy')).toHaveLength(0);
    });
  }

  it('stops within one step of an abort', async () => {
    const controller = new AbortController();
    const abortAt = 5;
    const { result, series } = await train(spiralsMlp(), {
      signal: controller.signal,
      onMetrics: (points) => {
        if (points.some((point) => point.key === 'train.loss' && point.step === abortAt)) controller.abort();
      },
    });
    expect(result.status).toBe('cancelled');
    expect(result.steps).toBe(abortAt + 1);
    expect(series('train.loss')).toHaveLength(0); // this test's onMetrics replaced the collector
  });

  it('stops on an abort from a timer: the loop yields between steps', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const started = performance.now();
    const { result } = await train(spiralsMlp({ epochs: 200 }), { signal: controller.signal });
    expect(result.status).toBe('cancelled');
    expect(performance.now() - started).toBeLessThan(2000);
  });

  it('reports progress with an ETA', async () => {
    const progress: Parameters<NonNullable<TrainOptions['onProgress']>>[0][] = [];
    const config = spiralsMlp({ epochs: 2 });
    await train(config, { onProgress: (p) => progress.push(p) });
    const last = progress.at(-1);
    expect(last).toMatchObject({ epoch: 2, epochs: 2, step: totalSteps(config), totalSteps: totalSteps(config), etaSeconds: 0 });
    expect(progress[0]?.etaSeconds).toBeGreaterThan(0);
    expect(progress.every((p) => p.samplesPerSecond > 0)).toBe(true);
  });

  it('leaves no tensors behind, whatever the outcome', async () => {
    const before = wasm.tf.memory().numTensors;
    await train(mnistCnn({ dropout: 0.3, dense: [16] }, { optimizer: { name: 'adam', learningRate: 0.001, weightDecay: 1e-4 } }));
    const controller = new AbortController();
    controller.abort();
    await train(spiralsMlp(), { signal: controller.signal });
    expect(wasm.tf.memory().numTensors).toBe(before);
  });

  it('refuses a second run while one is training', async () => {
    const first = train(spiralsMlp({ epochs: 1 }));
    await expect(train(spiralsMlp({ epochs: 1 }))).rejects.toThrow(/already running/);
    expect((await first).result.status).toBe('succeeded');
  });
});
