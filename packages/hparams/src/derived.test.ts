import { describe, expect, it } from 'vitest';
import { cnnInput, mlpInput, parse } from '../test/fixtures';
import { convOutputSize, deriveFacts, plannedSteps, stepsPerEpoch, totalSteps } from './index';

const spirals = { name: 'spirals', trainSize: 1000, testSize: 200 };

function summary(input: unknown) {
  return deriveFacts(parse(input)).layers.map((layer) => [layer.kind, layer.outputShape, layer.params]);
}

describe('MLP parameter counts (dense = (in + 1) · out)', () => {
  it('784-128-10 on mnist', () => {
    // flatten 28·28·1 = 784; (784+1)·128 = 100,480; (128+1)·10 = 1,290; total 101,770
    const facts = deriveFacts(parse(mlpInput({ hiddenLayers: [128] })));
    expect(facts.parameterCount).toBe(101_770);
    expect(facts.inputShape).toEqual([28, 28, 1]);
    expect(facts.outputClasses).toBe(10);
    expect(facts.layers.map((layer) => [layer.name, layer.kind, layer.outputShape, layer.params])).toEqual([
      ['flatten_1', 'flatten', [784], 0],
      ['dense_1', 'dense', [128], 100_480],
      ['output', 'dense', [10], 1_290],
    ]);
  });

  it('logistic regression on mnist', () => {
    // (784+1)·10 = 7,850
    expect(deriveFacts(parse(mlpInput({ hiddenLayers: [] }))).parameterCount).toBe(7_850);
  });

  it('2-16-16-2 on spirals, with no flatten for a flat input', () => {
    // (2+1)·16 = 48; (16+1)·16 = 272; (16+1)·2 = 34; total 354
    const input = mlpInput({ hiddenLayers: [16, 16] }, { dataset: spirals });
    expect(deriveFacts(parse(input)).parameterCount).toBe(354);
    expect(summary(input)).toEqual([
      ['dense', [16], 48],
      ['dense', [16], 272],
      ['dense', [2], 34],
    ]);
  });

  it('784-256-128-10 with dropout after each hidden layer', () => {
    // (784+1)·256 = 200,960; (256+1)·128 = 32,896; (128+1)·10 = 1,290; total 235,146
    const input = mlpInput({ hiddenLayers: [256, 128], dropout: 0.2 });
    expect(deriveFacts(parse(input)).parameterCount).toBe(235_146);
    expect(summary(input)).toEqual([
      ['flatten', [784], 0],
      ['dense', [256], 200_960],
      ['dropout', [256], 0],
      ['dense', [128], 32_896],
      ['dropout', [128], 0],
      ['dense', [10], 1_290],
    ]);
  });
});

describe('CNN parameter counts (conv = (k·k·inChannels + 1) · filters)', () => {
  it('one 3×3 conv with 2×2 max pooling', () => {
    // conv (3·3·1+1)·8 = 80 → 26×26×8; pool → 13×13×8; flatten 1,352; (1352+1)·10 = 13,530; total 13,610
    const input = cnnInput();
    expect(deriveFacts(parse(input)).parameterCount).toBe(13_610);
    expect(summary(input)).toEqual([
      ['conv2d', [26, 26, 8], 80],
      ['maxPool', [13, 13, 8], 0],
      ['flatten', [1352], 0],
      ['dense', [10], 13_530],
    ]);
  });

  it('the Keras MNIST example: 32c3-64c3-maxpool2-128-10', () => {
    // conv (9+1)·32 = 320 → 26×26×32; conv (9·32+1)·64 = 18,496 → 24×24×64; pool → 12×12×64 = 9,216;
    // (9216+1)·128 = 1,179,776; (128+1)·10 = 1,290; total 1,199,882
    const input = cnnInput({
      convLayers: [
        { filters: 32, kernelSize: 3 },
        { filters: 64, kernelSize: 3, pool: { kind: 'max', size: 2 } },
      ],
      dense: [128],
      dropout: 0.25,
    });
    expect(deriveFacts(parse(input)).parameterCount).toBe(1_199_882);
    expect(summary(input)).toEqual([
      ['conv2d', [26, 26, 32], 320],
      ['conv2d', [24, 24, 64], 18_496],
      ['maxPool', [12, 12, 64], 0],
      ['flatten', [9216], 0],
      ['dropout', [9216], 0],
      ['dense', [128], 1_179_776],
      ['dropout', [128], 0],
      ['dense', [10], 1_290],
    ]);
  });

  it('same padding with strides and an overlapping average pool', () => {
    // conv 5×5 stride 2 same: ceil(28/2) = 14 → 14×14×16, (25+1)·16 = 416
    // conv 3×3 same: 14×14×32, (9·16+1)·32 = 4,640; avg pool 3 stride 2: floor((14-3)/2)+1 = 6 → 6×6×32 = 1,152
    // (1152+1)·64 = 73,792; (64+1)·10 = 650; total 79,498
    const input = cnnInput({
      convLayers: [
        { filters: 16, kernelSize: 5, stride: 2, padding: 'same' },
        { filters: 32, kernelSize: 3, padding: 'same', pool: { kind: 'avg', size: 3, stride: 2 } },
      ],
      dense: [64],
    });
    expect(deriveFacts(parse(input)).parameterCount).toBe(79_498);
    expect(summary(input).map(([kind, shape]) => [kind, shape])).toEqual([
      ['conv2d', [14, 14, 16]],
      ['conv2d', [14, 14, 32]],
      ['avgPool', [6, 6, 32]],
      ['flatten', [1152]],
      ['dense', [64]],
      ['dense', [10]],
    ]);
  });

  it('valid padding with a stride that does not divide evenly', () => {
    // floor((28-5)/3)+1 = 8 → 8×8×4, (25+1)·4 = 104; flatten 256; (256+1)·10 = 2,570; total 2,674
    const input = cnnInput({ convLayers: [{ filters: 4, kernelSize: 5, stride: 3 }] });
    expect(summary(input)).toEqual([
      ['conv2d', [8, 8, 4], 104],
      ['flatten', [256], 0],
      ['dense', [10], 2_570],
    ]);
  });

  it('names layers by kind and order, the last one output', () => {
    const facts = deriveFacts(
      parse(
        cnnInput({
          convLayers: [
            { filters: 2, kernelSize: 3 },
            { filters: 2, kernelSize: 3 },
          ],
          dense: [4],
        }),
      ),
    );
    expect(facts.layers.map((layer) => layer.name)).toEqual(['conv2d_1', 'conv2d_2', 'flatten_1', 'dense_1', 'output']);
  });
});

describe('output sizes follow TensorFlow.js', () => {
  it('same = ceil(in / stride), valid = floor((in - k) / stride) + 1', () => {
    expect(convOutputSize(28, 3, 1, 'same')).toBe(28);
    expect(convOutputSize(28, 3, 3, 'same')).toBe(10);
    expect(convOutputSize(28, 3, 1, 'valid')).toBe(26);
    expect(convOutputSize(28, 3, 2, 'valid')).toBe(13);
    expect(convOutputSize(13, 2, 2, 'valid')).toBe(6);
    expect(convOutputSize(3, 5, 1, 'valid')).toBeLessThanOrEqual(0);
  });
});

describe('FLOPs per sample (2 × multiply-adds)', () => {
  it('counts dense layers', () => {
    // 2·(784·128 + 128·10) = 203,264
    expect(deriveFacts(parse(mlpInput({ hiddenLayers: [128] }))).flopsPerSample).toBe(203_264);
  });

  it('counts conv layers over their output positions', () => {
    // conv 2·(3·3·1)·8·26·26 = 97,344; dense 2·1352·10 = 27,040; total 124,384
    expect(deriveFacts(parse(cnnInput())).flopsPerSample).toBe(124_384);
  });
});

describe('steps', () => {
  it('rounds a short last batch up', () => {
    const config = parse(mlpInput({}, { dataset: { name: 'mnist', trainSize: 1000, testSize: 100 }, batchSize: 64, epochs: 3 }));
    expect(stepsPerEpoch(config)).toBe(16); // ceil(1000 / 64)
    expect(totalSteps(config)).toBe(48);
    expect(plannedSteps(config)).toBe(48);
  });

  it('plans a range test by its own steps, not the epochs', () => {
    const config = parse(mlpInput({}, { epochs: 3, lrRangeTest: { steps: 150 } }));
    expect(plannedSteps(config)).toBe(150);
  });
});

describe('deriveFacts on an unvalidated config', () => {
  it('throws instead of returning impossible shapes', () => {
    const config = parse(cnnInput());
    const broken = { ...config, model: { ...config.model, convLayers: [{ filters: 1, kernelSize: 99, stride: 1, padding: 'valid' as const }] } };
    expect(() => deriveFacts(broken)).toThrow(/model\.convLayers\[0\]\.kernelSize/);
  });
});
