import { describe, expect, it } from 'vitest';
import { evaluate, type RunRecord } from './evaluate';
import { parse } from './test-support';

const mlp: RunRecord = {
  params: {
    batchSize: 32,
    'optimizer.learningRate': 0.003,
    'optimizer.name': 'adam',
    'model.kind': 'mlp',
    'model.hiddenLayers[0]': 128,
    'dataset.name': 'mnist',
    'training.shuffle': true,
    params: 101_770,
  },
  status: 'succeeded',
  name: 'LR-Sweep-3',
  tags: ['baseline', 'mnist'],
  backend: 'wasm',
  device: null,
  metrics: {
    'test.accuracy': { last: 0.95, min: 0.1, max: 0.97 },
    'train.loss': { last: 0.15, min: 0.12, max: 2.3 },
    'val loss': { last: Number.NaN, min: 0.08, max: null },
  },
};

const cnn: RunRecord = {
  params: {
    batchSize: 64,
    'optimizer.learningRate': 0.1,
    'optimizer.name': 'sgd',
    'model.kind': 'cnn',
    'model.convLayers[0].stride': 1,
    'model.convLayers[0].kernelSize': 3,
    'dataset.name': 'cifar10',
    'training.shuffle': false,
    params: 2_400_000,
  },
  status: 'diverged',
  name: 'cnn-big',
  tags: ['broken'],
};

const matches = (text: string, run: RunRecord) => evaluate(parse(text), run);

describe('evaluate', () => {
  it('matches every run for the empty expression', () => {
    expect(evaluate(null, mlp)).toBe(true);
    expect(matches('', cnn)).toBe(true);
  });

  it.each([
    // expression, matches mlp, matches cnn
    ['batchSize = 32', true, false],
    ['batchSize != 32', false, true],
    ['batchSize < 64', true, false],
    ['batchSize <= 64', true, true],
    ['batchSize > 32', false, true],
    ['batchSize >= 32', true, true],
    ['optimizer.learningRate <= 3e-3', true, false],
    ['optimizer.learningRate = 0.003', true, false],
    ['params < 1e6', true, false],
    ['optimizer.name = "adam"', true, false],
    ['optimizer.name = "ADAM"', false, false],
    ['optimizer.name in ["adam", "sgd"]', true, true],
    ['optimizer.name not in ["adam", "rmsprop"]', false, true],
    ['batchSize in [16, 32]', true, false],
    ['training.shuffle = true', true, false],
    ['training.shuffle != true', false, true],
    ['status = "succeeded"', true, false],
    ['status in ["succeeded", "diverged"] and not (tags has "broken")', true, false],
    ['tags has "baseline"', true, false],
    ['tags has "Baseline"', false, false],
    ['name ~ "sweep"', true, false],
    ['name ~ "BIG"', false, true],
    ['name = "lr-sweep-3"', false, false],
    ['backend = "wasm"', true, false],
    ['max(test.accuracy) > 0.9 and last(train.loss) < 0.2', true, false],
    ['min("val loss") <= 0.1', true, false],
    ['dataset.name = "mnist" and model.kind = "cnn"', false, false],
    ['batchSize <= 32 and optimizer.name = "adam" or tags has "broken"', true, true],
    ['batchSize <= 32 and (optimizer.name = "adam" or tags has "broken")', true, false],
    ['not batchSize = 32 or batchSize = 32', true, true],
  ])('%s → mlp %s, cnn %s', (text, mlpMatches, cnnMatches) => {
    expect(matches(text, mlp)).toBe(mlpMatches);
    expect(matches(text, cnn)).toBe(cnnMatches);
  });

  describe('a hyperparameter the run does not have (SQL NULL semantics)', () => {
    it.each([
      'model.convLayers[0].stride = 1',
      'model.convLayers[0].stride != 1',
      'model.convLayers[0].stride < 1',
      'model.convLayers[0].stride <= 1',
      'model.convLayers[0].stride > 1',
      'model.convLayers[0].stride >= 1',
      'model.convLayers[0].stride in [1, 2]',
      'model.convLayers[0].stride not in [1, 2]',
      'model.convLayers[0].stride ~ "1"',
    ])('%s is false, and its not is true', (text) => {
      expect(matches(text, mlp)).toBe(false);
      expect(matches(`not (${text})`, mlp)).toBe(true);
    });

    it('does not read inherited properties', () => {
      expect(matches('constructor != 1', mlp)).toBe(false);
      expect(matches('last(toString) > 0', mlp)).toBe(false);
    });

    it('is present on the run that has it', () => {
      expect(matches('model.convLayers[0].stride = 1', cnn)).toBe(true);
      expect(matches('model.convLayers[0].stride != 1', cnn)).toBe(false);
    });
  });

  describe('metrics', () => {
    it.each([
      ['NaN', 'last("val loss")'],
      ['null', 'max("val loss")'],
      ['absent from the summary', 'last(test.precision)'],
    ])('a %s value compares false with every operator', (_, field) => {
      for (const op of ['=', '!=', '<', '<=', '>', '>=']) {
        expect(matches(`${field} ${op} 0.5`, mlp)).toBe(false);
      }
      expect(matches(`${field} not in [0.5]`, mlp)).toBe(false);
      expect(matches(`not ${field} < 0.5`, mlp)).toBe(true);
    });

    it('is false on a run without any metrics', () => {
      expect(matches('max(test.accuracy) >= 0', cnn)).toBe(false);
    });

    it('reads the requested aggregate', () => {
      expect(matches('min(train.loss) = 0.12', mlp)).toBe(true);
      expect(matches('max(train.loss) = 2.3', mlp)).toBe(true);
      expect(matches('last(train.loss) = 0.15', mlp)).toBe(true);
    });
  });

  it('folds case character by character for ~, as PostgreSQL lower() does under a UTF-8 locale', () => {
    const named = (name: string): RunRecord => ({ ...cnn, name });
    expect(matches('name ~ "über"', named('ÜBER-run'))).toBe(true);
    // toLowerCase() makes a final Σ into ς, and İ into i plus a combining dot; the SQL did neither.
    expect(matches('name ~ "οδοσ"', named('ΟΔΟΣ'))).toBe(true);
    expect(matches('name ~ "İ"', named('Izmir'))).toBe(true);
    expect(matches('name ~ "i"', named('İzmir'))).toBe(true);
  });

  it('treats a null or missing backend/device as missing', () => {
    expect(matches('device = "cpu"', mlp)).toBe(false);
    expect(matches('device != "cpu"', mlp)).toBe(false);
    expect(matches('backend ~ "w"', cnn)).toBe(false);
    expect(matches('not device ~ "gpu"', mlp)).toBe(true);
  });

  it('does not throw on expressions the checker would reject', () => {
    expect(matches('dataset.name < 3', mlp)).toBe(false);
    expect(matches('batchSize ~ "3"', mlp)).toBe(false);
    expect(matches('batchSize has "3"', mlp)).toBe(false);
    expect(matches('tags = "baseline"', mlp)).toBe(false);
    expect(matches('tags in ["baseline"]', mlp)).toBe(false);
  });
});
