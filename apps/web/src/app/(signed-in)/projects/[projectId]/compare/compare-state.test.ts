import { describe, expect, it } from 'vitest';
import { compareQueryString, parseCompareState } from './compare-state';

describe('compare URL state', () => {
  it('round-trips the runs and chart settings', () => {
    const state = {
      runIds: ['a', 'b'],
      xAxis: 'epoch' as const,
      logY: true,
      smoothing: 0.6,
      targetMetric: { key: 'test.loss', aggregate: 'min' as const },
      scatterParam: 'batchSize',
      boundaryFindingId: 'f1',
    };
    const query = compareQueryString(state);
    expect(parseCompareState(Object.fromEntries(new URLSearchParams(query.slice(1))))).toEqual(state);
  });

  it('falls back to defaults for missing or bad values', () => {
    const state = parseCompareState({ runs: 'a,a,b', x: 'bogus', smooth: '7', metric: 'nope' });
    expect(state.runIds).toEqual(['a', 'b']);
    expect(state.xAxis).toBe('step');
    expect(state.smoothing).toBe(0.99);
    expect(state.targetMetric).toEqual({ key: 'test.accuracy', aggregate: 'max' });
    expect(compareQueryString({ ...state, smoothing: 0 })).toBe('?runs=a%2Cb');
  });
});
