import { describe, expect, it } from 'vitest';
import { columnById, type RunRow } from './runs-table-columns';
import { groupRows, intervalText, meanText, varyingPaths } from './runs-table-groups';

const row = (id: string, params: Record<string, unknown>, accuracy: number | null): RunRow =>
  ({ id, name: id, params, metrics: accuracy === null ? [] : [{ key: 'test.accuracy', last: accuracy, min: accuracy, max: accuracy }] }) as unknown as RunRow;

describe('runs table groups', () => {
  const rows = [
    row('a', { batchSize: 32, seed: 1 }, 0.91),
    row('b', { batchSize: 32, seed: 2 }, 0.93),
    row('c', { batchSize: 32, seed: 3 }, 0.95),
    row('d', { batchSize: 32, seed: 4 }, 0.9),
    row('e', { batchSize: 32, seed: 5 }, 0.94),
    row('f', { batchSize: 512, seed: 1 }, 0.82),
    row('g', { batchSize: 512, seed: 2 }, null),
  ];
  const columns = [columnById('name')!, columnById('metric:test.accuracy:max')!];

  it('gives each group its count, mean ± std and the t interval of each metric column', () => {
    const groups = groupRows(rows, 'seeds', columns);
    expect(groups.map((g) => [g.label, g.rows.map((r) => r.id)])).toEqual([
      ['batchSize=32', ['a', 'b', 'c', 'd', 'e']],
      ['batchSize=512', ['f', 'g']],
    ]);
    // python3 -c "import numpy as np; from scipy import stats; v=np.array([0.91,0.93,0.95,0.9,0.94]); m=v.mean(); s=v.std(ddof=1);
    //   h=stats.t.ppf(0.975,4)*s/np.sqrt(5); print(m,s,m-h,m+h)"  → 0.926 0.020736 0.900252 0.951748
    const stats = groups[0]!.stats['metric:test.accuracy:max']!;
    expect(stats.n).toBe(5);
    expect(stats.mean).toBeCloseTo(0.926, 12);
    expect(stats.std).toBeCloseTo(0.020736441353327688, 12);
    expect(stats.low).toBeCloseTo(0.9002523073207092, 6);
    expect(stats.high).toBeCloseTo(0.9517476926792907, 6);
    const format = (n: number) => n.toFixed(3);
    expect(meanText(stats, format)).toBe('0.926 ± 0.021');
    expect(intervalText(stats, format)).toBe('[0.900, 0.952]');
    // One run with a value: its mean, no spread or interval.
    const single = groups[1]!.stats['metric:test.accuracy:max']!;
    expect([meanText(single, format), intervalText(single, format)]).toEqual(['0.820', '']);
    expect(groups[0]!.stats['name']).toBeUndefined();
  });

  it('groups by one path and offers the paths that vary', () => {
    expect(groupRows(rows, { path: 'seed' }, columns).map((g) => g.rows.length)).toEqual([2, 2, 1, 1, 1]);
    expect(varyingPaths(rows)).toEqual(['batchSize', 'seed']);
  });
});
