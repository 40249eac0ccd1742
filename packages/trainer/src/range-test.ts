// The learning-rate range test: the learning rate rises exponentially from
// start to end, one step at a time, and the loss it produces is recorded until
// it diverges. The suggestion is a tenth of the learning rate at which the
// smoothed loss was lowest (see README for why).
import { rangeTestLearningRate, type LrRangeTestConfig, type RunConfig } from '@tuneboard/hparams';
import { disposeBatch, epochOrder, makeBatch } from './batches';
import type { Dataset } from './datasets';
import { METRIC_KEYS, MetricRecorder } from './metrics';
import { ThroughputWindow, nextTick } from './progress';
import { isDivergedLoss, type TrainingSession } from './session';
import type { TrainOptions, TrainResult } from './train';

export interface RangeTestResult {
  /** Learning rate of each step taken. */
  learningRates: number[];
  /** Raw loss of each step taken; a last loss of NaN or ±Infinity is left out (with its rate), so both stay JSON numbers. */
  losses: number[];
  /** A tenth of the learning rate at the smoothed loss's minimum; null when the loss never fell. */
  suggestedLearningRate: number | null;
  /**
   * Learning rate at which the loss diverged (non-finite or above 100·ln(classes), smoothed
   * above DIVERGENCE_FACTOR × its minimum, or back above the first loss after falling
   * below PROGRESS_SHARE of it); null if it never did.
   */
  divergedAtLearningRate: number | null;
}

/** The smoothed loss exceeding this multiple of its minimum counts as divergence (fastai's rule). */
export const DIVERGENCE_FACTOR = 4;
/**
 * Once the smoothed loss has fallen below this share of the first loss, its
 * climbing back above the first loss also counts as divergence: a network
 * whose ReLUs died hovers near ln(classes) instead of growing 4×.
 */
export const PROGRESS_SHARE = 0.75;
/**
 * Weight of the past in the moving average of the loss: a memory of about 10
 * steps, a tenth of the default 100-step sweep, so the smoothed curve follows
 * the rise within a few steps (fastai's 0.98 lags by ~50 steps).
 */
export const SMOOTHING = 0.9;
/** The suggestion is the learning rate at the smoothed minimum divided by this. */
export const SUGGESTION_DIVISOR = 10;

// The rate of each step is hparams' (the dashboard previews the same curve); re-exported for callers.
export { rangeTestLearningRate };

/** Bias-corrected exponential moving average, so early values are not pulled towards 0. */
export function smoothLosses(losses: readonly number[], smoothing = SMOOTHING): number[] {
  let average = 0;
  return losses.map((loss, i) => {
    average = smoothing * average + (1 - smoothing) * loss;
    return average / (1 - smoothing ** (i + 1));
  });
}

/** The rule of the README: a tenth of the learning rate at the lowest smoothed loss; null if that is the first step. */
export function suggestLearningRate(learningRates: readonly number[], smoothed: readonly number[]): number | null {
  let best = 0;
  for (let i = 1; i < smoothed.length; i++) if (smoothed[i]! < smoothed[best]!) best = i;
  if (best === 0) return null;
  return learningRates[best]! / SUGGESTION_DIVISOR;
}

export async function runRangeTest(
  session: TrainingSession,
  dataset: Dataset,
  config: RunConfig,
  test: LrRangeTestConfig,
  options: TrainOptions,
): Promise<TrainResult> {
  const { tf } = options.backend;
  const metrics = new MetricRecorder(options.onMetrics ?? (() => {}));
  const learningRates: number[] = [];
  const losses: number[] = [];
  let divergedAtLearningRate: number | null = null;
  let order = epochOrder(dataset.train.size, config.seed, 0);
  let start = 0;
  let epoch = 0;
  let minimum = Number.POSITIVE_INFINITY;
  let average = 0;
  const throughput = new ThroughputWindow(test.steps);

  for (let step = 0; step < test.steps; step++) {
    await nextTick();
    if (options.signal?.aborted) {
      return finish('cancelled');
    }
    if (start >= dataset.train.size) {
      order = epochOrder(dataset.train.size, config.seed, ++epoch);
      start = 0;
    }
    const learningRate = rangeTestLearningRate(test, step);
    const batch = makeBatch(tf, dataset, dataset.train, order, start, Math.min(start + config.batchSize, dataset.train.size));
    start += config.batchSize;
    const { loss } = session.step(batch, learningRate, step);
    disposeBatch(batch);
    learningRates.push(learningRate);
    losses.push(loss);
    metrics.add(METRIC_KEYS.rangeLearningRate, step, learningRate);
    metrics.add(METRIC_KEYS.rangeLoss, step, loss);
    metrics.flush();
    throughput.record(batch.size);
    options.onProgress?.({
      epoch: epoch + 1,
      epochs: Math.ceil((test.steps * config.batchSize) / dataset.train.size),
      step: step + 1,
      totalSteps: test.steps,
      samplesPerSecond: throughput.takeRate(),
      etaSeconds: throughput.etaSeconds(step + 1),
    });

    average = SMOOTHING * average + (1 - SMOOTHING) * loss;
    const smoothed = average / (1 - SMOOTHING ** (step + 1));
    minimum = Math.min(minimum, smoothed);
    const firstLoss = losses[0] ?? loss;
    const progressUndone = minimum < PROGRESS_SHARE * firstLoss && smoothed > firstLoss;
    if (isDivergedLoss(loss, dataset.classes) || smoothed > DIVERGENCE_FACTOR * minimum || progressUndone) {
      divergedAtLearningRate = learningRate;
      break;
    }
  }
  return finish('succeeded');

  function finish(status: 'succeeded' | 'cancelled'): TrainResult {
    metrics.flush();
    // The diverging step is left out of the minimum search, so the suggestion lies below it.
    const stable = divergedAtLearningRate === null ? losses.length : losses.length - 1;
    const suggestedLearningRate = suggestLearningRate(learningRates.slice(0, stable), smoothLosses(losses.slice(0, stable)));
    const finiteSteps = Number.isFinite(losses.at(-1)) ? losses.length : losses.length - 1;
    return {
      status,
      finalMetrics: { ...metrics.latest },
      results: {
        lrRangeTest: {
          learningRates: learningRates.slice(0, finiteSteps),
          losses: losses.slice(0, finiteSteps),
          suggestedLearningRate,
          divergedAtLearningRate,
        },
      },
      steps: learningRates.length,
      resumedFromEpoch: 0,
      backend: { name: options.backend.name, device: options.backend.device },
    };
  }
}
