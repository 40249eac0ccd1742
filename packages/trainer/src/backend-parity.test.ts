// Training on wasm must give the losses cpu gives from the same initial
// weights: this is what the custom wasm kernels (wasm-kernels.ts) are for.
import * as tf from '@tensorflow/tfjs';
import type { RunConfig } from '@tuneboard/hparams';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend, type TrainingBackend } from './backends';
import { loadDataset } from './datasets';
import { mnistCnn } from './test-configs';
import { trainRun } from './train';

let cpu: TrainingBackend;
let wasm: TrainingBackend;

beforeAll(async () => {
  cpu = await selectBackend({ name: 'cpu' });
  wasm = await selectBackend({ name: 'wasm' });
});

async function lossesOn(backend: TrainingBackend, config: RunConfig): Promise<number[]> {
  const losses: number[] = [];
  const result = await trainRun(config, {
    backend,
    onMetrics: (points) => points.forEach((point) => point.key === 'train.loss' && losses.push(point.value)),
  });
  expect(result.status).toBe('succeeded');
  return losses;
}

function expectSameLosses(wasmLosses: number[], cpuLosses: number[]): void {
  expect(wasmLosses.length).toBe(cpuLosses.length);
  expect(cpuLosses.length).toBeGreaterThanOrEqual(8);
  const worst = Math.max(...wasmLosses.map((loss, i) => Math.abs(loss - cpuLosses[i]!)));
  expect(worst).toBeLessThan(1e-5);
  // The run must have learned something, or equal losses would prove little.
  expect(cpuLosses.at(-1)!).toBeLessThan(cpuLosses[0]! - 0.05);
}

const cnnConfigs: Record<string, RunConfig> = {
  'conv(relu) → maxPool → dense, sgd': mnistCnn(),
  'conv(tanh) → maxPool: negative windows': mnistCnn({ activation: 'tanh' }),
  'same padding, stride 2, avgPool, second conv, dense head, dropout, adam with weight decay': mnistCnn(
    {
      convLayers: [
        { filters: 6, kernelSize: 5, stride: 2, padding: 'same', pool: { kind: 'avg', size: 2 } },
        { filters: 8, kernelSize: 3, padding: 'same', pool: { kind: 'max', size: 2, stride: 1 } },
      ],
      dense: [16],
      dropout: 0.2,
    },
    { optimizer: { name: 'adam', learningRate: 0.01, weightDecay: 1e-3 } },
  ),
};

describe('CNN training on wasm matches cpu', () => {
  for (const [name, config] of Object.entries(cnnConfigs)) {
    it(name, async () => {
      expectSameLosses(await lossesOn(wasm, config), await lossesOn(cpu, config));
    });
  }

  it('conv(linear) → maxPool → dense: no ReLU before pooling', async () => {
    // Not expressible as a run config (every activation there is nonlinear): built by hand.
    const { train } = await loadDataset({ name: 'mnist', trainSize: 320, testSize: 10, splitSeed: 0 });
    const lossesFor = async (backend: TrainingBackend) => {
      await tf.setBackend(backend.engineBackend);
      const model = tf.sequential({
        layers: [
          tf.layers.conv2d({
            inputShape: [28, 28, 1],
            filters: 4,
            kernelSize: 3,
            activation: 'linear',
            kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }),
          }),
          tf.layers.maxPooling2d({ poolSize: 2 }),
          tf.layers.flatten(),
          tf.layers.dense({ units: 10, kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }),
        ],
      });
      const optimizer = tf.train.sgd(0.05);
      const losses: number[] = [];
      for (let start = 0; start < train.size; start += 32) {
        const loss = tf.tidy(() => {
          const inputs = tf.tensor4d(train.inputs.subarray(start * 784, (start + 32) * 784), [32, 28, 28, 1]);
          const targets = tf.oneHot(tf.tensor1d(Array.from(train.labels.subarray(start, start + 32)), 'int32'), 10);
          const cost = optimizer.minimize(() => tf.losses.softmaxCrossEntropy(targets, model.apply(inputs) as tf.Tensor), true);
          if (!cost) throw new Error('minimize returned no cost');
          return cost;
        });
        losses.push(loss.dataSync()[0]!);
        loss.dispose();
      }
      optimizer.dispose();
      model.dispose();
      return losses;
    };
    const cpuLosses = await lossesFor(cpu);
    expectSameLosses(await lossesFor(wasm), cpuLosses);
  });
});
