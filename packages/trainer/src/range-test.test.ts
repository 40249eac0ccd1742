import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend, type TrainingBackend } from './backends';
import type { MetricPoint } from './metrics';
import { rangeTestLearningRate, smoothLosses, suggestLearningRate } from './range-test';
import { parseConfig } from './test-configs';
import { trainRun } from './train';

let wasm: TrainingBackend;

beforeAll(async () => {
  wasm = await selectBackend({ name: 'wasm' });
});

describe('range test rules', () => {
  it('raises the learning rate exponentially from start to end', () => {
    const test = { startLearningRate: 1e-6, endLearningRate: 1, steps: 7 };
    expect([0, 1, 3, 6].map((step) => rangeTestLearningRate(test, step))).toEqual([
      1e-6,
      expect.closeTo(1e-5, 15),
      expect.closeTo(1e-3, 12),
      expect.closeTo(1, 12),
    ]);
  });

  it('smooths with a bias-corrected moving average, so a constant stays constant', () => {
    expect(smoothLosses([2, 2, 2])).toEqual([expect.closeTo(2, 12), expect.closeTo(2, 12), expect.closeTo(2, 12)]);
    const smoothed = smoothLosses([2, 0, 0, 0]);
    expect(smoothed[1]).toBeGreaterThan(0.9);
  });

  it('suggests a tenth of the learning rate at the lowest smoothed loss, and nothing if the loss never fell', () => {
    expect(suggestLearningRate([0.001, 0.01, 0.1, 1], [2, 1.5, 1, 3])).toBeCloseTo(0.01, 12);
    expect(suggestLearningRate([0.001, 0.01, 0.1], [1, 2, 3])).toBeNull();
  });
});

/** 500 spirals samples in batches of 50: 10 batches per pass. */
function spiralsRangeTest(lrRangeTest: Record<string, number>) {
  return parseConfig({
    dataset: { name: 'spirals', trainSize: 500, testSize: 100 },
    model: { kind: 'mlp', hiddenLayers: [16] },
    optimizer: { name: 'adam', learningRate: 0.01 },
    batchSize: 50,
    epochs: 1,
    lrRangeTest,
  });
}

describe('trainRun with lrRangeTest', () => {
  it('stops at divergence and suggests a learning rate below it', async () => {
    const config = parseConfig({
      dataset: { name: 'mnist', trainSize: 3000, testSize: 100 },
      model: { kind: 'mlp', hiddenLayers: [64] },
      optimizer: { name: 'sgd', learningRate: 0.1 },
      batchSize: 64,
      epochs: 1,
      lrRangeTest: { startLearningRate: 1e-4, endLearningRate: 10, steps: 100 },
    });
    const points: MetricPoint[] = [];
    const result = await trainRun(config, { backend: wasm, onMetrics: (batch) => points.push(...batch) });
    const test = result.results.lrRangeTest;
    if (!test) throw new Error('no range test result');

    expect(result.status).toBe('succeeded');
    expect(test.divergedAtLearningRate).not.toBeNull();
    expect(test.learningRates.length).toBeLessThan(100); // stopped early
    expect(test.learningRates.at(-1)).toBeLessThanOrEqual(test.divergedAtLearningRate!);
    expect(test.losses.every(Number.isFinite)).toBe(true);
    expect(test.suggestedLearningRate).not.toBeNull();
    expect(test.suggestedLearningRate!).toBeLessThan(test.divergedAtLearningRate!);
    expect(test.suggestedLearningRate!).toBeGreaterThan(1e-4);
    // It trains: the smallest smoothed loss is well below the first.
    const smoothed = smoothLosses(test.losses.slice(0, -1));
    expect(Math.min(...smoothed)).toBeLessThan(smoothed[0]! * 0.8);

    const series = (key: string) => points.filter((point) => point.key === key);
    expect(series('lr_range.learning_rate').map((point) => point.value)).toEqual(test.learningRates);
    expect(series('lr_range.loss').map((point) => point.step)).toEqual(test.losses.flatMap((loss, step) => (Number.isFinite(loss) ? [step] : [])));
    expect(series('train.loss')).toHaveLength(0);
  });

  it('stops within one step of an abort and still returns the curve so far', async () => {
    const controller = new AbortController();
    const config = spiralsRangeTest({ steps: 100 });
    const result = await trainRun(config, {
      backend: wasm,
      signal: controller.signal,
      onMetrics: (points) => points.some((point) => point.step === 9) && controller.abort(),
    });
    expect(result.status).toBe('cancelled');
    expect(result.results.lrRangeTest?.learningRates).toHaveLength(10);
  });

  it('runs all steps and reports no divergence when the range stays stable', async () => {
    const config = spiralsRangeTest({ startLearningRate: 1e-5, endLearningRate: 1e-3, steps: 30 });
    const result = await trainRun(config, { backend: wasm });
    expect(result.results.lrRangeTest?.learningRates).toHaveLength(30); // cycles through the 10 batches 3 times
    expect(result.results.lrRangeTest?.divergedAtLearningRate).toBeNull();
  });
});
