// Kernels the TF.js wasm backend (4.22.0) needs to train CNNs:
// - Conv2DBackpropFilter is missing, so the gradient of any conv2d throws.
//   It is computed here as im2col into wasm memory followed by wasm's own
//   BatchMatMul with both transpose flags false (XNNPACK's fast path).
// - MaxPoolGrad exists but is wrong: its running maximum starts at the
//   smallest positive float, so in a window whose values are all ≤ 0 the
//   gradient goes to the wrong element (invisible after a ReLU, wrong without).
//   Replaced by a first-maximum version, the rule of the cpu backend.
// Conv2DBackpropInput and AvgPoolGrad exist and agree with cpu (see tests).
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

type Tensor4DInfo = tf.TensorInfo & { shape: [number, number, number, number] };

export const wasmKernelLimits = {
  /**
   * Floats in one im2col block, so a large batch does not allocate gigabytes
   * of wasm memory at once: 16M floats (64 MB). Tests lower it to exercise blocks.
   */
  maxIm2colFloats: 16 * 1024 * 1024,
};

let registered = false;

/** Registers the kernels for the `wasm` backend; safe to call more than once. */
export function registerWasmTrainingKernels(): void {
  if (registered) return;
  registered = true;
  if (tf.getKernel('Conv2DBackpropFilter', 'wasm')) tf.unregisterKernel('Conv2DBackpropFilter', 'wasm');
  tf.registerKernel({ kernelName: 'Conv2DBackpropFilter', backendName: 'wasm', kernelFunc: conv2dBackpropFilter as unknown as tf.KernelFunc });
  if (tf.getKernel('MaxPoolGrad', 'wasm')) tf.unregisterKernel('MaxPoolGrad', 'wasm');
  tf.registerKernel({ kernelName: 'MaxPoolGrad', backendName: 'wasm', kernelFunc: maxPoolGrad as unknown as tf.KernelFunc });
}

interface KernelArgs<I extends string, A> {
  inputs: Record<I, tf.TensorInfo>;
  backend: BackendWasm;
  attrs: A;
}

interface Conv2DBackpropFilterAttrs {
  strides: [number, number] | number;
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dataFormat: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  filterShape: [number, number, number, number];
}

/** dW[fh, fw, cin, cout] = im2col(x)[fh·fw·cin, n·oh·ow] × dy[n·oh·ow, cout]. */
function conv2dBackpropFilter({ inputs, backend, attrs }: KernelArgs<'x' | 'dy', Conv2DBackpropFilterAttrs>): tf.TensorInfo {
  const x = inputs.x as Tensor4DInfo;
  const dy = inputs.dy as Tensor4DInfo;
  if (attrs.dataFormat !== 'NHWC') throw new Error('wasm Conv2DBackpropFilter supports NHWC only');
  const info = tf.backend_util.computeConv2DInfo(x.shape, attrs.filterShape, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode, false, 'channelsLast');
  const rows = info.filterHeight * info.filterWidth * info.inChannels;
  const positionsPerSample = info.outHeight * info.outWidth;
  const samplesPerBlock = Math.max(1, Math.floor(wasmKernelLimits.maxIm2colFloats / (rows * positionsPerSample)));
  const batchMatMul = wasmKernel('BatchMatMul');

  if (samplesPerBlock >= info.batchSize) {
    const columns = im2col(backend, x, info, 0, info.batchSize);
    // dy viewed as [n·oh·ow, cout]: same memory, so no copy.
    const dyMatrix = { dataId: dy.dataId, shape: [info.batchSize * positionsPerSample, info.outChannels], dtype: 'float32' as const };
    const product = batchMatMul({ inputs: { a: columns, b: dyMatrix }, backend, attrs: { transposeA: false, transposeB: false } });
    backend.disposeData(columns.dataId);
    return { ...product, shape: [...attrs.filterShape] };
  }

  const sum = new Float32Array(rows * info.outChannels);
  const dyRowFloats = positionsPerSample * info.outChannels;
  for (let first = 0; first < info.batchSize; first += samplesPerBlock) {
    const count = Math.min(samplesPerBlock, info.batchSize - first);
    const columns = im2col(backend, x, info, first, count);
    const dyValues = backend.typedArrayFromHeap(dy).subarray(first * dyRowFloats, (first + count) * dyRowFloats);
    const dyBlock = backend.makeOutput([count * positionsPerSample, info.outChannels], 'float32', undefined, dyValues.slice());
    const product = batchMatMul({ inputs: { a: columns, b: dyBlock }, backend, attrs: { transposeA: false, transposeB: false } });
    const values = backend.typedArrayFromHeap(product);
    for (let i = 0; i < sum.length; i++) sum[i]! += values[i]!;
    for (const temporary of [columns, dyBlock, product]) backend.disposeData(temporary.dataId);
  }
  return backend.makeOutput([...attrs.filterShape], 'float32', undefined, sum);
}

/**
 * Patches of samples [first, first + count) as a [fh·fw·cin, count·oh·ow] matrix in
 * wasm memory: row (ky, kx, c), column (n, oy, ox); zero where the window is in the padding.
 */
function im2col(backend: BackendWasm, x: Tensor4DInfo, info: tf.backend_util.Conv2DInfo, first: number, count: number): tf.TensorInfo {
  const { inHeight, inWidth, inChannels, outHeight, outWidth, strideHeight, strideWidth } = info;
  const rows = info.filterHeight * info.filterWidth * inChannels;
  const columnCount = count * outHeight * outWidth;
  const columns = backend.makeOutput([rows, columnCount], 'float32');
  // Views are taken after the allocation: growing wasm memory detaches older ones.
  const input = backend.typedArrayFromHeap(x);
  const output = backend.typedArrayFromHeap(columns);
  for (let ky = 0; ky < info.filterHeight; ky++) {
    for (let kx = 0; kx < info.filterWidth; kx++) {
      const left = kx - info.padInfo.left;
      // Output columns whose input column ix = ox·stride + left lies inside the image.
      const oxStart = Math.max(0, Math.ceil(-left / strideWidth));
      const oxEnd = Math.min(outWidth, Math.floor((inWidth - 1 - left) / strideWidth) + 1);
      for (let c = 0; c < inChannels; c++) {
        const rowStart = ((ky * info.filterWidth + kx) * inChannels + c) * columnCount;
        for (let n = 0; n < count; n++) {
          for (let oy = 0; oy < outHeight; oy++) {
            const at = rowStart + (n * outHeight + oy) * outWidth;
            const iy = oy * strideHeight + ky - info.padInfo.top;
            if (iy < 0 || iy >= inHeight || oxStart >= oxEnd) {
              output.fill(0, at, at + outWidth);
              continue;
            }
            output.fill(0, at, at + oxStart);
            output.fill(0, at + oxEnd, at + outWidth);
            const inputRow = ((first + n) * inHeight + iy) * inWidth * inChannels + c;
            for (let ox = oxStart; ox < oxEnd; ox++) {
              output[at + ox] = input[inputRow + (ox * strideWidth + left) * inChannels]!;
            }
          }
        }
      }
    }
  }
  return columns;
}

interface MaxPoolGradAttrs {
  filterSize: [number, number] | number;
  strides: [number, number] | number;
  pad: 'valid' | 'same' | number;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

/** Each output's gradient goes to the first maximum of its window (row-major), padding excluded. */
function maxPoolGrad({ inputs, backend, attrs }: KernelArgs<'dy' | 'input' | 'output', MaxPoolGradAttrs>): tf.TensorInfo {
  const x = inputs.input as Tensor4DInfo;
  const info = tf.backend_util.computePool2DInfo(x.shape, attrs.filterSize, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode);
  const { batchSize, inHeight, inWidth, inChannels: channels, outHeight, outWidth } = info;
  const dxInfo = backend.makeOutput([...x.shape], 'float32');
  const dx = backend.typedArrayFromHeap(dxInfo);
  const input = backend.typedArrayFromHeap(x);
  const dy = backend.typedArrayFromHeap(inputs.dy);
  dx.fill(0);
  let dyIndex = 0;
  for (let n = 0; n < batchSize; n++) {
    const sampleStart = n * inHeight * inWidth * channels;
    for (let oy = 0; oy < outHeight; oy++) {
      const yTop = oy * info.strideHeight - info.padInfo.top;
      const yStart = Math.max(0, yTop);
      const yEnd = Math.min(inHeight, yTop + info.filterHeight);
      for (let ox = 0; ox < outWidth; ox++) {
        const xLeft = ox * info.strideWidth - info.padInfo.left;
        const xStart = Math.max(0, xLeft);
        const xEnd = Math.min(inWidth, xLeft + info.filterWidth);
        for (let c = 0; c < channels; c++, dyIndex++) {
          let best = -Infinity;
          let bestIndex = -1;
          for (let iy = yStart; iy < yEnd; iy++) {
            for (let ix = xStart; ix < xEnd; ix++) {
              const index = sampleStart + (iy * inWidth + ix) * channels + c;
              const value = input[index]!;
              if (value > best) {
                best = value;
                bestIndex = index;
              }
            }
          }
          if (bestIndex >= 0) dx[bestIndex]! += dy[dyIndex]!;
        }
      }
    }
  }
  return dxInfo;
}

type WasmKernelFunc = (args: { inputs: Record<string, tf.TensorInfo>; backend: BackendWasm; attrs: Record<string, unknown> }) => tf.TensorInfo;

function wasmKernel(name: string): WasmKernelFunc {
  const kernel = tf.getKernel(name, 'wasm');
  if (!kernel) throw new Error(`the wasm backend has no ${name} kernel`);
  return kernel.kernelFunc as unknown as WasmKernelFunc;
}
