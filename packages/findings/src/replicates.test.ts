import { describe, expect, it } from 'vitest';
import { configurationKey, experimentKey, isSeedPath } from './replicates';

describe('replicates', () => {
  it('recognises seed paths by their last segment', () => {
    for (const path of ['seed', 'data.seed', 'random_seed', 'trainer.initSeed', 'SEED', 'np-seed']) expect(isSeedPath(path)).toBe(true);
    for (const path of ['seeds', 'seedling', 'seed.count', 'optimizer.learningRate', 'reseeded']) expect(isSeedPath(path)).toBe(false);
  });

  it('groups runs that differ only by seed into one configuration, and only identical seeds into one experiment', () => {
    const a = { batchSize: 32, 'optimizer.name': 'adam', seed: 1 };
    const b = { seed: 2, 'optimizer.name': 'adam', batchSize: 32 };
    expect(configurationKey(a)).toBe(configurationKey(b));
    expect(experimentKey(a)).not.toBe(experimentKey(b));
    expect(experimentKey(a)).toBe(experimentKey({ ...a }));
    expect(configurationKey(a)).not.toBe(configurationKey({ ...a, batchSize: 64 }));
  });

  it('keeps value types apart: the number 2 and the string "2" are different configurations, 2 and 2.0 the same', () => {
    expect(configurationKey({ x: 2 })).not.toBe(configurationKey({ x: '2' }));
    expect(configurationKey({ x: 2 })).toBe(configurationKey({ x: 2.0 }));
    expect(configurationKey({ x: true })).not.toBe(configurationKey({ x: 'true' }));
  });
});
