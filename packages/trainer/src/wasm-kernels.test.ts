import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from './backends';
import { seededRandom } from './random';
import { wasmKernelLimits } from './wasm-kernels';

beforeAll(async () => {
  await selectBackend({ name: 'wasm' });
});

/** Runs `compute` on a backend and returns plain arrays (tensors disposed). */
async function on(backend: 'cpu' | 'wasm', compute: () => tf.Tensor[]): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  const tensors = tf.tidy(compute);
  const values = tensors.map((tensor) => tensor.dataSync() as Float32Array);
  tf.dispose(tensors);
  return values;
}

function randomTensor(shape: number[], seed: number, offset = -0.5): tf.Tensor {
  const random = seededRandom(seed);
  const size = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(
    Float32Array.from({ length: size }, () => random() + offset),
    shape,
  );
}

function expectClose(actual: Float32Array, expected: Float32Array, tolerance: number): void {
  expect(actual.length).toBe(expected.length);
  let worst = 0;
  for (let i = 0; i < actual.length; i++) worst = Math.max(worst, Math.abs(actual[i]! - expected[i]!));
  expect(worst).toBeLessThanOrEqual(tolerance);
}

const convCases = [
  { name: '3×3 valid, 1 channel', x: [4, 10, 10, 1], filter: [3, 3, 1, 5], stride: 1, pad: 'valid' },
  { name: '3×3 same, stride 2', x: [3, 9, 11, 4], filter: [3, 3, 4, 6], stride: 2, pad: 'same' },
  { name: '5×5 same, stride 1', x: [2, 12, 12, 3], filter: [5, 5, 3, 8], stride: 1, pad: 'same' },
  { name: '2×2 valid, stride 3', x: [5, 13, 8, 2], filter: [2, 2, 2, 3], stride: 3, pad: 'valid' },
] as const;

describe('wasm Conv2D gradients', () => {
  for (const testCase of convCases) {
    it(`match cpu for ${testCase.name}`, async () => {
      const compute = () => {
        const x = randomTensor([...testCase.x], 1);
        const filter = randomTensor([...testCase.filter], 2);
        const f = (input: tf.Tensor, kernel: tf.Tensor) =>
          tf
            .conv2d(input as tf.Tensor4D, kernel as tf.Tensor4D, testCase.stride, testCase.pad)
            .square()
            .sum();
        const [dx, dFilter] = tf.grads(f)([x, filter]);
        return [dx!, dFilter!];
      };
      const [cpuDx, cpuFilter] = await on('cpu', compute);
      const [wasmDx, wasmFilter] = await on('wasm', compute);
      expectClose(wasmFilter!, cpuFilter!, 1e-4);
      expectClose(wasmDx!, cpuDx!, 1e-4);
    });
  }

  it('splits a large batch into im2col blocks and still sums every sample', async () => {
    const compute = () => {
      const x = randomTensor([7, 10, 10, 2], 3);
      const dy = randomTensor([7, 8, 8, 3], 4);
      const loss = (kernel: tf.Tensor) =>
        tf
          .conv2d(x as tf.Tensor4D, kernel as tf.Tensor4D, 1, 'valid')
          .mul(dy)
          .sum();
      return [tf.grad(loss)(tf.zeros([3, 3, 2, 3]))];
    };
    const [cpu] = await on('cpu', compute);
    const limit = wasmKernelLimits.maxIm2colFloats;
    // 18 rows × 64 positions per sample: blocks of 3 samples, the last one short.
    wasmKernelLimits.maxIm2colFloats = 18 * 64 * 3;
    try {
      const [wasm] = await on('wasm', compute);
      expectClose(wasm!, cpu!, 1e-4);
    } finally {
      wasmKernelLimits.maxIm2colFloats = limit;
    }
  });
});

describe('wasm pooling gradients', () => {
  it('MaxPoolGrad sends the gradient to the maximum of windows that are all negative', async () => {
    const compute = () => {
      const x = tf.tensor4d([-3, -1, -2, -4], [1, 2, 2, 1]);
      return [tf.grad((input: tf.Tensor) => tf.maxPool(input as tf.Tensor4D, 2, 2, 'valid').sum())(x)];
    };
    const [wasm] = await on('wasm', compute);
    expect(Array.from(wasm!)).toEqual([0, 1, 0, 0]);
  });

  for (const pool of ['max', 'avg'] as const) {
    for (const [size, stride, pad] of [
      [2, 2, 'valid'],
      [3, 2, 'valid'],
      [3, 1, 'same'],
      [2, 3, 'valid'],
    ] as const) {
      it(`${pool}Pool gradient matches cpu (size ${size}, stride ${stride}, ${pad}) on mixed-sign input`, async () => {
        const compute = () => {
          const x = randomTensor([3, 9, 10, 4], 5);
          const weights = randomTensor([3, ...tf.maxPool(x as tf.Tensor4D, size, stride, pad).shape.slice(1)], 6);
          const poolFn = pool === 'max' ? tf.maxPool : tf.avgPool;
          return [
            tf.grad((input: tf.Tensor) =>
              poolFn(input as tf.Tensor4D, size, stride, pad)
                .mul(weights)
                .sum(),
            )(x),
          ];
        };
        const [cpu] = await on('cpu', compute);
        const [wasm] = await on('wasm', compute);
        expectClose(wasm!, cpu!, 1e-6);
      });
    }
  }
});
