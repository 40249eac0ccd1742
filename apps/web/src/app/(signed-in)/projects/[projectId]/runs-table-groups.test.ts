import { describe, expect, it } from 'vitest';
import { columnById, type RunRow } from './runs-table-columns';
import { groupablePaths, groupByInput, intervalText, meanText, metricColumnsInput, varyingPaths } from './runs-table-groups';

const row = (id: string, params: Record<string, unknown>): RunRow => ({ id, name: id, params, metrics: [] }) as unknown as RunRow;

describe('runs table groups', () => {
  it('asks the API for the grouping and the metric columns shown', () => {
    expect(groupByInput('seeds')).toEqual({ allButSeeds: true });
    expect(groupByInput({ paths: ['batchSize', 'optimizer.name'] })).toEqual({ paths: ['batchSize', 'optimizer.name'] });
    const columns = ['name', 'metric:test.accuracy:max', 'param:batchSize', 'metric:train.loss:last'].map((id) => columnById(id)!);
    expect(metricColumnsInput(columns)).toEqual([
      { key: 'test.accuracy', aggregate: 'MAX' },
      { key: 'train.loss', aggregate: 'LAST' },
    ]);
  });

  it('reads a group’s mean ± std and interval', () => {
    // python3 -c "import numpy as np; from scipy import stats; v=np.array([0.91,0.93,0.95,0.9,0.94]); m=v.mean(); s=v.std(ddof=1);
    //   h=stats.t.ppf(0.975,4)*s/np.sqrt(5); print(m,s,m-h,m+h)"  → 0.926 0.020736 0.900252 0.951748
    const stats = { n: 5, mean: 0.926, std: 0.020736441353327688, low: 0.9002523073207092, high: 0.9517476926792907 };
    const format = (n: number) => n.toFixed(3);
    expect(meanText(stats, format)).toBe('0.926 ± 0.021');
    expect(intervalText(stats, format)).toBe('[0.900, 0.952]');
    // One run with a value: its mean, no spread or interval.
    const single = { n: 1, mean: 0.82, std: null, low: null, high: null };
    expect([meanText(single, format), intervalText(single, format)]).toEqual(['0.820', '']);
    expect(meanText({ n: 0, mean: null, std: null, low: null, high: null }, format)).toBe('');
  });

  it('offers the paths that vary', () => {
    expect(varyingPaths([row('a', { batchSize: 32, seed: 1, lr: 0.1 }), row('b', { batchSize: 64, seed: 2, lr: 0.1 })])).toEqual(['batchSize', 'seed']);
  });

  it("offers the schema's other paths too: a path may vary only beyond the loaded rows", () => {
    const rows = [row('a', { batchSize: 32, lr: 0.1 }), row('b', { batchSize: 64, lr: 0.1 })];
    expect(groupablePaths(rows, ['lr', 'batchSize', 'optimizer.name', 'model.convLayers[].kernelSize', 'lr'])).toEqual({
      varying: ['batchSize'],
      other: ['lr', 'optimizer.name'],
    });
  });
});
