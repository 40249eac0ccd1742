/**
 * The reference study: Masters & Luschi, "Revisiting Small Batch Training for Deep Neural Networks" (2018),
 * found the best test performance with batch sizes between 2 and 32. This submits a grid of MNIST runs
 * (batch sizes 8…512, several learning rates, two seeds, a fixed number of epochs) to a running Tuneboard,
 * waits for its workers to train them, and records the finding "keep batch size ≤ 32" — with whatever
 * status the evidence gives it. If the runs do not support the claim on this budget, it says contested.
 *
 *   npm run study -w @tuneboard/example-small-batch-study [-- --quick]
 *
 * Uses TUNEBOARD_API_URL / TUNEBOARD_TOKEN, or the local `npm start` defaults.
 */
import { TuneboardClient } from '@tuneboard/sdk';
import { existsSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    project: { type: 'string', default: 'small-batch-study' },
    epochs: { type: 'string' },
  },
});

const BATCH_SIZES = args.quick ? [8, 32, 128, 512] : [8, 16, 32, 64, 128, 256, 512];
// Plain SGD, as in the paper: its best learning rate depends on the batch size, so each gets several.
const LEARNING_RATES = args.quick ? [0.03, 0.1] : [0.01, 0.03, 0.1];
const SEEDS = [1, 2];
const EPOCHS = Number(args.epochs ?? (args.quick ? 2 : 3));
const TAG = 'small-batch-study';

function token(): string | undefined {
  if (process.env.TUNEBOARD_TOKEN) return process.env.TUNEBOARD_TOKEN;
  // What `npm start` writes on its first start, relative to the repository root.
  const file = new URL('../../.tuneboard/admin-token.json', import.meta.url);
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as { token: string }).token : undefined;
}

const client = new TuneboardClient({ token: token() });

const config = (batchSize: number, learningRate: number, seed: number) => ({
  dataset: { name: 'mnist', trainSize: 6000, testSize: 2000, splitSeed: 0 },
  model: { kind: 'mlp', hiddenLayers: [128], activation: 'relu' },
  optimizer: { name: 'sgd', learningRate },
  batchSize,
  epochs: EPOCHS,
  seed,
});

async function main() {
  const started = Date.now();
  const project = await client.findOrCreateProject(args.project!);
  console.log(`project ${project.name} (${project.id}) at ${client.url}`);
  const runIds: string[] = [];
  for (const batchSize of BATCH_SIZES)
    for (const learningRate of LEARNING_RATES)
      for (const seed of SEEDS) {
        const { run } = await client.submitRun({
          projectId: project.id,
          hparams: config(batchSize, learningRate, seed),
          name: `bs${batchSize}-lr${learningRate}-seed${seed}`,
          tags: [TAG],
        });
        runIds.push(run.id);
      }
  console.log(
    `submitted ${runIds.length} runs (${BATCH_SIZES.length} batch sizes × ${LEARNING_RATES.length} learning rates × ${SEEDS.length} seeds, ${EPOCHS} epochs); waiting for workers…`,
  );

  let last = '';
  for (;;) {
    const runs = await Promise.all(runIds.map((id) => client.run(id)));
    const counts = new Map<string, number>();
    for (const run of runs) counts.set(run!.status, (counts.get(run!.status) ?? 0) + 1);
    const line = [...counts].map(([status, n]) => `${n} ${status.toLowerCase()}`).join(', ');
    if (line !== last) console.log(`  ${line}  (${Math.round((Date.now() - started) / 1000)} s)`);
    last = line;
    if (runs.every((run) => ['SUCCEEDED', 'FAILED', 'DIVERGED', 'CANCELLED'].includes(run!.status))) break;
    await new Promise((resolve) => setTimeout(resolve, 2000));
  }

  const { createFinding } = await client.request<{ createFinding: { id: string } }>(`mutation($input: FindingInput!) { createFinding(input: $input) { id } }`, {
    input: {
      projectId: project.id,
      title: 'Keep batch size ≤ 32',
      statement:
        'Masters & Luschi (2018) found the best test performance for batch sizes between 2 and 32, and that large batches ' +
        'narrow the range of stable learning rates. This finding checks the claim on our MNIST MLP at a fixed epoch budget.',
      rule: 'batchSize <= 32',
      scope: `tags has "${TAG}" and dataset.name = "mnist"`,
      metric: { key: 'test.accuracy', aggregate: 'LAST', direction: 'HIGHER' },
      citedRunIds: runIds,
    },
  });
  // The evidence is computed from the runs now; give the re-check a moment and read it back.
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const { finding } = await client.request<{
    finding: {
      status: string;
      evidence: {
        verdict: string;
        satisfying: { runCount: number; median: number };
        violating: { runCount: number; median: number };
        confounders: { path: string; satisfying: string; violating: string }[];
      };
    };
  }>(
    `query($id: ID!) { finding(id: $id) { status evidence { verdict satisfying { runCount median } violating { runCount median } confounders { path satisfying violating } } } }`,
    { id: createFinding.id },
  );
  const minutes = ((Date.now() - started) / 60000).toFixed(1);
  console.log(`\nfinding "Keep batch size ≤ 32": ${finding.status}`);
  console.log(finding.evidence.verdict);
  for (const c of finding.evidence.confounders) console.log(`  also differs: ${c.path}: ${c.satisfying} vs ${c.violating}`);
  console.log(`\nstudy took ${minutes} min; open the finding in the dashboard: /findings/${createFinding.id}`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
