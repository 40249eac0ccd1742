// Benchmark (not a test): time to first render of the runs table with 10,000 runs and of a 20-run compare
// page, in Chromium against the real API on a fresh embedded database. Needs `next build` first.
// Run: npm run bench -w @tuneboard/web   (RUNS=10000 COMPARE=20 REPEATS=5 to change the sizes; BASELINE_WEB_DIR=<dir> to
// measure another build side by side)
import { startStack } from '../test/stack';
import { seedBenchProject } from './seed';

const RUN_COUNT = Number(process.env.RUNS ?? 10_000);
const COMPARE_COUNT = Number(process.env.COMPARE ?? 20);
const REPEATS = Number(process.env.REPEATS ?? 5);
const COMPARE_STEPS = 5_000;
/** Another build of the dashboard to measure beside this one (a directory holding its `.next`; see docs/performance.md). */
const BASELINE_WEB_DIR = process.env.BASELINE_WEB_DIR;

async function main(): Promise<void> {
  const stack = await startStack({ workers: 0, ...(BASELINE_WEB_DIR ? { baselineWebDir: BASELINE_WEB_DIR } : {}) });
  try {
    const { projectId, runIds } = await seedBenchProject(stack, { runs: RUN_COUNT, compared: COMPARE_COUNT, comparedSteps: COMPARE_STEPS });
    const context = stack.browser;
    const page = await context.newPage();
    const compareIds = runIds.slice(0, COMPARE_COUNT);
    const dashboards = [stack.webUrl, ...(stack.baselineWebUrl ? [stack.baselineWebUrl] : [])];
    for (const url of dashboards) await context.addCookies([{ name: 'tuneboard_session', value: stack.token, url }]);

    // Each figure is taken on every dashboard in turn (this build, then the baseline build when one is given), so
    // both see the same machine load and the ratio between them is fair on a busy machine.
    const scenarios = {
      runsTableFirstRowMs: async (webUrl: string) => {
        await page.goto(`${webUrl}/projects/${projectId}`, { waitUntil: 'commit' });
        await page.locator('[role="row"][data-run-id]').first().waitFor();
      },
      filteredSortedTableFirstRowMs: async (webUrl: string) => {
        await page.goto(
          `${webUrl}/projects/${projectId}?q=${encodeURIComponent('batchSize <= 32 and optimizer.name = "adam"')}&sort=param%3Aoptimizer.learningRate&dir=asc`,
          { waitUntil: 'commit' },
        );
        await page.locator('[role="row"][data-run-id]').first().waitFor();
      },
      compareAllSeriesDrawnMs: async (webUrl: string) => {
        await page.goto(`${webUrl}/projects/${projectId}/compare?runs=${compareIds.join(',')}`, { waitUntil: 'commit' });
        // Drawn: the loss chart holds every run's series and its canvas has been painted (a frame after ECharts set it
        // up; the same test for a baseline build, which may not mark charts as drawn).
        await page.waitForFunction(
          (n) => {
            const figure = document.querySelector('[data-chart="train.loss"]');
            return Number(figure?.getAttribute('data-series-count') ?? 0) === n && figure?.querySelector('canvas') !== null;
          },
          compareIds.length,
          { timeout: 60_000 },
        );
        await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))));
      },
    };
    const results: Record<string, unknown> = { runs: RUN_COUNT, compareRuns: compareIds.length, comparePointsPerSeries: COMPARE_STEPS };
    for (const [name, scenario] of Object.entries(scenarios)) {
      const samples = dashboards.map(() => [] as number[]);
      for (let i = 0; i < REPEATS; i++)
        for (const [d, url] of dashboards.entries()) {
          await page.goto('about:blank');
          const started = performance.now();
          await scenario(url);
          samples[d]!.push(performance.now() - started);
        }
      const [current, baseline] = samples.map(summary);
      results[name] = baseline ? { current, baseline, ratio: Number((current!.medianMs / baseline.medianMs).toFixed(2)) } : current;
    }
    await page.goto(`${stack.webUrl}/projects/${projectId}`);
    await page.locator('[role="row"][data-run-id]').first().waitFor();
    results.rowsInDom = await page.locator('[role="row"][data-run-id]').count();
    console.log(JSON.stringify(results, null, 2));
  } finally {
    await stack.stop();
  }
}

function summary(samples: number[]) {
  const sorted = [...samples].sort((a, b) => a - b);
  return { firstMs: Math.round(samples[0]!), medianMs: Math.round(sorted[Math.floor(sorted.length / 2)]!), samplesMs: samples.map(Math.round) };
}

await main();
