// TF.js optimizers from the run config, and setting the learning rate per
// step. The optimizers read it differently: SGD and momentum multiply by a
// cached scalar (`c`, rebuilt only by setLearningRate), while Adam and
// RMSprop read the `learningRate` field on every update.
import type { OptimizerConfig } from '@tuneboard/hparams';
import type * as tfTypes from '@tensorflow/tfjs';
import type { Tf } from './backends';

export function createOptimizer(tf: Tf, config: OptimizerConfig): tfTypes.Optimizer {
  switch (config.name) {
    case 'sgd':
      return tf.train.sgd(config.learningRate);
    case 'momentum':
      return tf.train.momentum(config.learningRate, config.momentum, config.nesterov);
    case 'adam':
      return tf.train.adam(config.learningRate, config.beta1, config.beta2, config.epsilon);
    case 'rmsprop':
      return tf.train.rmsprop(config.learningRate, config.decay, config.momentum, config.epsilon);
  }
}

/** Makes the next update use `learningRate`. */
export function setLearningRate(optimizer: tfTypes.Optimizer, learningRate: number): void {
  // Not `instanceof SGDOptimizer`: TF.js optimizers answer instanceof by duck
  // typing, so every optimizer would pass. MomentumOptimizer inherits the method.
  const sgdFamily = optimizer as unknown as { setLearningRate?: (learningRate: number) => void };
  if (typeof sgdFamily.setLearningRate === 'function') {
    sgdFamily.setLearningRate(learningRate);
  } else {
    (optimizer as unknown as { learningRate: number }).learningRate = learningRate;
  }
}

/** The learning rate the optimizer's next update uses. */
export function learningRateOf(optimizer: tfTypes.Optimizer): number {
  return (optimizer as unknown as { learningRate: number }).learningRate;
}
