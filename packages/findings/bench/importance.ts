/**
 * Cost of computeImportance at the sizes it accepts: `npx tsx packages/findings/bench/importance.ts` from the root.
 * Prints the wall time of one call (64 trees plus 24 resamples of 16 trees; beyond 2,000 runs a sample of 2,000) for a sweep-like project: a few numeric,
 * log-scaled and categorical paths and a seed, the metric depending on two of them. Then suggestFindings on the same
 * projects (4,999 permutations per candidate rule).
 *
 * BENCH_BASELINE_DIR=<a checkout of another version>: each case runs on both versions in turn (order alternating,
 * BENCH_ROUNDS rounds, default 3), must give equal results, and prints both medians and their ratio (this / baseline)
 * with the load average: on a shared machine only a side-by-side ratio says anything.
 */
import { loadavg } from 'node:os';
import { isDeepStrictEqual } from 'node:util';
import { computeImportance, type ImportanceRun } from '../src/importance';
import { seededRandom } from '../src/statistics';
import { suggestFindings } from '../src/suggestions';

function project(runs: number, extraPaths: number, interaction = false): ImportanceRun[] {
  const random = seededRandom(11);
  const pick = <T>(values: readonly T[]) => values[Math.floor(random() * values.length)]!;
  return Array.from({ length: runs }, (_, i) => {
    const batchSize = pick([8, 16, 32, 64, 128, 256, 512]);
    const learningRate = 10 ** (-4 + 3.5 * random());
    const params: Record<string, number | string | boolean> = {
      batchSize,
      'optimizer.learningRate': learningRate,
      'optimizer.name': pick(['adam', 'sgd', 'rmsprop']),
      'training.shuffle': pick([true, false]),
      seed: Math.floor(random() * 5),
    };
    for (let p = 0; p < extraPaths; p++) params[`extra${p}`] = Math.round(random() * 100);
    // With `interaction`, batch size matters with sgd only (the case scoped suggestions are for).
    const batchEffect = interaction && params['optimizer.name'] !== 'sgd' ? 0 : 0.02 * Math.log2(batchSize / 8);
    const accuracy = 0.95 - batchEffect - 0.03 * Math.abs(Math.log10(learningRate) + 1.5) + 0.01 * (random() - 0.5);
    return { id: `run-${String(i).padStart(5, '0')}`, status: 'succeeded', params, metrics: { 'test.accuracy': { last: accuracy, min: null, max: null } } };
  });
}

const baselineDir = process.env.BENCH_BASELINE_DIR;
if (baselineDir) await sideBySide(baselineDir);
else {
  for (const [runs, extra] of [
    [100, 0],
    [1000, 0],
    [1000, 15],
    [2000, 0],
    [2000, 15],
    [5000, 0],
  ] as const) {
    const data = project(runs, extra);
    const start = performance.now();
    const result = computeImportance(data, { key: 'test.accuracy', aggregate: 'last' });
    const ms = performance.now() - start;
    const top = result.paths
      .slice(0, 3)
      .map((p) => `${p.path} ${p.share.toFixed(2)} [${p.low.toFixed(2)}, ${p.high.toFixed(2)}]`)
      .join('; ');
    console.log(`${runs} runs, ${5 + extra} paths: ${ms.toFixed(0)} ms; R² ${result.explainedVariance?.toFixed(2)}; ${top}`);
  }

  for (const interaction of [false, true])
    for (const runs of [100, 1000, 2000]) {
      const data = project(runs, 0, interaction);
      const start = performance.now();
      const result = suggestFindings(data, { key: 'test.accuracy', aggregate: 'last', direction: 'higher' });
      const ms = performance.now() - start;
      const drafts = result.suggestions.map((s) => (s.scope ? `${s.rule} where ${s.scope}` : s.rule)).join(', ');
      console.log(
        `suggestions${interaction ? ' (sgd-only batch effect)' : ''}, ${runs} runs: ${ms.toFixed(0)} ms; ${result.candidatesTested} candidates ` +
          `(${result.scopedCandidatesTested ?? 0} scoped); ${drafts}`,
      );
    }
}

async function sideBySide(dir: string): Promise<void> {
  const base = {
    importance: (await import(`${dir}/packages/findings/src/importance.ts`)).computeImportance as typeof computeImportance,
    suggestions: (await import(`${dir}/packages/findings/src/suggestions.ts`)).suggestFindings as typeof suggestFindings,
  };
  const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
  const cases: { name: string; now: () => unknown; before: () => unknown }[] = [];
  for (const [runs, extra] of [
    [1000, 0],
    [2000, 0],
    [2000, 15],
  ] as const) {
    const data = project(runs, extra);
    const metric = { key: 'test.accuracy', aggregate: 'last' } as const;
    cases.push({
      name: `importance, ${runs} runs, ${5 + extra} paths`,
      now: () => computeImportance(data, metric),
      before: () => base.importance(data, metric),
    });
  }
  for (const runs of [1000, 2000]) {
    const data = project(runs, 0);
    const metric = { key: 'test.accuracy', aggregate: 'last', direction: 'higher' } as const;
    cases.push({ name: `suggestions, ${runs} runs`, now: () => suggestFindings(data, metric), before: () => base.suggestions(data, metric) });
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  for (const c of cases) {
    const times = { now: [] as number[], before: [] as number[] };
    let results: { now?: unknown; before?: unknown } = {};
    for (let round = 0; round < rounds; round++)
      for (const which of round % 2 === 0 ? (['now', 'before'] as const) : (['before', 'now'] as const)) {
        const start = performance.now();
        results = { ...results, [which]: c[which]() };
        times[which].push(performance.now() - start);
      }
    // Suggestions share one p-value between a threshold's two orientations (see suggestions.ts), so their
    // p-values come from other draws than the baseline's: the candidates and proposed rules must still agree.
    const comparable = (result: unknown) =>
      c.name.startsWith('suggestions')
        ? ((r: ReturnType<typeof suggestFindings>) => ({ tested: r.candidatesTested, rules: r.suggestions.map((x) => x.rule) }))(
            result as ReturnType<typeof suggestFindings>,
          )
        : result;
    if (!isDeepStrictEqual(comparable(results.now), comparable(results.before)))
      throw new Error(
        `${c.name}: this version and the baseline give different results: ${JSON.stringify([comparable(results.now), comparable(results.before)]).slice(0, 400)}`,
      );
    const now = median(times.now);
    const before = median(times.before);
    console.log(
      `${c.name}: baseline ${before.toFixed(0)} ms, this version ${now.toFixed(0)} ms, ratio ${(now / before).toFixed(2)} (${c.name.startsWith('suggestions') ? 'same candidates and rules' : 'equal results'}; load average ${loadavg()[0]!.toFixed(1)})`,
    );
  }
}
