import { describe, expect, it } from 'vitest';
import { cnnInput, mlpInput, parse } from '../test/fixtures';
import { LIMITS, validateRunConfig, type ValidationIssue } from './index';

/** The issues of an input that must be invalid. */
function issuesOf(input: unknown): ValidationIssue[] {
  const result = validateRunConfig(input);
  if (result.ok) throw new Error('expected the config to be rejected');
  return result.issues;
}

function issueAt(input: unknown, path: string): string {
  const issues = issuesOf(input);
  const issue = issues.find((candidate) => candidate.path === path);
  if (!issue) throw new Error(`no issue at ${path}; got ${JSON.stringify(issues)}`);
  return issue.message;
}

describe('valid configs', () => {
  it('accepts an MLP and fills in every default', () => {
    expect(parse(mlpInput())).toEqual({
      dataset: { name: 'mnist', trainSize: 8000, testSize: 2000, splitSeed: 0 },
      model: { kind: 'mlp', hiddenLayers: [128], activation: 'relu', dropout: 0 },
      optimizer: { name: 'adam', learningRate: 0.001, beta1: 0.9, beta2: 0.999, epsilon: 1e-7, weightDecay: 0 },
      schedule: { kind: 'constant' },
      batchSize: 32,
      epochs: 5,
      seed: 0,
    });
  });

  it('accepts a CNN and fills in conv defaults and the pool stride', () => {
    const config = parse(cnnInput());
    expect(config.model).toEqual({
      kind: 'cnn',
      convLayers: [{ filters: 8, kernelSize: 3, stride: 1, padding: 'valid', pool: { kind: 'max', size: 2, stride: 2 } }],
      dense: [],
      activation: 'relu',
      dropout: 0,
    });
    expect(config.optimizer).toEqual({ name: 'sgd', learningRate: 0.1, weightDecay: 0 });
  });

  it('gives a CNN an empty dense head when none is written', () => {
    const input = cnnInput();
    delete (input.model as Record<string, unknown>).dense;
    const config = parse(input);
    expect(config.model.kind === 'cnn' && config.model.dense).toEqual([]);
  });

  it('accepts an MLP without hidden layers (logistic regression) on spirals', () => {
    const config = parse(mlpInput({ hiddenLayers: [] }, { dataset: { name: 'spirals', trainSize: 50_000, testSize: 50_000 } }));
    expect(config.model).toMatchObject({ kind: 'mlp', hiddenLayers: [] });
  });

  it('fills in optimizer and schedule defaults', () => {
    expect(parse(mlpInput({}, { optimizer: { name: 'momentum', learningRate: 0.1 } })).optimizer).toEqual({
      name: 'momentum',
      learningRate: 0.1,
      momentum: 0.9,
      nesterov: false,
      weightDecay: 0,
    });
    expect(parse(mlpInput({}, { optimizer: { name: 'rmsprop', learningRate: 0.01 } })).optimizer).toEqual({
      name: 'rmsprop',
      learningRate: 0.01,
      decay: 0.9,
      momentum: 0,
      epsilon: 1e-7,
      weightDecay: 0,
    });
    expect(parse(mlpInput({}, { schedule: { kind: 'oneCycle' } })).schedule).toEqual({
      kind: 'oneCycle',
      pctStart: 0.3,
      divFactor: 25,
      finalDivFactor: 1e4,
    });
    expect(parse(mlpInput({}, { schedule: { kind: 'cosine' } })).schedule).toEqual({ kind: 'cosine', minLearningRate: 0 });
  });

  it('keeps values that were given instead of defaults', () => {
    const config = parse(mlpInput({ activation: 'gelu', dropout: 0.5 }, { seed: 7 }));
    expect(config.model).toMatchObject({ activation: 'gelu', dropout: 0.5 });
    expect(config.seed).toBe(7);
  });

  it('accepts the largest dataset split that fits', () => {
    parse(mlpInput({}, { dataset: { name: 'mnist', trainSize: 9000, testSize: 1000 } }));
  });
});

describe('field errors', () => {
  it('rejects a string where a whole number belongs, showing the value', () => {
    expect(issueAt(mlpInput({}, { batchSize: '32' }), 'batchSize')).toBe('batchSize must be a whole number, got "32"');
  });

  it('rejects a fractional size', () => {
    expect(issueAt(mlpInput({}, { batchSize: 3.5 }), 'batchSize')).toBe('batchSize must be a whole number, got 3.5');
  });

  it('rejects a non-positive learning rate', () => {
    expect(issueAt(mlpInput({}, { optimizer: { name: 'sgd', learningRate: -0.1 } }), 'optimizer.learningRate')).toBe(
      'optimizer.learningRate must be greater than 0, got -0.1',
    );
    expect(issueAt(mlpInput({}, { optimizer: { name: 'sgd', learningRate: 0 } }), 'optimizer.learningRate')).toContain('greater than 0, got 0');
  });

  it('rejects NaN and Infinity', () => {
    expect(issueAt(mlpInput({}, { optimizer: { name: 'sgd', learningRate: Number.NaN } }), 'optimizer.learningRate')).toBe(
      'optimizer.learningRate must be a finite number, got NaN',
    );
    expect(issueAt(mlpInput({ dropout: Infinity }), 'model.dropout')).toContain('got Infinity');
  });

  it('rejects zero and negative sizes at their exact path', () => {
    expect(issueAt(cnnInput({ convLayers: [{ filters: 0, kernelSize: 3 }] }), 'model.convLayers[0].filters')).toBe(
      'model.convLayers[0].filters must be greater than 0, got 0',
    );
    expect(issueAt(mlpInput({ hiddenLayers: [64, -8] }), 'model.hiddenLayers[1]')).toBe('model.hiddenLayers[1] must be greater than 0, got -8');
    expect(issueAt(mlpInput({}, { dataset: { name: 'mnist', trainSize: 100, testSize: 0 } }), 'dataset.testSize')).toBe(
      'dataset.testSize must be greater than 0, got 0',
    );
  });

  it('rejects absurd learning rates and epochs', () => {
    expect(issueAt(mlpInput({}, { optimizer: { name: 'sgd', learningRate: 50 } }), 'optimizer.learningRate')).toBe(
      'optimizer.learningRate must be at most 10, got 50',
    );
    expect(issueAt(mlpInput({}, { epochs: 20_000 }), 'epochs')).toBe('epochs must be at most 10000, got 20000');
  });

  it('rejects a value at the edge of a half-open range', () => {
    expect(issueAt(mlpInput({ dropout: 1 }), 'model.dropout')).toBe('model.dropout must be less than 1, got 1');
    expect(issueAt(mlpInput({}, { optimizer: { name: 'adam', learningRate: 0.1, beta2: 1 } }), 'optimizer.beta2')).toBe(
      'optimizer.beta2 must be less than 1, got 1',
    );
    expect(issueAt(mlpInput({}, { schedule: { kind: 'exponential', gamma: 0 } }), 'schedule.gamma')).toContain('greater than 0');
  });

  it('names missing fields', () => {
    expect(issueAt(mlpInput({}, { optimizer: { name: 'sgd' } }), 'optimizer.learningRate')).toBe('optimizer.learningRate is required');
  });

  it('rejects a CNN without conv layers', () => {
    expect(issueAt(cnnInput({ convLayers: [] }), 'model.convLayers')).toBe('model.convLayers needs at least 1 entry, got none');
  });

  it('rejects a wrongly typed boolean and enum', () => {
    expect(issueAt(mlpInput({}, { optimizer: { name: 'momentum', learningRate: 0.1, nesterov: 'yes' } }), 'optimizer.nesterov')).toBe(
      'optimizer.nesterov must be true or false, got "yes"',
    );
    expect(issueAt(mlpInput({ activation: 'swish' }), 'model.activation')).toBe(
      'model.activation "swish" is not allowed; use one of: relu, tanh, sigmoid, elu, gelu',
    );
  });

  it('rejects something that is not an object at the root', () => {
    expect(issuesOf(null)).toEqual([{ path: '', message: 'The run config must be an object, got null' }]);
    expect(issuesOf([1])).toEqual([{ path: '', message: 'The run config must be an object, got a list' }]);
  });
});

describe('unknown names', () => {
  it('lists the known datasets', () => {
    expect(issueAt(mlpInput({}, { dataset: { name: 'cifar10', trainSize: 10, testSize: 10 } }), 'dataset.name')).toBe(
      'dataset.name "cifar10" is not a known dataset; known: mnist, spirals',
    );
  });

  it('lists the model kinds, optimizers and schedules', () => {
    expect(issueAt(mlpInput({ kind: 'rnn' }), 'model.kind')).toBe('model.kind "rnn" is not a known model kind; known: mlp, cnn');
    expect(issueAt(mlpInput({}, { optimizer: { name: 'adagrad', learningRate: 0.1 } }), 'optimizer.name')).toBe(
      'optimizer.name "adagrad" is not a known optimizer; known: sgd, momentum, adam, rmsprop',
    );
    expect(issueAt(mlpInput({}, { schedule: { kind: 'linear' } }), 'schedule.kind')).toBe(
      'schedule.kind "linear" is not a known schedule kind; known: constant, step, exponential, cosine, warmupCosine, oneCycle',
    );
  });

  it('names a missing discriminator with its choices', () => {
    expect(issueAt(mlpInput({ kind: undefined }), 'model.kind')).toBe('model.kind is required (one of: mlp, cnn)');
  });
});

describe('unknown keys', () => {
  it('rejects a typo and suggests the key it resembles', () => {
    const issues = issuesOf(mlpInput({}, { optimizer: { name: 'sgd', learingRate: 0.1 } }));
    expect(issues).toContainEqual({
      path: 'optimizer.learingRate',
      message: 'optimizer.learingRate is not a known setting; did you mean optimizer.learningRate?',
    });
  });

  it('suggests only keys of the chosen variant', () => {
    // beta1 is close to "beta", but sgd has no beta1; nothing sgd has is close.
    expect(issueAt(mlpInput({}, { optimizer: { name: 'sgd', learningRate: 0.1, beta: 0.9 } }), 'optimizer.beta')).toBe(
      'optimizer.beta is not a known setting; remove it or check the spelling',
    );
    expect(issueAt(mlpInput({}, { optimizer: { name: 'adam', learningRate: 0.1, beta: 0.9 } }), 'optimizer.beta')).toBe(
      'optimizer.beta is not a known setting; did you mean optimizer.beta1?',
    );
  });

  it('finds keys inside array elements and nested objects', () => {
    const input = cnnInput({
      convLayers: [
        { filters: 8, kernelSize: 3 },
        { filters: 8, kernalSize: 3, pool: { kind: 'max', size: 2, strides: 2 } },
      ],
    });
    const issues = issuesOf(input);
    expect(issues).toContainEqual({
      path: 'model.convLayers[1].kernalSize',
      message: 'model.convLayers[1].kernalSize is not a known setting; did you mean model.convLayers[1].kernelSize?',
    });
    expect(issues).toContainEqual({
      path: 'model.convLayers[1].pool.strides',
      message: 'model.convLayers[1].pool.strides is not a known setting; did you mean model.convLayers[1].pool.stride?',
    });
  });

  it('points a setting written in the wrong section to where it belongs', () => {
    expect(issueAt(mlpInput({}, { learningRate: 0.1 }), 'learningRate')).toBe('learningRate is not a known setting; did you mean optimizer.learningRate?');
  });

  it('says which variant a key of another variant belongs to', () => {
    expect(issueAt(mlpInput({ convLayers: [] }), 'model.convLayers')).toBe('model.convLayers only applies when model.kind is cnn, not "mlp"');
    expect(issueAt(mlpInput({}, { optimizer: { name: 'sgd', learningRate: 0.1, momentum: 0.9 } }), 'optimizer.momentum')).toBe(
      'optimizer.momentum only applies when optimizer.name is momentum or rmsprop, not "sgd"',
    );
  });
});

describe('cross-field checks', () => {
  it('rejects a batch larger than the training set', () => {
    const input = mlpInput({}, { dataset: { name: 'mnist', trainSize: 300, testSize: 100 }, batchSize: 512 });
    expect(issuesOf(input)).toEqual([{ path: 'batchSize', message: 'batchSize 512 is larger than dataset.trainSize 300' }]);
  });

  it('rejects a split larger than the dataset', () => {
    expect(issueAt(mlpInput({}, { dataset: { name: 'mnist', trainSize: 9000, testSize: 2000 } }), 'dataset.trainSize')).toBe(
      'dataset.trainSize 9000 + dataset.testSize 2000 = 11000 is more than the 10,000 samples mnist has',
    );
  });

  it('reports a kernel larger than the shape reaching it, explaining what shrank it', () => {
    const input = cnnInput({
      convLayers: [
        { filters: 8, kernelSize: 3 }, // 28 → 26
        { filters: 8, kernelSize: 3, stride: 2, pool: { kind: 'max', size: 4 } }, // 26 → 12 → 3
        { filters: 8, kernelSize: 5 }, // 5 > 3
      ],
    });
    expect(issuesOf(input)).toEqual([
      {
        path: 'model.convLayers[2].kernelSize',
        message: 'model.convLayers[2].kernelSize 5 is larger than its 3×3 input (after kernel 3 with valid padding, stride 2 and max pooling 4 in layer 1)',
      },
    ]);
  });

  it('reports the stride example in the words a user reads', () => {
    const input = cnnInput({
      convLayers: [
        { filters: 8, kernelSize: 3, pool: { kind: 'max', size: 2 } }, // 28 → 26 → 13
        { filters: 8, kernelSize: 3, stride: 2, padding: 'same', pool: { kind: 'avg', size: 2 } }, // 13 → 7 → 3
        { filters: 8, kernelSize: 5 },
      ],
    });
    expect(issueAt(input, 'model.convLayers[2].kernelSize')).toBe(
      'model.convLayers[2].kernelSize 5 is larger than its 3×3 input (after stride 2 and avg pooling 2 in layer 1)',
    );
  });

  it('reports a pooling window larger than its convolution output', () => {
    const input = cnnInput({ convLayers: [{ filters: 4, kernelSize: 5, stride: 4, pool: { kind: 'max', size: 8 } }] });
    // floor((28 - 5) / 4) + 1 = 6
    expect(issueAt(input, 'model.convLayers[0].pool.size')).toBe(
      'model.convLayers[0].pool.size 8 is larger than its 6×6 input (after kernel 5 with valid padding and stride 4 in layer 0)',
    );
  });

  it('reports a first kernel larger than the image', () => {
    expect(issueAt(cnnInput({ convLayers: [{ filters: 4, kernelSize: 29 }] }), 'model.convLayers[0].kernelSize')).toBe(
      'model.convLayers[0].kernelSize 29 is larger than its 28×28 input (mnist images)',
    );
  });

  it('allows a same-padded kernel larger than its input, as TensorFlow.js does', () => {
    parse(cnnInput({ convLayers: [{ filters: 4, kernelSize: 31, padding: 'same' }] }));
  });

  it('rejects a CNN on a dataset without images', () => {
    const input = cnnInput({}, { dataset: { name: 'spirals', trainSize: 1000, testSize: 100 } });
    expect(issueAt(input, 'model.kind')).toBe('model.kind cnn needs image input (height × width × channels), but spirals samples have shape [2]; use mlp');
  });

  it('rejects a model above a billion parameters', () => {
    // 785·50,000 + 50,001·50,000 + 50,001·10 = 39,250,000 + 2,500,050,000 + 500,010 = 2,539,800,010
    expect(issueAt(mlpInput({ hiddenLayers: [50_000, 50_000] }), 'model')).toBe('model has 2,539,800,010 parameters, more than the limit of 1,000,000,000');
  });

  it('rejects a warmup longer than the run', () => {
    // 8000 / 32 = 250 steps per epoch, 5 epochs
    const input = mlpInput({}, { schedule: { kind: 'warmupCosine', warmupSteps: 5000, minLearningRate: 0 } });
    expect(issueAt(input, 'schedule.warmupSteps')).toBe('schedule.warmupSteps 5000 is longer than the whole run (1250 steps: 5 epochs × 250 steps per epoch)');
  });

  it('rejects a cosine floor above the learning rate', () => {
    const input = mlpInput({}, { schedule: { kind: 'cosine', minLearningRate: 0.01 } });
    expect(issueAt(input, 'schedule.minLearningRate')).toContain('0.01 is above optimizer.learningRate 0.001');
  });

  it('skips cross-field checks while the structure is invalid', () => {
    const input = mlpInput({}, { dataset: { name: 'mnist', trainSize: 300, testSize: 100 }, batchSize: 512, epochs: 0 });
    expect(issuesOf(input).map((issue) => issue.path)).toEqual(['epochs']);
  });
});

describe('several problems', () => {
  it('reports every one of them, each once', () => {
    const issues = issuesOf({
      dataset: { name: 'cifar', trainSize: '300', testSize: 0 },
      model: { kind: 'mlp', hiddenLayers: [0, 2.5], activation: 'swish' },
      optimizer: { name: 'sgd', learningRate: -1, learingRate: 0.1 },
      schedule: { kind: 'cos' },
      batchSize: 1e20,
      epochs: 20_000,
      sede: 1,
    });
    expect(issues.map((issue) => issue.path)).toEqual([
      'dataset.name',
      'dataset.trainSize',
      'dataset.testSize',
      'model.hiddenLayers[0]',
      'model.hiddenLayers[1]',
      'model.activation',
      'optimizer.learningRate',
      'optimizer.learingRate',
      'schedule.kind',
      'batchSize',
      'epochs',
      'sede',
    ]);
    expect(issues.find((issue) => issue.path === 'sede')?.message).toContain('did you mean seed?');
  });

  it('reports every cross-field problem together', () => {
    const input = cnnInput(
      { convLayers: [{ filters: 8, kernelSize: 40 }] },
      { dataset: { name: 'mnist', trainSize: 9000, testSize: 5000 }, batchSize: 10_000 },
    );
    expect(issuesOf(input).map((issue) => issue.path)).toEqual(['dataset.trainSize', 'batchSize', 'model.convLayers[0].kernelSize']);
  });
});

describe('size limits', () => {
  const layers = (count: number, units = 4) => Array.from({ length: count }, () => units);
  const conv = (count: number) => Array.from({ length: count }, () => ({ filters: 1, kernelSize: 1, padding: 'same' }));

  it(`allows ${LIMITS.maxHiddenLayers} hidden layers and refuses more, however many`, () => {
    expect(validateRunConfig(mlpInput({ hiddenLayers: layers(LIMITS.maxHiddenLayers) })).ok).toBe(true);
    expect(issueAt(mlpInput({ hiddenLayers: layers(LIMITS.maxHiddenLayers + 1) }), 'model.hiddenLayers')).toBe(
      'model.hiddenLayers allows at most 32 entries, got 33',
    );
    expect(issuesOf(mlpInput({ hiddenLayers: layers(100_000, 1) }))).toEqual([
      { path: 'model.hiddenLayers', message: 'model.hiddenLayers allows at most 32 entries, got 100000' },
    ]);
  });

  it(`allows ${LIMITS.maxConvLayers} conv layers and ${LIMITS.maxDenseLayers} dense layers, and no more`, () => {
    expect(validateRunConfig(cnnInput({ convLayers: conv(LIMITS.maxConvLayers), dense: layers(LIMITS.maxDenseLayers) })).ok).toBe(true);
    expect(issueAt(cnnInput({ convLayers: conv(17) }), 'model.convLayers')).toBe('model.convLayers allows at most 16 entries, got 17');
    expect(issueAt(cnnInput({ dense: layers(9) }), 'model.dense')).toBe('model.dense allows at most 8 entries, got 9');
  });

  it('bounds the width of one layer', () => {
    expect(issueAt(mlpInput({ hiddenLayers: [LIMITS.maxUnits + 1] }), 'model.hiddenLayers[0]')).toBe('model.hiddenLayers[0] must be at most 65536, got 65537');
    expect(issueAt(cnnInput({ dense: [10, LIMITS.maxUnits + 1] }), 'model.dense[1]')).toBe('model.dense[1] must be at most 65536, got 65537');
    expect(issueAt(cnnInput({ convLayers: [{ filters: LIMITS.maxFilters + 1, kernelSize: 3 }] }), 'model.convLayers[0].filters')).toBe(
      'model.convLayers[0].filters must be at most 4096, got 4097',
    );
  });
});
