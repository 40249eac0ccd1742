import { evaluate, parseExpression } from '@tuneboard/filter';
import { describe, expect, it } from 'vitest';
import type { ImportanceRun } from './importance';
import { seededRandom } from './statistics';
import { additiveResiduals, interactionPValue, readableCut, suggestFindings } from './suggestions';

const accuracy = { key: 'test.accuracy', aggregate: 'last' as const, direction: 'higher' as const };

function runsOf(
  configs: Record<string, number | string | boolean>[],
  value: (c: Record<string, any>, random: () => number) => number,
  seeds = 2,
  seed = 3,
): ImportanceRun[] {
  const random = seededRandom(seed);
  return configs.flatMap((config, i) =>
    Array.from({ length: seeds }, (_, s) => ({
      id: `run-${String(i).padStart(3, '0')}-${s}`,
      status: 'succeeded',
      params: { ...config, seed: s },
      metrics: { 'test.accuracy': { last: value(config, random), min: null, max: null } },
    })),
  );
}

const grid = (paths: Record<string, (number | string | boolean)[]>) =>
  Object.entries(paths).reduce<Record<string, number | string | boolean>[]>(
    (rows, [path, values]) => rows.flatMap((row) => values.map((v) => ({ ...row, [path]: v }))),
    [{}],
  );

describe('suggestFindings', () => {
  // The small-batch study's shape: accuracy falls with batch size, learning rate matters a little, the optimizer not at all.
  const study = runsOf(
    grid({ batchSize: [8, 16, 32, 64, 128, 256, 512], 'optimizer.learningRate': [0.01, 0.03, 0.1], 'optimizer.name': ['adam', 'sgd'] }),
    (c, random) => 0.95 - 0.03 * Math.log2(c.batchSize / 8) + (random() - 0.5) * 0.02,
  );

  it('proposes a batch-size threshold on its own, and nothing about a path that does not matter', () => {
    const result = suggestFindings(study, accuracy);
    expect(result.refusal).toBeNull();
    expect(result.configurations).toBe(42);
    expect(result.runsUsed).toBe(84);
    const [first] = result.suggestions;
    expect(first!.path).toBe('batchSize');
    expect(first!.rule).toMatch(/^batchSize <= (16|32|64)$/);
    expect(first!.qValue).toBeLessThanOrEqual(0.05);
    expect(first!.difference).toBeGreaterThan(0);
    expect(result.suggestions.map((s) => s.path)).not.toContain('optimizer.name');
    expect(result.suggestions.map((s) => s.path)).not.toContain('seed');
    // The rule it writes is one the filter language reads, and it splits the runs as the suggestion counted them.
    const parsed = parseExpression(first!.rule);
    expect(parsed.ok).toBe(true);
    const satisfyingRuns = study.filter((run) => evaluate(parsed.ok ? parsed.ast : null, { ...run, name: '', tags: [] }));
    expect(satisfyingRuns).toHaveLength(first!.satisfying.runs);
    expect(first!.statement).toContain(`configurations with ${first!.rule} have a mean last(test.accuracy)`);
  });

  it('proposes a category that wins, quoted as the filter language writes strings', () => {
    const runs = runsOf(
      grid({ 'optimizer.name': ['adam', 'sgd', 'rmsprop'], batchSize: [16, 32, 64, 128] }),
      (c, random) => (c['optimizer.name'] === 'adam' ? 0.93 : 0.88) + (random() - 0.5) * 0.01,
    );
    const result = suggestFindings(runs, accuracy);
    expect(result.suggestions.map((s) => s.rule)).toEqual(['optimizer.name = "adam"']);
  });

  it('orients rules by the metric’s direction: for a loss, lower is better', () => {
    const runs = runsOf(
      grid({ batchSize: [8, 16, 32, 64, 128, 256, 512], width: [64, 128] }),
      (c, random) => 0.1 + 0.02 * Math.log2(c.batchSize / 8) + (random() - 0.5) * 0.01,
    );
    const result = suggestFindings(runs, { key: 'test.accuracy', aggregate: 'last', direction: 'lower' });
    expect(result.suggestions[0]!.rule).toMatch(/^batchSize <= /);
  });

  it('controls false discoveries: on pure noise across many paths it proposes nothing', () => {
    // On this noise two rules have an uncorrected p-value under 0.05 (judging by p instead of q proposes both);
    // after Benjamini–Hochberg across the candidates none survives.
    const runs = runsOf(grid({ a: [1, 2, 3, 4], b: ['x', 'y', 'z'], c: [true, false], d: [0.1, 0.2] }), (_c, random) => 0.9 + (random() - 0.5) * 0.05, 1, 12);
    const result = suggestFindings(runs, accuracy);
    expect(result.candidatesTested).toBeGreaterThan(10);
    expect(result.scopedCandidatesTested).toBeGreaterThan(0); // rules within a level of another path are in the family too
    expect(result.suggestions).toEqual([]);
    expect(result.refusal).toBeNull();
  });

  it('gives a permutation p-value close to the exact one', () => {
    // Exact two-sided p for configuration means [0.80, 0.82, 0.79, 0.85] vs [0.70, 0.81, 0.72, 0.74]:
    // python3 -c "from scipy.stats import permutation_test; import numpy as np; print(permutation_test(([0.80,0.82,0.79,0.85],[0.70,0.81,0.72,0.74]), lambda a,b: np.mean(a)-np.mean(b), permutation_type='independent', alternative='two-sided', n_resamples=np.inf).pvalue)"
    // → 0.0857142857 (6 of the 70 splits)
    const values = [0.8, 0.82, 0.79, 0.85, 0.7, 0.81, 0.72, 0.74];
    const runs = runsOf(
      values.map((_, i) => ({ x: i + 1 })),
      (c) => values[(c.x as number) - 1]!,
      1,
    );
    const result = suggestFindings(runs, accuracy, { fdr: 1, minEffectSize: 0 });
    const rule = result.suggestions.find((s) => s.rule === 'x <= 4');
    expect(rule!.pValue).toBeGreaterThan(0.0857 - 0.01);
    expect(rule!.pValue).toBeLessThan(0.0857 + 0.01);
  });

  it('counts configurations, not seeds, and refuses when there are too few', () => {
    const runs = runsOf(grid({ batchSize: [8, 64, 512] }), (c) => 1 / c.batchSize, 10);
    const result = suggestFindings(runs, accuracy);
    expect(result.suggestions).toEqual([]);
    expect(result.refusal).toBe('Not enough configurations to suggest findings: 3 with a finite last(test.accuracy); a rule needs 3 on each side.');
  });

  it('writes thresholds people can read, splitting the configurations the same way', () => {
    expect(readableCut(32, 64)).toBe(32);
    expect(readableCut(0.0027883033339224637, 0.0031)).toBe(0.003);
    expect(readableCut(0.0027883033339224637, 0.00279)).toBe(0.002789);
    expect(readableCut(-1.23456, 5)).toBe(-1);
  });

  it('is reproducible with a seed', () => {
    expect(suggestFindings(study, accuracy, { seed: 9 })).toEqual(suggestFindings([...study].reverse(), accuracy, { seed: 9 }));
  });

  describe('rules scoped where another path interacts', () => {
    const sweep = grid({ batchSize: [8, 16, 32, 64, 128, 256], 'optimizer.learningRate': [0.01, 0.03, 0.1], 'optimizer.name': ['adam', 'sgd'] });
    const noise = (random: () => number) => (random() - 0.5) * 0.01;

    it('proposes batch size within sgd when it helps only there, besides the rule for all', () => {
      const runs = runsOf(sweep, (c, random) =>
        c['optimizer.name'] === 'sgd' ? 0.95 - 0.03 * Math.log2(c.batchSize / 8) + noise(random) : 0.9 + noise(random),
      );
      const result = suggestFindings(runs, accuracy);
      const scoped = result.suggestions.filter((s) => s.scope !== '');
      expect(scoped).toHaveLength(1);
      expect(scoped[0]).toMatchObject({ path: 'batchSize', scope: 'optimizer.name = "sgd"' });
      expect(scoped[0]!.rule).toMatch(/^batchSize <= (8|16|32|64)$/);
      expect(scoped[0]!.qValue).toBeLessThanOrEqual(0.05);
      expect(scoped[0]!.outsideDifference).toBeLessThan(scoped[0]!.difference / 4);
      expect(scoped[0]!.title).toBe(`${scoped[0]!.rule} where optimizer.name = "sgd" for a higher last(test.accuracy)`);
      expect(scoped[0]!.statement).toContain('where optimizer.name = "sgd", configurations with');
      // 18 sgd configurations: the scoped rule counts those only.
      expect(scoped[0]!.satisfying.configurations + scoped[0]!.violating.configurations).toBe(18);
      // Scoped candidates are part of the correction.
      expect(result.scopedCandidatesTested).toBeGreaterThan(0);
      expect(result.candidatesTested).toBeGreaterThan(result.scopedCandidatesTested);
      // The scope is one the filter language reads.
      expect(parseExpression(scoped[0]!.scope).ok).toBe(true);
    });

    it('proposes only the scoped rule when the effect reverses at the other level', () => {
      const runs = runsOf(sweep, (c, random) =>
        c['optimizer.name'] === 'sgd' ? 0.95 - 0.03 * Math.log2(c.batchSize / 8) + noise(random) : 0.8 + 0.006 * Math.log2(c.batchSize / 8) + noise(random),
      );
      const result = suggestFindings(runs, accuracy);
      const batch = result.suggestions.filter((s) => s.path === 'batchSize');
      expect(batch.map((s) => s.scope)).not.toContain('');
      const sgd = batch.find((s) => s.scope === 'optimizer.name = "sgd"')!;
      expect(sgd.rule).toMatch(/^batchSize <= /);
      expect(sgd.outsideDifference).toBeLessThan(0);
      expect(sgd.statement).toContain('it reverses');
      // With adam the opposite rule holds, and is proposed in its own scope.
      const adam = batch.find((s) => s.scope === 'optimizer.name = "adam"');
      if (adam) expect(adam.rule).toMatch(/^batchSize > /);
    });

    it('proposes nothing scoped when the effects add up (no interaction)', () => {
      for (const seed of [3, 4, 5]) {
        const runs = runsOf(
          sweep,
          (c, random) => 0.95 - 0.03 * Math.log2(c.batchSize / 8) + (c['optimizer.name'] === 'sgd' ? -0.02 : 0) + noise(random),
          2,
          seed,
        );
        const result = suggestFindings(runs, accuracy);
        expect(result.suggestions.map((s) => s.path)).toContain('batchSize');
        expect(result.suggestions.filter((s) => s.scope !== '')).toEqual([]);
        expect(result.scopedCandidatesTested).toBeGreaterThan(0);
      }
      expect(suggestFindings(study, accuracy).suggestions.filter((s) => s.scope !== '')).toEqual([]);
    });

    it('fits the additive model as least squares does', () => {
      // python3 -c "import numpy as np; cells=[[0.9,0.92,0.95],[0.8,0.83,0.78,0.81],[0.85,0.86,0.84],[0.84,0.88,0.85]];
      //   y=np.concatenate(cells); s=np.concatenate([[1 if c%2==0 else 0]*len(x) for c,x in enumerate(cells)]);
      //   g=np.concatenate([[1 if c<2 else 0]*len(x) for c,x in enumerate(cells)]); X=np.column_stack([np.ones(len(y)),s,g]);
      //   print(np.round(y-X@np.linalg.lstsq(X,y,rcond=None)[0],12).tolist())"
      const reference = [
        0.01, 0.03, 0.06, -0.03, 0, -0.05, -0.02, -0.033333333333, -0.023333333333, -0.043333333333, 0.016666666667, 0.056666666667, 0.026666666667,
      ];
      const residuals = additiveResiduals([
        [0.9, 0.92, 0.95],
        [0.8, 0.83, 0.78, 0.81],
        [0.85, 0.86, 0.84],
        [0.84, 0.88, 0.85],
      ]);
      residuals.forEach((r, i) => expect(r).toBeCloseTo(reference[i]!, 10));
    });

    it('gives an interaction p-value that is small for a crossing and spread out on additive noise', () => {
      const random = seededRandom(11);
      const crossing = [
        [0.9, 0.92, 0.95, 0.93],
        [0.8, 0.83, 0.78, 0.81],
        [0.8, 0.82, 0.79, 0.81],
        [0.9, 0.91, 0.88, 0.92],
      ];
      expect(interactionPValue(crossing, 999, random)).toBeLessThan(0.01);
      // Under no interaction the p-values are roughly uniform: about 10 % of 200 null data sets below 0.1.
      const draw = () => Array.from({ length: 5 }, () => random());
      const below = Array.from({ length: 200 }, () =>
        interactionPValue([draw().map((x) => x + 1), draw(), draw().map((x) => x + 2), draw().map((x) => x + 1)], 199, random),
      ).filter((p) => p < 0.1).length;
      expect(below).toBeGreaterThan(8);
      expect(below).toBeLessThan(36);
    });
  });
});
