import { describe, expect, it } from 'vitest';
import { availableColumns, columnById, DEFAULT_COLUMN_IDS, defaultColumnIds, type RunRow } from './runs-table-columns';

const row: RunRow = {
  id: 'r1',
  name: 'baseline',
  status: 'SUCCEEDED',
  tags: ['a', 'b'],
  backend: 'wasm',
  device: 'cpu',
  createdAt: '2026-01-01T00:00:00.000Z',
  params: { batchSize: 32, 'optimizer.name': 'adam' },
  paramTypes: null,
  metrics: [{ key: 'train.loss', last: 'NaN', min: 0.1, max: 2 }],
};

describe('runs table columns', () => {
  it('offers every hyperparameter path and every metric summary of the loaded runs', () => {
    const ids = availableColumns([row]).map((c) => c.id);
    expect(ids).toContain('param:batchSize');
    expect(ids).toContain('param:optimizer.name');
    expect(ids).toEqual(expect.arrayContaining(['metric:train.loss:last', 'metric:train.loss:min', 'metric:train.loss:max']));
  });

  it('reads values, including non-finite metric values and missing ones', () => {
    expect(columnById('param:batchSize')!.value(row)).toBe(32);
    expect(columnById('param:model.kind')!.value(row)).toBeNull();
    expect(columnById('metric:train.loss:last')!.value(row)).toBeNaN();
    expect(columnById('metric:train.loss:min')!.value(row)).toBe(0.1);
    expect(columnById('metric:test.accuracy:max')!.value(row)).toBeNull();
    expect(columnById('tags')!.value(row)).toBe('a b');
    expect(columnById('nonsense')).toBeUndefined();
  });

  it("shows an open-schema run's values as their type: a float logged as 2.0 stays 2.0", () => {
    const logged: RunRow = { ...row, params: { scale: 2, seed: 2, lr: 0.0003 }, paramTypes: { scale: 'float', seed: 'integer', lr: 'float' } };
    expect(columnById('param:scale')!.text!(logged)).toBe('2.0');
    expect(columnById('param:seed')!.text!(logged)).toBe('2');
    expect(columnById('param:lr')!.text!(logged)).toBe('0.0003');
    // Built-in runs have no types and keep the compact number format.
    expect(columnById('param:batchSize')!.text!(row)).toBeUndefined();
  });

  it('defaults an open-schema project to its own paths and metrics, and offers paths no loaded run has yet', () => {
    const schema = {
      kind: 'INFERRED' as const,
      paths: [
        { path: 'lr', type: 'float' },
        { path: 'layers[].width', type: 'integer' },
        { path: 'note', type: 'null' },
        { path: 'optimizer', type: 'string' },
      ],
    };
    expect(defaultColumnIds(schema, ['val/loss', 'train/loss'])).toEqual([
      'status',
      'name',
      'tags',
      'findings',
      'param:lr',
      'param:optimizer',
      'metric:train/loss:last',
      'metric:val/loss:last',
      'createdAt',
    ]);
    expect(defaultColumnIds({ kind: 'BUILTIN', paths: [] })).toBe(DEFAULT_COLUMN_IDS);
    // Machine metrics of `tuneboard run` come after the script's own.
    expect(
      defaultColumnIds({ kind: 'INFERRED', paths: [] }, ['system/cpu_percent', 'system/memory_mb', 'val/loss', 'loss']).filter((id) =>
        id.startsWith('metric:'),
      ),
    ).toEqual(['metric:loss:last', 'metric:val/loss:last', 'metric:system/cpu_percent:last']);
    expect(availableColumns([], ['lr', 'layers[].width']).map((c) => c.id)).toContain('param:lr');
  });
});
