import { afterEach, describe, expect, it } from 'vitest';
import { BACKEND_NAMES, BackendUnavailableError, parseBackendName, selectBackend } from './backends';

const savedEnv = process.env.TUNEBOARD_BACKEND;
afterEach(() => {
  if (savedEnv === undefined) delete process.env.TUNEBOARD_BACKEND;
  else process.env.TUNEBOARD_BACKEND = savedEnv;
});

/** Whether an optional native package is installed and loads here (it is not on the dev machines). */
async function loads(specifier: string): Promise<boolean> {
  try {
    await import(specifier);
    return true;
  } catch {
    return false;
  }
}

function processListenerCount(): number {
  return process.listeners('unhandledRejection').length + process.listeners('uncaughtException').length;
}

describe('selectBackend', () => {
  it('picks the first backend that works and says what device it runs on', async () => {
    delete process.env.TUNEBOARD_BACKEND;
    const listeners = processListenerCount();
    const backend = await selectBackend();
    // The wasm module's rethrowing listeners are removed again.
    expect(processListenerCount()).toBe(listeners);
    expect(BACKEND_NAMES).toContain(backend.name);
    expect(backend.device).not.toBe('');
    expect(backend.tf.getBackend()).toBe(backend.engineBackend);
    if (!(await loads('@tensorflow/tfjs-node'))) {
      // Without the native packages, wasm is the fastest backend.
      expect(backend).toMatchObject({ name: 'wasm', device: 'cpu (wasm SIMD, 1 thread)' });
    }
  });

  it('follows TUNEBOARD_BACKEND', async () => {
    process.env.TUNEBOARD_BACKEND = 'cpu';
    const backend = await selectBackend();
    expect(backend).toMatchObject({ name: 'cpu', engineBackend: 'cpu', device: 'cpu (JavaScript, 1 thread)' });
    expect(backend.tf.getBackend()).toBe('cpu');
  });

  it('rejects an unknown TUNEBOARD_BACKEND with the names it accepts', async () => {
    process.env.TUNEBOARD_BACKEND = 'gpu';
    await expect(selectBackend()).rejects.toThrow('TUNEBOARD_BACKEND "gpu" is not a backend; use one of: tensorflow-gpu, tensorflow, wasm, cpu');
    expect(parseBackendName(' wasm ')).toBe('wasm');
    expect(parseBackendName('')).toBeUndefined();
  });

  it('fails clearly when a forced backend is not available', async () => {
    if (await loads('@tensorflow/tfjs-node')) return;
    const error = await selectBackend({ name: 'tensorflow' }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(BackendUnavailableError);
    expect((error as Error).message).toMatch(/^Backend tensorflow is not available: @tensorflow\/tfjs-node did not load/);
  });

  it('does not try tfjs-node-gpu without a CUDA GPU', async () => {
    process.env.TUNEBOARD_BACKEND = 'tensorflow-gpu';
    const outcome = await selectBackend().then(
      (backend) => backend.name,
      (error: unknown) => (error as Error).message,
    );
    expect(['tensorflow-gpu', 'Backend tensorflow-gpu is not available: no CUDA GPU found (nvidia-smi lists none)']).toContain(outcome);
  });
});
