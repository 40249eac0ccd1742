// Small valid inputs the tests start from and vary.
import { validateRunConfig, type RunConfig } from '../src/index';

export function mlpInput(model: Record<string, unknown> = {}, overrides: Record<string, unknown> = {}) {
  return {
    dataset: { name: 'mnist', trainSize: 8000, testSize: 2000 },
    model: { kind: 'mlp', hiddenLayers: [128], ...model },
    optimizer: { name: 'adam', learningRate: 0.001 },
    batchSize: 32,
    epochs: 5,
    ...overrides,
  };
}

export function cnnInput(model: Record<string, unknown> = {}, overrides: Record<string, unknown> = {}) {
  return {
    dataset: { name: 'mnist', trainSize: 8000, testSize: 2000 },
    model: { kind: 'cnn', convLayers: [{ filters: 8, kernelSize: 3, pool: { kind: 'max', size: 2 } }], dense: [], ...model },
    optimizer: { name: 'sgd', learningRate: 0.1 },
    batchSize: 64,
    epochs: 2,
    ...overrides,
  };
}

/** Validates and returns the normalized config, failing the test with the issues otherwise. */
export function parse(input: unknown): RunConfig {
  const result = validateRunConfig(input);
  if (!result.ok) throw new Error(`expected a valid config, got ${JSON.stringify(result.issues, null, 2)}`);
  return result.config;
}
