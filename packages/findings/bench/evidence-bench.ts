// How long computeEvidence takes on a grid sweep of growing size (pooled + stratified + best-per-group bootstraps,
// 4000 resamples each). Prints one line per size; not a test. Run: npm run bench -w @tuneboard/findings
import { parseExpression, type Expr } from '@tuneboard/filter';
import { computeEvidence, type EvidenceRun, type FindingSpec } from '../src/index';

const expr = (text: string): Expr => parseExpression(text).ast!;
const finding: FindingSpec = { rule: expr('batchSize <= 32'), scope: null, metric: { key: 'acc', aggregate: 'last', direction: 'higher' } };

function grid(batchSizes: number, learningRates: number, seeds: number): EvidenceRun[] {
  const runs: EvidenceRun[] = [];
  for (let b = 0; b < batchSizes; b++)
    for (let l = 0; l < learningRates; l++)
      for (let seed = 0; seed < seeds; seed++) {
        const batchSize = 2 ** (b + 3);
        const lr = 10 ** (-4 + (3 * l) / Math.max(1, learningRates - 1));
        const acc = 0.9 - batchSize / 10000 - Math.abs(Math.log10(lr) + 1.5) / 10 + ((seed * 7919) % 100) / 10000;
        runs.push({
          id: `r${runs.length}`,
          name: `r${runs.length}`,
          status: 'succeeded',
          tags: [],
          params: { batchSize, 'optimizer.learningRate': lr, seed },
          metrics: { acc: { last: acc, min: acc, max: acc } },
        });
      }
  return runs;
}

for (const [b, l, s] of [
  [6, 10, 3],
  [8, 25, 5],
  [10, 50, 10],
  [10, 100, 20],
] as const) {
  const runs = grid(b, l, s);
  computeEvidence(finding, runs.slice(0, 50)); // warm up
  const times: number[] = [];
  for (let i = 0; i < 3; i++) {
    const start = performance.now();
    computeEvidence(finding, runs);
    times.push(performance.now() - start);
  }
  times.sort((x, y) => x - y);
  console.log(`${runs.length} runs (${b * l} configurations × ${s} seeds): median ${times[1]!.toFixed(0)} ms of 3`);
}
