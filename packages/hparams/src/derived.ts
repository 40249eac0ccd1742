// Facts that follow from a config: the layer stack, its shapes, parameter
// count and cost. They must match what TensorFlow.js builds from the same
// config, because the trainer asserts model.countParams() === parameterCount.
import { DATASETS } from './datasets';
import type { CnnConfig, RunConfig } from './schema';

export type LayerKind = 'conv2d' | 'maxPool' | 'avgPool' | 'flatten' | 'dense' | 'dropout';

export interface LayerFact {
  name: string;
  kind: LayerKind;
  /** Without the batch dimension, like TF.js `outputShape.slice(1)`. */
  outputShape: number[];
  params: number;
}

export interface DerivedFacts {
  inputShape: number[];
  outputClasses: number;
  layers: LayerFact[];
  /** Trainable parameters of the whole model (the flat hyperparameter path `params` carries the same number). */
  parameterCount: number;
  /** Forward pass, one sample: 2 × multiply-adds of conv and dense layers. */
  flopsPerSample: number;
}

/** Why a config cannot be turned into layers. validate.ts turns these into messages. */
export type ShapeProblem =
  | { kind: 'notAnImage'; path: 'model.kind'; inputShape: number[] }
  | {
      kind: 'windowTooLarge';
      path: string;
      window: 'kernel' | 'pool';
      layer: number;
      value: number;
      /** Height and width entering the window. */
      input: [number, number];
    };

export type LayerTrace = { ok: true; layers: LayerFact[]; flopsPerSample: number } | { ok: false; problem: ShapeProblem };

/**
 * Walks the layer stack the trainer builds:
 * - MLP: [flatten if the input has rank > 1] → (dense(hidden) [→ dropout]) … → dense(classes, softmax)
 * - CNN: (conv2d [→ pool]) … → flatten [→ dropout] → (dense(hidden) [→ dropout]) … → dense(classes, softmax)
 * Dropout (when > 0) sits before every dense layer fed by learned features, so
 * a CNN without a dense head still gets it, and the raw MLP input never does.
 *
 * FLOPs are an approximation: 2 × multiply-adds of conv2d and dense layers
 * (bias adds, activations, pooling and softmax are left out; they are small
 * next to the matrix products).
 */
export function traceLayers(config: RunConfig): LayerTrace {
  const dataset = DATASETS[config.dataset.name];
  const stack = new LayerStack(dataset.inputShape, config.model.dropout);
  if (config.model.kind === 'cnn') {
    const problem = addConvolutions(stack, config.model);
    if (problem) return { ok: false, problem };
    stack.addFlatten();
    stack.addDropout();
    addDenseHead(stack, config.model.dense, dataset.classes);
  } else {
    if (dataset.inputShape.length > 1) stack.addFlatten();
    addDenseHead(stack, config.model.hiddenLayers, dataset.classes);
  }
  return { ok: true, layers: stack.layers, flopsPerSample: stack.flops };
}

export function deriveFacts(config: RunConfig): DerivedFacts {
  const trace = traceLayers(config);
  if (!trace.ok) {
    // Only reachable with a config that did not go through validateRunConfig.
    throw new Error(`Cannot derive layers: invalid shape at ${trace.problem.path}`);
  }
  const dataset = DATASETS[config.dataset.name];
  return {
    inputShape: [...dataset.inputShape],
    outputClasses: dataset.classes,
    layers: trace.layers,
    parameterCount: trace.layers.reduce((sum, layer) => sum + layer.params, 0),
    flopsPerSample: trace.flopsPerSample,
  };
}

/** Optimizer steps per epoch; the last batch may be short. */
export function stepsPerEpoch(config: { dataset: Pick<RunConfig['dataset'], 'trainSize'>; batchSize: number }): number {
  return Math.ceil(config.dataset.trainSize / config.batchSize);
}

/** Optimizer steps of the training schedule: epochs × steps per epoch (what learning-rate schedules span). */
export function totalSteps(config: Pick<RunConfig, 'dataset' | 'batchSize' | 'epochs'>): number {
  return config.epochs * stepsPerEpoch(config);
}

/**
 * The steps a run will take, the one definition the API, the trainer and the web share: a learning-rate range
 * test runs its own number of steps instead of the epochs.
 */
export function plannedSteps(config: Pick<RunConfig, 'dataset' | 'batchSize' | 'epochs' | 'lrRangeTest'>): number {
  return config.lrRangeTest ? config.lrRangeTest.steps : totalSteps(config);
}

/** TF.js output size along one axis: 'same' = ceil(in / stride), 'valid' = floor((in - window) / stride) + 1. */
export function convOutputSize(input: number, window: number, stride: number, padding: 'same' | 'valid'): number {
  return padding === 'same' ? Math.ceil(input / stride) : Math.floor((input - window) / stride) + 1;
}

function addConvolutions(stack: LayerStack, model: CnnConfig): ShapeProblem | undefined {
  if (stack.shape.length !== 3) {
    return { kind: 'notAnImage', path: 'model.kind', inputShape: [...stack.shape] };
  }
  for (const [i, conv] of model.convLayers.entries()) {
    const [height = 0, width = 0, channels = 0] = stack.shape;
    const outHeight = convOutputSize(height, conv.kernelSize, conv.stride, conv.padding);
    const outWidth = convOutputSize(width, conv.kernelSize, conv.stride, conv.padding);
    if (outHeight <= 0 || outWidth <= 0) {
      return windowTooLarge(`model.convLayers[${i}].kernelSize`, 'kernel', i, conv.kernelSize, height, width);
    }
    const kernelWeights = conv.kernelSize * conv.kernelSize * channels;
    const multiplyAdds = kernelWeights * conv.filters * outHeight * outWidth;
    stack.add('conv2d', [outHeight, outWidth, conv.filters], (kernelWeights + 1) * conv.filters, 2 * multiplyAdds);

    if (conv.pool) {
      // Pooling always uses 'valid' padding.
      const poolHeight = convOutputSize(outHeight, conv.pool.size, conv.pool.stride, 'valid');
      const poolWidth = convOutputSize(outWidth, conv.pool.size, conv.pool.stride, 'valid');
      if (poolHeight <= 0 || poolWidth <= 0) {
        return windowTooLarge(`model.convLayers[${i}].pool.size`, 'pool', i, conv.pool.size, outHeight, outWidth);
      }
      stack.add(conv.pool.kind === 'max' ? 'maxPool' : 'avgPool', [poolHeight, poolWidth, conv.filters], 0, 0);
    }
  }
  return undefined;
}

function windowTooLarge(path: string, window: 'kernel' | 'pool', layer: number, value: number, height: number, width: number): ShapeProblem {
  return { kind: 'windowTooLarge', path, window, layer, value, input: [height, width] };
}

function addDenseHead(stack: LayerStack, hidden: readonly number[], classes: number): void {
  for (const units of hidden) {
    stack.addDense(units);
    stack.addDropout();
  }
  stack.addDense(classes, 'output');
}

/** The layers built so far and the shape flowing out of the last one. */
class LayerStack {
  readonly layers: LayerFact[] = [];
  shape: number[];
  flops = 0;
  private readonly counts = new Map<LayerKind, number>();

  constructor(
    inputShape: readonly number[],
    private readonly dropout: number,
  ) {
    this.shape = [...inputShape];
  }

  add(kind: LayerKind, outputShape: number[], params: number, flops: number, name?: string): void {
    const count = (this.counts.get(kind) ?? 0) + 1;
    this.counts.set(kind, count);
    this.layers.push({ name: name ?? `${kind}_${count}`, kind, outputShape, params });
    this.shape = outputShape;
    this.flops += flops;
  }

  addFlatten(): void {
    this.add('flatten', [this.shape.reduce((a, b) => a * b, 1)], 0, 0);
  }

  addDropout(): void {
    if (this.dropout > 0) this.add('dropout', [...this.shape], 0, 0);
  }

  addDense(units: number, name?: string): void {
    const inputs = this.shape[0] ?? 0;
    this.add('dense', [units], (inputs + 1) * units, 2 * inputs * units, name);
  }
}
