import { describe, expect, it } from 'vitest';
import { cnnInput, mlpInput, parse } from '../test/fixtures';
import { describePath, flattenConfig, knownPaths, paramAt, suggestPath } from './index';

describe('flattenConfig', () => {
  it('flattens an MLP with indexed hidden layers and derived scalars', () => {
    expect(flattenConfig(parse(mlpInput({ hiddenLayers: [128, 64] })))).toEqual({
      'dataset.name': 'mnist',
      'dataset.trainSize': 8000,
      'dataset.testSize': 2000,
      'dataset.splitSeed': 0,
      'model.kind': 'mlp',
      'model.hiddenLayers[0]': 128,
      'model.hiddenLayers[1]': 64,
      'model.activation': 'relu',
      'model.dropout': 0,
      'optimizer.name': 'adam',
      'optimizer.learningRate': 0.001,
      'optimizer.beta1': 0.9,
      'optimizer.beta2': 0.999,
      'optimizer.epsilon': 1e-7,
      'optimizer.weightDecay': 0,
      'schedule.kind': 'constant',
      batchSize: 32,
      epochs: 5,
      seed: 0,
      // (784+1)·128 + (128+1)·64 + (64+1)·10 = 100,480 + 8,256 + 650
      params: 109_386,
      flopsPerSample: 2 * (784 * 128 + 128 * 64 + 64 * 10),
      'model.depth': 2,
      'model.width': 128,
    });
  });

  it('flattens conv layers and leaves out an absent pool', () => {
    const flat = flattenConfig(
      parse(
        cnnInput({
          convLayers: [
            { filters: 8, kernelSize: 5, pool: { kind: 'max', size: 2 } },
            { filters: 16, kernelSize: 3 },
          ],
          dense: [32],
        }),
      ),
    );
    expect(flat).toMatchObject({
      'model.convLayers[0].kernelSize': 5,
      'model.convLayers[0].pool.kind': 'max',
      'model.convLayers[0].pool.stride': 2,
      'model.convLayers[1].filters': 16,
      'model.convLayers[1].padding': 'valid',
      'model.dense[0]': 32,
      'model.depth': 2,
      'model.width': 16,
    });
    expect(Object.keys(flat).filter((key) => key.startsWith('model.convLayers[1].pool'))).toEqual([]);
  });

  it('gives a logistic regression depth and width 0', () => {
    expect(flattenConfig(parse(mlpInput({ hiddenLayers: [] })))).toMatchObject({ 'model.depth': 0, 'model.width': 0 });
  });
});

describe('describePath', () => {
  const configs = [
    parse(mlpInput({ hiddenLayers: [64, 32], dropout: 0.1 }, { optimizer: { name: 'momentum', learningRate: 0.1 } })),
    parse(
      cnnInput(
        { convLayers: [{ filters: 4, kernelSize: 3, pool: { kind: 'avg', size: 2, stride: 1 } }], dense: [8, 8] },
        { optimizer: { name: 'rmsprop', learningRate: 0.01 }, schedule: { kind: 'oneCycle' } },
      ),
    ),
    parse(
      mlpInput({}, { dataset: { name: 'spirals', trainSize: 100, testSize: 100 }, schedule: { kind: 'warmupCosine', warmupSteps: 3, minLearningRate: 0 } }),
    ),
    parse(mlpInput({}, { schedule: { kind: 'step', stepSize: 10, gamma: 0.5 } })),
  ];

  it('describes every key flattenConfig produces, with the type of its value', () => {
    for (const config of configs) {
      for (const [path, value] of Object.entries(flattenConfig(config))) {
        const info = describePath(path);
        expect(info, path).toBeDefined();
        expect(info?.type, path).toBe(typeof value);
        if (info?.values) expect(info.values, path).toContain(value);
        if (info?.integer) expect(Number.isInteger(value), path).toBe(true);
      }
    }
  });

  it('works for any index', () => {
    expect(describePath('model.convLayers[7].stride')).toMatchObject({ type: 'number', integer: true });
    expect(describePath('model.hiddenLayers[12]')?.type).toBe('number');
    expect(describePath('model.convLayers[3].padding')?.values).toEqual(['same', 'valid']);
  });

  it('lists enum values, merged across variants', () => {
    expect(describePath('dataset.name')?.values).toEqual(['mnist', 'spirals']);
    expect(describePath('model.kind')?.values).toEqual(['mlp', 'cnn']);
    expect(describePath('optimizer.name')?.values).toEqual(['sgd', 'momentum', 'adam', 'rmsprop']);
    expect(describePath('optimizer.nesterov')?.type).toBe('boolean');
  });

  it('marks derived paths and says when a field applies', () => {
    expect(describePath('params')).toMatchObject({ type: 'number', derived: true });
    expect(describePath('optimizer.learningRate')?.derived).toBeUndefined();
    expect(describePath('optimizer.beta1')?.description).toContain('only when optimizer.name is adam');
    expect(describePath('optimizer.learningRate')?.description).not.toContain('only when');
  });

  it('returns undefined for unknown paths', () => {
    expect(describePath('optimizer.learingRate')).toBeUndefined();
    expect(describePath('model')).toBeUndefined();
    expect(describePath('model.convLayers[x].stride')).toBeUndefined();
  });
});

describe('knownPaths', () => {
  it('uses [] for indices and includes the derived paths', () => {
    const paths = knownPaths();
    expect(paths).toContain('model.convLayers[].kernelSize');
    expect(paths).toContain('model.convLayers[].pool.stride');
    expect(paths).toContain('model.hiddenLayers[]');
    expect(paths).toEqual(expect.arrayContaining(['params', 'flopsPerSample', 'model.depth', 'model.width']));
    for (const path of paths) expect(describePath(path), path).toBeDefined();
  });
});

describe('suggestPath', () => {
  it('finds the path a typo meant, keeping indices', () => {
    expect(suggestPath('optimizer.learingRate')).toBe('optimizer.learningRate');
    expect(suggestPath('model.convLayers[2].kernalSize')).toBe('model.convLayers[2].kernelSize');
    expect(suggestPath('batchsize')).toBe('batchSize');
  });

  it('matches a bare name against the last segment', () => {
    expect(suggestPath('learningRate')).toBe('optimizer.learningRate');
    expect(suggestPath('depth')).toBe('model.depth');
  });

  it('gives nothing for a name that resembles no path', () => {
    expect(suggestPath('colour')).toBeUndefined();
    expect(suggestPath('optimizer.foo')).toBeUndefined();
  });
});

describe('paramAt', () => {
  it('reads a flattened path, and nothing that is not a key of its own', () => {
    const flat = flattenConfig(parse(mlpInput()));
    expect(paramAt(flat, 'batchSize')).toBe(32);
    expect(paramAt(flat, 'model.hiddenLayers[0]')).toBe(128);
    for (const path of ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'missing']) expect(paramAt(flat, path)).toBeUndefined();
    expect(paramAt(JSON.parse('{"__proto__": 1}'), '__proto__')).toBe(1);
  });
});
