// Benchmark (not a test): time to first render of the runs table with 10,000 runs and of a 20-run compare
// page, in Chromium against the real API on a fresh embedded database. Needs `next build` first.
// Run: npm run bench -w @tuneboard/web   (RUNS=10000 COMPARE=20 REPEATS=5 to change the sizes)
import { startStack, type Stack } from '../test/stack';

const RUN_COUNT = Number(process.env.RUNS ?? 10_000);
const COMPARE_COUNT = Number(process.env.COMPARE ?? 20);
const REPEATS = Number(process.env.REPEATS ?? 5);
const SUBMITS_PER_REQUEST = 100;
const COMPARE_STEPS = 5_000;

async function main(): Promise<void> {
  const stack = await startStack({ workers: 0 });
  try {
    const { projectId, runIds } = await seed(stack);
    const context = stack.browser;
    await context.addCookies([{ name: 'tuneboard_session', value: stack.token, url: stack.webUrl }]);
    const page = await context.newPage();

    const table = await measure(REPEATS, async () => {
      await page.goto('about:blank');
      const started = performance.now();
      await page.goto(`${stack.webUrl}/projects/${projectId}`);
      await page.locator('[role="row"][data-run-id]').first().waitFor();
      return performance.now() - started;
    });
    const rowsInDom = await page.locator('[role="row"][data-run-id]').count();
    const filtered = await measure(REPEATS, async () => {
      await page.goto('about:blank');
      const started = performance.now();
      await page.goto(
        `${stack.webUrl}/projects/${projectId}?q=${encodeURIComponent('batchSize <= 32 and optimizer.name = "adam"')}&sort=param%3Aoptimizer.learningRate&dir=asc`,
      );
      await page.locator('[role="row"][data-run-id]').first().waitFor();
      return performance.now() - started;
    });
    const compareIds = runIds.slice(0, COMPARE_COUNT);
    const compare = await measure(REPEATS, async () => {
      await page.goto('about:blank');
      const started = performance.now();
      await page.goto(`${stack.webUrl}/projects/${projectId}/compare?runs=${compareIds.join(',')}`);
      await page.waitForFunction(
        (n) => Number(document.querySelector('[data-chart="train.loss"]')?.getAttribute('data-series-count') ?? 0) === n,
        compareIds.length,
        { timeout: 60_000 },
      );
      return performance.now() - started;
    });

    console.log(
      JSON.stringify(
        {
          runs: RUN_COUNT,
          rowsInDom,
          runsTableFirstRowMs: table,
          filteredSortedTableFirstRowMs: filtered,
          compareRuns: compareIds.length,
          comparePointsPerSeries: COMPARE_STEPS,
          compareAllSeriesDrawnMs: compare,
        },
        null,
        2,
      ),
    );
  } finally {
    await stack.stop();
  }
}

async function measure(times: number, once: () => Promise<number>) {
  const samples: number[] = [];
  for (let i = 0; i < times; i++) samples.push(await once());
  const sorted = [...samples].sort((a, b) => a - b);
  return { firstMs: Math.round(samples[0]!), medianMs: Math.round(sorted[Math.floor(sorted.length / 2)]!), samplesMs: samples.map(Math.round) };
}

/** 10,000 queued runs with varied hyperparameters and a few metric points each; full curves for the compared ones. */
async function seed(stack: Stack): Promise<{ projectId: string; runIds: string[] }> {
  const started = performance.now();
  const { createProject } = await stack.gql<{ createProject: { id: string } }>('mutation($team: ID!) { createProject(teamId: $team, name: "bench") { id } }', {
    team: stack.teamId,
  });
  const projectId = createProject.id;
  const runIds: string[] = [];
  let random = 42;
  const next = () => (random = (random * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  for (let offset = 0; offset < RUN_COUNT; offset += SUBMITS_PER_REQUEST) {
    const count = Math.min(SUBMITS_PER_REQUEST, RUN_COUNT - offset);
    const inputs = Array.from({ length: count }, (_, i) => ({
      projectId,
      execution: 'EXTERNAL',
      tags: (offset + i) % 10 === 0 ? ['baseline'] : ['sweep'],
      hparams: {
        dataset: { name: 'spirals', trainSize: 2000, testSize: 500 },
        model: { kind: 'mlp', hiddenLayers: [16 * (1 + Math.floor(next() * 8))] },
        optimizer: next() < 0.5 ? { name: 'adam', learningRate: 10 ** (-4 + 3 * next()) } : { name: 'sgd', learningRate: 10 ** (-3 + 3 * next()) },
        batchSize: [16, 32, 64, 128][Math.floor(next() * 4)],
        epochs: 5,
      },
    }));
    const mutation = `mutation(${inputs.map((_, i) => `$i${i}: SubmitRunInput!`).join(', ')}) { ${inputs
      .map((_, i) => `r${i}: submitRun(input: $i${i}) { run { id } }`)
      .join(' ')} }`;
    const data = await stack.gql<Record<string, { run: { id: string } }>>(mutation, Object.fromEntries(inputs.map((input, i) => [`i${i}`, input])));
    const ids = inputs.map((_, i) => data[`r${i}`]!.run.id);
    runIds.push(...ids);
    // Summary metrics for the table's metric columns.
    const logs = ids.map(
      (id, i) =>
        `m${i}: logMetrics(runId: "${id}", series: [{ key: "test.accuracy", steps: [0, 1, 2], values: [${[0.5, 0.6 + next() * 0.1, 0.7 + next() * 0.25].join(', ')}] }, { key: "train.loss", steps: [0, 1, 2], values: [2.3, ${1 + next()}, ${next()}] }]) { accepted }`,
    );
    await stack.gql(`mutation { ${logs.join(' ')} }`);
  }
  for (const id of runIds.slice(0, COMPARE_COUNT)) {
    const steps = Array.from({ length: COMPARE_STEPS }, (_, i) => i);
    const scale = 0.5 + next();
    await stack.gql('mutation($r: ID!, $s: [MetricSeriesInput!]) { logMetrics(runId: $r, series: $s) { accepted } }', {
      r: id,
      s: [
        { key: 'train.loss', steps, values: steps.map((s) => 2.3 * Math.exp(-s / (1500 * scale)) + 0.1 * next()) },
        {
          key: 'test.accuracy',
          steps: steps.filter((s) => s % 500 === 0),
          values: steps.filter((s) => s % 500 === 0).map((s) => 1 - Math.exp(-s / 2000) * scale * 0.5),
        },
      ],
    });
  }
  console.error(`seeded ${RUN_COUNT} runs in ${Math.round((performance.now() - started) / 1000)} s`);
  return { projectId, runIds };
}

await main();
