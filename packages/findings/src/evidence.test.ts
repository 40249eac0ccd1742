import { parseExpression, type Expr } from '@tuneboard/filter';
import { describe, expect, it } from 'vitest';
import { computeEvidence, type EvidenceRun, type FindingSpec } from './evidence';

const expr = (text: string): Expr => {
  const parsed = parseExpression(text);
  if (!parsed.ok || !parsed.ast) throw new Error(`bad test expression ${text}`);
  return parsed.ast;
};

let nextId = 0;
function run(batchSize: number, accuracy: number | null, extra: Partial<EvidenceRun> & { lr?: number } = {}): EvidenceRun {
  const { lr = 0.001, ...rest } = extra;
  return {
    id: `run-${++nextId}`,
    name: `bs${batchSize}`,
    status: 'succeeded',
    tags: [],
    params: { batchSize, 'optimizer.learningRate': lr, 'model.kind': 'cnn', 'dataset.name': 'mnist' },
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
        `(difference +0.05, 95% interval ${Number(evidence.interval!.low.toPrecision(3))} to ${Number(evidence.interval!.high.toPrecision(3))}; 3 vs 3 runs; higher is better).`,
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

  it('stays proposed while a group is empty or small, saying how many runs each side needs', () => {
    const evidence = computeEvidence(smallBatches, [run(8, 0.97), run(16, 0.96), run(32, 0.95)]);
    expect(evidence.status).toBe('proposed');
    expect(evidence.difference).toBeNull();
    expect(evidence.interval).toBeNull();
    expect(evidence.violating).toMatchObject({ runCount: 0, mean: null, median: null, best: null });
    expect(evidence.verdict).toBe('Not enough evidence yet: 3 finished runs satisfy batchSize <= 32 and 0 violate it; each side needs 3.');
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
      run(32, accuracy, { params: { batchSize: 32, 'model.kind': 'cnn', 'model.convLayers[0].kernelSize': kernelSize } });
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
});
