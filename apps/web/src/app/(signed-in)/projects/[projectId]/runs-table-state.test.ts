import { describe, expect, it } from 'vitest';
import { DEFAULT_COLUMN_IDS } from './runs-table-columns';
import { nextSort, orderByOf, parseRunsTableState, runsTableQueryString } from './runs-table-state';

describe('runs table URL state', () => {
  it('round-trips filter, sort, columns and selection through the URL', () => {
    const state = {
      filter: 'batchSize <= 32 and tags has "baseline"',
      sort: { columnId: 'metric:test.accuracy:max', direction: 'ASC' as const },
      columnIds: ['status', 'name', 'param:batchSize'],
      selectedRunIds: ['r1', 'r2'],
    };
    const query = runsTableQueryString(state);
    expect(parseRunsTableState(Object.fromEntries(new URLSearchParams(query.slice(1))))).toEqual(state);
  });

  it('keeps the default view out of the URL', () => {
    const state = parseRunsTableState({});
    expect(state).toEqual({ filter: '', sort: null, columnIds: DEFAULT_COLUMN_IDS, selectedRunIds: [] });
    expect(runsTableQueryString(state)).toBe('');
  });

  it('ignores a sort the API cannot do', () => {
    expect(parseRunsTableState({ sort: 'tags' }).sort).toBeNull();
  });

  it('maps columns to the API order', () => {
    expect(orderByOf({ columnId: 'param:optimizer.learningRate', direction: 'DESC' })).toEqual({
      field: 'PARAM',
      path: 'optimizer.learningRate',
      direction: 'DESC',
    });
    expect(orderByOf({ columnId: 'metric:train.loss:last', direction: 'ASC' })).toEqual({
      field: 'METRIC_LAST',
      metric: 'train.loss',
      direction: 'ASC',
    });
    expect(orderByOf({ columnId: 'createdAt', direction: 'ASC' })).toEqual({ field: 'CREATED_AT', direction: 'ASC' });
  });

  it('cycles a header through descending, ascending and unsorted', () => {
    const first = nextSort(null, 'name');
    expect(first).toEqual({ columnId: 'name', direction: 'DESC' });
    const second = nextSort(first, 'name');
    expect(second).toEqual({ columnId: 'name', direction: 'ASC' });
    expect(nextSort(second, 'name')).toBeNull();
  });
});
