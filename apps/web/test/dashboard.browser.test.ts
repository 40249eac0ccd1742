// The dashboard end to end: real API, real trainer worker, fresh database, the built Next app, Chromium.
// Needs `next build` first (turbo runs it before this package's tests).
import { existsSync, mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Page, Request } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { axeViolations, formatViolations, type AxeViolation } from './axe';
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

  // Every state the walk photographs is also checked by axe; the test ends by listing what it found on any page.
  const violations: AxeViolation[] = [];
  const shot = async (name: string) => {
    await page.screenshot({ path: resolve(ARTIFACTS, `${name}.png`), fullPage: true });
    violations.push(...(await axeViolations(page, name)));
  };

  it('signs in, submits runs, watches them train, compares them, records a finding that warns, and keeps notes', async () => {
    // Sign in with the owner token the API printed.
    await page.goto(`${stack.webUrl}/projects`);
    await page.waitForURL(/\/sign-in/);
    await page.getByLabel('API token').fill('tb_not-a-real-token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    // The refusal names the API it asked, and the mistyped token stays in the field to be corrected.
    await page.getByText(new RegExp(`^This token is unknown or revoked at ${stack.apiUrl.replace(/[.]/g, '\\.')}\\.$`)).waitFor();
    expect(await page.getByLabel('API token').inputValue()).toBe('tb_not-a-real-token');
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
    // A new project starts from MNIST; this walk trains on spirals, which later runs start from (the latest run's).
    expect(await page.locator('select[name="dataset.name"]').inputValue()).toBe('mnist');
    await page.locator('select[name="dataset.name"]').selectOption('spirals');
    await page.locator('input[name="dataset.trainSize"]').fill('800');
    await page.locator('input[name="dataset.testSize"]').fill('200');
    await page.locator('input[name="epochs"]').fill('3');
    await page.locator('input[name="tags"]').fill('baseline');
    // 2 → 32 → 32 → 2 with biases: (2·32+32) + (32·32+32) + (32·2+2) = 1218 parameters, derived live.
    await expectText(page.getByTestId('derived-params'), '1,218');
    await page.getByRole('button', { name: 'Submit run' }).click();
    await page.getByTestId('submit-warnings').waitFor();
    await shot('2-submit-result');
    const operations = graphqlOperations(page);
    await page.getByRole('link', { name: 'Watch it train' }).click();

    // The run page follows the run live over the subscription until it succeeds, with points in its charts.
    await page.waitForURL(/\/runs\//);
    const firstRunUrl = page.url();
    await expectText(page.getByTestId('run-status'), 'succeeded', TRAINING_TIMEOUT);
    await waitForChartPoints(page, 'Loss', 1);
    await waitForChartPoints(page, 'Accuracy', 1);
    await shot('3-run-page');
    // Events were merged into the cache, not answered by refetching: the page was read once (plus at most one
    // re-read of its series after the first event), however many status changes and metric batches came.
    const seen = operations.stop();
    expect(seen.filter((name) => name === 'RunPage')).toEqual(['RunPage']);
    expect(seen.filter((name) => name === 'RunSeries').length).toBeLessThanOrEqual(1);

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
    const compareUrl = page.url();

    // Record a finding from the compare view: prefilled from the scatter's hyperparameter, the chosen metric,
    // the scope the runs share and the runs themselves; the rule is checked as it is typed.
    await page.getByRole('button', { name: 'Record a finding' }).click();
    const findingForm = page.getByRole('form', { name: 'Finding' });
    expect(await findingForm.locator('input[name="rule"]').inputValue()).toMatch(/^optimizer\.learningRate (<=|>=) 0\.0/);
    expect(await findingForm.locator('input[name="scope"]').inputValue()).toBe('dataset.name = "spirals" and model.kind = "mlp"');
    expect(await findingForm.locator('input[name="metric"]').inputValue()).toBe('test.accuracy');
    await findingForm.locator('input[name="rule"]').fill('batchsize <= 32');
    await expectText(findingForm.locator('[data-expression-error="rule"]'), 'did you mean "batchSize"?');
    await findingForm.locator('input[name="rule"]').fill('batchSize <= 32');
    await findingForm.locator('[data-expression-error="rule"]').waitFor({ state: 'detached' });
    await findingForm.locator('input[name="title"]').fill('Keep batch ≤ 32 on spirals');
    await shot('6a-record-finding');
    await findingForm.getByRole('button', { name: 'Record finding' }).click();

    // Its page: two runs follow it and none breaks it, so the evidence honestly says "not enough yet".
    await page.waitForURL(/\/findings\/[0-9a-f-]+$/);
    const findingUrl = page.url();
    await expectText(
      page.getByTestId('verdict'),
      'Not enough evidence yet: 2 configurations (2 runs) satisfy batchSize <= 32 and 0 configurations (0 runs) violate it',
    );
    await page.locator('.finding-title [data-finding-status="PROPOSED"]').waitFor();
    await expectText(page.locator('[data-evidence-group="satisfying"] td').first(), '2 configurations, 2 runs (2 of 3 configurations needed)');
    // Like with like: nothing to match yet, and the best learning rate of the one batch size there is.
    await expectText(page.getByTestId('evidence-stratified'), 'no two configurations differ only in batchSize: nothing to match');
    await expectText(page.getByRole('table', { name: 'Best per group' }).locator('tbody tr'), 'batchSize = 32');
    await waitForChartPoints(page, 'Evidence', 2);
    await expectText(page.getByTestId('finding-history'), 'recorded it with the rule batchSize <= 32');
    await page.getByLabel('Comment (markdown)').fill('Both **baseline** runs use 32.');
    await page.getByRole('button', { name: 'Add comment' }).click();
    await expectText(page.locator('.comments strong'), 'baseline');
    await shot('6b-finding-page');

    // The form warns about a run that breaks it before anything is queued (checkRun), naming the finding.
    await page.goto(`${projectUrl}/submit`);
    await page.getByText('Starts from the latest run').waitFor();
    expect(await page.locator('select[name="dataset.name"]').inputValue()).toBe('spirals');
    expect(await page.locator('input[name="tags"]').inputValue()).toBe('');
    await page.locator('input[name="batchSize"]').fill('64');
    const checkWarnings = page.getByTestId('run-check-warnings');
    await expectText(checkWarnings, 'Keep batch ≤ 32 on spirals');
    await expectText(checkWarnings, 'batchSize = 64');
    expect(await checkWarnings.getByRole('link', { name: 'Keep batch ≤ 32 on spirals' }).getAttribute('href')).toBe(new URL(findingUrl).pathname);
    await shot('6c-submit-warning');
    await page.locator('input[name="batchSize"]').fill('32');
    await expectText(page.getByTestId('run-check'), 'No finding of the team contradicts this run');

    // Made a policy, it refuses the run unless an override reason is given, which is recorded on the run.
    await page.goto(findingUrl);
    await page.getByRole('button', { name: 'Edit', exact: true }).click();
    await page.locator('select[name="severity"]').selectOption('POLICY');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.locator('.finding-title .severity-policy').waitFor();
    await expectText(page.getByTestId('finding-history'), 'changed severity from advice to policy');
    await page.goto(`${projectUrl}/submit`);
    await page.locator('input[name="dataset.trainSize"]').fill('400');
    await page.locator('input[name="epochs"]').fill('1');
    await page.locator('input[name="batchSize"]').fill('64');
    await expectText(page.getByTestId('run-check-warnings'), 'A policy of the team refuses this run');
    const submitButton = page.getByRole('button', { name: 'Submit run' });
    expect(await submitButton.isDisabled()).toBe(true);
    await shot('6d-submit-policy');
    await page.locator('textarea[name="overrideReason"]').fill('Checking the policy with a bigger batch');
    await submitButton.click();
    await expectText(page.getByTestId('submit-warnings'), 'Overridden: Checking the policy with a bigger batch');

    // The runs table marks which runs follow the finding and which break it; the project lists its findings.
    await page.goto(projectUrl);
    await expectText(page.getByTestId('run-count'), '3 runs');
    await page.locator('[data-finding-check="follows"]').first().waitFor();
    await page.locator('[data-finding-check="breaks"]').first().waitFor();
    await shot('6e-runs-table-findings');
    await page.getByRole('link', { name: 'Findings', exact: true }).click();
    await page.waitForURL(/\/findings$/);
    await page.locator('[data-finding-status="PROPOSED"]').waitFor();
    await shot('6f-findings-list');

    // The compare scatter draws the finding's rule as its boundary; the team feed tells everyone.
    await page.goto(compareUrl);
    await page.getByLabel('finding boundary').selectOption({ label: 'Keep batch ≤ 32 on spirals (batchSize <= 32)' });
    await page.waitForURL(/sx=batchSize/);
    await waitForChartPoints(page, 'Scatter', 2);
    await shot('6g-compare-boundary');
    await page.goto(`${stack.webUrl}/projects`);
    await expectText(page.getByTestId('finding-feed'), 'changed severity from advice to policy —');
    await shot('6h-team-feed');

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

    // The finished run's final metrics head its page, and it can be renamed there (Escape discards an edit).
    const summary = page.getByTestId('metric-summary');
    await summary.locator('th', { hasText: 'test.accuracy' }).waitFor();
    expect(await page.getByRole('region', { name: 'Metric summary' }).getByRole('heading').textContent()).toBe('Final metrics');
    expect(
      await summary
        .locator('tr', { has: page.locator('th', { hasText: /^test\.accuracy$/ }) })
        .locator('td')
        .first()
        .textContent(),
    ).toMatch(/^0\.\d+|^1$/);
    await page.getByRole('button', { name: 'Rename' }).click();
    await page.getByLabel('Run name').fill('scrapped');
    await page.getByLabel('Run name').press('Escape');
    await page.getByRole('button', { name: 'Rename' }).click();
    await page.getByLabel('Run name').fill('lr 0.02 baseline');
    await page.getByRole('button', { name: 'Save name' }).click();
    await page.getByRole('heading', { level: 1, name: 'lr 0.02 baseline' }).waitFor();
    await page.reload();
    await page.getByRole('heading', { level: 1, name: 'lr 0.02 baseline' }).waitFor();

    // An annotation is corrected in place, then deleted after a confirmation.
    const annotations = page.getByRole('region', { name: 'Annotations' });
    await annotations.getByLabel('Annotation').fill('loss spike');
    await annotations.getByLabel('At step').fill('40');
    await annotations.getByRole('button', { name: 'Annotate' }).click();
    await annotations.getByText('loss spike').waitFor();
    await annotations.getByRole('button', { name: 'Edit' }).click();
    await annotations.getByLabel('Edit annotation').fill('loss spike: shuffled labels');
    await annotations.getByLabel('Edit step').fill('41');
    await annotations.getByRole('button', { name: 'Save' }).click();
    await annotations.getByText('loss spike: shuffled labels').waitFor();
    await annotations.getByText('step 41').waitFor();
    await annotations.getByRole('button', { name: 'Delete' }).click();
    await annotations.getByRole('button', { name: 'Yes, delete' }).click();
    await annotations.getByText('None yet.').waitFor();

    // Tokens: a new one is shown once, and can be revoked.
    await page.goto(`${stack.webUrl}/tokens`);
    await page.getByLabel('Token name').fill('ci');
    await page.getByRole('button', { name: 'Create token' }).click();
    await page.getByText('Copy it now').waitFor();
    const ciToken = page.locator('tr', { has: page.locator('td', { hasText: /^ci$/ }) });
    // Revoking asks first; keeping it changes nothing.
    await ciToken.getByRole('button', { name: 'Revoke' }).click();
    await ciToken.getByRole('button', { name: 'Keep it' }).click();
    await ciToken.getByRole('button', { name: 'Revoke' }).click();
    await ciToken.getByRole('button', { name: 'Yes, revoke' }).click();
    await ciToken.getByText(/^revoked/).waitFor();
    // The token this session signed in with is marked: the owner's, named for how it was made.
    expect(await page.locator('tr[aria-current="true"] td').first().textContent()).toBe('owner (first start) signed in with this one');
    await shot('8-tokens');

    // Dark mode follows the system: every page is dark, charts included, and passes the same axe checks.
    await page.emulateMedia({ colorScheme: 'dark' });
    for (const [name, url] of [
      ['projects', `${stack.webUrl}/projects`],
      ['runs-table', projectUrl],
      ['run-page', firstRunUrl],
      ['compare', compareUrl],
      ['finding', findingUrl],
      ['tokens', `${stack.webUrl}/tokens`],
    ] as const) {
      await page.goto(url);
      await page.locator('main').waitFor();
      if (name === 'run-page' || name === 'compare') await page.locator('figure.chart canvas').first().waitFor();
      expect(await page.evaluate(() => getComputedStyle(document.documentElement).backgroundColor)).toBe('rgb(15, 20, 25)');
      await shot(`dark-${name}`);
    }
    await page.emulateMedia({ colorScheme: 'light' });

    // Signing out ends the session.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(/\/sign-in/);
    await page.goto(`${stack.webUrl}/projects`);
    await page.waitForURL(/\/sign-in/);
    await shot('9-sign-in');
    expect(violations, formatViolations(violations)).toEqual([]);
  }, 300_000);
});

/** Names of the GraphQL operations the page posts to /api/graphql, until stop(). */
function graphqlOperations(page: Page): { stop(): string[] } {
  const names: string[] = [];
  const onRequest = (request: Request) => {
    if (request.method() !== 'POST' || new URL(request.url()).pathname !== '/api/graphql') return;
    const body = request.postDataJSON() as { operationName?: string } | null;
    names.push(body?.operationName ?? '(anonymous)');
  };
  page.on('request', onRequest);
  return {
    stop() {
      page.off('request', onRequest);
      return names;
    },
  };
}

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
