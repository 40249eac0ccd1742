import { describe, expect, it } from 'vitest';
import { closestMatch, editDistance } from './closest';

describe('editDistance', () => {
  it('counts insertions, deletions, substitutions and swaps as one edit each', () => {
    expect(editDistance('learningRate', 'learningRate')).toBe(0);
    expect(editDistance('learingRate', 'learningRate')).toBe(1);
    expect(editDistance('kernalSize', 'kernelSize')).toBe(1);
    expect(editDistance('stirde', 'stride')).toBe(1);
    expect(editDistance('', 'abc')).toBe(3);
    expect(editDistance('BatchSize', 'batchSize')).toBe(0);
  });
});

describe('closestMatch', () => {
  it('picks the nearest candidate within the tolerance', () => {
    expect(closestMatch('fiters', ['filters', 'kernelSize', 'stride'])).toBe('filters');
    expect(closestMatch('xyz', ['filters', 'kernelSize', 'stride'])).toBeUndefined();
  });
});
