// Training data as typed arrays: MNIST from the `mnist` package and the
// synthetic spirals, split into train and test deterministically by
// dataset.splitSeed.
import { createRequire } from 'node:module';
import { DATASETS, type DatasetConfig, type DatasetName } from '@tuneboard/hparams';
import { deriveSeed, gaussian, seededRandom, shuffledIndices } from './random';

export interface DataSplit {
  /** size × features values, sample after sample (images are height × width × channels). */
  inputs: Float32Array;
  /** Class index of each sample. */
  labels: Uint8Array;
  size: number;
}

export interface Dataset {
  name: DatasetName;
  /** Shape of one sample, without the batch dimension. */
  inputShape: number[];
  classes: number;
  train: DataSplit;
  test: DataSplit;
}

/** Every sample a dataset holds, in a fixed order, before splitting. */
interface SampleSource {
  inputs: Float32Array;
  labels: Uint8Array;
  size: number;
}

export async function loadDataset(config: DatasetConfig): Promise<Dataset> {
  const info = DATASETS[config.name];
  const total = config.trainSize + config.testSize;
  if (total > info.available) {
    throw new Error(`${config.name} has ${info.available} samples; ${config.trainSize} + ${config.testSize} requested`);
  }
  const source = config.name === 'mnist' ? await mnistSamples() : spiralSamples(total, config.splitSeed);
  const features = info.inputShape.reduce((a, b) => a * b, 1);
  // Spirals are drawn i.i.d. for this seed already; MNIST is stored class by class and needs the shuffle.
  const order = config.name === 'mnist' ? shuffledIndices(source.size, deriveSeed(config.splitSeed, 1)) : undefined;
  const pick = (start: number, size: number) => takeSamples(source, features, order, start, size);
  return {
    name: config.name,
    inputShape: [...info.inputShape],
    classes: info.classes,
    train: pick(0, config.trainSize),
    test: pick(config.trainSize, config.testSize),
  };
}

function takeSamples(source: SampleSource, features: number, order: Uint32Array | undefined, start: number, size: number): DataSplit {
  const inputs = new Float32Array(size * features);
  const labels = new Uint8Array(size);
  for (let i = 0; i < size; i++) {
    const from = order ? order[start + i]! : start + i;
    inputs.set(source.inputs.subarray(from * features, (from + 1) * features), i * features);
    labels[i] = source.labels[from]!;
  }
  return { inputs, labels, size };
}

/** The part of the `mnist` package (CommonJS, untyped) read here: one entry per digit 0–9. */
interface MnistDigit {
  /** This digit's samples: 784 grayscale values in [0, 1] each, concatenated. */
  raw: number[];
  length: number;
}

let mnistCache: Promise<SampleSource> | undefined;

/**
 * All 10,000 digits of the `mnist` package, class by class, loaded once per
 * process. Read from the per-digit arrays that `mnist.get()` concatenates:
 * `get()` shuffles with Math.random and `set()` repeats samples when a class
 * runs out, so neither gives a reproducible split.
 */
export function mnistSamples(): Promise<SampleSource> {
  mnistCache ??= Promise.resolve().then(() => {
    // Required on first use only: parsing its 21 MB of JSON takes a few hundred milliseconds.
    const digits = createRequire(import.meta.url)('mnist') as MnistDigit[];
    const features = 28 * 28;
    const size = digits.reduce((sum, digit) => sum + digit.length, 0);
    const inputs = new Float32Array(size * features);
    const labels = new Uint8Array(size);
    let offset = 0;
    for (const [label, digit] of digits.entries()) {
      // The package stores values in [0, 1] already; clamping keeps that a guarantee.
      for (let i = 0; i < digit.length * features; i++) {
        inputs[offset * features + i] = Math.min(1, Math.max(0, digit.raw[i] ?? 0));
      }
      labels.fill(label, offset, offset + digit.length);
      offset += digit.length;
    }
    return { inputs, labels, size };
  });
  return mnistCache;
}

/** Arms of the spirals turn this far from the centre to the rim. */
const SPIRAL_TURNS = 1.5;
const SPIRAL_NOISE = 0.03;

/**
 * Two interleaved spirals in [-1, 1]²: class k follows r = t, θ = 2π·turns·t + kπ,
 * with Gaussian noise. Classes alternate, so any prefix is balanced.
 */
export function spiralSamples(size: number, seed: number): SampleSource {
  const random = seededRandom(deriveSeed(seed, 2));
  const inputs = new Float32Array(size * 2);
  const labels = new Uint8Array(size);
  for (let i = 0; i < size; i++) {
    const label = i % 2;
    const t = random();
    const angle = 2 * Math.PI * SPIRAL_TURNS * t + label * Math.PI;
    inputs[2 * i] = t * Math.cos(angle) + SPIRAL_NOISE * gaussian(random);
    inputs[2 * i + 1] = t * Math.sin(angle) + SPIRAL_NOISE * gaussian(random);
    labels[i] = label;
  }
  return { inputs, labels, size };
}
