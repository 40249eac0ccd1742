import * as tf from '@tensorflow/tfjs';
import { deriveFacts } from '@tuneboard/hparams';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from './backends';
import { buildModel } from './models';
import { mnistCnn, parseConfig } from './test-configs';

beforeAll(async () => {
  await selectBackend({ name: 'cpu' });
});

const mlp = (model: Record<string, unknown>, dataset = 'mnist') =>
  parseConfig({
    dataset: { name: dataset, trainSize: 1000, testSize: 100 },
    model: { kind: 'mlp', ...model },
    optimizer: { name: 'sgd', learningRate: 0.1 },
    batchSize: 32,
    epochs: 1,
  });

const configs = {
  'MLP 784-128-10': mlp({ hiddenLayers: [128] }),
  'MLP with dropout, three hidden layers': mlp({ hiddenLayers: [256, 64, 32], dropout: 0.2, activation: 'gelu' }),
  'logistic regression (no hidden layer)': mlp({ hiddenLayers: [] }),
  'spirals MLP (no flatten)': mlp({ hiddenLayers: [16, 16], dropout: 0.1 }, 'spirals'),
  'CNN conv-maxPool': mnistCnn(),
  'CNN same padding, stride 2, avg pool with stride, dense head, dropout': mnistCnn({
    convLayers: [
      { filters: 8, kernelSize: 5, stride: 2, padding: 'same', pool: { kind: 'avg', size: 3, stride: 1 } },
      { filters: 16, kernelSize: 3, pool: { kind: 'max', size: 2 } },
    ],
    dense: [32, 16],
    dropout: 0.25,
  }),
  'CNN without pooling': mnistCnn({ convLayers: [{ filters: 6, kernelSize: 7, stride: 3 }] }),
};

describe('buildModel', () => {
  for (const [name, config] of Object.entries(configs)) {
    it(`builds the stack deriveFacts describes: ${name}`, () => {
      const facts = deriveFacts(config);
      const { model } = buildModel(tf, config);
      try {
        expect(model.countParams()).toBe(facts.parameterCount);
        expect(model.layers.map((layer) => ({ name: layer.name, outputShape: (layer.outputShape as number[]).slice(1) }))).toEqual(
          facts.layers.map((layer) => ({ name: layer.name, outputShape: layer.outputShape })),
        );
        expect(model.layers.map((layer) => layer.countParams())).toEqual(facts.layers.map((layer) => layer.params));
      } finally {
        model.dispose();
      }
    });
  }

  it('initialises the same weights for the same seed and different ones for another', () => {
    const weightsOf = (seed: number) => {
      const { model } = buildModel(tf, { ...configs['MLP 784-128-10'], seed });
      const values = model.getWeights().map((weight) => Array.from(weight.dataSync()));
      model.dispose();
      return values;
    };
    expect(weightsOf(3)).toEqual(weightsOf(3));
    expect(weightsOf(3)[0]).not.toEqual(weightsOf(4)[0]);
  });

  it('ends with a softmax over the classes', () => {
    const { model } = buildModel(tf, configs['CNN conv-maxPool']);
    const probabilities = tf.tidy(() => (model.predict(tf.ones([2, 28, 28, 1])) as tf.Tensor).sum(1).arraySync());
    model.dispose();
    expect(probabilities).toEqual([expect.closeTo(1, 5), expect.closeTo(1, 5)]);
  });
});
