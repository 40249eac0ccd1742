// The dashboard end to end: real API, real trainer worker, fresh database, the built Next app, Chromium.
// Needs `next build` first (turbo runs it before this package's tests).
import { existsSync, mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM_PATH, startStack, type Stack } from './stack';

const ARTIFACTS = resolve(import.meta.dirname, '../test-artifacts');
const BUILT = existsSync(resolve(import.meta.dirname, '../.next/BUILD_ID'));
const TRAINING_TIMEOUT = 120_000;

describe.skipIf(!BUILT || !existsSync(CHROMIUM_PATH))('the dashboard in Chromium', () => {
  let stack: Stack;
  let page: Page;

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    stack = await startStack();
    page = await stack.browser.newPage();
  }, 120_000);

  afterAll(async () => {
    await stack?.stop();
  });

  const shot = (name: string) => page.screenshot({ path: resolve(ARTIFACTS, `${name}.png`), fullPage: true });

  it('signs in, submits runs, watches them train, compares them and keeps notes', async () => {
    // Sign in with the owner token the API printed.
    await page.goto(`${stack.webUrl}/projects`);
    await page.waitForURL(/\/sign-in/);
    await page.getByLabel('API token').fill('tb_not-a-real-token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('This token is unknown or revoked.').waitFor();
    await page.getByLabel('API token').fill(stack.token);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(/\/projects$/);
    await page.getByText('No projects in default yet').waitFor();
    await shot('0-projects-empty');

    // Create a project; its empty runs table offers to submit the first run.
    await page.getByLabel('Project name').fill('spirals');
    await page.getByRole('button', { name: 'Create project' }).click();
    await page.waitForURL(/\/projects\/[0-9a-f-]+$/);
    const projectUrl = page.url();
    await page.getByText('This project has no runs yet.').waitFor();

    // The form: a rejected field shows the schema's message beside it, and submitting waits for a fix.
    await page.getByRole('link', { name: 'Submit a run' }).click();
    await page.getByRole('heading', { name: 'Submit a run' }).waitFor();
    const learningRate = page.locator('input[name="optimizer.learningRate"]');
    await learningRate.fill('20');
    const learningRateIssue = page.locator('[data-issue-path="optimizer.learningRate"]');
    await expectText(learningRateIssue, 'optimizer.learningRate must be at most 10, got 20');
    expect(await page.getByRole('button', { name: 'Submit run' }).isDisabled()).toBe(true);
    await shot('1-submit-form-rejected-field');
    await learningRate.fill('0.02');
    await learningRateIssue.waitFor({ state: 'detached' });
    await page.locator('input[name="dataset.trainSize"]').fill('800');
    await page.locator('input[name="dataset.testSize"]').fill('200');
    await page.locator('input[name="epochs"]').fill('3');
    await page.locator('input[name="tags"]').fill('baseline');
    // 2 → 32 → 32 → 2 with biases: (2·32+32) + (32·32+32) + (32·2+2) = 1218 parameters, derived live.
    await expectText(page.getByTestId('derived-params'), '1,218');
    await page.getByRole('button', { name: 'Submit run' }).click();
    await page.getByTestId('submit-warnings').waitFor();
    await shot('2-submit-result');
    await page.getByRole('link', { name: 'Watch it train' }).click();

    // The run page follows the run live over the subscription until it succeeds, with points in its charts.
    await page.waitForURL(/\/runs\//);
    const firstRunUrl = page.url();
    await expectText(page.getByTestId('run-status'), 'succeeded', TRAINING_TIMEOUT);
    await waitForChartPoints(page, 'Loss', 1);
    await waitForChartPoints(page, 'Accuracy', 1);
    await shot('3-run-page');

    // "Duplicate this run" prefills the form from the run; the second run trains with another learning rate.
    await page.getByRole('link', { name: 'Duplicate this run' }).click();
    await page.getByText('Duplicating').waitFor();
    await page.locator('input[name="optimizer.learningRate"]').fill('0.005');
    await page.getByRole('button', { name: 'Submit run' }).click();
    await page.getByRole('link', { name: 'Watch it train' }).click();
    await expectText(page.getByTestId('run-status'), 'succeeded', TRAINING_TIMEOUT);

    // The runs table: the filter is checked as it is typed, then both runs are selected for comparison.
    await page.goto(projectUrl);
    await expectText(page.getByTestId('run-count'), '2 runs');
    const filter = page.getByLabel('Filter runs');
    await filter.fill('batchsize <= 32');
    await expectText(page.locator('[data-filter-error]').first(), 'did you mean "batchSize"?');
    await shot('4-runs-table-filter-error');
    await filter.fill('batchSize <= 32 and tags has "baseline"');
    await filter.press('Enter');
    await page.waitForURL(/q=/);
    await expectText(page.getByTestId('run-count'), '2 runs match');
    // The selection lives in the URL, so the checkbox follows it a moment after the click.
    await page.getByLabel('Select all loaded runs').click();
    await page.waitForURL(/sel=[^&]+%2C|sel=[^&]+,/);
    await shot('5-runs-table-selected');
    await page.getByRole('link', { name: 'Compare selected' }).click();

    // Compare: one series per run in each metric's chart, plus parallel coordinates and a scatter.
    await page.waitForURL(/\/compare\?runs=/);
    await waitForChartSeries(page, 'train.loss', 2);
    await waitForChartPoints(page, 'Parallel coordinates', 1);
    await waitForChartPoints(page, 'Scatter', 2);
    await page.getByLabel('log scale').click();
    await page.waitForURL(/log=1/);
    await shot('6-compare');

    // Notes are edited in place and persist across a reload.
    await page.goto(firstRunUrl);
    await page.getByRole('button', { name: 'Edit notes' }).click();
    await page.getByLabel('Notes (markdown)').fill('Learning rate **0.02** trains spirals in 3 epochs.');
    await page.getByRole('button', { name: 'Save notes' }).click();
    await page.getByTestId('notes').waitFor();
    await page.reload();
    await expectText(page.getByTestId('notes'), 'Learning rate 0.02 trains spirals in 3 epochs.');
    await expectText(page.getByTestId('notes').locator('strong'), '0.02');
    await shot('7-run-page-notes');

    // Tokens: a new one is shown once, and can be revoked.
    await page.goto(`${stack.webUrl}/tokens`);
    await page.getByLabel('Token name').fill('ci');
    await page.getByRole('button', { name: 'Create token' }).click();
    await page.getByText('Copy it now').waitFor();
    const ciToken = page.locator('tr', { has: page.locator('td', { hasText: /^ci$/ }) });
    await ciToken.getByRole('button', { name: 'Revoke' }).click();
    await ciToken.getByText(/^revoked/).waitFor();
    await shot('8-tokens');

    // Signing out ends the session.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(/\/sign-in/);
    await page.goto(`${stack.webUrl}/projects`);
    await page.waitForURL(/\/sign-in/);
  });
});

async function expectText(locator: ReturnType<Page['locator']>, text: string, timeout = 15_000): Promise<void> {
  await locator.filter({ hasText: text }).first().waitFor({ timeout });
}

async function waitForChartPoints(page: Page, chart: string, atLeast: number): Promise<void> {
  await page.waitForFunction(
    ([name, min]) => Number(document.querySelector(`[data-chart="${name}"]`)?.getAttribute('data-point-count') ?? 0) >= Number(min),
    [chart, atLeast] as const,
    { timeout: 30_000 },
  );
}

async function waitForChartSeries(page: Page, chart: string, count: number): Promise<void> {
  await page.waitForFunction(
    ([name, n]) => Number(document.querySelector(`[data-chart="${name}"]`)?.getAttribute('data-series-count') ?? 0) === Number(n),
    [chart, count] as const,
    { timeout: 30_000 },
  );
}
