import type { Run } from './run';

/** The subset of TF.js's callback interface `model.fit` calls; structural, so the SDK needs no TF.js. */
export interface FitCallback {
  onBatchEnd(batch: number, logs?: Record<string, unknown>): Promise<void>;
  onEpochEnd(epoch: number, logs?: Record<string, unknown>): Promise<void>;
}

/**
 * Logs from `model.fit(x, y, { callbacks: [tuneboardCallback(run)] })`: every batch's logs under `train.*`
 * at a global step, and every epoch's (including `val_*` as `test.*`) at the step the epoch ended.
 */
export function tuneboardCallback(run: Run, options: { every?: number } = {}): FitCallback {
  const every = options.every ?? 1;
  let step = -1;
  const numbers = (logs: Record<string, unknown> | undefined, rename: (key: string) => string) => {
    const out: Record<string, number> = {};
    for (const [key, value] of Object.entries(logs ?? {})) if (typeof value === 'number' && key !== 'batch' && key !== 'size') out[rename(key)] = value;
    return out;
  };
  return {
    async onBatchEnd(_batch, logs) {
      step++;
      if (step % every === 0)
        run.log(
          numbers(logs, (key) => `train.${key === 'acc' ? 'accuracy' : key}`),
          step,
        );
    },
    async onEpochEnd(epoch, logs) {
      const metrics = numbers(logs, (key) => {
        const name = key === 'acc' ? 'accuracy' : key === 'val_acc' ? 'val_accuracy' : key;
        return name.startsWith('val_') ? `test.${name.slice(4)}` : `train.epoch_${name}`;
      });
      run.log({ ...metrics, epoch: epoch + 1 }, Math.max(step, 0));
    },
  };
}
