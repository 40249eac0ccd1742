import { describe, expect, it } from 'vitest';
import { availableColumns, columnById, DEFAULT_COLUMN_IDS, defaultCandidateIds, defaultColumnIds, sameValueColumns, type RunRow } from './runs-table-columns';

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
      'metric:train/loss:last',
      'metric:val/loss:last',
      'param:lr',
      'param:optimizer',
      'tags',
      'findings',
      'createdAt',
    ]);
    expect(defaultColumnIds({ kind: 'BUILTIN', paths: [] })).toEqual(DEFAULT_COLUMN_IDS);
    // Machine metrics of `tuneboard run` come after the script's own.
    expect(
      defaultColumnIds({ kind: 'INFERRED', paths: [] }, ['system/cpu_percent', 'system/memory_mb', 'val/loss', 'loss']).filter((id) =>
        id.startsWith('metric:'),
      ),
    ).toEqual(['metric:loss:last', 'metric:val/loss:last', 'metric:system/cpu_percent:last']);
    expect(availableColumns([], ['lr', 'layers[].width']).map((c) => c.id)).toContain('param:lr');
  });

  it('shows the metrics right after the run name in the built-in default view', () => {
    expect(DEFAULT_COLUMN_IDS.slice(0, 4)).toEqual(['status', 'name', 'metric:test.accuracy:max', 'metric:train.loss:last']);
  });

  describe('columns with the same value for every run', () => {
    const run = (id: string, params: Record<string, unknown>, metrics: RunRow['metrics'] = []): RunRow => ({ ...row, id, name: id, params, metrics });
    const runs = [
      run('a', { batchSize: 32, 'optimizer.name': 'adam', 'model.kind': 'mlp' }, [{ key: 'test.accuracy', last: 0.8, min: 0.1, max: 0.8 }]),
      run('b', { batchSize: 64, 'optimizer.name': 'adam', 'model.kind': 'mlp' }, [{ key: 'test.accuracy', last: 0.7, min: 0.1, max: 0.7 }]),
      run('c', { batchSize: 16, 'optimizer.name': 'adam', 'model.kind': 'mlp' }, [{ key: 'test.accuracy', last: 0.7, min: 0.1, max: 0.7 }]),
    ];

    it('finds constant hyperparameters and run fields, and metrics no run logged, but never the run itself', () => {
      const same = sameValueColumns(runs, DEFAULT_COLUMN_IDS);
      expect(same).toEqual([
        // No run logged train.loss: a column of blanks.
        { id: 'metric:train.loss:last', label: 'last(train.loss)', text: '' },
        { id: 'param:model.kind', label: 'model.kind', text: 'mlp' },
        { id: 'param:optimizer.name', label: 'optimizer.name', text: 'adam' },
        { id: 'param:optimizer.learningRate', label: 'optimizer.learningRate', text: '' },
        { id: 'param:params', label: 'params', text: '' },
        { id: 'tags', label: 'Tags', text: 'a b' },
        { id: 'findings', label: 'Findings', text: '' },
        { id: 'backend', label: 'Backend', text: 'wasm' },
      ]);
      // Status, name and creation time say which run a row is; they are the same here and still not listed.
      expect(same.map((c) => c.id)).not.toContain('status');
      expect(same.map((c) => c.id)).not.toContain('name');
      expect(same.map((c) => c.id)).not.toContain('createdAt');
    });

    it('leaves them out of the default view and keeps the metrics that were logged, even with equal values', () => {
      const twins = [runs[1]!, runs[2]!];
      const hide = new Set(sameValueColumns(twins, DEFAULT_COLUMN_IDS).map((c) => c.id));
      // Both runs have max(test.accuracy) 0.7: a metric is an outcome, shown whenever a run logged it.
      expect(defaultColumnIds({ kind: 'BUILTIN', paths: [] }, [], hide)).toEqual([
        'status',
        'name',
        'metric:test.accuracy:max',
        'param:batchSize',
        'createdAt',
      ]);
    });

    it('hides nothing with a single run: nothing to compare it with', () => {
      expect(sameValueColumns([runs[0]!], DEFAULT_COLUMN_IDS)).toEqual([]);
    });

    it('tells a float 2.0 from the integer 2 of an open schema', () => {
      const typed = (id: string, type: string) => ({ ...run(id, { scale: 2 }), paramTypes: { scale: type } });
      expect(sameValueColumns([typed('a', 'float'), typed('b', 'integer')], ['param:scale'])).toEqual([]);
      expect(sameValueColumns([typed('a', 'float'), typed('b', 'float')], ['param:scale'])).toEqual([{ id: 'param:scale', label: 'scale', text: '2.0' }]);
    });

    it("counts an open project's first paths after leaving out the constant ones", () => {
      const schema = { kind: 'INFERRED' as const, paths: ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'].map((path) => ({ path, type: 'integer' })) };
      const open = [0, 1].map((i) => ({
        ...run(`r${i}`, { a: 1, b: 1, c: i, d: i, e: i, f: i, g: i, h: i }, [{ key: 'loss', last: 1, min: 1, max: 1 }]),
        tags: [`t${i}`],
      }));
      const same = sameValueColumns(open, defaultCandidateIds(schema, ['loss']));
      expect(same.map((c) => c.id)).toEqual(['param:a', 'param:b', 'findings']);
      expect(defaultColumnIds(schema, ['loss'], new Set(same.map((c) => c.id)))).toEqual([
        'status',
        'name',
        'metric:loss:last',
        ...['c', 'd', 'e', 'f', 'g', 'h'].map((p) => `param:${p}`),
        'tags',
        'createdAt',
      ]);
    });
  });
});
