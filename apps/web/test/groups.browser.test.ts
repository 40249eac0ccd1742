// Issue #14's groups on the compare page: a batch-size sweep with seeds, grouped by everything but the seed, shows
// one mean line with a band per batch size (legend "batchSize=32 (n=3)"), the band is selectable, and the x axis
// defaults to epochs because the batch sizes train different numbers of steps per epoch.
// Needs `next build` first. No trainer worker: the runs are logged through the API, as a script would.
import { existsSync, mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM_PATH, startStack, type Stack } from './stack';

const ARTIFACTS = resolve(import.meta.dirname, '../test-artifacts');
const BUILT = existsSync(resolve(import.meta.dirname, '../.next/BUILD_ID'));

describe.skipIf(!BUILT || !existsSync(CHROMIUM_PATH))('seed groups on the compare page', () => {
  let stack: Stack;
  let page: Page;
  let projectId: string;
  let runIds: string[];

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    stack = await startStack({ workers: 0 });
    page = await stack.browser.newPage();
    const { createProject } = await stack.gql<{ createProject: { id: string } }>(
      `mutation($teamId: ID!) { createProject(teamId: $teamId, name: "seeds") { id } }`,
      {
        teamId: stack.teamId,
      },
    );
    projectId = createProject.id;
    // Batch 32 with 3 seeds, batch 128 with 2, batch 512 with 1: 1000 samples are 32, 8 and 2 steps per epoch.
    const specs = [...[1, 2, 3].map((seed) => ({ batchSize: 32, seed })), ...[1, 2].map((seed) => ({ batchSize: 128, seed })), { batchSize: 512, seed: 1 }].map(
      ({ batchSize, seed }) => ({
        name: `b${batchSize}-s${seed}`,
        hparams: {
          dataset: { name: 'spirals', trainSize: 1000, testSize: 200 },
          model: { kind: 'mlp', hiddenLayers: [16] },
          optimizer: { name: 'adam', learningRate: 0.01 },
          batchSize,
          epochs: 2,
          seed,
        },
      }),
    );
    const { submitRuns } = await stack.gql<{ submitRuns: { runs: { run: { id: string } }[] } }>(
      `mutation($input: SubmitRunsInput!) { submitRuns(input: $input) { runs { run { id } } } }`,
      { input: { projectId, execution: 'EXTERNAL', runs: specs } },
    );
    runIds = submitRuns.runs.map((r) => r.run.id);
    await Promise.all(
      runIds.map((id, i) => {
        const { batchSize, seed } = specs[i]!.hparams;
        const steps = 2 * Math.ceil(1000 / batchSize);
        return stack.gql(`mutation($id: ID!, $series: [MetricSeriesInput!]) { logMetrics(runId: $id, series: $series) { accepted } }`, {
          id,
          series: [
            {
              key: 'train.loss',
              steps: [...Array(steps).keys()],
              values: Array.from({ length: steps }, (_, s) => Math.exp((-2 * s) / steps) * (1 + batchSize / 512) + 0.05 * seed),
            },
          ],
        });
      }),
    );
    // A note on one run, drawn as a marker at its step (step 32 of batch 32 is epoch 1).
    await stack.gql(`mutation($r: ID!) { annotateRun(runId: $r, body: "lr warm-up ends", step: 32) { id } }`, { r: runIds[0] });
  }, 180_000);

  afterAll(async () => {
    await stack?.stop();
  });

  const groupsDrawn = (key: string) => page.locator(`[data-group-chart="${key}"]`).getAttribute('data-groups');

  it('draws each configuration as a mean with a band, selectable, on epochs', async () => {
    await page.goto(`${stack.webUrl}/sign-in`);
    await page.getByLabel('API token').fill(stack.token);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(/\/projects$/);
    await page.goto(`${stack.webUrl}/projects/${projectId}/compare?runs=${runIds.join(',')}`);

    // Each run on its own first; steps per epoch differ, so the x axis is epochs without being asked.
    await page.waitForSelector('[data-chart="train.loss"][data-series-count="6"]', { timeout: 30_000 });
    expect(await page.getByLabel('x axis').inputValue()).toBe('epoch');

    await page.getByLabel('group by').selectOption('seeds');
    await page.waitForURL(/group=seeds/);
    await page.waitForSelector('[data-group-chart="train.loss"] [data-chart="train.loss"]', { timeout: 30_000 });
    expect(await groupsDrawn('train.loss')).toBe('3');
    // Three series a group: the band's lower edge, its stacked height and the mean line.
    expect(await page.locator('[data-group-chart="train.loss"] [data-chart="train.loss"]').getAttribute('data-series-count')).toBe('9');
    expect(await page.locator('[data-group-chart="train.loss"]').getAttribute('data-band')).toBe('ci');
    expect(await page.locator('[data-group-chart="train.loss"]').getAttribute('data-markers')).toBe('1');
    await page.locator('[data-group-chart="train.loss"] canvas').first().waitFor();
    await page.screenshot({ path: resolve(ARTIFACTS, 'groups-1-seeds-ci.png'), fullPage: true });

    await page.getByLabel('band').selectOption('minmax');
    await page.waitForURL(/band=minmax/);
    await page.waitForSelector('[data-group-chart="train.loss"][data-band="minmax"]');
    await page.screenshot({ path: resolve(ARTIFACTS, 'groups-2-minmax.png'), fullPage: true });

    // Grouping by a chosen path: batchSize is what varies (besides the seed).
    await page.getByLabel('group by').selectOption('paths');
    await page.waitForURL(/group=paths%3A|group=paths:/);
    await page.waitForSelector('[data-group-chart="train.loss"][data-groups="3"]', { timeout: 30_000 });
    await page.getByRole('group', { name: 'group paths' }).getByLabel('seed').click();
    await page.waitForSelector('[data-group-chart="train.loss"][data-groups="6"]', { timeout: 30_000 });

    await page.getByLabel('group by').selectOption('none');
    await page.waitForSelector('[data-chart="train.loss"][data-series-count="6"]', { timeout: 30_000 });
    expect(await page.locator('[data-group-chart]').count()).toBe(0);
  }, 120_000);

  it('groups the runs table with count, mean ± std and interval, expandable into its runs', async () => {
    await page.goto(`${stack.webUrl}/projects/${projectId}`);
    await page.getByLabel('Group runs by').selectOption('seeds');
    await page.waitForURL(/group=seeds/);
    const table = page.getByRole('table', { name: 'Run groups' });
    await table.waitFor();
    expect(await table.locator('tr[data-group]').count()).toBe(3);
    const batch32 = table.locator('tr[data-group="batchSize=32"]');
    expect(await batch32.locator('td').first().textContent()).toBe('3');
    // last(train.loss) of the three seeds: a mean ± std and, below it, the 95 % interval.
    expect(await batch32.locator('td[data-column-id="metric:train.loss:last"]').textContent()).toMatch(/±.*\[.*,.*\]/);
    await batch32.getByRole('button').click();
    await table.locator('tr.group-member').nth(2).waitFor();
    expect(await table.locator('tr.group-member').count()).toBe(3);
    await page.screenshot({ path: resolve(ARTIFACTS, 'groups-3-runs-table.png'), fullPage: true });
  }, 60_000);
});
