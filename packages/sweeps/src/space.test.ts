import { describe, expect, it } from 'vitest';
import { gridConfigurations } from './grid';
import { randomConfiguration } from './random';
import { createRng } from './rng';
import { validateSpace, type SearchSpace } from './space';

const optimizerSpace: SearchSpace = {
  'optimizer.name': { type: 'categorical', values: ['adam', 'momentum'] },
  'optimizer.learningRate': { type: 'float', low: 1e-4, high: 1, log: true, grid: 5 },
  'optimizer.momentum': { type: 'float', low: 0.5, high: 0.99, grid: 3, when: { path: 'optimizer.name', in: ['momentum'] } },
  batchSize: { type: 'categorical', values: [16, 32, 64] },
  'training.epochs': { type: 'fixed', value: 3 },
};

describe('validateSpace', () => {
  it('accepts a space with a conditional path', () => {
    expect(validateSpace(optimizerSpace)).toEqual([]);
  });

  it('names every problem at its path', () => {
    const issues = validateSpace({
      lr: { type: 'float', low: 0, high: 1, log: true },
      width: { type: 'int', low: 64, high: 32 },
      depth: { type: 'int', low: 1.5, high: 4 },
      act: { type: 'categorical', values: [] },
      opt: { type: 'categorical', values: ['adam', 'adam'] },
      beta: { type: 'float', low: 0.8, high: 0.99, when: { path: 'opt', in: ['sgd'] } },
      gamma: { type: 'float', low: 0, high: 1, when: { path: 'lr', in: [1] } },
      steps: { type: 'float', low: 0, high: 1, grid: 1 },
      bad: { type: 'normal' } as never,
    });
    expect(issues.map((issue) => issue.path)).toEqual([
      'lr.low',
      'width.high',
      'depth.low',
      'act.values',
      'opt.values',
      'beta.when.in[0]',
      'gamma.when.path',
      'steps.grid',
      'bad',
    ]);
    expect(issues.find((issue) => issue.path === 'beta.when.in[0]')!.message).toContain('"sgd" is not one of opt\'s values');
  });

  it('refuses an empty space and a cycle of conditions', () => {
    expect(validateSpace({})[0]!.message).toMatch(/empty/);
    const cycle = validateSpace({
      a: { type: 'categorical', values: [1, 2], when: { path: 'b', in: [1] } },
      b: { type: 'categorical', values: [1, 2], when: { path: 'a', in: [1] } },
    });
    expect(cycle).toEqual([{ path: '', message: expect.stringMatching(/cycle/) }]);
  });
});

describe('gridConfigurations', () => {
  it('enumerates each combination once, with a conditional path only where its condition holds', () => {
    const result = gridConfigurations(optimizerSpace, 1_000);
    if (!result.ok) throw new Error(JSON.stringify(result.issues));
    // adam: 5 rates × 3 batch sizes; momentum: 5 × 3 momenta × 3 batch sizes.
    expect(result.configurations).toHaveLength(15 + 45);
    expect(new Set(result.configurations.map((c) => JSON.stringify(c))).size).toBe(60);
    expect(result.configurations.filter((c) => c['optimizer.name'] === 'adam').every((c) => !('optimizer.momentum' in c))).toBe(true);
    expect([...new Set(result.configurations.map((c) => c['optimizer.learningRate']))]).toEqual([1e-4, 1e-3, 1e-2, 1e-1, 1]);
    expect(result.configurations.every((c) => c['training.epochs'] === 3)).toBe(true);
  });

  it('refuses a grid larger than the budget, saying how large it is', () => {
    const result = gridConfigurations(optimizerSpace, 59);
    expect(result).toEqual({ ok: false, issues: [{ path: '', message: 'The grid has 60 configurations; the budget allows 59 runs.' }] });
  });

  it('asks for grid points on a float range', () => {
    const result = gridConfigurations({ lr: { type: 'float', low: 0.001, high: 0.1 } }, 100);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.issues[0]!.path).toBe('lr.grid');
  });

  it('counts an astronomically large grid without enumerating it', () => {
    const huge = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`p${i}`, { type: 'int' as const, low: 1, high: 100 }]));
    const result = gridConfigurations(huge, 1_000); // 100^20 configurations: enumerating them would never end
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.issues[0]!.message).toMatch(/more than 1e\+12 configurations/);
  });
});

describe('randomConfiguration', () => {
  it('is reproducible from its seed and stays in range; log ranges are uniform in log space', () => {
    const draw = (seed: number) => {
      const rng = createRng(seed);
      return Array.from({ length: 2_000 }, () => randomConfiguration(optimizerSpace, rng));
    };
    const a = draw(7);
    expect(draw(7)).toEqual(a);
    expect(draw(8)).not.toEqual(a);
    const rates = a.map((c) => c['optimizer.learningRate'] as number);
    expect(Math.min(...rates)).toBeGreaterThanOrEqual(1e-4);
    expect(Math.max(...rates)).toBeLessThanOrEqual(1);
    // Log-uniform on [1e-4, 1]: a quarter of the draws below 1e-3, half below 1e-2.
    expect(rates.filter((r) => r < 1e-3).length / rates.length).toBeCloseTo(0.25, 1);
    expect(rates.filter((r) => r < 1e-2).length / rates.length).toBeCloseTo(0.5, 1);
    const momentumRuns = a.filter((c) => c['optimizer.name'] === 'momentum');
    expect(momentumRuns.every((c) => typeof c['optimizer.momentum'] === 'number')).toBe(true);
    expect(a.filter((c) => c['optimizer.name'] === 'adam').some((c) => 'optimizer.momentum' in c)).toBe(false);
  });

  it('draws every integer of a range, the ends as often as the middle', () => {
    const rng = createRng(3);
    const counts = new Map<number, number>();
    for (let i = 0; i < 6_000; i++) {
      const value = randomConfiguration({ depth: { type: 'int', low: 1, high: 3 } }, rng).depth as number;
      counts.set(value, (counts.get(value) ?? 0) + 1);
    }
    expect([...counts.keys()].sort()).toEqual([1, 2, 3]);
    for (const count of counts.values()) expect(count / 6_000).toBeCloseTo(1 / 3, 1);
  });
});
