import * as tf from '@tensorflow/tfjs';
import type { OptimizerConfig } from '@tuneboard/hparams';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from './backends';
import { createOptimizer, learningRateOf, setLearningRate } from './optimizers';

beforeAll(async () => {
  await selectBackend({ name: 'cpu' });
});

/**
 * Two updates of w with a constant gradient of 1, the first at lr1 and the
 * second at lr2; returns the two changes of w. They reveal the learning rate
 * each update actually used.
 */
function updates(config: OptimizerConfig, lr1: number, lr2: number): [number, number] {
  const optimizer = createOptimizer(tf, config);
  const w = tf.variable(tf.scalar(0));
  const changes: number[] = [];
  for (const learningRate of [lr1, lr2]) {
    setLearningRate(optimizer, learningRate);
    expect(learningRateOf(optimizer)).toBe(learningRate);
    const before = w.dataSync()[0]!;
    optimizer.minimize(() => w.mul(1) as tf.Scalar, false, [w]);
    changes.push(w.dataSync()[0]! - before);
  }
  optimizer.dispose();
  w.dispose();
  return changes as [number, number];
}

describe('setLearningRate changes the step the optimizer takes', () => {
  it('sgd: Δw = −lr·g', () => {
    const [first, second] = updates({ name: 'sgd', learningRate: 1, weightDecay: 0 }, 0.1, 0.02);
    expect(first).toBeCloseTo(-0.1, 6);
    expect(second).toBeCloseTo(-0.02, 6);
  });

  it('momentum: the accumulated velocity (1, then 1.9) times the new lr', () => {
    const config = { name: 'momentum', learningRate: 1, momentum: 0.9, nesterov: false, weightDecay: 0 } as const;
    const [first, second] = updates(config, 0.1, 0.02);
    expect(first).toBeCloseTo(-0.1, 6);
    expect(second).toBeCloseTo(-0.02 * 1.9, 6);
  });

  it('adam: with a constant gradient each step moves by lr', () => {
    const config = { name: 'adam', learningRate: 1, beta1: 0.9, beta2: 0.999, epsilon: 1e-7, weightDecay: 0 } as const;
    const [first, second] = updates(config, 0.1, 0.02);
    expect(first).toBeCloseTo(-0.1, 5);
    expect(second).toBeCloseTo(-0.02, 5);
  });

  it('rmsprop: lr·g / sqrt(mean square), mean square 0.1 then 0.19', () => {
    const config = { name: 'rmsprop', learningRate: 1, decay: 0.9, momentum: 0, epsilon: 1e-7, weightDecay: 0 } as const;
    const [first, second] = updates(config, 0.1, 0.02);
    expect(first).toBeCloseTo(-0.1 / Math.sqrt(0.1), 5);
    expect(second).toBeCloseTo(-0.02 / Math.sqrt(0.19), 5);
  });
});
