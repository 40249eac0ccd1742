// The TF.js model of a run: exactly the layer stack hparams' deriveFacts
// describes (same order, names and shapes), with seeded initialisation.
import { deriveFacts, type LayerFact, type RunConfig } from '@tuneboard/hparams';
import type * as tfTypes from '@tensorflow/tfjs';
import type { Tf } from './backends';
import { deriveSeed } from './random';

export interface RunModel {
  model: tfTypes.Sequential;
  /** Weights an L2 penalty applies to: dense and conv kernels, not biases. */
  kernels: tfTypes.Variable[];
  trainable: tfTypes.Variable[];
}

export function buildModel(tf: Tf, config: RunConfig): RunModel {
  const facts = deriveFacts(config);
  const model = tf.sequential({ name: 'run' });
  const convLayers = config.model.kind === 'cnn' ? config.model.convLayers : [];
  let convIndex = -1;
  for (const [index, fact] of facts.layers.entries()) {
    const firstLayer = index === 0 ? { inputShape: facts.inputShape } : {};
    const kernelInitializer = tf.initializers.glorotUniform({ seed: deriveSeed(config.seed, index) });
    if (fact.kind === 'conv2d') convIndex++;
    model.add(createLayer(tf, config, fact, convLayers[convIndex], { ...firstLayer, kernelInitializer }));
  }
  // LayerVariable.read() is typed as a Tensor but returns the tf.Variable the optimizer updates.
  const variable = (weight: { read(): tfTypes.Tensor }) => weight.read() as tfTypes.Variable;
  const kernels = model.layers.flatMap((layer) => layer.trainableWeights.filter((weight) => weight.originalName.endsWith('/kernel')).map(variable));
  return { model, kernels, trainable: model.trainableWeights.map(variable) };
}

type Initializer = ReturnType<Tf['initializers']['glorotUniform']>;
type LayerOptions = { inputShape?: number[]; kernelInitializer: Initializer };

function createLayer(
  tf: Tf,
  config: RunConfig,
  fact: LayerFact,
  conv: Extract<RunConfig['model'], { kind: 'cnn' }>['convLayers'][number] | undefined,
  options: LayerOptions,
): tfTypes.layers.Layer {
  const name = fact.name;
  const { inputShape } = options;
  const shape = inputShape ? { inputShape } : {};
  const { kernelInitializer } = options;
  switch (fact.kind) {
    case 'conv2d':
      if (!conv) throw new Error(`no conv layer config for ${name}`);
      return tf.layers.conv2d({
        ...shape,
        name,
        filters: conv.filters,
        kernelSize: conv.kernelSize,
        strides: conv.stride,
        padding: conv.padding,
        activation: config.model.activation,
        useBias: true,
        kernelInitializer,
        biasInitializer: 'zeros',
      });
    case 'maxPool':
    case 'avgPool': {
      const pool = conv?.pool;
      if (!pool) throw new Error(`no pool config for ${name}`);
      const poolOptions = { name, poolSize: pool.size, strides: pool.stride, padding: 'valid' as const };
      return fact.kind === 'maxPool' ? tf.layers.maxPooling2d(poolOptions) : tf.layers.averagePooling2d(poolOptions);
    }
    case 'flatten':
      return tf.layers.flatten({ ...shape, name });
    case 'dropout':
      return tf.layers.dropout({ name, rate: config.model.dropout });
    case 'dense': {
      const units = fact.outputShape[0] ?? 0;
      const activation = name === 'output' ? 'softmax' : config.model.activation;
      return tf.layers.dense({ ...shape, name, units, activation, kernelInitializer, biasInitializer: 'zeros' });
    }
  }
}

/**
 * The output layer's pre-softmax values. The loss is computed from these with
 * a log-sum-exp, so a confident wrong prediction gives a large finite loss
 * (and a real gradient) instead of log(0).
 */
export function forwardLogits(tf: Tf, model: tfTypes.Sequential, inputs: tfTypes.Tensor, training: boolean): tfTypes.Tensor2D {
  let hidden = inputs;
  const layers = model.layers;
  for (const layer of layers.slice(0, -1)) hidden = layer.apply(hidden, { training }) as tfTypes.Tensor;
  const output = layers.at(-1);
  const [kernel, bias] = output?.trainableWeights.map((weight) => weight.read()) ?? [];
  if (!kernel || !bias) throw new Error('the output layer has no kernel and bias');
  return tf.add(tf.matMul(hidden as tfTypes.Tensor2D, kernel as tfTypes.Tensor2D), bias);
}

/**
 * TF.js dropout reuses one mask for every call with the same seed; a seed per
 * step gives fresh masks that are still reproducible.
 */
export function setDropoutSeed(model: tfTypes.Sequential, seed: number): void {
  for (const layer of model.layers) {
    if (layer.getClassName() === 'Dropout') (layer as unknown as { seed?: number }).seed = seed;
  }
}
