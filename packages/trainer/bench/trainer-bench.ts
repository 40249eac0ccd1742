// Training throughput (samples/s) of an MLP and a small CNN on MNIST, per
// backend and batch size, and the wasm/cpu ratio the custom wasm kernels
// are for. Usage: npm run bench -w @tuneboard/trainer
import os from 'node:os';
import { validateRunConfig, type RunConfig } from '@tuneboard/hparams';
import { BACKEND_NAMES, BackendUnavailableError, selectBackend, type BackendName, type TrainingBackend } from '../src/backends';
import { disposeBatch, epochOrder, makeBatch } from '../src/batches';
import { loadDataset } from '../src/datasets';
import { TrainingSession } from '../src/session';

const REQUIRED_CNN_RATIO = 30;
const BATCH_SIZES = [32, 256] as const;
/** Timed seconds per measurement: cpu is slow, so it gets few steps. */
const BUDGET_SECONDS: Record<BackendName, number> = { 'tensorflow-gpu': 2, tensorflow: 2, wasm: 2, cpu: 2.5 };

const MODELS = {
  'MLP 784-128-10': { kind: 'mlp', hiddenLayers: [128] },
  'CNN conv8-pool-conv16-pool-10': {
    kind: 'cnn',
    convLayers: [
      { filters: 8, kernelSize: 3, pool: { kind: 'max', size: 2 } },
      { filters: 16, kernelSize: 3, pool: { kind: 'max', size: 2 } },
    ],
  },
} as const;
type ModelName = keyof typeof MODELS;

function configFor(model: (typeof MODELS)[ModelName], batchSize: number): RunConfig {
  const result = validateRunConfig({
    dataset: { name: 'mnist', trainSize: 4096, testSize: 100 },
    model,
    optimizer: { name: 'sgd', learningRate: 0.01 },
    batchSize,
    epochs: 1,
  });
  if (!result.ok) throw new Error(JSON.stringify(result.issues));
  return result.config;
}

/** Samples per second of optimizer steps, after one untimed warm-up step. */
async function measure(backend: TrainingBackend, config: RunConfig): Promise<{ samplesPerSecond: number; steps: number }> {
  const { tf } = backend;
  const dataset = await loadDataset(config.dataset);
  const session = new TrainingSession(tf, config);
  const order = epochOrder(dataset.train.size, 0, 0);
  const stepAt = (step: number) => {
    const start = (step * config.batchSize) % (dataset.train.size - config.batchSize);
    const batch = makeBatch(tf, dataset, dataset.train, order, start, start + config.batchSize);
    session.step(batch, config.optimizer.learningRate, step);
    disposeBatch(batch);
  };
  stepAt(0);
  const started = performance.now();
  let steps = 0;
  while (steps < 2 || performance.now() - started < BUDGET_SECONDS[backend.name] * 1000) stepAt(++steps);
  const seconds = (performance.now() - started) / 1000;
  session.dispose();
  return { samplesPerSecond: (steps * config.batchSize) / seconds, steps };
}

const results = new Map<string, number>();
const key = (backend: BackendName, model: ModelName, batch: number) => `${backend}|${model}|${batch}`;
const benchStarted = performance.now();

console.log(
  `trainer bench ${new Date().toISOString().slice(0, 10)} · ${os.cpus()[0]?.model ?? 'cpu'} × ${os.availableParallelism()} · Node ${process.version}`,
);
for (const name of BACKEND_NAMES) {
  let backend: TrainingBackend;
  try {
    backend = await selectBackend({ name });
  } catch (error) {
    if (!(error instanceof BackendUnavailableError)) throw error;
    console.log(`\n${name}: skipped (${error.message})`);
    continue;
  }
  console.log(`\n${name} — ${backend.device} (init ${backend.initMs} ms)`);
  for (const modelName of Object.keys(MODELS) as ModelName[]) {
    for (const batchSize of BATCH_SIZES) {
      const { samplesPerSecond, steps } = await measure(backend, configFor(MODELS[modelName], batchSize));
      results.set(key(name, modelName, batchSize), samplesPerSecond);
      console.log(`  ${modelName.padEnd(30)} batch ${String(batchSize).padStart(3)}: ${samplesPerSecond.toFixed(0).padStart(7)} samples/s (${steps} steps)`);
    }
  }
}

console.log('\nwasm / cpu');
let pass = true;
for (const modelName of Object.keys(MODELS) as ModelName[]) {
  for (const batchSize of BATCH_SIZES) {
    const wasm = results.get(key('wasm', modelName, batchSize));
    const cpu = results.get(key('cpu', modelName, batchSize));
    if (wasm === undefined || cpu === undefined) continue;
    const ratio = wasm / cpu;
    const isCnn = modelName.startsWith('CNN');
    if (isCnn && ratio < REQUIRED_CNN_RATIO) pass = false;
    const verdict = isCnn ? (ratio >= REQUIRED_CNN_RATIO ? `PASS (≥ ${REQUIRED_CNN_RATIO}×)` : `FAIL (< ${REQUIRED_CNN_RATIO}×)`) : '';
    console.log(`  ${modelName.padEnd(30)} batch ${String(batchSize).padStart(3)}: ${ratio.toFixed(1).padStart(6)}×  ${verdict}`);
  }
}
const measuredCnn = [...results.keys()].some((k) => k.startsWith('wasm|CNN')) && [...results.keys()].some((k) => k.startsWith('cpu|CNN'));
if (!measuredCnn) pass = false;
console.log(`\nCNN training on wasm vs cpu: ${pass ? 'PASS' : 'FAIL'} · ${((performance.now() - benchStarted) / 1000).toFixed(0)} s`);
if (!pass) process.exitCode = 1;
