// Chooses the TensorFlow.js backend a run trains on: a CUDA GPU through
// tfjs-node-gpu, else native libtensorflow through tfjs-node, else WebAssembly,
// else plain JavaScript. The native packages are optional dependencies whose
// install downloads libtensorflow; where that failed they are simply absent.
import { execFile } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { promisify } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { BACKEND_NAMES, isBackendName, type BackendName } from '@tuneboard/hparams';
import { readTrainerEnv } from './env';
import { registerWasmTrainingKernels } from './wasm-kernels';

export type Tf = typeof tf;

// The names live in packages/hparams (no TensorFlow.js there), in order of preference; re-exported for callers.
export { BACKEND_NAMES, type BackendName };

export interface TrainingBackend {
  tf: Tf;
  name: BackendName;
  /** What does the arithmetic, recorded with every run: `NVIDIA A10G`, `cpu (wasm SIMD, 1 thread)`. */
  device: string;
  /** The TF.js engine backend this activates (`tf.setBackend` name). */
  engineBackend: 'tensorflow' | 'wasm' | 'cpu';
  /** Time spent importing and initialising it, in milliseconds. */
  initMs: number;
}

export class BackendUnavailableError extends Error {
  constructor(
    readonly backend: BackendName,
    reason: string,
  ) {
    super(`Backend ${backend} is not available: ${reason}`);
    this.name = 'BackendUnavailableError';
  }
}

export interface SelectBackendOptions {
  /** Force one backend; defaults to env TUNEBOARD_BACKEND, else the first that works. */
  name?: BackendName | undefined;
}

/**
 * The best backend that works here, or the forced one (`options.name`, else
 * env TUNEBOARD_BACKEND), which throws BackendUnavailableError if it does not.
 * Activates it: TF.js has one engine per process, so the last call wins.
 */
export async function selectBackend(options: SelectBackendOptions = {}): Promise<TrainingBackend> {
  const forced = options.name ?? parseBackendName(readTrainerEnv().backend);
  // Warnings such as "install the node backend" would go to stderr of every worker.
  tf.env().set('PROD', true);
  if (forced) return activate(forced);
  const reasons: string[] = [];
  for (const name of BACKEND_NAMES) {
    try {
      return await activate(name);
    } catch (error) {
      if (!(error instanceof BackendUnavailableError)) throw error;
      reasons.push(error.message);
    }
  }
  throw new Error(`No TensorFlow.js backend could be initialised:\n${reasons.join('\n')}`);
}

/** Makes `backend` the engine's active backend again (after another was selected). */
export async function activateBackend(backend: TrainingBackend): Promise<void> {
  if (tf.getBackend() !== backend.engineBackend && !(await tf.setBackend(backend.engineBackend))) {
    throw new BackendUnavailableError(backend.name, `tf.setBackend('${backend.engineBackend}') failed`);
  }
}

export function parseBackendName(value: string | undefined): BackendName | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const name = value.trim();
  if (!isBackendName(name)) {
    throw new Error(`TUNEBOARD_BACKEND ${JSON.stringify(value)} is not a backend; use one of: ${BACKEND_NAMES.join(', ')}`);
  }
  return name;
}

async function activate(name: BackendName): Promise<TrainingBackend> {
  const started = performance.now();
  const { engineBackend, device } = await initialise(name);
  if (!(await tf.setBackend(engineBackend))) {
    throw new BackendUnavailableError(name, `tf.setBackend('${engineBackend}') failed`);
  }
  await tf.ready();
  return { tf, name, device, engineBackend, initMs: Math.round(performance.now() - started) };
}

async function initialise(name: BackendName): Promise<Pick<TrainingBackend, 'engineBackend' | 'device'>> {
  switch (name) {
    case 'tensorflow-gpu': {
      // Without a CUDA driver tfjs-node-gpu either fails to load or quietly runs on the CPU.
      const gpus = await cudaGpuNames();
      if (gpus.length === 0) throw new BackendUnavailableError(name, 'no CUDA GPU found (nvidia-smi lists none)');
      await importNative(name, '@tensorflow/tfjs-node-gpu');
      return { engineBackend: 'tensorflow', device: gpus.join(', ') };
    }
    case 'tensorflow': {
      await importNative(name, '@tensorflow/tfjs-node');
      return { engineBackend: 'tensorflow', device: `cpu (libtensorflow, ${availableParallelism()} threads)` };
    }
    case 'wasm': {
      const restoreListeners = keepProcessListeners(['uncaughtException', 'unhandledRejection']);
      await import('@tensorflow/tfjs-backend-wasm');
      registerWasmTrainingKernels();
      const loaded = await tf.setBackend('wasm');
      restoreListeners();
      if (!loaded) throw new BackendUnavailableError(name, 'the WebAssembly module did not load');
      const simd = Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'));
      const threads = Boolean(await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT'));
      // Node has no SharedArrayBuffer workers for tfjs-backend-wasm, so it runs single-threaded here.
      return { engineBackend: 'wasm', device: `cpu (wasm${simd ? ' SIMD' : ''}, ${threads ? 'multi-threaded' : '1 thread'})` };
    }
    case 'cpu':
      return { engineBackend: 'cpu', device: 'cpu (JavaScript, 1 thread)' };
  }
}

/** Both native packages register the engine backend `tensorflow`; only one may load per process. */
let nativeLoaded: BackendName | undefined;

async function importNative(name: BackendName, specifier: string): Promise<void> {
  if (nativeLoaded && nativeLoaded !== name) {
    throw new BackendUnavailableError(name, `${nativeLoaded} is already loaded in this process`);
  }
  try {
    // A variable specifier: the packages are optional and usually not installed.
    const moduleName: string = specifier;
    await import(moduleName);
  } catch (error) {
    throw new BackendUnavailableError(name, `${specifier} did not load (${firstLine(error)})`);
  }
  if (!tf.findBackend('tensorflow')) throw new BackendUnavailableError(name, `${specifier} registered no backend`);
  nativeLoaded = name;
}

/**
 * The Emscripten module of tfjs-backend-wasm adds process listeners that
 * rethrow every uncaught exception and unhandled rejection from inside its
 * minified source, burying the real stack trace. Removes what was added.
 */
function keepProcessListeners(events: string[]): () => void {
  // Typed loosely: Node's overloads take one literal event name at a time.
  const emitter = process as unknown as NodeJS.EventEmitter;
  const before = new Map(events.map((event) => [event, new Set(emitter.listeners(event))]));
  return () => {
    for (const event of events) {
      for (const listener of emitter.listeners(event)) {
        if (!before.get(event)?.has(listener)) emitter.removeListener(event, listener as (...args: unknown[]) => void);
      }
    }
  };
}

const run = promisify(execFile);

async function cudaGpuNames(): Promise<string[]> {
  try {
    const { stdout } = await run('nvidia-smi', ['--query-gpu=name', '--format=csv,noheader'], { timeout: 5000 });
    return stdout
      .split('\n')
      .map((line) => line.trim())
      .filter(Boolean);
  } catch {
    return [];
  }
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? '';
}
