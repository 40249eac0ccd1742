/**
 * Cost of computeImportance at the sizes it accepts: `npx tsx packages/findings/bench/importance.ts` from the root.
 * Prints the wall time of one call (64 trees plus 24 resamples of 16 trees; beyond 2,000 runs a sample of 2,000) for a sweep-like project: a few numeric,
 * log-scaled and categorical paths and a seed, the metric depending on two of them. Then suggestFindings on the same
 * projects (4,999 permutations per candidate rule).
 */
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
