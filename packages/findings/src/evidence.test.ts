import { parseExpression, type Expr } from '@tuneboard/filter';
import { describe, expect, it } from 'vitest';
import { computeEvidence, type EvidenceRun, type FindingSpec } from './evidence';

const expr = (text: string): Expr => {
  const parsed = parseExpression(text);
  if (!parsed.ok || !parsed.ast) throw new Error(`bad test expression ${text}`);
  return parsed.ast;
};

let nextId = 0;
/** A finished run; each gets its own seed unless given one, so runs with equal settings are seeds of one configuration. */
function run(batchSize: number, accuracy: number | null, extra: Partial<EvidenceRun> & { lr?: number; seed?: number } = {}): EvidenceRun {
  const { lr = 0.001, seed = nextId + 1, ...rest } = extra;
  return {
    id: `run-${String(++nextId).padStart(4, '0')}`,
    name: `bs${batchSize}`,
    status: 'succeeded',
    tags: [],
    params: { batchSize, 'optimizer.learningRate': lr, 'model.kind': 'cnn', 'dataset.name': 'mnist', seed },
    metrics: accuracy === null ? {} : { 'test.accuracy': { last: accuracy, min: accuracy, max: accuracy } },
    ...rest,
  };
}

const smallBatches: FindingSpec = {
  rule: expr('batchSize <= 32'),
  scope: expr('model.kind = "cnn"'),
  metric: { key: 'test.accuracy', aggregate: 'last', direction: 'higher' },
};

describe('computeEvidence', () => {
  it('supports a finding whose groups differ clearly, with the interval on its side', () => {
    const runs = [run(8, 0.97), run(16, 0.96), run(32, 0.95), run(64, 0.92), run(128, 0.91), run(256, 0.9)];
    const evidence = computeEvidence(smallBatches, runs);
    expect(evidence.status).toBe('supported');
    expect(evidence.satisfying).toMatchObject({ runCount: 3, median: 0.96, best: { runId: runs[0]!.id, value: 0.97 } });
    expect(evidence.violating).toMatchObject({ runCount: 3, median: 0.91 });
    expect(evidence.difference).toBeCloseTo(0.05, 12);
    expect(evidence.interval!.low).toBeGreaterThan(0);
    expect(evidence.contestingRunIds).toEqual([]);
    expect(evidence.verdict).toBe(
      'Supported. Runs with batchSize <= 32 have a mean last(test.accuracy) of 0.96 against 0.91 ' +
        `(difference +0.05, 95% interval ${Number(evidence.interval!.low.toPrecision(3))} to ${Number(evidence.interval!.high.toPrecision(3))}; ` +
        '3 configurations (3 runs) vs 3 configurations (3 runs); higher is better).',
    );
  });

  it('is contested when a violating run beats the best satisfying run, and names it', () => {
    const champion = run(512, 0.99);
    const runs = [run(8, 0.97), run(16, 0.96), run(32, 0.95), run(64, 0.92), run(128, 0.91), champion];
    const evidence = computeEvidence(smallBatches, runs);
    expect(evidence.status).toBe('contested');
    expect(evidence.contestingRunIds).toEqual([champion.id]);
    expect(evidence.verdict).toMatch(/^Contested: 1 violating run beats the best satisfying run \(0\.97\)/);
  });

  it('is contested when the interval includes zero (ties everywhere)', () => {
    const runs = [run(8, 0.9), run(16, 0.9), run(32, 0.9), run(64, 0.9), run(128, 0.9), run(256, 0.9)];
    const evidence = computeEvidence(smallBatches, runs);
    expect(evidence.interval).toMatchObject({ low: 0, high: 0 });
    expect(evidence.contestingRunIds).toEqual([]); // equal is not better
    expect(evidence.status).toBe('contested');
    expect(evidence.verdict).toMatch(/^Contested: the interval includes zero\./);
  });

  it('stays proposed while a group is empty or small, saying how many configurations each side needs', () => {
    const evidence = computeEvidence(smallBatches, [run(8, 0.97), run(16, 0.96), run(32, 0.95)]);
    expect(evidence.status).toBe('proposed');
    expect(evidence.difference).toBeNull();
    expect(evidence.interval).toBeNull();
    expect(evidence.violating).toMatchObject({ runCount: 0, mean: null, median: null, best: null });
    expect(evidence.verdict).toBe(
      'Not enough evidence yet: 3 configurations (3 runs) satisfy batchSize <= 32 and 0 configurations (0 runs) violate it; ' +
        'each side needs 3 configurations (runs that differ only in their seeds count as one).',
    );
  });

  it('excludes and counts runs whose metric is NaN (diverged) or missing, and ignores unfinished and out-of-scope runs', () => {
    const diverged = run(512, Number.NaN, { status: 'diverged' });
    const runs = [
      run(8, 0.97),
      run(16, 0.96),
      run(32, 0.95),
      run(64, 0.92),
      run(128, 0.91),
      run(256, 0.9),
      diverged,
      run(1024, null), // never logged the metric
      run(8, 0.5, { status: 'running' }),
      run(8, 0.1, { status: 'failed' }),
      run(8, 0.1, { params: { batchSize: 8, 'model.kind': 'mlp' } }), // out of scope
    ];
    const evidence = computeEvidence(smallBatches, runs);
    expect(evidence.status).toBe('supported');
    expect(evidence.violating).toMatchObject({ runCount: 3, excludedNonFinite: 1, excludedMissing: 1 });
    expect(evidence.notFinished).toBe(2);
    expect(evidence.points).toHaveLength(6);
    expect(evidence.verdict).toContain(
      'Excluded: 1 run whose last(test.accuracy) is NaN or infinite (0 satisfying, 1 violating); 1 run that never logged test.accuracy.',
    );
  });

  it('leaves out runs that lack a hyperparameter the rule reads (neither following nor breaking it)', () => {
    const kernelRule: FindingSpec = { ...smallBatches, rule: expr('model.convLayers[0].kernelSize <= 3'), scope: null };
    const cnn = (kernelSize: number, accuracy: number) =>
      run(32, accuracy, { params: { batchSize: 32, 'model.kind': 'cnn', 'model.convLayers[0].kernelSize': kernelSize, seed: nextId } });
    const mlp = run(32, 0.99, { params: { batchSize: 32, 'model.kind': 'mlp' } });
    const evidence = computeEvidence(kernelRule, [cnn(3, 0.97), cnn(3, 0.96), cnn(5, 0.9), mlp]);
    expect(evidence.satisfying.runCount).toBe(2);
    expect(evidence.violating.runCount).toBe(1);
    expect(evidence.points.map((p) => p.runId)).not.toContain(mlp.id);
  });

  it('orients everything for a lower-is-better metric', () => {
    const loss = (batchSize: number, value: number) => ({ ...run(batchSize, null), metrics: { 'test.loss': { last: value, min: value, max: value } } });
    const finding: FindingSpec = { ...smallBatches, metric: { key: 'test.loss', aggregate: 'last', direction: 'lower' } };
    const evidence = computeEvidence(finding, [loss(8, 0.1), loss(16, 0.12), loss(32, 0.11), loss(64, 0.3), loss(128, 0.32), loss(256, 0.31)]);
    expect(evidence.status).toBe('supported');
    expect(evidence.difference).toBeCloseTo(0.2, 12); // 0.31 − 0.11, positive = the finding's side
    expect(evidence.interval!.low).toBeGreaterThan(0);
    expect(evidence.satisfying.best).toMatchObject({ value: 0.1 });
  });

  it('computes the same interval from the same runs every time', () => {
    const runs = [run(8, 0.97), run(16, 0.93), run(32, 0.95), run(64, 0.92), run(128, 0.94), run(256, 0.9)];
    expect(computeEvidence(smallBatches, runs).interval).toEqual(computeEvidence(smallBatches, [...runs].reverse()).interval);
  });

  it('does not report a setting shared by every run, however the groups are sized', () => {
    const runs = [
      ...Array.from({ length: 18 }, (_, i) => run(8 + (i % 3) * 8, 0.9 + i / 1000)),
      ...Array.from({ length: 24 }, (_, i) => run(64 * (1 + (i % 3)), 0.8 + i / 1000)),
    ];
    expect(computeEvidence(smallBatches, runs).confounders).toEqual([]);
  });

  it('points at other hyperparameters that also differ between the groups', () => {
    const runs = [
      run(8, 0.97, { lr: 0.001 }),
      run(16, 0.96, { lr: 0.001 }),
      run(32, 0.95, { lr: 0.002 }),
      run(64, 0.92, { lr: 0.01 }),
      run(128, 0.91, { lr: 0.01 }),
      run(256, 0.9, { lr: 0.02 }),
    ];
    const evidence = computeEvidence(smallBatches, runs);
    expect(evidence.confounders).toEqual([
      { path: 'optimizer.learningRate', satisfying: 'median 0.001', violating: 'median 0.01', strength: expect.closeTo(0.009 / 0.019, 12) },
    ]);
    expect(evidence.points[0]).toMatchObject({ group: 'satisfying', ruleParams: { batchSize: 8 } });
  });

  it('counts a duplicated run (same configuration and seed) once: the same interval as one copy', () => {
    const runs = [run(8, 0.97), run(16, 0.93), run(32, 0.95), run(64, 0.92), run(128, 0.94), run(256, 0.9)];
    const copies = runs.map((r) => ({ ...r, id: `${r.id}-copy` }));
    const once = computeEvidence(smallBatches, runs);
    const twice = computeEvidence(smallBatches, [...runs, ...copies]);
    expect(twice.interval).toEqual(once.interval);
    expect(twice.difference).toBe(once.difference);
    expect(twice.satisfying).toMatchObject({ runCount: 3, configurationCount: 3, duplicateRuns: 3 });
    expect(twice.points).toHaveLength(12); // every run is still listed
    // …numbered by observation, so the chart draws each duplicate set once: six numbers, two runs each.
    const byExperiment = new Map<number, typeof twice.points>();
    for (const p of twice.points) byExperiment.set(p.experiment, [...(byExperiment.get(p.experiment) ?? []), p]);
    expect([...byExperiment.values()].map((ps) => ps.map((p) => p.runId).sort())).toEqual(
      expect.arrayContaining(runs.map((r) => [r.id, `${r.id}-copy`].sort())),
    );
    expect(byExperiment.size).toBe(6);
    expect(new Set(once.points.map((p) => p.experiment)).size).toBe(6);
    expect(twice.verdict).toContain('Counted once: 6 duplicate runs (same configuration and seed as another run; their values averaged).');
    // A duplicate whose value differs (a rerun on other hardware) counts as the mean of the two.
    const rerun = { ...runs[0]!, id: 'rerun', metrics: { 'test.accuracy': { last: 0.91, min: 0.91, max: 0.91 } } };
    expect(computeEvidence(smallBatches, [...runs, rerun]).satisfying.mean).toBeCloseTo((0.94 + 0.93 + 0.95) / 3, 12);
  });

  it('counts configurations, not seeds, towards the minimum: twenty seeds of two configurations are not enough', () => {
    const seeds = (batchSize: number, accuracy: number) => Array.from({ length: 10 }, (_, i) => run(batchSize, accuracy + i / 1000));
    const evidence = computeEvidence(smallBatches, [...seeds(8, 0.95), ...seeds(16, 0.96), ...seeds(32, 0.94), ...seeds(64, 0.9), ...seeds(128, 0.91)]);
    expect(evidence.satisfying).toMatchObject({ configurationCount: 3, runCount: 30, duplicateRuns: 0 });
    expect(evidence.violating).toMatchObject({ configurationCount: 2, runCount: 20 });
    expect(evidence.status).toBe('proposed');
    expect(evidence.verdict).toMatch(
      /^Not enough evidence yet: 3 configurations \(30 runs\) satisfy batchSize <= 32 and 2 configurations \(20 runs\) violate it/,
    );
  });

  it('resamples configurations, so seeds of a few configurations give a wider interval than as many configurations', () => {
    const values = [0.95, 0.96, 0.94, 0.97, 0.93, 0.9, 0.91, 0.89, 0.92, 0.88];
    // Ten seeds of each of three configurations per side, against thirty configurations of one run per side.
    const seeded = values.flatMap((v, i) => [0, 1, 2].map((k) => run(i < 5 ? 8 * (k + 1) : 64 * (k + 1), v + k / 100)));
    const distinct = values.flatMap((v, i) => [0, 1, 2].map((k) => run(i < 5 ? 8 * (k + 1) : 64 * (k + 1), v + k / 100, { lr: 0.001 * (i + 1) })));
    const clustered = computeEvidence(smallBatches, seeded);
    const independent = computeEvidence(smallBatches, distinct);
    expect(clustered.difference).toBeCloseTo(independent.difference!, 12);
    expect(clustered.satisfying.configurationCount).toBe(3);
    expect(independent.satisfying.configurationCount).toBe(15);
    expect(clustered.interval!.high - clustered.interval!.low).toBeGreaterThan(independent.interval!.high - independent.interval!.low);
  });

  it("warns of Simpson's paradox when runs that differ only in the rule's paths disagree with the pooled comparison", () => {
    // At either learning rate the big batches do 0.01 better, but most small-batch runs used the good learning rate.
    const runs = [
      run(8, 0.95, { lr: 0.1 }),
      run(16, 0.95, { lr: 0.1 }),
      run(32, 0.95, { lr: 0.1 }),
      run(64, 0.96, { lr: 0.1 }),
      run(8, 0.8, { lr: 0.001 }),
      run(64, 0.81, { lr: 0.001 }),
      run(128, 0.81, { lr: 0.001 }),
      run(256, 0.81, { lr: 0.001 }),
    ];
    const evidence = computeEvidence(smallBatches, runs);
    expect(evidence.difference).toBeCloseTo(0.9125 - 0.8475, 12);
    expect(evidence.stratified).toMatchObject({
      strataCompared: 2,
      strataOneSided: 0,
      satisfying: { configurationCount: 4, runCount: 4 },
      violating: { configurationCount: 4, runCount: 4 },
    });
    // Weights min(1, 3) and min(3, 1): both strata say −0.01, and no stratum varies within a side.
    expect(evidence.stratified.difference).toBeCloseTo(-0.01, 12);
    expect(evidence.stratified.interval!.low).toBeCloseTo(-0.01, 12);
    expect(evidence.stratified.interval!.high).toBeCloseTo(-0.01, 12);
    expect(evidence.stratified.disagreement).toMatch(
      /^Simpson's paradox warning: the pooled comparison \(\+0\.065, interval .* to .*\) and the stratified comparison \(-0\.01, interval -0\.01 to -0\.01\) point in opposite directions\./,
    );
    // Best learning rate per batch size: 0.95 for 8, 16 and 32; 0.96, 0.81 and 0.81 for 64, 128 and 256.
    expect(evidence.bestPerGroup.difference).toBeCloseTo(0.95 - (0.96 + 0.81 + 0.81) / 3, 12);
    expect(evidence.bestPerGroup.interval).toBeNull(); // one run per configuration: no seed noise to resample
    expect(evidence.bestPerGroup.groups[0]).toMatchObject({
      label: 'batchSize = 8',
      side: 'satisfying',
      value: 0.95,
      setting: 'optimizer.learningRate = 0.1',
      configurationCount: 2,
      runCount: 2,
    });
    expect(evidence.bestPerGroup.disagreement).toBeNull(); // same sign, and it has no interval to compare
  });

  it('flags a best learning rate that is the largest tried for every batch size, with seeds resampled for the best-per-group interval', () => {
    const grid = (batchSizes: number[], best: (batchSize: number) => number) =>
      batchSizes.flatMap((batchSize) =>
        [0.01, 0.03, 0.1].flatMap((lr) =>
          [1, 2].map((seed) => run(batchSize, 0.8 + (lr === best(batchSize) ? 0.1 : lr / 10) - batchSize / 10000 + seed / 1000, { lr, seed })),
        ),
      );
    const atEdge = computeEvidence(
      smallBatches,
      grid([8, 16, 32, 64, 128, 256], () => 0.1),
    );
    expect(atEdge.edgeOfRange).toEqual([
      {
        path: 'optimizer.learningRate',
        edge: 'max',
        value: 0.1,
        message: 'The best optimizer.learningRate is the largest tried (0.1) for every batchSize: explore further before trusting this.',
      },
    ]);
    expect(atEdge.satisfying).toMatchObject({ configurationCount: 9, runCount: 18 });
    // Seeds 1 and 2 of each best configuration: 0.9015 − bs/10000 on average, per group.
    expect(atEdge.bestPerGroup.difference).toBeCloseTo((64 + 128 + 256 - 8 - 16 - 32) / 3 / 10000, 12);
    expect(atEdge.bestPerGroup.interval!.low).toBeLessThanOrEqual(atEdge.bestPerGroup.difference!);
    expect(atEdge.bestPerGroup.interval!.high).toBeGreaterThanOrEqual(atEdge.bestPerGroup.difference!);
    // One batch size whose best learning rate is inside the grid is enough to lift the flag.
    expect(
      computeEvidence(
        smallBatches,
        grid([8, 16, 32, 64, 128, 256], (bs) => (bs === 8 ? 0.03 : 0.1)),
      ).edgeOfRange,
    ).toEqual([]);
  });
});
