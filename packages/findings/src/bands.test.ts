import { describe, expect, it } from 'vitest';
import { bandGrid, groupBand, groupRuns, meanInterval, studentT975 } from './bands';

describe('groupRuns', () => {
  const runs = [
    { id: 'a', params: { batchSize: 32, 'optimizer.learningRate': 0.1, seed: 1 } },
    { id: 'b', params: { batchSize: 32, 'optimizer.learningRate': 0.1, seed: 2 } },
    { id: 'c', params: { batchSize: 128, 'optimizer.learningRate': 0.1, seed: 1 } },
    { id: 'd', params: { batchSize: 32, 'optimizer.learningRate': 0.01, seed: 3 } },
    { id: 'e', params: { batchSize: 32.0, 'optimizer.learningRate': 0.1, 'data.seed': 7 } },
  ];

  it('groups by everything but the seeds, labelled by what varies', () => {
    const groups = groupRuns(runs, { allButSeeds: true });
    expect(groups.map((g) => [g.label, g.runIds])).toEqual([
      ['batchSize=32, optimizer.learningRate=0.1', ['a', 'b', 'e']],
      ['batchSize=128, optimizer.learningRate=0.1', ['c']],
      ['batchSize=32, optimizer.learningRate=0.01', ['d']],
    ]);
  });

  it('groups by chosen paths; a run without the path is its own group', () => {
    const groups = groupRuns([...runs, { id: 'f', params: { 'optimizer.learningRate': 0.1 } }], { paths: ['batchSize'] });
    expect(groups.map((g) => [g.label, g.runIds, g.values])).toEqual([
      ['batchSize=32', ['a', 'b', 'd', 'e'], { batchSize: 32 }],
      ['batchSize=128', ['c'], { batchSize: 128 }],
      ['batchSize=null', ['f'], { batchSize: null }],
    ]);
  });

  it('puts every run in one group when nothing but the seed varies', () => {
    expect(groupRuns(runs.slice(0, 2), { allButSeeds: true }).map((g) => [g.label, g.runIds])).toEqual([['all runs', ['a', 'b']]]);
  });
});

describe('groupBand', () => {
  // Three runs, a grid of 3 buckets over x 0–30 (width 10; x = 30 falls in the last). Per run and bucket the mean of
  // its finite points: A 1.5, 3.5, 6; B 2, 4, 8 (its NaN ignored); C 1, 3, 4.5. Reference figures:
  // python3 -c "import numpy as np; from scipy import stats; b=np.array([[1.5,3.5,6],[2,4,8],[1,3,4.5]]); m=b.mean(0); s=b.std(0,ddof=1);
  //   h=stats.t.ppf(0.975,2)*s/np.sqrt(3); print(m.tolist(), s.tolist(), (m-h).tolist(), (m+h).tolist())"
  const members = [
    { x: [0, 5, 10, 15, 20, 25, 30], values: [1, 2, 3, 4, 5, 6, 7] },
    { x: [0, 10, 20, 30], values: [2, 4, NaN, 8] },
    { x: [0, 5, 10, 15, 20], values: [0.5, 1.5, 2.5, 3.5, 4.5] },
  ];

  it('gives mean, extremes, std and the t interval per bucket', () => {
    const grid = bandGrid(members, 3)!;
    expect(grid).toEqual({ from: 0, to: 30, buckets: 3 });
    const band = groupBand(members, grid);
    expect(band.x).toEqual([2, 12, 25]);
    expect(band.count).toEqual([3, 3, 3]);
    expect(band.min).toEqual([1, 3, 4.5]);
    expect(band.max).toEqual([2, 4, 8]);
    const close = (actual: (number | null)[], expected: number[]) => actual.forEach((a, i) => expect(a).toBeCloseTo(expected[i]!, 9));
    close(band.mean, [1.5, 3.5, 6.166666666666667]);
    close(band.std, [0.5, 0.5, 1.755942292142123]);
    close(band.low, [0.25793114412483487, 2.257931144124835, 1.8046641990991041]);
    close(band.high, [2.742068855875165, 4.742068855875165, 10.52866913423423]);
  });

  it('leaves out buckets nobody reaches and gives no spread for one run', () => {
    const band = groupBand([{ x: [0, 30], values: [1, 2] }], { from: 0, to: 30, buckets: 3 });
    expect(band).toEqual({ x: [0, 30], count: [1, 1], mean: [1, 2], min: [1, 2], max: [1, 2], std: [null, null], low: [null, null], high: [null, null] });
  });

  it('keeps the spread of values that are large next to it (no cancellation)', () => {
    const band = groupBand(
      [
        { x: [0], values: [1e9 + 0.001] },
        { x: [0], values: [1e9 - 0.001] },
      ],
      { from: 0, to: 0, buckets: 1 },
    );
    expect(band.std[0]).toBeCloseTo(Math.SQRT2 * 0.001, 6);
  });
});

describe('studentT975 and meanInterval', () => {
  it('matches SciPy', () => {
    // python3 -c "from scipy import stats; print([stats.t.ppf(0.975, d) for d in (1, 4, 30, 31, 60, 1000)])"
    const expected: [number, number][] = [
      [1, 12.706204736174696],
      [4, 2.7764451051977934],
      [30, 2.0422724563012373],
      [31, 2.039513446396408],
      [60, 2.0002978220142604],
      [1000, 1.9623390808264083],
    ];
    for (const [df, t] of expected) expect(studentT975(df)).toBeCloseTo(t, 5);
  });

  it('gives the interval of a summary metric', () => {
    // python3 -c "import numpy as np; from scipy import stats; v=np.array([0.91,0.93,0.95,0.9,0.94]); m=v.mean(); s=v.std(ddof=1);
    //   h=stats.t.ppf(0.975,4)*s/np.sqrt(5); print(m,s,m-h,m+h)"
    const r = meanInterval([0.91, 0.93, 0.95, 0.9, 0.94, NaN]);
    expect(r.n).toBe(5);
    expect(r.mean).toBeCloseTo(0.926, 12);
    expect(r.std).toBeCloseTo(0.020736441353327688, 12);
    expect(r.low).toBeCloseTo(0.9002523073207092, 6);
    expect(r.high).toBeCloseTo(0.9517476926792907, 6);
  });
});
