// One model with its optimizer: an optimizer step on a batch and evaluation
// on a split. Shared by the training loop and the learning-rate range test.
import type { RunConfig } from '@tuneboard/hparams';
import type * as tfTypes from '@tensorflow/tfjs';
import type { Tf } from './backends';
import { disposeBatch, makeBatch, type Batch } from './batches';
import type { DataSplit, Dataset } from './datasets';
import { buildModel, forwardLogits, setDropoutSeed, type RunModel } from './models';
import { createOptimizer, setLearningRate } from './optimizers';
import { deriveSeed } from './random';

export interface StepOutcome {
  /** Mean cross-entropy of the batch before the update (without the L2 penalty). */
  loss: number;
  /** Samples of the batch the model classified correctly before the update. */
  correct: number;
}

export interface Evaluation {
  loss: number;
  accuracy: number;
}

/**
 * A loss this many times that of uniform guessing (ln classes) counts as
 * diverged, like NaN or ±Infinity: with ReLU the loss can shoot to 1e15 and
 * fall back to ln(classes) once every unit is dead, never becoming NaN.
 */
export const DIVERGED_LOSS_FACTOR = 100;

export function isDivergedLoss(loss: number, classes: number): boolean {
  return !Number.isFinite(loss) || loss > DIVERGED_LOSS_FACTOR * Math.log(classes);
}

/** Evaluation runs in batches of this many samples, whatever the training batch size. */
const EVALUATION_BATCH = 1000;

export class TrainingSession {
  readonly runModel: RunModel;
  readonly optimizer: tfTypes.Optimizer;
  private readonly weightDecay: number;

  constructor(
    private readonly tf: Tf,
    private readonly config: RunConfig,
  ) {
    this.runModel = buildModel(tf, config);
    this.optimizer = createOptimizer(tf, config.optimizer);
    this.weightDecay = config.optimizer.weightDecay;
  }

  /** One optimizer update at `learningRate`; `step` seeds the dropout masks. */
  step(batch: Batch, learningRate: number, step: number): StepOutcome {
    const { tf, runModel, optimizer } = this;
    setLearningRate(optimizer, learningRate);
    setDropoutSeed(runModel.model, deriveSeed(this.config.seed, step, 0xd0));
    let loss: tfTypes.Scalar | undefined;
    let correct: tfTypes.Scalar | undefined;
    const cost = optimizer.minimize(
      () => {
        const logits = forwardLogits(tf, runModel.model, batch.inputs, true);
        loss = tf.keep(tf.losses.softmaxCrossEntropy(batch.targets, logits) as tfTypes.Scalar);
        correct = tf.keep(tf.sum(tf.equal(tf.argMax(logits, 1), batch.labels)) as tfTypes.Scalar);
        return this.weightDecay > 0 ? tf.add(loss, this.l2Penalty()) : loss;
      },
      true,
      runModel.trainable,
    );
    // One read for both numbers: each read waits for the backend.
    const summary = tf.tidy(() => tf.stack([loss!, tf.cast(correct!, 'float32')]));
    const [lossValue = Number.NaN, correctValue = 0] = summary.dataSync();
    tf.dispose([cost, loss, correct, summary].filter((tensor) => tensor !== null && tensor !== undefined));
    return { loss: lossValue, correct: correctValue };
  }

  /** Mean cross-entropy and accuracy over a whole split, without dropout. */
  evaluate(dataset: Dataset, split: DataSplit): Evaluation {
    const { tf } = this;
    let lossSum = 0;
    let correct = 0;
    for (let start = 0; start < split.size; start += EVALUATION_BATCH) {
      const batch = makeBatch(tf, dataset, split, undefined, start, Math.min(split.size, start + EVALUATION_BATCH));
      const summary = tf.tidy(() => {
        const logits = forwardLogits(tf, this.runModel.model, batch.inputs, false);
        const loss = tf.losses.softmaxCrossEntropy(batch.targets, logits, undefined, undefined, tf.Reduction.SUM);
        return tf.stack([loss, tf.cast(tf.sum(tf.equal(tf.argMax(logits, 1), batch.labels)), 'float32')]);
      });
      const [batchLoss = Number.NaN, batchCorrect = 0] = summary.dataSync();
      summary.dispose();
      disposeBatch(batch);
      lossSum += batchLoss;
      correct += batchCorrect;
    }
    return { loss: lossSum / split.size, accuracy: correct / split.size };
  }

  dispose(): void {
    this.optimizer.dispose();
    // TF.js 4.22's MomentumOptimizer.dispose forgets the learning-rate scalar it inherits from SGD: one tensor
    // leaked per momentum run, for as long as the worker lives.
    const inherited = this.optimizer as unknown as { c?: tfTypes.Tensor; m?: tfTypes.Tensor };
    if (inherited.m && inherited.c && !inherited.c.isDisposed) inherited.c.dispose();
    this.runModel.model.dispose();
  }

  /** (weightDecay / 2) · Σ‖kernel‖²: its gradient adds weightDecay · w, the L2 decay of torch.optim. */
  private l2Penalty(): tfTypes.Scalar {
    const { tf } = this;
    const sums = this.runModel.kernels.map((kernel) => tf.sum(tf.square(kernel)));
    return tf.mul(tf.addN(sums), this.weightDecay / 2);
  }
}
