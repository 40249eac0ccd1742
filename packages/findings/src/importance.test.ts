import { describe, expect, it } from 'vitest';
import { computeImportance, IMPORTANCE_MIN_CONFIGURATIONS, IMPORTANCE_MIN_RUNS, type ImportanceRun } from './importance';
import { seededRandom } from './statistics';

const metric = { key: 'accuracy', aggregate: 'last' as const };

/** Runs over a grid of parameter settings, `seeds` seeds each, accuracy = f(params) + seeded noise. */
function grid(
  settings: Record<string, number | string | boolean>[],
  f: (params: Record<string, number | string | boolean>) => number,
  options: { seeds?: number; noise?: number; seed?: number } = {},
): ImportanceRun[] {
  const random = seededRandom(options.seed ?? 7);
  const runs: ImportanceRun[] = [];
  for (const setting of settings)
    for (let s = 0; s < (options.seeds ?? 2); s++) {
      const params = { ...setting, seed: s };
      const noise = (random() - 0.5) * 2 * (options.noise ?? 0.01);
      runs.push({
        id: `run-${String(runs.length).padStart(4, '0')}`,
        status: 'succeeded',
        params,
        metrics: { accuracy: { last: f(params) + noise, min: null, max: null } },
      });
    }
  return runs;
}

const product = (a: Record<string, (number | string | boolean)[]>) =>
  Object.entries(a).reduce<Record<string, number | string | boolean>[]>(
    (rows, [path, values]) => rows.flatMap((row) => values.map((v) => ({ ...row, [path]: v }))),
    [{}],
  );

const byPath = (result: ReturnType<typeof computeImportance>) => Object.fromEntries(result.paths.map((p) => [p.path, p]));

describe('computeImportance', () => {
  it('gives the whole share to the one path the metric depends on, and about none to a path it ignores or to the seed', () => {
    const runs = grid(product({ x1: [1, 2, 3, 4, 5, 6], x2: [10, 20, 30, 40] }), (p) => 0.1 * (p.x1 as number), { seeds: 2 });
    const result = computeImportance(runs, metric);
    expect(result.refusal).toBeNull();
    expect(result.runsUsed).toBe(48);
    expect(result.configurations).toBe(24);
    const paths = byPath(result);
    expect(result.paths[0]!.path).toBe('x1');
    expect(paths.x1!.share).toBeGreaterThan(0.95);
    expect(paths.x2!.share).toBeLessThan(0.03);
    expect(paths.x2!.low).toBe(0);
    expect(paths.x2!.high).toBeLessThan(0.1);
    expect(paths.seed!.isSeed).toBe(true);
    expect(paths.seed!.share).toBeLessThan(0.03);
    expect(paths.x1!.low).toBeGreaterThan(0.8);
    expect(paths.x1!.high).toBeLessThanOrEqual(1);
    // The shares sum to 1.
    expect(result.paths.reduce((a, p) => a + p.share, 0)).toBeCloseTo(1, 10);
    expect(result.explainedVariance).toBeGreaterThan(0.9);
    expect(paths.x1!.scale).toBe('linear');
  });

  it('ranks a categorical path whose categories alone move the metric (and encodes booleans as categories)', () => {
    const effect: Record<string, number> = { adam: 0.9, sgd: 0.7, rmsprop: 0.85 };
    const runs = grid(
      product({ 'optimizer.name': ['adam', 'sgd', 'rmsprop'], 'training.shuffle': [true, false], batchSize: [16, 32, 64] }),
      (p) => effect[p['optimizer.name'] as string]!,
    );
    const result = computeImportance(runs, metric);
    const paths = byPath(result);
    expect(result.paths[0]!.path).toBe('optimizer.name');
    expect(paths['optimizer.name']!.scale).toBe('categorical');
    expect(paths['training.shuffle']!.scale).toBe('categorical');
    expect(paths['optimizer.name']!.share).toBeGreaterThan(0.9);
    expect(paths['training.shuffle']!.low).toBe(0);
  });

  it('recognises a log-scaled path (two decades or more) and ranks its effect', () => {
    const lrs = [1e-5, 3e-5, 1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1];
    // The loss falls with log10(lr); the width of the layer does nothing.
    const runs = grid(product({ 'optimizer.learningRate': lrs, width: [64, 128] }), (p) => -0.2 * Math.log10(p['optimizer.learningRate'] as number), {
      seeds: 2,
    });
    const result = computeImportance(runs, { key: 'accuracy', aggregate: 'last' });
    const paths = byPath(result);
    expect(paths['optimizer.learningRate']!.scale).toBe('log');
    expect(paths.width!.scale).toBe('linear');
    expect(paths['optimizer.learningRate']!.share).toBeGreaterThan(0.95);
  });

  it('shares importance between two additive paths in proportion to the variance each explains', () => {
    // For y = g(a) + h(b), shuffling b raises the squared error by 2·Var(h(b)), so b's share is Var(h)/(Var(g) + Var(h)).
    // With a, b on 20 even steps of [0, 5], y = 0.3a + 0.1b:
    // python3 -c "import numpy as np; v=np.linspace(0,5,20); g=np.var(0.3*v); h=np.var(0.1*v); print(h/(g+h))"  → 0.1
    const steps = Array.from({ length: 20 }, (_, i) => (i * 5) / 19);
    const runs = grid(product({ a: steps, b: steps }), (p) => 0.3 * (p.a as number) + 0.1 * (p.b as number), { seeds: 1, noise: 0.001 });
    const result = computeImportance(runs, metric);
    const paths = byPath(result);
    expect(result.paths.map((p) => p.path)).toEqual(['a', 'b']);
    expect(paths.b!.share).toBeGreaterThan(0.08);
    expect(paths.b!.share).toBeLessThan(0.12);
    expect(paths.b!.low).toBeLessThan(0.1);
    expect(paths.b!.high).toBeGreaterThan(0.1);
  });

  it('keeps runs that lack a path, "unset" being a value of its own', () => {
    const runs = grid(product({ x: [1, 2, 3, 4, 5], dropout: [0.1, 0.5, 'unset'] }), (p) => (p.dropout === 'unset' ? 0.5 : 0.9) + 0.001 * (p.x as number));
    for (const run of runs) if (run.params.dropout === 'unset') delete (run.params as Record<string, unknown>).dropout;
    const result = computeImportance(runs, metric);
    const paths = byPath(result);
    expect(paths.dropout!.missingRuns).toBe(10);
    expect(paths.dropout!.scale).toBe('linear');
    expect(result.paths[0]!.path).toBe('dropout');
    expect(paths.dropout!.share).toBeGreaterThan(0.9);
  });

  it('is reproducible: the same runs, in any order, and the same seed give the same figures', () => {
    const runs = grid(product({ x1: [1, 2, 3, 4, 5, 6], x2: [10, 20, 30, 40] }), (p) => 0.1 * (p.x1 as number) + 0.02 * (p.x2 as number), { noise: 0.2 });
    const a = computeImportance(runs, metric, { seed: 42 });
    const b = computeImportance([...runs].reverse(), metric, { seed: 42 });
    expect(b).toEqual(a);
    const c = computeImportance(runs, metric, { seed: 43 });
    expect(c.paths.map((p) => p.share)).not.toEqual(a.paths.map((p) => p.share));
  });

  it('gives the same figures after a rerun of every run: exact duplicates with new ids, some sorting before their originals', () => {
    const runs = grid(product({ x1: [1, 2, 3, 4, 5, 6], x2: [10, 20, 30, 40] }), (p) => 0.1 * (p.x1 as number) + 0.02 * (p.x2 as number), { noise: 0.2 });
    // Ids of the rerun interleave with the originals' (as random UUIDs do), so first occurrences change order.
    const rerun = runs.map((run, i) => ({ ...run, id: i % 2 === 0 ? `a-${run.id}` : `z-${run.id}` }));
    const once = computeImportance(runs, metric, { seed: 42 });
    const twice = computeImportance([...runs, ...rerun], metric, { seed: 42 });
    expect(twice.duplicatesMerged).toBe(runs.length);
    expect(twice.paths).toEqual(once.paths);
  });

  it('refuses below the minimum number of runs or configurations, saying what it needs', () => {
    // 19 runs in 19 configurations: one run short.
    const few = grid(product({ x: Array.from({ length: 19 }, (_, i) => i) }), (p) => p.x as number, { seeds: 1 });
    const refused = computeImportance(few, metric);
    expect(refused.paths).toEqual([]);
    expect(refused.refusal).toBe(
      `Not enough runs to rank hyperparameters: 19 finished runs with a finite last(accuracy) in 19 configurations; importance needs at least ${IMPORTANCE_MIN_RUNS} runs and ${IMPORTANCE_MIN_CONFIGURATIONS} configurations (runs that differ only by seed are one configuration).`,
    );
    // Many seeds of few configurations are still few configurations.
    const seeds = grid(product({ x: [1, 2, 3, 4, 5, 6, 7] }), (p) => p.x as number, { seeds: 10 });
    expect(computeImportance(seeds, metric).refusal).toMatch(/70 finished runs .* in 7 configurations/);
    const enough = grid(product({ x: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10] }), (p) => p.x as number, { seeds: 2 });
    expect(computeImportance(enough, metric).refusal).toBeNull();
  });

  it('counts only finished runs with a finite metric, and merges exact duplicates into one observation', () => {
    const runs = grid(product({ x1: [1, 2, 3, 4, 5, 6], x2: [10, 20, 30, 40] }), (p) => 0.1 * (p.x1 as number));
    const duplicate = { ...runs[0]!, id: 'run-dup' };
    const failed = { ...runs[1]!, id: 'run-failed', status: 'failed' };
    const diverged = {
      ...runs[2]!,
      id: 'run-nan',
      status: 'diverged',
      params: { ...runs[2]!.params, x2: 50 },
      metrics: { accuracy: { last: Number.NaN, min: null, max: null } },
    };
    const silent = { ...runs[3]!, id: 'run-silent', params: { ...runs[3]!.params, x2: 60 }, metrics: {} };
    const result = computeImportance([...runs, duplicate, failed, diverged, silent], metric);
    expect(result.runsAvailable).toBe(49);
    expect(result.runsUsed).toBe(49);
    expect(result.duplicatesMerged).toBe(1);
    expect(result.excludedNonFinite).toBe(1);
    expect(result.excludedMissing).toBe(1);
  });

  it('says so when nothing varies or the metric is constant', () => {
    const constantParams = grid(product({ x: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10] }), () => 0.5, { seeds: 2, noise: 0 });
    expect(computeImportance(constantParams, metric).refusal).toBe('Nothing to explain: last(accuracy) has the same value in every run used.');
  });
});
