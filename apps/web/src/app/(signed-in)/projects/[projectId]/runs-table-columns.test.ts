import { describe, expect, it } from 'vitest';
import { availableColumns, columnById, type RunRow } from './runs-table-columns';

const row: RunRow = {
  id: 'r1',
  name: 'baseline',
  status: 'SUCCEEDED',
  tags: ['a', 'b'],
  backend: 'wasm',
  device: 'cpu',
  createdAt: '2026-01-01T00:00:00.000Z',
  params: { batchSize: 32, 'optimizer.name': 'adam' },
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
});
