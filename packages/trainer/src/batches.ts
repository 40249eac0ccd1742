// Turns slices of a data split into tensors, in a seeded order per epoch.
import type * as tfTypes from '@tensorflow/tfjs';
import type { Tf } from './backends';
import type { DataSplit, Dataset } from './datasets';
import { deriveSeed, shuffledIndices } from './random';

export interface Batch {
  inputs: tfTypes.Tensor;
  /** One-hot float32 [size, classes], for the cross-entropy. */
  targets: tfTypes.Tensor2D;
  /** Class indices int32 [size], for accuracy. */
  labels: tfTypes.Tensor1D;
  size: number;
}

/** The order samples are visited in during `epoch` (0-based): a seeded shuffle. */
export function epochOrder(trainSize: number, seed: number, epoch: number): Uint32Array {
  return shuffledIndices(trainSize, deriveSeed(seed, epoch, 0xba7c4));
}

/** Samples order[start … end) of `split` as tensors; the caller disposes them (disposeBatch). */
export function makeBatch(tf: Tf, dataset: Dataset, split: DataSplit, order: Uint32Array | undefined, start: number, end: number): Batch {
  const size = end - start;
  const features = split.inputs.length / split.size;
  const inputs = new Float32Array(size * features);
  const targets = new Float32Array(size * dataset.classes);
  const labels = new Int32Array(size);
  for (let i = 0; i < size; i++) {
    const sample = order ? order[start + i]! : start + i;
    inputs.set(split.inputs.subarray(sample * features, (sample + 1) * features), i * features);
    const label = split.labels[sample]!;
    targets[i * dataset.classes + label] = 1;
    labels[i] = label;
  }
  return {
    inputs: tf.tensor(inputs, [size, ...dataset.inputShape], 'float32'),
    targets: tf.tensor2d(targets, [size, dataset.classes], 'float32'),
    labels: tf.tensor1d(labels, 'int32'),
    size,
  };
}

export function disposeBatch(batch: Batch): void {
  batch.inputs.dispose();
  batch.targets.dispose();
  batch.labels.dispose();
}
