// The structure of a run configuration. Field descriptions live here, next to
// the fields, and the path vocabulary (paths.ts) reads them from the schema.
// Messages are not set here: validate.ts turns zod's issues into sentences.
import { z } from 'zod';
import { DATASET_NAMES } from './datasets';

/** Limits past which a value is almost certainly a mistake rather than an experiment. */
export const LIMITS = {
  maxLearningRate: 10,
  maxEpochs: 10_000,
  maxParams: 1e9,
  maxRangeTestSteps: 10_000,
  /** Deep MLPs on these datasets stop gaining well before 10 layers; 32 leaves room for depth experiments. */
  maxHiddenLayers: 32,
  /** VGG-19, the deepest plain CNN in common use, has 16 convolutions. */
  maxConvLayers: 16,
  /** Dense layers after the convolutions: VGG has 2 hidden ones. */
  maxDenseLayers: 8,
  /** Units of one dense layer: wider than the 49,152-unit feed-forward layers of GPT-3 is a typo. */
  maxUnits: 65_536,
  /** Filters of one convolution: ResNet's widest has 2,048. */
  maxFilters: 4_096,
} as const;

export const ACTIVATIONS = ['relu', 'tanh', 'sigmoid', 'elu', 'gelu'] as const;
export type Activation = (typeof ACTIVATIONS)[number];

const positiveInt = () => z.int().positive();
const units = () => positiveInt().max(LIMITS.maxUnits);
/** [0, 1): rates and probabilities where 1 would mean "never changes" or "drop everything". */
const fractionBelowOne = () => z.number().min(0).lt(1);

export const datasetSchema = z.strictObject({
  name: z.enum(DATASET_NAMES).describe('Dataset the run trains on'),
  trainSize: positiveInt().describe('Training samples drawn from the dataset'),
  testSize: positiveInt().describe('Held-out samples used for evaluation'),
  splitSeed: z.int().default(0).describe('Seed of the shuffle that splits train and test samples'),
});

const activation = z.enum(ACTIVATIONS).default('relu').describe('Activation of every hidden layer');
const dropout = fractionBelowOne().default(0).describe('Dropout rate applied before every dense layer fed by learned features (0 = none)');

export const mlpSchema = z.strictObject({
  kind: z.literal('mlp').describe('Model architecture'),
  // Empty is allowed: no hidden layer is logistic regression.
  hiddenLayers: z.array(units()).max(LIMITS.maxHiddenLayers).describe('Units of a hidden dense layer'),
  activation,
  dropout,
});

export const poolSchema = z
  .strictObject({
    kind: z.enum(['max', 'avg']).describe('Pooling after the convolution'),
    size: positiveInt().describe('Pooling window size'),
    stride: positiveInt().optional().describe('Pooling stride; defaults to the window size'),
  })
  // The stored config says the stride explicitly, so runs that left it out
  // compare equal to runs that wrote the same value.
  .transform((pool) => ({ ...pool, stride: pool.stride ?? pool.size }));

export const convLayerSchema = z.strictObject({
  filters: positiveInt().max(LIMITS.maxFilters).describe('Filters (output channels) of a convolution'),
  kernelSize: positiveInt().describe('Side of the square convolution kernel'),
  stride: positiveInt().default(1).describe('Convolution stride'),
  padding: z.enum(['same', 'valid']).default('valid').describe('Convolution padding: same keeps the size (before stride), valid shrinks it'),
  pool: poolSchema.optional(),
});

export const cnnSchema = z.strictObject({
  kind: z.literal('cnn').describe('Model architecture'),
  convLayers: z.array(convLayerSchema).min(1).max(LIMITS.maxConvLayers),
  dense: z.array(units()).max(LIMITS.maxDenseLayers).default([]).describe('Units of a hidden dense layer after flatten (none by default)'),
  activation,
  dropout,
});

export const modelSchema = z.discriminatedUnion('kind', [mlpSchema, cnnSchema]);

const learningRate = z.number().gt(0).max(LIMITS.maxLearningRate).describe('Base (peak) learning rate');
const weightDecay = z.number().min(0).default(0).describe('L2 weight decay');
const epsilon = z.number().gt(0).default(1e-7).describe('Term added to the denominator for stability');

export const optimizerSchema = z.discriminatedUnion('name', [
  z.strictObject({
    name: z.literal('sgd').describe('Optimizer'),
    learningRate,
    weightDecay,
  }),
  z.strictObject({
    name: z.literal('momentum').describe('Optimizer'),
    learningRate,
    momentum: fractionBelowOne().default(0.9).describe('Momentum'),
    nesterov: z.boolean().default(false).describe('Use Nesterov momentum'),
    weightDecay,
  }),
  z.strictObject({
    name: z.literal('adam').describe('Optimizer'),
    learningRate,
    beta1: fractionBelowOne().default(0.9).describe('Decay of the first-moment estimate'),
    beta2: fractionBelowOne().default(0.999).describe('Decay of the second-moment estimate'),
    epsilon,
    weightDecay,
  }),
  z.strictObject({
    name: z.literal('rmsprop').describe('Optimizer'),
    learningRate,
    decay: fractionBelowOne().default(0.9).describe('Decay of the squared-gradient average'),
    momentum: fractionBelowOne().default(0).describe('Momentum'),
    epsilon,
    weightDecay,
  }),
]);

const gamma = z.number().gt(0).max(1).describe('Multiplicative decay factor');
const minLearningRate = z.number().min(0).default(0).describe('Learning rate at the end of the cosine');

export const scheduleSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('constant').describe('Learning-rate schedule') }),
  z.strictObject({
    kind: z.literal('step').describe('Learning-rate schedule'),
    stepSize: positiveInt().describe('Steps between two decays'),
    gamma,
  }),
  z.strictObject({ kind: z.literal('exponential').describe('Learning-rate schedule'), gamma }),
  z.strictObject({ kind: z.literal('cosine').describe('Learning-rate schedule'), minLearningRate }),
  z.strictObject({
    kind: z.literal('warmupCosine').describe('Learning-rate schedule'),
    warmupSteps: z.int().min(0).describe('Steps of linear warmup from 0'),
    minLearningRate,
  }),
  z.strictObject({
    kind: z.literal('oneCycle').describe('Learning-rate schedule'),
    pctStart: z.number().gt(0).lt(1).default(0.3).describe('Fraction of the run spent rising'),
    divFactor: z.number().min(1).default(25).describe('Initial learning rate = learningRate / divFactor'),
    finalDivFactor: z.number().min(1).default(1e4).describe('Final learning rate = initial learning rate / finalDivFactor'),
  }),
]);

/**
 * A run mode instead of training: the learning rate rises exponentially from
 * start to end over `steps` optimizer steps, to find the largest one that
 * still trains stably.
 */
export const lrRangeTestSchema = z.strictObject({
  startLearningRate: z.number().gt(0).max(LIMITS.maxLearningRate).default(1e-7).describe('Learning rate of the first step of the range test'),
  endLearningRate: z.number().gt(0).max(LIMITS.maxLearningRate).default(10).describe('Learning rate the range test rises to at its last step'),
  steps: z.int().min(2).max(LIMITS.maxRangeTestSteps).default(100).describe('Optimizer steps of the range test (it stops early once the loss diverges)'),
});

export const runConfigSchema = z.strictObject({
  dataset: datasetSchema,
  model: modelSchema,
  optimizer: optimizerSchema,
  schedule: scheduleSchema.default({ kind: 'constant' }),
  batchSize: positiveInt().describe('Samples per optimizer step'),
  epochs: positiveInt().max(LIMITS.maxEpochs).describe('Passes over the training set'),
  seed: z.int().default(0).describe('Seed for weight initialization and batch order'),
  // Present: the run is a learning-rate range test, not a training run.
  lrRangeTest: lrRangeTestSchema.optional(),
});

/** A normalized run configuration: every default filled in. This is what gets stored. */
export type RunConfig = z.output<typeof runConfigSchema>;
/** What a user may write: defaults may be left out. */
export type RunConfigInput = z.input<typeof runConfigSchema>;
export type DatasetConfig = RunConfig['dataset'];
export type ModelConfig = RunConfig['model'];
export type MlpConfig = Extract<ModelConfig, { kind: 'mlp' }>;
export type CnnConfig = Extract<ModelConfig, { kind: 'cnn' }>;
export type ConvLayerConfig = CnnConfig['convLayers'][number];
export type PoolConfig = NonNullable<ConvLayerConfig['pool']>;
export type OptimizerConfig = RunConfig['optimizer'];
export type OptimizerName = OptimizerConfig['name'];
export type ScheduleConfig = RunConfig['schedule'];
export type ScheduleKind = ScheduleConfig['kind'];
export type LrRangeTestConfig = NonNullable<RunConfig['lrRangeTest']>;
