import { describe, expect, it } from 'vitest';
import { compareQueryString, parseCompareState } from './compare-state';

describe('compare URL state', () => {
  it('round-trips the runs and chart settings', () => {
    const state = {
      runIds: ['a', 'b'],
      xAxis: 'epoch' as const,
      xAxisChosen: true,
      logY: true,
      smoothing: 0.6,
      targetMetric: { key: 'test.loss', aggregate: 'min' as const },
      scatterParam: 'batchSize',
      scatterChosen: true,
      boundaryFindingId: 'f1',
      groupBy: { paths: ['batchSize', 'optimizer.learningRate'] },
      band: 'std' as const,
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
    expect(state.xAxisChosen).toBe(false);
    expect(state.groupBy).toBeNull();
    expect(state.band).toBe('ci');
    expect(compareQueryString({ ...state, smoothing: 0 })).toBe('?runs=a%2Cb');
  });

  it('keeps a chosen step axis and scatter x in the URL, so a default does not replace them', () => {
    const state = parseCompareState({ runs: 'a', x: 'step', sx: 'optimizer.learningRate', group: 'seeds' });
    expect(state).toMatchObject({ xAxis: 'step', xAxisChosen: true, scatterChosen: true, groupBy: { allButSeeds: true } });
    expect(compareQueryString(state)).toBe('?runs=a&x=step&sx=optimizer.learningRate&group=seeds');
  });
});
