import { evaluate, parseExpression } from '@tuneboard/filter';
import { describe, expect, it } from 'vitest';
import type { ImportanceRun } from './importance';
import { seededRandom } from './statistics';
import { readableCut, suggestFindings } from './suggestions';

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
});
