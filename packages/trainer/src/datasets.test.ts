import { describe, expect, it } from 'vitest';
import { loadDataset, spiralSamples, type DataSplit } from './datasets';

/** A cheap fingerprint of each sample's pixels, to compare samples across splits. */
function fingerprints(split: DataSplit): string[] {
  const features = split.inputs.length / split.size;
  const keys: string[] = [];
  for (let i = 0; i < split.size; i++) {
    let hash = 0;
    for (let j = 0; j < features; j++) hash = (Math.imul(hash, 31) + Math.round(split.inputs[i * features + j]! * 1000)) | 0;
    keys.push(`${split.labels[i]}:${hash}`);
  }
  return keys;
}

describe('mnist', () => {
  it('splits all 10,000 digits into train and test without repeating one', async () => {
    const dataset = await loadDataset({ name: 'mnist', trainSize: 8000, testSize: 2000, splitSeed: 0 });
    expect(dataset.inputShape).toEqual([28, 28, 1]);
    expect(dataset.train.inputs.length).toBe(8000 * 784);
    const all = [...fingerprints(dataset.train), ...fingerprints(dataset.test)];
    // The package's set() would repeat digits of short classes; a seeded permutation cannot.
    expect(new Set(all).size).toBeGreaterThan(9990);
    const train = new Set(fingerprints(dataset.train));
    expect(fingerprints(dataset.test).filter((key) => train.has(key)).length).toBeLessThan(5);
  });

  it('normalises pixels to [0, 1] and keeps every class in both splits', async () => {
    const { train, test } = await loadDataset({ name: 'mnist', trainSize: 1000, testSize: 500, splitSeed: 1 });
    const [min, max] = train.inputs.reduce(([lo, hi], value) => [Math.min(lo, value), Math.max(hi, value)], [1, 0]);
    expect(min).toBe(0);
    expect(max).toBeLessThanOrEqual(1);
    expect(max).toBeGreaterThan(0.9);
    for (const split of [train, test]) {
      const counts = new Array<number>(10).fill(0);
      for (const label of split.labels) counts[label]!++;
      expect(Math.min(...counts)).toBeGreaterThan(split.size * 0.05);
    }
  });

  it('is deterministic for a split seed and differs between seeds', async () => {
    const a = await loadDataset({ name: 'mnist', trainSize: 100, testSize: 50, splitSeed: 7 });
    const b = await loadDataset({ name: 'mnist', trainSize: 100, testSize: 50, splitSeed: 7 });
    const c = await loadDataset({ name: 'mnist', trainSize: 100, testSize: 50, splitSeed: 8 });
    expect(b.train.labels).toEqual(a.train.labels);
    expect(b.test.inputs).toEqual(a.test.inputs);
    expect(c.train.labels).not.toEqual(a.train.labels);
  });
});

describe('spirals', () => {
  it('draws balanced classes in the unit square, the same for the same seed', () => {
    const a = spiralSamples(1000, 3);
    expect(spiralSamples(1000, 3).inputs).toEqual(a.inputs);
    expect(spiralSamples(1000, 4).inputs).not.toEqual(a.inputs);
    expect(a.labels.reduce((sum, label) => sum + label, 0)).toBe(500);
    expect(a.inputs.every((value) => Math.abs(value) < 1.2)).toBe(true);
  });

  it('puts each class on its own arm: θ ≈ 3π·r + class·π', () => {
    const { inputs, labels, size } = spiralSamples(2000, 5);
    /** Share of points (away from the centre, where noise dominates the angle) near the arm of `armOf(label)`. */
    const shareNearArm = (armOf: (label: number) => number) => {
      let near = 0;
      let counted = 0;
      for (let i = 0; i < size; i++) {
        const [x, y] = [inputs[2 * i]!, inputs[2 * i + 1]!];
        const radius = Math.hypot(x, y);
        if (radius < 0.3) continue;
        const offset = Math.atan2(y, x) - (3 * Math.PI * radius + armOf(labels[i]!) * Math.PI);
        counted++;
        if (Math.abs(Math.atan2(Math.sin(offset), Math.cos(offset))) < 0.6) near++;
      }
      return near / counted;
    };
    expect(shareNearArm((label) => label)).toBeGreaterThan(0.9);
    expect(shareNearArm((label) => 1 - label)).toBeLessThan(0.1);
  });

  it('splits into train and test of the requested sizes', async () => {
    const dataset = await loadDataset({ name: 'spirals', trainSize: 300, testSize: 100, splitSeed: 0 });
    expect([dataset.train.size, dataset.test.size, dataset.classes]).toEqual([300, 100, 2]);
    expect(dataset.test.inputs.length).toBe(200);
  });
});
