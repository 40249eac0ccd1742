// Issue #14's importance in the dashboard: a batch-size × learning-rate sweep with two seeds, reported through the
// API, shows on the findings page and beside compare as bars with intervals, batch size and learning rate above the
// seed, with the same figures as a table; a project with too few runs says how many importance needs.
// Needs `next build` first.
import { existsSync, mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { axeViolations, formatViolations, type AxeViolation } from './axe';
import { CHROMIUM_PATH, startStack, type Stack } from './stack';

const ARTIFACTS = resolve(import.meta.dirname, '../test-artifacts');
const BUILT = existsSync(resolve(import.meta.dirname, '../.next/BUILD_ID'));

describe.skipIf(!BUILT || !existsSync(CHROMIUM_PATH))('hyperparameter importance in the dashboard', () => {
  let stack: Stack;
  let page: Page;
  const violations: AxeViolation[] = [];

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    stack = await startStack({ workers: 0 });
    page = await stack.browser.newPage();
    await page.goto(`${stack.webUrl}/sign-in`);
    await page.getByLabel('API token').fill(stack.token);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(/\/projects$/);
  }, 120_000);

  afterAll(async () => {
    await stack?.stop();
  });

  /** An inferred project whose runs (finished through the API) have these configurations and test.accuracy. */
  async function project<C extends Record<string, number | string>>(name: string, configs: C[], accuracy: (c: C) => number): Promise<string> {
    const { createProject } = await stack.gql<{ createProject: { id: string } }>(
      `mutation($t: ID!, $n: String!) { createProject(teamId: $t, name: $n, schemaKind: INFERRED) { id } }`,
      { t: stack.teamId, n: name },
    );
    const { submitRuns } = await stack.gql<{ submitRuns: { runs: { run: { id: string } }[] } }>(
      `mutation($i: SubmitRunsInput!) { submitRuns(input: $i) { runs { run { id } } } }`,
      { i: { projectId: createProject.id, execution: 'EXTERNAL', runs: configs.map((hparams, i) => ({ name: `r${i}`, hparams })) } },
    );
    for (const [i, { run }] of submitRuns.runs.entries()) {
      await stack.gql(`mutation($runId: ID!, $points: [MetricPointInput!]) { logMetrics(runId: $runId, points: $points) { accepted } }`, {
        runId: run.id,
        points: [{ key: 'test.accuracy', step: 0, value: accuracy(configs[i]!) }],
      });
      await stack.gql(`mutation($i: SetRunStatusInput!) { setRunStatus(input: $i) { status } }`, { i: { runId: run.id, status: 'SUCCEEDED' } });
    }
    return createProject.id;
  }

  const sweep = [8, 32, 128, 512].flatMap((batchSize) =>
    [0.001, 0.01, 0.1].flatMap((learningRate) => [1, 2].map((seed) => ({ batchSize, learningRate, seed }))),
  );
  const accuracy = (c: Record<string, number>) =>
    0.97 - 0.03 * Math.log2(c.batchSize! / 8) - 0.05 * Math.abs(Math.log10(c.learningRate!) + 1.5) + (c.seed === 1 ? 0.002 : -0.002);

  it('ranks batch size and learning rate above the seed on the findings page, as a chart and a table', async () => {
    const projectId = await project('importance sweep', sweep, accuracy);
    await page.goto(`${stack.webUrl}/projects/${projectId}/findings`);
    const panel = page.getByRole('region', { name: 'Hyperparameter importance' });
    const table = panel.getByRole('table', { name: 'Hyperparameter importance for last(test.accuracy)' });
    await table.waitFor();
    const rows = await table.locator('tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.children].map((c) => (c.textContent ?? '').trim())));
    expect(rows.map((r) => r[0])).toEqual(['batchSize', 'learningRate', 'seed (seed)']);
    expect(rows[1]![3]).toBe('log');
    expect(Number.parseFloat(rows[2]![1]!)).toBeLessThan(5);
    // The chart: one bar per path and one whisker per path.
    const chart = panel.locator('figure[data-chart="Hyperparameter importance for last(test.accuracy)"]');
    await chart.locator('canvas').waitFor();
    expect(await chart.getAttribute('data-point-count')).toBe('6');
    expect(await panel.getByLabel('importance metric', { exact: true }).inputValue()).toBe('test.accuracy');
    await expect.poll(() => panel.getByText('24 runs in 12 configurations').count()).toBe(1);
    await page.screenshot({ path: resolve(ARTIFACTS, 'importance-findings.png'), fullPage: true });
    violations.push(...(await axeViolations(page, 'importance-findings')));

    // Beside compare, the same panel.
    await page.goto(`${stack.webUrl}/projects/${projectId}/compare`);
    await page.getByRole('table', { name: 'Hyperparameter importance for last(test.accuracy)' }).waitFor();
    await page.screenshot({ path: resolve(ARTIFACTS, 'importance-compare.png'), fullPage: true });
  }, 120_000);

  it('suggests a batch-size finding nobody wrote, and records it in one click', async () => {
    const projectId = await project('suggestion sweep', sweep, accuracy);
    await page.goto(`${stack.webUrl}/projects/${projectId}/findings`);
    const panel = page.getByRole('region', { name: 'Suggested findings' });
    const draft = panel.locator('[data-suggested-rule^="batchSize <= "]');
    await draft.waitFor();
    const rule = await draft.getAttribute('data-suggested-rule');
    expect(await draft.textContent()).toContain('Suggested by Tuneboard: configurations with');
    await page.screenshot({ path: resolve(ARTIFACTS, 'importance-suggestions.png'), fullPage: true });
    violations.push(...(await axeViolations(page, 'importance-suggestions')));
    await draft.getByRole('button', { name: 'Record this finding' }).click();
    await page.waitForURL(/\/findings\/[0-9a-f-]+$/);
    await page.getByText(rule!, { exact: true }).first().waitFor();
  }, 120_000);

  it('edits a draft in the finding form before recording it; the finding has the edited rule and the draft is gone', async () => {
    const projectId = await project('edited suggestion sweep', sweep, accuracy);
    await page.goto(`${stack.webUrl}/projects/${projectId}/findings`);
    const panel = page.getByRole('region', { name: 'Suggested findings' });
    const draft = panel.locator('[data-suggested-rule^="batchSize <= "]');
    await draft.waitFor();
    const rule = (await draft.getAttribute('data-suggested-rule'))!;
    await draft.getByRole('button', { name: 'Edit before recording' }).click();
    const form = draft.getByRole('form', { name: 'Finding' });
    expect(await form.locator('input[name="rule"]').inputValue()).toBe(rule);
    expect(await form.locator('input[name="metric"]').inputValue()).toBe('test.accuracy');
    expect(await form.locator('input[name="title"]').inputValue()).toContain(rule);
    // Checked as it is typed, as any finding: a broken rule cannot be recorded.
    await form.locator('input[name="rule"]').fill('batchSize <=');
    await form.locator('[data-expression-error="rule"]').first().waitFor();
    expect(await form.getByRole('button', { name: 'Record finding' }).isDisabled()).toBe(true);
    await form.locator('input[name="rule"]').fill('batchSize <= 16 and learningRate >= 0.001');
    await form.locator('input[name="title"]').fill('Small batches, learning rate of at least 0.001');
    violations.push(...(await axeViolations(page, 'suggestion-edit')));
    await page.screenshot({ path: resolve(ARTIFACTS, 'suggestion-edit.png'), fullPage: true });
    await form.getByRole('button', { name: 'Record finding' }).click();
    await page.waitForURL(/\/findings\/[0-9a-f-]+$/);
    await page.getByText('batchSize <= 16 and learningRate >= 0.001', { exact: true }).first().waitFor();
    await page.getByRole('heading', { name: 'Small batches, learning rate of at least 0.001' }).waitFor();

    await page.goto(`${stack.webUrl}/projects/${projectId}/findings`);
    await panel.locator('[data-suggested-rule], [role="status"]').first().waitFor();
    expect(await panel.locator(`[data-suggested-rule="${rule}"]`).count()).toBe(0);
  }, 120_000);

  it('proposes a rule scoped to sgd when batch size matters with sgd only, and records it with its scope', async () => {
    const configs = [8, 16, 32, 64, 128, 256].flatMap((batchSize) =>
      ['sgd', 'adam'].flatMap((optimizer) => [0.01, 0.03, 0.1].map((learningRate) => ({ batchSize, optimizer, learningRate }))),
    );
    const projectId = await project('interaction sweep', configs, (c) =>
      c.optimizer === 'sgd' ? 0.95 - 0.03 * Math.log2(c.batchSize / 8) + c.learningRate / 100 : 0.9 + c.learningRate / 100,
    );
    await page.goto(`${stack.webUrl}/projects/${projectId}/findings`);
    const panel = page.getByRole('region', { name: 'Suggested findings' });
    const draft = panel.locator('[data-suggested-scope="optimizer = \\"sgd\\""]');
    await draft.waitFor();
    expect(await draft.getAttribute('data-suggested-rule')).toMatch(/^batchSize <= /);
    expect(await draft.textContent()).toContain('where optimizer = "sgd"');
    expect(await panel.getByText(/rules tested \(\d+ of them within one level of another path\)/).count()).toBe(1);
    violations.push(...(await axeViolations(page, 'suggestion-scoped')));
    await draft.getByRole('button', { name: 'Record this finding' }).click();
    await page.waitForURL(/\/findings\/[0-9a-f-]+$/);
    await page.getByText('optimizer = "sgd"', { exact: true }).first().waitFor();
  }, 120_000);

  it('dismisses a draft, and it stays dismissed after a reload', async () => {
    const projectId = await project('dismissal sweep', sweep, accuracy);
    await page.goto(`${stack.webUrl}/projects/${projectId}/findings`);
    const panel = page.getByRole('region', { name: 'Suggested findings' });
    const draft = panel.locator('[data-suggested-rule^="batchSize <= "]');
    await draft.waitFor();
    await draft.getByRole('button', { name: 'Dismiss' }).click();
    await panel.getByText(/^No rule stands out: /).waitFor();
    await page.reload();
    await panel.getByText(/^No rule stands out: /).waitFor();
    expect(await draft.count()).toBe(0);
  }, 120_000);

  it('says how many runs it needs when a project has too few', async () => {
    const projectId = await project('importance small', sweep.slice(0, 6), accuracy);
    await page.goto(`${stack.webUrl}/projects/${projectId}/findings`);
    const refusal = page.locator('[data-importance-refusal]');
    await refusal.waitFor();
    expect(await refusal.textContent()).toBe(
      'Not enough runs to rank hyperparameters: 6 finished runs with a finite last(test.accuracy) in 3 configurations; importance needs at least 20 runs and 8 configurations (runs that differ only by seed are one configuration).',
    );
    violations.push(...(await axeViolations(page, 'importance-refusal')));
    expect(formatViolations(violations)).toBe('');
  }, 60_000);
});
