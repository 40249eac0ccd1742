// Issue #15 in the dashboard: a run stopped by early stopping shows as pruned, with its decision on the run page,
// a badge of its own in the runs table (readable in both themes: axe walks both) and `status = "pruned"` filtering.
// Needs `next build` first.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { axeViolations, formatViolations } from './axe';
import { CHROMIUM_PATH, startStack, type Stack } from './stack';

const BUILT = existsSync(resolve(import.meta.dirname, '../.next/BUILD_ID'));

describe.skipIf(!BUILT || !existsSync(CHROMIUM_PATH))('a pruned run in the dashboard', () => {
  let stack: Stack;
  let page: Page;

  beforeAll(async () => {
    stack = await startStack({ workers: 0 });
    page = await stack.browser.newPage();
  }, 120_000);

  afterAll(async () => {
    await stack?.stop();
  });

  it('shows the badge and the decision, filters by status = "pruned", and passes axe in light and dark', async () => {
    const { createProject } = await stack.gql<{ createProject: { id: string } }>(
      `mutation($teamId: ID!) { createProject(teamId: $teamId, name: "asha sweep", schemaKind: INFERRED) { id } }`,
      { teamId: stack.teamId },
    );
    const submit = async (name: string) =>
      (
        await stack.gql<{ submitRun: { run: { id: string } } }>(`mutation($input: SubmitRunInput!) { submitRun(input: $input) { run { id } } }`, {
          input: { projectId: createProject.id, name, execution: 'EXTERNAL', hparams: { lr: 0.01 } },
        })
      ).submitRun.run.id;
    const prunedId = await submit('trial 3');
    await submit('trial 4');
    await stack.gql(`mutation($r: ID!, $s: [MetricSeriesInput!]) { logMetrics(runId: $r, series: $s) { accepted } }`, {
      r: prunedId,
      s: [{ key: 'test.accuracy', steps: [1, 2, 3], values: [0.6, 0.75, 0.81] }],
    });
    await stack.gql(`mutation($r: ID!, $d: PruningInput!) { pruneRun(runId: $r, decision: $d) { id } }`, {
      r: prunedId,
      d: {
        reason: "stopped at epoch 3: test.accuracy 0.81 below the rung's top third, 0.86 (7 trials)",
        resource: 3,
        unit: 'epoch',
        value: 0.81,
        cutoff: 0.86,
        competitors: 7,
      },
    });

    await page.goto(`${stack.webUrl}/sign-in`);
    await page.getByLabel('API token').fill(stack.token);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(/\/projects$/);

    await page.goto(`${stack.webUrl}/runs/${prunedId}`);
    await page.getByTestId('run-status').filter({ hasText: 'pruned' }).waitFor();
    expect(await page.getByTestId('run-pruning').textContent()).toBe(
      "Pruned (early stopping): stopped at epoch 3: test.accuracy 0.81 below the rung's top third, 0.86 (7 trials) — at epoch 3: 0.81 against a cutoff of 0.86, among 7 trials.",
    );
    for (const scheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme: scheme });
      const violations = await axeViolations(page, `pruned run (${scheme})`);
      expect(violations, formatViolations(violations)).toEqual([]);
    }
    await page.emulateMedia({ colorScheme: 'light' });

    await page.goto(`${stack.webUrl}/projects/${createProject.id}?q=${encodeURIComponent('status = "pruned"')}`);
    const badge = page.locator('.status-pruned');
    await badge.first().waitFor();
    expect(await badge.count()).toBe(1);
    await page.getByText('trial 3').first().waitFor();
    expect(await page.getByText('trial 4').count()).toBe(0);
    for (const scheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme: scheme });
      const violations = await axeViolations(page, `runs table, pruned (${scheme})`);
      expect(violations, formatViolations(violations)).toEqual([]);
    }
  });
});
