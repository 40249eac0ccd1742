import { TuneboardError, type RunLease, type TuneboardClient } from '@tuneboard/sdk';
import { selectBackend } from '@tuneboard/trainer';
import { describe, expect, it } from 'vitest';
import type { ProgressReporter } from './progress';
import { trainLeasedRun } from './worker';

// A real (tiny) training run against a scripted API, to pin down what the worker reports when the API fails.
const lease: RunLease = {
  leaseToken: 'lease-1',
  leaseExpiresAt: new Date(Date.now() + 30_000).toISOString(),
  leaseSeconds: 30,
  attempt: 1,
  run: {
    id: 'run-1',
    name: 'tiny',
    projectId: 'project-1',
    hparams: {
      dataset: { name: 'spirals', trainSize: 200, testSize: 100 },
      model: { kind: 'mlp', hiddenLayers: [8] },
      optimizer: { name: 'adam', learningRate: 0.01 },
      batchSize: 32,
      epochs: 1,
    },
  },
};
const quiet: ProgressReporter = { log() {}, start() {}, update() {}, done() {} };

function scriptedClient(overrides: Partial<Record<'logMetrics' | 'finishRun', (input: never) => Promise<unknown>>>) {
  const finished: { outcome: string; error?: string }[] = [];
  const client = {
    heartbeatRun: async () => ({ cancelled: false, leaseExpiresAt: null }),
    logMetrics: overrides.logMetrics ?? (async () => 1),
    finishRun: async (input: { outcome: string; error?: string }) => {
      await overrides.finishRun?.(input as never);
      finished.push({ outcome: input.outcome, ...(input.error ? { error: input.error } : {}) });
      return { id: 'run-1', status: input.outcome };
    },
  } as unknown as TuneboardClient;
  return { client, finished };
}

describe('the worker reporting a run', () => {
  it('reports FAILED, not SUCCEEDED, when its metrics could not be stored', async () => {
    const { client, finished } = scriptedClient({
      logMetrics: async () => {
        throw new TuneboardError('metrics[0].key must be a non-empty string', 'BAD_USER_INPUT');
      },
    });
    await trainLeasedRun(client, lease, await selectBackend({ name: 'wasm' }), quiet);
    expect(finished).toHaveLength(1);
    expect(finished[0]!.outcome).toBe('FAILED');
    expect(finished[0]!.error).toMatch(/^\d+ metric points could not be stored: metrics\[0\]\.key must be a non-empty string$/);
  });

  it('retries reporting the outcome through a network blip instead of calling the run failed', async () => {
    let calls = 0;
    const { client, finished } = scriptedClient({
      finishRun: async () => {
        if (calls++ === 0) throw new TuneboardError('Cannot reach Tuneboard: fetch failed', 'NETWORK', [], true);
      },
    });
    await trainLeasedRun(client, lease, await selectBackend({ name: 'wasm' }), quiet);
    expect(finished).toEqual([{ outcome: 'SUCCEEDED' }]);
  });
});
