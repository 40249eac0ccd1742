/**
 * The synthetic metric history every benchmark writes: `steps` steps per series, two keys per run, a noisy
 * decaying curve with one spike and one dip per series at known steps, so a downsampled read can be checked
 * for keeping them.
 */
export const KEYS = ['train.loss', 'test.accuracy'] as const;

export function seriesValues(run: number, key: number, steps: number): Float64Array {
  const values = new Float64Array(steps);
  for (let s = 0; s < steps; s++) values[s] = Math.exp(-s / (steps / 3)) * (1 + 0.05 * Math.sin(s * 0.37 + run + key));
  values[spikeStep(run, key, steps)] = spikeValue(run, key);
  values[dipStep(run, key, steps)] = dipValue(run, key);
  return values;
}

export const spikeStep = (run: number, key: number, steps: number) => (1009 + run * 131 + key * 17) % steps;
export const dipStep = (run: number, key: number, steps: number) => (steps - 1 - ((run * 97 + key * 29) % (steps / 4))) | 0;
export const spikeValue = (run: number, key: number) => 100 + run + key / 10;
export const dipValue = (run: number, key: number) => -50 - run - key / 10;

export function stepRange(steps: number): Int32Array {
  return Int32Array.from({ length: steps }, (_, i) => i);
}

export function wallTimes(steps: number, start: number): Float64Array {
  return Float64Array.from({ length: steps }, (_, i) => start + i * 10);
}

export const base64 = (a: Int32Array | Float64Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');
