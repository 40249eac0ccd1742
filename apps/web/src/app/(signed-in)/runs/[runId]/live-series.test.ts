import { describe, expect, it } from 'vitest';
import { appendPoints, chartGroupsFor, seriesByKey } from './live-series';

const held = seriesByKey([{ key: 'train.loss', steps: [0, 1, 2], values: [3, 2, 1], wallTimes: [10, 11, 12] }]);

describe('live series', () => {
  it('appends points that come after what is held', () => {
    const next = appendPoints(held, [{ key: 'train.loss', steps: [3, 4], values: [0.5, 'NaN'], wallTimes: [13, 14] }]);
    expect(next.get('train.loss')).toEqual({ key: 'train.loss', steps: [0, 1, 2, 3, 4], values: [3, 2, 1, 0.5, 'NaN'], wallTimes: [10, 11, 12, 13, 14] });
    expect(held.get('train.loss')!.steps).toEqual([0, 1, 2]);
  });

  it('replaces overlapping steps instead of duplicating them', () => {
    const next = appendPoints(held, [{ key: 'train.loss', steps: [2, 3], values: [0.9, 0.8], wallTimes: [20, 21] }]);
    expect(next.get('train.loss')).toEqual({ key: 'train.loss', steps: [0, 1, 2, 3], values: [3, 2, 0.9, 0.8], wallTimes: [10, 11, 20, 21] });
  });

  it('starts a series for a new key', () => {
    const next = appendPoints(held, [{ key: 'test.accuracy', steps: [25], values: [0.7], wallTimes: [30] }]);
    expect([...next.keys()]).toEqual(['train.loss', 'test.accuracy']);
  });

  it('groups known metrics into the run page charts and gives others their own', () => {
    expect(chartGroupsFor(['test.accuracy', 'train.loss', 'custom.metric', 'lr_range.loss'])).toEqual([
      { title: 'Loss', keys: ['train.loss'] },
      { title: 'Accuracy', keys: ['test.accuracy'] },
      { title: 'custom.metric', keys: ['custom.metric'] },
    ]);
  });
});
