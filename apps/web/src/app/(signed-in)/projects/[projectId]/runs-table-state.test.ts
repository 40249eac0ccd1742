import { describe, expect, it } from 'vitest';
import { DEFAULT_COLUMN_IDS, defaultColumnIds, sameValueColumns, type RunRow } from './runs-table-columns';
import {
  columnPrefsKey,
  columnView,
  nextSort,
  NO_COLUMN_PREFS,
  orderByOf,
  parseColumnPrefs,
  parseRunsTableState,
  runsTableQueryString,
  serializeColumnPrefs,
  toggleColumnPref,
} from './runs-table-state';

describe('runs table URL state', () => {
  it('round-trips filter, sort, columns, selection and grouping through the URL', () => {
    const state = {
      filter: 'batchSize <= 32 and tags has "baseline"',
      sort: { columnId: 'metric:test.accuracy:max', direction: 'ASC' as const },
      columnIds: ['status', 'name', 'param:batchSize'],
      selectedRunIds: ['r1', 'r2'],
      groupBy: { paths: ['optimizer.learningRate', 'batchSize'] },
    };
    const query = runsTableQueryString(state);
    expect(runsTableQueryString({ ...state, groupBy: 'seeds' })).toContain('group=seeds');
    expect(parseRunsTableState(Object.fromEntries(new URLSearchParams(query.slice(1))))).toEqual(state);
    // A link from before several paths could be chosen still groups by its one path; repeats and blanks are dropped.
    expect(parseRunsTableState({ group: 'path:batchSize' }).groupBy).toEqual({ paths: ['batchSize'] });
    expect(parseRunsTableState({ group: 'path:a,,a,b' }).groupBy).toEqual({ paths: ['a', 'b'] });
    expect(parseRunsTableState({ group: 'path:' }).groupBy).toBeNull();
  });

  it('keeps the default view out of the URL', () => {
    const state = parseRunsTableState({});
    expect(state).toEqual({ filter: '', sort: null, columnIds: DEFAULT_COLUMN_IDS, selectedRunIds: [], groupBy: null });
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

describe('remembered column choices', () => {
  const builtin = (hide: ReadonlySet<string>) => defaultColumnIds({ kind: 'BUILTIN', paths: [] }, [], hide);
  const run = (id: string, batchSize: number, accuracy: number): RunRow => ({
    id,
    name: id,
    status: 'SUCCEEDED',
    tags: [],
    backend: 'wasm',
    device: 'cpu',
    createdAt: '2026-01-01T00:00:00.000Z',
    params: { batchSize, 'optimizer.name': 'adam', 'optimizer.learningRate': 0.01 * batchSize, 'model.kind': 'mlp', params: 1218 },
    paramTypes: null,
    metrics: [
      { key: 'test.accuracy', last: accuracy, min: 0.1, max: accuracy },
      { key: 'train.loss', last: 1 - accuracy, min: 1 - accuracy, max: 2 },
    ],
  });
  const rows = [run('a', 16, 0.8), run('b', 32, 0.7), run('c', 64, 0.9)];
  const same = sameValueColumns(rows, DEFAULT_COLUMN_IDS);

  it('defaults to the metrics and varying hyperparameters, and names the columns hidden as the same everywhere', () => {
    const view = columnView(builtin, same, NO_COLUMN_PREFS);
    expect(view.columnIds).toEqual([
      'status',
      'name',
      'metric:test.accuracy:max',
      'metric:train.loss:last',
      'param:optimizer.learningRate',
      'param:batchSize',
      'createdAt',
    ]);
    expect(view.columnIds).toBe(view.projectDefault);
    expect(view.hiddenSame.map((c) => `${c.label}=${c.text}`)).toEqual([
      'model.kind=mlp',
      'optimizer.name=adam',
      'params=1218',
      'Tags=',
      'Findings=',
      'Backend=wasm',
    ]);
  });

  it('lets a column shown on purpose win over "the same for every run", in its default place', () => {
    const prefs = toggleColumnPref(NO_COLUMN_PREFS, 'param:optimizer.name', true);
    const view = columnView(builtin, same, prefs);
    expect(view.columnIds).toEqual([
      'status',
      'name',
      'metric:test.accuracy:max',
      'metric:train.loss:last',
      'param:optimizer.name',
      'param:optimizer.learningRate',
      'param:batchSize',
      'createdAt',
    ]);
    expect(view.hiddenSame.map((c) => c.id)).not.toContain('param:optimizer.name');
    // The project's own default is unchanged, so the URL can tell a personal view apart.
    expect(view.projectDefault).not.toContain('param:optimizer.name');
  });

  it('keeps a hidden default column hidden, and adds a shown non-default column at the end', () => {
    let prefs = toggleColumnPref(NO_COLUMN_PREFS, 'metric:train.loss:last', false);
    prefs = toggleColumnPref(prefs, 'metric:train.loss:min', true);
    const view = columnView(builtin, same, prefs);
    expect(view.columnIds).not.toContain('metric:train.loss:last');
    expect(view.columnIds.at(-1)).toBe('metric:train.loss:min');
    // The latest click wins: showing it again undoes the hiding.
    expect(columnView(builtin, same, toggleColumnPref(prefs, 'metric:train.loss:last', true)).columnIds).toContain('metric:train.loss:last');
  });

  it('keeps the sorted column even when every loaded run has the same value there', () => {
    expect(columnView(builtin, same, NO_COLUMN_PREFS, 'param:params').columnIds).toContain('param:params');
  });

  it('reads back what it stored, per project, and ignores anything else', () => {
    const prefs = toggleColumnPref(toggleColumnPref(NO_COLUMN_PREFS, 'param:params', true), 'tags', false);
    expect(parseColumnPrefs(serializeColumnPrefs(prefs))).toEqual(prefs);
    expect(columnPrefsKey('p1')).not.toBe(columnPrefsKey('p2'));
    expect(columnPrefsKey('p1')).toContain('p1');
    expect(parseColumnPrefs(null)).toBe(NO_COLUMN_PREFS);
    expect(parseColumnPrefs('{not json')).toBe(NO_COLUMN_PREFS);
    expect(parseColumnPrefs(JSON.stringify({ shown: ['nonsense', 42, 'param:lr'], hidden: 'tags' }))).toEqual({ shown: ['param:lr'], hidden: [] });
  });
});
