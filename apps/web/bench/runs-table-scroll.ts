// Benchmark (not a test): the runs table with every one of 10,000 runs loaded, in Chromium at 1440×900 against the
// real API on a fresh embedded database. Needs `next build` first. Run: npm run bench:scroll -w @tuneboard/web
// (RUNS=10000 to change the size). Prints the load average with the figures: the machine is shared.
import { loadavg } from 'node:os';
import { startStack } from '../test/stack';

const RUN_COUNT = Number(process.env.RUNS ?? 10_000);
const BATCH = 1_000;

async function main(): Promise<void> {
  const stack = await startStack({ workers: 0 });
  try {
    const { createProject } = await stack.gql<{ createProject: { id: string } }>(
      'mutation($team: ID!) { createProject(teamId: $team, name: "scroll") { id } }',
      {
        team: stack.teamId,
      },
    );
    const projectId = createProject.id;
    for (let offset = 0; offset < RUN_COUNT; offset += BATCH) {
      const runs = Array.from({ length: Math.min(BATCH, RUN_COUNT - offset) }, (_, j) => ({
        name: `run-${offset + j}`,
        tags: ['sweep'],
        hparams: {
          dataset: { name: 'spirals', trainSize: 800, testSize: 200 },
          model: { kind: 'mlp', hiddenLayers: [32, 32] },
          optimizer: { name: 'adam', learningRate: 0.001 * (1 + ((offset + j) % 50)) },
          batchSize: [16, 32, 64][(offset + j) % 3],
          epochs: 3,
        },
      }));
      await stack.gql('mutation($input: SubmitRunsInput!) { submitRuns(input: $input) { runs { run { id } } } }', {
        input: { projectId, execution: 'EXTERNAL', runs },
      });
    }
    const page = await stack.browser.newPage();
    await page.setViewportSize({ width: 1440, height: 900 });
    // tsx names the helpers inside page.evaluate with its own __name(), which the page does not have.
    await page.addInitScript('window.__name = (fn) => fn');
    await stack.browser.addCookies([{ name: 'tuneboard_session', value: stack.token, url: stack.webUrl }]);
    await page.goto(`${stack.webUrl}/projects/${projectId}`);
    await page.locator('[role="row"][data-run-id]').first().waitFor();

    // Random jumps mount a fresh set of rows each time; a wheel-like scroll mounts a few rows a frame.
    const scrollCosts = () =>
      page.evaluate(async () => {
        const box = document.querySelector('[data-testid="runs-scroll"]')!;
        const frame = () => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)));
        const percentile = (values: number[], p: number) => Math.round([...values].sort((a, b) => a - b)[Math.floor(values.length * p)]!);
        const jumps: number[] = [];
        let seed = 1;
        for (let k = 0; k < 40; k++) {
          seed = (seed * 16807) % 2147483647;
          const start = performance.now();
          box.scrollTop = (seed / 2147483647) * (box.scrollHeight - box.clientHeight);
          await frame();
          jumps.push(performance.now() - start);
        }
        box.scrollTop = 0;
        await frame();
        const steps: number[] = [];
        for (let k = 0; k < 60; k++) {
          const start = performance.now();
          box.scrollTop += 120;
          await frame();
          steps.push(performance.now() - start);
        }
        return {
          jumpP50Ms: percentile(jumps, 0.5),
          jumpP90Ms: percentile(jumps, 0.9),
          step120pxP50Ms: percentile(steps, 0.5),
          rowsInDom: box.querySelectorAll('[role="row"]').length,
        };
      });
    const firstPage = await scrollCosts();

    // Load every page by scrolling to the bottom; time each page from one to the next.
    await page.evaluate(() => {
      const box = document.querySelector('[data-testid="runs-scroll"]')!;
      const marks: [number, number][] = [];
      (window as unknown as { pageMarks: typeof marks }).pageMarks = marks;
      // Main-thread tasks over 50 ms while pages load: how long the page stops answering.
      const longTasks: number[] = [];
      (window as unknown as { longTasks: number[] }).longTasks = longTasks;
      new PerformanceObserver((list) => list.getEntries().forEach((entry) => longTasks.push(entry.duration))).observe({ type: 'longtask' });
      new MutationObserver(() => {
        const loaded = Number(box.getAttribute('data-loaded'));
        if (marks.at(-1)?.[0] !== loaded) marks.push([loaded, performance.now()]);
      }).observe(box, { attributes: true, attributeFilter: ['data-loaded'] });
    });
    const started = performance.now();
    await page.waitForFunction(
      (count) => {
        const box = document.querySelector('[data-testid="runs-scroll"]')!;
        box.scrollTop = box.scrollHeight;
        return Number(box.getAttribute('data-loaded')) >= count;
      },
      RUN_COUNT,
      { timeout: 900_000, polling: 100 },
    );
    const loadAllSeconds = (performance.now() - started) / 1000;
    const pages = await page.evaluate(() => {
      const marks = (window as unknown as { pageMarks: [number, number][] }).pageMarks;
      const gaps = marks.slice(1).map(([, t], i) => Math.round(t - marks[i]![1]));
      const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
      const runPagePrefetches = performance.getEntriesByType('resource').filter((entry) => entry.name.includes('/runs/')).length;
      const longTasks = (window as unknown as { longTasks: number[] }).longTasks;
      const lastPagesLongestTaskMs = Math.round(Math.max(0, ...longTasks.slice(-20)));
      return {
        firstPagesMedianMs: median(gaps.slice(0, 10)),
        lastPagesMedianMs: median(gaps.slice(-10)),
        longestTaskMs: Math.round(Math.max(0, ...longTasks)),
        lastPagesLongestTaskMs,
        runPagePrefetches,
      };
    });
    const allLoaded = await scrollCosts();
    console.log(
      JSON.stringify(
        {
          runs: RUN_COUNT,
          loadAverage: loadavg().map((l) => l.toFixed(1)),
          loadAllByScrollingS: Math.round(loadAllSeconds * 10) / 10,
          pages,
          firstPage,
          allLoaded,
        },
        null,
        2,
      ),
    );
  } finally {
    await stack.stop();
  }
}

await main();
