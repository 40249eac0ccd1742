// Small valid configs the tests start from and vary.
import { validateRunConfig, type RunConfig } from '@tuneboard/hparams';

export function parseConfig(input: unknown): RunConfig {
  const result = validateRunConfig(input);
  if (!result.ok) throw new Error(`invalid test config: ${JSON.stringify(result.issues)}`);
  return result.config;
}

export function spiralsMlp(overrides: Record<string, unknown> = {}): RunConfig {
  return parseConfig({
    dataset: { name: 'spirals', trainSize: 2000, testSize: 1000 },
    model: { kind: 'mlp', hiddenLayers: [64, 64], activation: 'relu' },
    optimizer: { name: 'adam', learningRate: 0.01 },
    batchSize: 32,
    epochs: 10,
    ...overrides,
  });
}

export function mnistCnn(model: Record<string, unknown> = {}, overrides: Record<string, unknown> = {}): RunConfig {
  return parseConfig({
    dataset: { name: 'mnist', trainSize: 256, testSize: 100 },
    model: { kind: 'cnn', convLayers: [{ filters: 4, kernelSize: 3, pool: { kind: 'max', size: 2 } }], dense: [], ...model },
    optimizer: { name: 'sgd', learningRate: 0.05 },
    batchSize: 32,
    epochs: 1,
    ...overrides,
  });
}
