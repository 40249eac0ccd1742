/**
 * The reference study: Masters & Luschi, "Revisiting Small Batch Training for Deep Neural Networks" (2018),
 * found the best test performance with batch sizes between 2 and 32. This trains MNIST runs (batch sizes 8…512,
 * plain SGD, two seeds, a fixed number of epochs) on a running Tuneboard and records the finding "keep batch size
 * ≤ 32" — with whatever status the evidence gives it.
 *
 * The paper compares each batch size at its own best learning rate, so the learning-rate grid must contain that
 * best rate. The study starts with 0.01, 0.03 and 0.1 and, round after round, adds the next rate (×≈3 or ÷≈3) for
 * each batch size whose best rate is still the largest or smallest it tried (grid.ts), until every batch size's
 * best rate is inside its grid or MAX_ROUNDS have run. Then it prints the finding's evidence — pooled, matched and
 * best per batch size — what the hyperparameters' importance is, and which findings Tuneboard suggests by itself.
 *
 *   npm run study -w @tuneboard/example-small-batch-study [-- --quick]
 *
 * Uses TUNEBOARD_API_URL / TUNEBOARD_TOKEN, or the local `npm start` defaults.
 */
import { LIMITS } from '@tuneboard/hparams';
import { TuneboardClient } from '@tuneboard/sdk';
import { existsSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { bestLearningRates, nextLearningRates, type Trial } from './grid';

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    project: { type: 'string', default: 'small-batch-study' },
    epochs: { type: 'string' },
  },
});

const BATCH_SIZES = args.quick ? [8, 32, 128, 512] : [8, 16, 32, 64, 128, 256, 512];
// Plain SGD, as in the paper: its best learning rate depends on the batch size, so the grid grows per batch size.
const FIRST_LEARNING_RATES = args.quick ? [0.03, 0.1] : [0.01, 0.03, 0.1];
const SEEDS = [1, 2];
const EPOCHS = Number(args.epochs ?? (args.quick ? 2 : 3));
const MAX_ROUNDS = 5;
const TAG = 'small-batch-study';
const METRIC = 'test.accuracy';

function token(): string | undefined {
  if (process.env.TUNEBOARD_TOKEN) return process.env.TUNEBOARD_TOKEN;
  // What `npm start` writes on its first start, relative to the repository root.
  const file = new URL('../../.tuneboard/admin-token.json', import.meta.url);
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as { token: string }).token : undefined;
}

const client = new TuneboardClient({ token: token() });
const started = Date.now();
const elapsed = () => `${Math.round((Date.now() - started) / 1000)} s`;
const f3 = (x: number | null | undefined) => (x == null ? '–' : x.toFixed(3));

const config = (batchSize: number, learningRate: number, seed: number) => ({
  dataset: { name: 'mnist', trainSize: 6000, testSize: 2000, splitSeed: 0 },
  model: { kind: 'mlp', hiddenLayers: [128], activation: 'relu' },
  optimizer: { name: 'sgd', learningRate },
  batchSize,
  epochs: EPOCHS,
  seed,
});

/** Submits every seed of each (batch size, learning rate) in one request; returns the run ids. */
async function submit(projectId: string, grid: { batchSize: number; learningRate: number }[]): Promise<string[]> {
  const runs = grid.flatMap(({ batchSize, learningRate }) =>
    SEEDS.map((seed) => ({ hparams: config(batchSize, learningRate, seed), name: `bs${batchSize}-lr${learningRate}-seed${seed}`, tags: [TAG] })),
  );
  return (await client.submitRuns({ projectId, runs })).map(({ run }) => run.id);
}

/** Waits until the workers have finished every run, printing the counts as they change. */
async function waitFor(runIds: string[]): Promise<void> {
  let last = '';
  for (;;) {
    const runs = await Promise.all(runIds.map((id) => client.run(id)));
    const statuses = runs.map((run) => run!.status);
    const line = [...new Set(statuses)]
      .sort()
      .map((status) => `${statuses.filter((s) => s === status).length} ${status.toLowerCase()}`)
      .join(', ');
    if (line !== last) console.log(`  ${line}  (${elapsed()})`);
    last = line;
    if (statuses.every((status) => ['SUCCEEDED', 'FAILED', 'DIVERGED', 'CANCELLED'].includes(status))) return;
    await new Promise((resolve) => setTimeout(resolve, 2000));
  }
}

/** Each configuration's mean final test accuracy over its seeds; a seed that diverged or failed makes it NaN. */
async function trialsOf(projectId: string, runIds: string[]): Promise<Trial[]> {
  const { runs } = await client.request<{ runs: { nodes: { params: Record<string, number>; metric: { last: number | string | null } | null }[] } }>(
    `query($p: ID!, $ids: [ID!], $first: Int, $metric: String!) { runs(projectId: $p, ids: $ids, first: $first) { nodes { params metric(key: $metric) { last } } } }`,
    { p: projectId, ids: runIds, first: runIds.length, metric: METRIC },
  );
  const seeds = new Map<string, { batchSize: number; learningRate: number; values: number[] }>();
  for (const { params, metric } of runs.nodes) {
    const batchSize = params['batchSize']!;
    const learningRate = params['optimizer.learningRate']!;
    const key = `${batchSize} ${learningRate}`;
    if (!seeds.has(key)) seeds.set(key, { batchSize, learningRate, values: [] });
    seeds.get(key)!.values.push(metric?.last == null ? NaN : Number(metric.last));
  }
  return [...seeds.values()].map(({ batchSize, learningRate, values }) => ({
    batchSize,
    learningRate,
    accuracy: values.reduce((sum, v) => sum + v, 0) / values.length,
  }));
}

/** Records the finding, or updates the one an earlier study recorded, citing every run; returns its id. */
async function recordFinding(projectId: string, runIds: string[]): Promise<string> {
  const title = 'Keep batch size ≤ 32';
  const fields = {
    title,
    statement:
      'Masters & Luschi (2018) found the best test performance for batch sizes between 2 and 32, and that large batches ' +
      'narrow the range of stable learning rates. This finding checks the claim on our MNIST MLP at a fixed epoch budget, ' +
      'each batch size with learning rates widened until its best one is inside the grid.',
    rule: 'batchSize <= 32',
    scope: `tags has "${TAG}" and dataset.name = "mnist"`,
    metric: { key: METRIC, aggregate: 'LAST', direction: 'HIGHER' },
    citedRunIds: runIds,
  };
  const { findings } = await client.request<{ findings: { id: string; title: string }[] }>(`query($p: ID!) { findings(projectId: $p) { id title } }`, {
    p: projectId,
  });
  const existing = findings.find((finding) => finding.title === title);
  if (existing) {
    await client.request(`mutation($input: UpdateFindingInput!) { updateFinding(input: $input) { id } }`, { input: { id: existing.id, ...fields } });
    return existing.id;
  }
  const { createFinding } = await client.request<{ createFinding: { id: string } }>(`mutation($input: FindingInput!) { createFinding(input: $input) { id } }`, {
    input: { projectId, ...fields },
  });
  return createFinding.id;
}

interface Interval {
  low: number;
  high: number;
}
interface Side {
  configurationCount: number;
  runCount: number;
}
interface Evidence {
  status: string;
  verdict: string;
  difference: number | null;
  interval: Interval | null;
  satisfying: Side & { mean: number | null };
  violating: Side & { mean: number | null };
  stratified: { difference: number | null; interval: Interval | null; strataCompared: number; satisfying: Side; violating: Side; disagreement: string | null };
  bestPerGroup: {
    difference: number | null;
    interval: Interval | null;
    groups: { label: string; value: number; setting: string }[];
    disagreement: string | null;
  };
  edgeOfRange: { message: string }[];
  confounders: { path: string; satisfying: string; violating: string }[];
}

const EVIDENCE = `query($id: ID!) { finding(id: $id) { status evidence {
  status verdict difference interval { low high }
  satisfying { configurationCount runCount mean } violating { configurationCount runCount mean }
  stratified { difference interval { low high } strataCompared satisfying { configurationCount runCount } violating { configurationCount runCount } disagreement }
  bestPerGroup { difference interval { low high } groups { label value setting } disagreement }
  edgeOfRange { message }
  confounders { path satisfying violating }
} } }`;

const INSIGHTS = `query($p: ID!, $metric: String!) { project(id: $p) {
  importance(metric: $metric, aggregate: LAST) { refusal runsUsed configurations explainedVariance paths { path share low high isSeed } }
  suggestedFindings(metric: { key: $metric, aggregate: LAST, direction: HIGHER }) {
    refusal candidatesTested configurations suggestions { rule difference effectSize qValue satisfying { configurations runs mean } violating { configurations runs mean } }
  }
} }`;

/** "batch 8, 16 at lr 0.01, 0.03; batch 32 at lr 1": batch sizes that get the same learning rates share a clause. */
function describeGrid(grid: { batchSize: number; learningRate: number }[]): string {
  const ratesOf = new Map<number, number[]>();
  for (const { batchSize, learningRate } of grid) ratesOf.set(batchSize, [...(ratesOf.get(batchSize) ?? []), learningRate]);
  const batchSizesOf = new Map<string, number[]>();
  for (const [batchSize, rates] of ratesOf) batchSizesOf.set(rates.join(', '), [...(batchSizesOf.get(rates.join(', ')) ?? []), batchSize]);
  return [...batchSizesOf].map(([rates, batchSizes]) => `batch ${batchSizes.join(', ')} at lr ${rates}`).join('; ');
}

const interval = (i: Interval | null) => (i ? `95% interval ${f3(i.low)} to ${f3(i.high)}` : 'no interval');
const counts = (s: Side, v: Side) => `${s.configurationCount} vs ${v.configurationCount} configurations, ${s.runCount} vs ${v.runCount} runs`;

async function main() {
  const project = await client.findOrCreateProject(args.project!);
  console.log(`project ${project.name} (${project.id}) at ${client.url}`);

  // Round 1 is the full grid of first learning rates; later rounds only what nextLearningRates asks for.
  let grid = BATCH_SIZES.flatMap((batchSize) => FIRST_LEARNING_RATES.map((learningRate) => ({ batchSize, learningRate })));
  const runIds: string[] = [];
  const trials: Trial[] = [];
  let round = 0;
  while (grid.length > 0 && round < MAX_ROUNDS) {
    round++;
    const ids = await submit(project.id, grid);
    runIds.push(...ids);
    console.log(`\nround ${round}: ${ids.length} runs (${describeGrid(grid)}; ${SEEDS.length} seeds, ${EPOCHS} epochs)`);
    await waitFor(ids);
    trials.push(...(await trialsOf(project.id, ids)));
    trials.sort((a, b) => a.batchSize - b.batchSize || a.learningRate - b.learningRate);

    const { add, stuck } = nextLearningRates(trials, LIMITS.maxLearningRate);
    for (const [batchSize, best] of bestLearningRates(trials)) {
      const tried = trials.filter((t) => t.batchSize === batchSize).map((t) => t.learningRate);
      const next = add.get(batchSize);
      const note = next ? `at the edge, next ${next.join(', ')}` : (stuck.get(batchSize) ?? 'inside');
      console.log(`  batch ${String(batchSize).padStart(3)}: best lr ${best.learningRate} (${f3(best.accuracy)}) of ${tried.join(', ')}; ${note}`);
    }
    grid = [...add].flatMap(([batchSize, rates]) => rates.map((learningRate) => ({ batchSize, learningRate })));
  }
  if (grid.length > 0) console.log(`\nstopped after ${MAX_ROUNDS} rounds with some best learning rates still at the edge of their grid`);
  console.log(`\n${runIds.length} runs in ${round} rounds, ${elapsed()}`);

  const findingId = await recordFinding(project.id, runIds);
  const { finding } = await client.request<{ finding: { status: string; evidence: Evidence } }>(EVIDENCE, { id: findingId });
  const e = finding.evidence;
  console.log(`\nfinding "Keep batch size ≤ 32": ${finding.status}`);
  console.log(e.verdict);
  console.log(
    `  pooled: ${f3(e.satisfying.mean)} vs ${f3(e.violating.mean)}, difference ${f3(e.difference)} (${interval(e.interval)}); ${counts(e.satisfying, e.violating)}`,
  );
  const s = e.stratified;
  console.log(
    `  matched (same learning rate): difference ${f3(s.difference)} (${interval(s.interval)}) over ${s.strataCompared} learning rates; ${counts(s.satisfying, s.violating)}`,
  );
  const b = e.bestPerGroup;
  console.log(`  best per batch size: difference ${f3(b.difference)} (${interval(b.interval)})`);
  for (const group of b.groups) console.log(`    ${group.label}: ${f3(group.value)} at ${group.setting}`);
  for (const note of [s.disagreement, b.disagreement, ...e.edgeOfRange.map((edge) => edge.message)]) if (note) console.log(`  note: ${note}`);
  for (const c of e.confounders) console.log(`  also differs: ${c.path}: ${c.satisfying} vs ${c.violating}`);

  const { project: insights } = await client.request<{
    project: {
      importance: {
        refusal: string | null;
        runsUsed: number;
        configurations: number;
        explainedVariance: number | null;
        paths: { path: string; share: number; low: number; high: number; isSeed: boolean }[];
      };
      suggestedFindings: {
        refusal: string | null;
        candidatesTested: number;
        configurations: number;
        suggestions: {
          rule: string;
          difference: number;
          effectSize: number | null;
          qValue: number;
          satisfying: { configurations: number; mean: number };
          violating: { configurations: number; mean: number };
        }[];
      };
    };
  }>(INSIGHTS, { p: project.id, metric: METRIC });

  const importance = insights.importance;
  console.log(
    `\nimportance for last(${METRIC}): ${importance.runsUsed} runs, ${importance.configurations} configurations, explained variance ${f3(importance.explainedVariance)}`,
  );
  if (importance.refusal) console.log(`  ${importance.refusal}`);
  for (const p of importance.paths)
    console.log(
      `  ${p.path.padEnd(24)} ${(p.share * 100).toFixed(0).padStart(3)} % (${(p.low * 100).toFixed(0)}–${(p.high * 100).toFixed(0)} %)${p.isSeed ? '  seed' : ''}`,
    );

  const suggested = insights.suggestedFindings;
  console.log(`\nsuggested findings (${suggested.candidatesTested} candidate rules tested on ${suggested.configurations} configurations):`);
  if (suggested.refusal) console.log(`  ${suggested.refusal}`);
  if (!suggested.refusal && suggested.suggestions.length === 0) console.log('  none');
  for (const x of suggested.suggestions)
    console.log(
      `  ${x.rule}: ${f3(x.satisfying.mean)} vs ${f3(x.violating.mean)} (${x.satisfying.configurations} vs ${x.violating.configurations} configurations), ` +
        `difference ${f3(x.difference)}, effect size ${f3(x.effectSize)}, q = ${x.qValue.toPrecision(2)}`,
    );

  console.log(`\nstudy took ${((Date.now() - started) / 60000).toFixed(1)} min; open the finding in the dashboard: /findings/${findingId}`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
