// The training loop: epochs of seeded mini-batches, the learning rate from
// the schedule set before every step, metrics streamed as they happen, and a
// stop on cancel (within one step) or on a non-finite loss (divergence).
import { learningRateAt, stepsPerEpoch, totalSteps, type RunConfig } from '@tuneboard/hparams';
import { activateBackend, type TrainingBackend } from './backends';
import { disposeBatch, epochOrder, makeBatch } from './batches';
import {
  captureCheckpoint,
  CheckpointMismatchError,
  restoreCheckpoint,
  saveModelFiles,
  type CheckpointFiles,
  type ModelFiles,
  type TrainingCheckpoint,
} from './checkpoint';
import { loadDataset, type Dataset } from './datasets';
import { METRIC_KEYS, MetricRecorder, type MetricPoint } from './metrics';
import { learningRateOf } from './optimizers';
import { runRangeTest, type RangeTestResult } from './range-test';
import { ThroughputWindow, nextTick } from './progress';
import { TrainingSession, isDivergedLoss } from './session';

export interface TrainProgress {
  /** The epoch being trained, 1-based. */
  epoch: number;
  epochs: number;
  /** Optimizer steps completed. */
  step: number;
  totalSteps: number;
  samplesPerSecond: number;
  etaSeconds: number;
}

export interface TrainOptions {
  backend: TrainingBackend;
  /** Aborting stops the run before its next step; the result is 'cancelled'. */
  signal?: AbortSignal | undefined;
  /** Called after every step with that step's points (and the epoch's at epoch ends); not awaited. */
  onMetrics?: ((points: MetricPoint[]) => void) | undefined;
  /** Called every few steps and at each epoch end; not awaited. */
  onProgress?: ((progress: TrainProgress) => void) | undefined;
  /**
   * Called after every epoch but the last with the model and optimizer state, and awaited: a checkpoint is
   * stored before training goes on. Not called by a learning-rate range test.
   */
  onCheckpoint?: ((checkpoint: TrainingCheckpoint) => Promise<void>) | undefined;
  /** Continue from this checkpoint (of the same configuration) instead of starting at epoch 0. */
  resumeFrom?: CheckpointFiles | undefined;
  /** Called once with the trained model (TF.js layers-model files) when training succeeds; awaited. */
  onModel?: ((files: ModelFiles) => Promise<void>) | undefined;
}

export type TrainStatus = 'succeeded' | 'diverged' | 'cancelled';

export interface TrainResult {
  status: TrainStatus;
  /** Step whose loss was NaN, ±Infinity or above DIVERGED_LOSS_FACTOR · ln(classes). */
  divergedAtStep?: number;
  /** Learning rate of that step. */
  divergedLearningRate?: number;
  /** Last value of every metric key emitted. */
  finalMetrics: Record<string, number>;
  /** Mode-specific results: `lrRangeTest` for a range test. */
  results: { lrRangeTest?: RangeTestResult };
  /** Steps completed. */
  steps: number;
  /** Epochs the run skipped because it resumed from a checkpoint (0 when it started afresh). */
  resumedFromEpoch: number;
  backend: { name: TrainingBackend['name']; device: string };
}

/** Throughput and progress are reported this often (and at every epoch end). */
const PROGRESS_EVERY_STEPS = 10;

let activeRuns = 0;

/**
 * Trains a validated config (or runs its learning-rate range test when
 * `config.lrRangeTest` is set). TF.js has one engine per process, so one run
 * at a time: a second concurrent call throws.
 */
export async function trainRun(config: RunConfig, options: TrainOptions): Promise<TrainResult> {
  if (activeRuns > 0) throw new Error('trainRun is already running in this process; TF.js has one engine per process');
  activeRuns++;
  try {
    await activateBackend(options.backend);
    const dataset = await loadDataset(config.dataset);
    const session = new TrainingSession(options.backend.tf, config);
    try {
      return config.lrRangeTest
        ? await runRangeTest(session, dataset, config, config.lrRangeTest, options)
        : await trainEpochs(session, dataset, config, options);
    } finally {
      session.dispose();
    }
  } finally {
    activeRuns--;
  }
}

async function trainEpochs(session: TrainingSession, dataset: Dataset, config: RunConfig, options: TrainOptions): Promise<TrainResult> {
  const { tf } = options.backend;
  const metrics = new MetricRecorder(options.onMetrics ?? (() => {}));
  const perEpoch = stepsPerEpoch(config);
  const total = totalSteps(config);
  const result = (status: TrainStatus, steps: number, extra: Partial<TrainResult> = {}): TrainResult => {
    metrics.flush();
    return {
      status,
      ...extra,
      finalMetrics: { ...metrics.latest },
      results: {},
      steps,
      resumedFromEpoch: startEpoch,
      backend: { name: options.backend.name, device: options.backend.device },
    };
  };
  let startEpoch = 0;
  let step = 0;
  if (options.resumeFrom) {
    ({ epoch: startEpoch, step } = await restoreCheckpoint(tf, session, options.resumeFrom));
    if (!Number.isInteger(startEpoch) || startEpoch < 1 || startEpoch > config.epochs || step !== startEpoch * perEpoch)
      throw new CheckpointMismatchError(
        `The checkpoint (epoch ${startEpoch}, step ${step}) does not fit this run's ${config.epochs} epochs of ${perEpoch} steps`,
      );
  }
  const resumedAtStep = step;
  const throughput = new ThroughputWindow(total - resumedAtStep);

  for (let epoch = startEpoch; epoch < config.epochs; epoch++) {
    const order = epochOrder(dataset.train.size, config.seed, epoch);
    let lossSum = 0;
    let correct = 0;
    for (let start = 0; start < dataset.train.size; start += config.batchSize) {
      // Lets abort() and timers run between steps: the loop itself never awaits the backend.
      await nextTick();
      if (options.signal?.aborted) return result('cancelled', step);

      const learningRate = learningRateAt(config, step, total);
      const batch = makeBatch(tf, dataset, dataset.train, order, start, Math.min(start + config.batchSize, dataset.train.size));
      const outcome = session.step(batch, learningRate, step);
      disposeBatch(batch);
      metrics.add(METRIC_KEYS.trainLearningRate, step, learningRateOf(session.optimizer));
      // A finite diverging loss (1e15) is still emitted: the spike is what the chart should show.
      metrics.add(METRIC_KEYS.trainLoss, step, outcome.loss);
      if (isDivergedLoss(outcome.loss, dataset.classes)) {
        return result('diverged', step, { divergedAtStep: step, divergedLearningRate: learningRate });
      }
      lossSum += outcome.loss * batch.size;
      correct += outcome.correct;
      step++;
      throughput.record(batch.size);

      const epochEnds = step === (epoch + 1) * perEpoch;
      if (step % PROGRESS_EVERY_STEPS === 0 || epochEnds) {
        const samplesPerSecond = throughput.takeRate();
        metrics.add(METRIC_KEYS.trainSamplesPerSecond, step, samplesPerSecond);
        options.onProgress?.({
          epoch: epoch + 1,
          epochs: config.epochs,
          step,
          totalSteps: total,
          samplesPerSecond,
          etaSeconds: throughput.etaSeconds(step - resumedAtStep),
        });
      }
      metrics.flush();
    }

    const test = session.evaluate(dataset, dataset.test);
    metrics.add(METRIC_KEYS.trainEpochLoss, step, lossSum / dataset.train.size);
    metrics.add(METRIC_KEYS.trainAccuracy, step, correct / dataset.train.size);
    metrics.add(METRIC_KEYS.testLoss, step, test.loss);
    metrics.add(METRIC_KEYS.testAccuracy, step, test.accuracy);
    metrics.flush();
    if (options.onCheckpoint && epoch + 1 < config.epochs) await options.onCheckpoint(await captureCheckpoint(tf, session, epoch + 1, step));
    throughput.restartWindow();
  }
  if (options.onModel) await options.onModel(await saveModelFiles(tf, session.runModel.model));
  return result('succeeded', step);
}
