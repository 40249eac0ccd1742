// Issue #12 in the dashboard: the run page lists the artifacts a script uploaded through the MLflow artifacts proxy,
// one folder at a time, and downloads them byte-exact through the dashboard's own route (the session's token stays
// on the server). Needs `next build` first.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { axeViolations, formatViolations } from './axe';
import { CHROMIUM_PATH, startStack, type Stack } from './stack';

const ARTIFACTS = resolve(import.meta.dirname, '../test-artifacts');
const BUILT = existsSync(resolve(import.meta.dirname, '../.next/BUILD_ID'));
const sha = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

describe.skipIf(!BUILT || !existsSync(CHROMIUM_PATH))('run artifacts in the dashboard', () => {
  let stack: Stack;
  let page: Page;

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    stack = await startStack({ workers: 0 });
    page = await stack.browser.newPage();
  }, 120_000);

  afterAll(async () => {
    await stack?.stop();
  });

  it('lists a run’s artifacts folder by folder and downloads a file byte-exact', async () => {
    const { createProject } = await stack.gql<{ createProject: { id: string } }>(
      `mutation($teamId: ID!) { createProject(teamId: $teamId, name: "mlflow runs", schemaKind: INFERRED) { id } }`,
      { teamId: stack.teamId },
    );
    const projectId = createProject.id;
    const { submitRun } = await stack.gql<{ submitRun: { run: { id: string } } }>(
      `mutation($input: SubmitRunInput!) { submitRun(input: $input) { run { id } } }`,
      { input: { projectId, name: 'with artifacts', execution: 'EXTERNAL', hparams: { lr: 0.01 } } },
    );
    const runId = submitRun.run.id;

    // What an MLflow client sends: PUT of the file's bytes under the run's artifact_uri.
    const apiOrigin = new URL(stack.apiUrl).origin;
    const upload = async (path: string, body: Buffer) => {
      const response = await fetch(`${apiOrigin}/api/2.0/mlflow-artifacts/artifacts/${projectId}/${runId}/artifacts/${path}`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${stack.token}` },
        body: new Uint8Array(body),
      });
      expect(response.status).toBe(200);
    };
    const weights = randomBytes(1024 * 1024 + 7);
    await upload('model/data/weights.bin', weights);
    await upload('model/MLmodel', Buffer.from('flavors: {}\n'));
    await upload('loss%20curve.png', randomBytes(2048));

    await page.goto(`${stack.webUrl}/sign-in`);
    await page.getByLabel('API token').fill(stack.token);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(/\/projects$/);

    await page.goto(`${stack.webUrl}/runs/${runId}`);
    const panel = page.getByRole('region', { name: 'Artifacts' });
    await panel.getByTestId('artifact-list').waitFor();
    const rows = panel.locator('tr[data-artifact-path]');
    expect(await rows.evaluateAll((trs) => trs.map((tr) => tr.textContent))).toEqual(['loss curve.png2.0 KB', 'model/folder']);
    await page.screenshot({ path: resolve(ARTIFACTS, 'artifacts-1-root.png'), fullPage: true });

    await panel.getByRole('button', { name: 'model/' }).click();
    await panel.locator('tr[data-artifact-path="model/MLmodel"]').waitFor();
    await panel.getByRole('button', { name: 'data/' }).click();
    const link = panel.getByRole('link', { name: 'weights.bin' });
    await link.waitFor();
    expect(await panel.locator('tr[data-artifact-path="model/data/weights.bin"] td').textContent()).toBe('1.0 MB');
    await page.screenshot({ path: resolve(ARTIFACTS, 'artifacts-2-folder.png'), fullPage: true });

    const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
    expect(download.suggestedFilename()).toBe('weights.bin');
    expect(sha(readFileSync((await download.path())!))).toBe(sha(weights));

    // Back up through the breadcrumb.
    await panel.getByRole('button', { name: 'artifacts' }).click();
    await panel.locator('tr[data-artifact-path="loss curve.png"]').waitFor();

    // The download route acts only with a session: without the cookie it refuses, and a traversal is refused by the API.
    const anonymous = await fetch(`${stack.webUrl}/api/runs/${runId}/artifacts/model/MLmodel`);
    expect(anonymous.status).toBe(401);
    const traversal = await page.evaluate(async (url) => (await fetch(url)).status, `/api/runs/${runId}/artifacts/model/%252e%252e/MLmodel`);
    expect(traversal).toBe(400);
  });

  it('shows a run nested with mlflow.parentRunId under its parent, and its children on the parent’s page', async () => {
    const { createProject } = await stack.gql<{ createProject: { id: string } }>(
      `mutation($teamId: ID!) { createProject(teamId: $teamId, name: "tuning", schemaKind: INFERRED) { id } }`,
      { teamId: stack.teamId },
    );
    // What mlflow.start_run(nested=True) sends: runs/create with the parent's id in a tag.
    const create = async (name: string, tags: { key: string; value: string }[] = []) => {
      const response = await fetch(`${new URL(stack.apiUrl).origin}/api/2.0/mlflow/runs/create`, {
        method: 'POST',
        headers: { authorization: `Bearer ${stack.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ experiment_id: createProject.id, run_name: name, tags }),
      });
      expect(response.status).toBe(200);
      return ((await response.json()) as { run: { info: { run_id: string } } }).run.info.run_id;
    };
    const job = await create('hyperopt job');
    const trials = [await create('trial 1', [{ key: 'mlflow.parentRunId', value: job }]), await create('trial 2', [{ key: 'mlflow.parentRunId', value: job }])];

    await page.goto(`${stack.webUrl}/runs/${job}`);
    const nested = page.getByRole('region', { name: 'Nested runs' });
    await nested.getByTestId('child-runs').waitFor();
    expect(await nested.getByRole('heading').textContent()).toBe('Nested runs (2)');
    expect(await nested.getByRole('link').allTextContents()).toEqual(['trial 1', 'trial 2']);
    await nested.getByRole('link', { name: 'trial 2' }).click();
    await page.waitForURL(new RegExp(`/runs/${trials[1]}$`));
    expect(await page.getByTestId('parent-run').textContent()).toBe('hyperopt job');
    await page.screenshot({ path: resolve(ARTIFACTS, 'nested-run.png'), fullPage: true });
  });

  it('finds runs, projects and findings from the top bar: Ctrl-K, type, arrows, Enter', async () => {
    const { createProject } = await stack.gql<{ createProject: { id: string } }>(
      `mutation($teamId: ID!) { createProject(teamId: $teamId, name: "needle search", schemaKind: INFERRED) { id } }`,
      { teamId: stack.teamId },
    );
    const { submitRun } = await stack.gql<{ submitRun: { run: { id: string } } }>(
      `mutation($input: SubmitRunInput!) { submitRun(input: $input) { run { id } } }`,
      { input: { projectId: createProject.id, name: 'needle run', execution: 'EXTERNAL', hparams: { lr: 0.01 } } },
    );
    await page.goto(`${stack.webUrl}/projects`);
    await page.keyboard.press('Control+k');
    const box = page.getByRole('combobox', { name: /Search runs, projects and findings/ });
    expect(await box.evaluate((element) => element === document.activeElement)).toBe(true);
    await page.keyboard.type('NEEDLE');
    const hits = page.getByRole('listbox', { name: 'Search results' }).getByRole('option');
    await hits.nth(1).waitFor();
    expect(await hits.allTextContents()).toEqual(['run needle run needle search · default · running', 'project needle search default']);
    const violations = await axeViolations(page, 'search-open');
    expect(violations, formatViolations(violations)).toEqual([]);
    await page.screenshot({ path: resolve(ARTIFACTS, 'search.png') });
    await page.keyboard.press('ArrowDown');
    expect(await hits.nth(1).getAttribute('aria-selected')).toBe('true');
    await page.keyboard.press('ArrowUp');
    await page.keyboard.press('Enter');
    await page.waitForURL(new RegExp(`/runs/${submitRun.run.id}$`));
    await page.keyboard.press('Control+k');
    await page.keyboard.type('nothing like it');
    await page.getByText('Nothing matches “nothing like it”.').waitFor();
    await page.keyboard.press('Escape');

    // `?` outside a text field lists the shortcuts in a modal dialog; Escape closes it.
    await page.locator('h1').click();
    await page.keyboard.press('?');
    const help = page.getByRole('dialog', { name: 'Keyboard shortcuts' });
    await help.waitFor();
    expect(await help.getByRole('row').count()).toBeGreaterThan(5);
    const helpViolations = await axeViolations(page, 'shortcuts');
    expect(helpViolations, formatViolations(helpViolations)).toEqual([]);
    await page.keyboard.press('Escape');
    await help.waitFor({ state: 'hidden' });
    // Typed into a field, `?` is just a character.
    await page.keyboard.press('Control+k');
    await page.keyboard.type('what?');
    expect(await help.isVisible()).toBe(false);
  });

  it('says so when a run has no artifacts', async () => {
    const { createProject } = await stack.gql<{ createProject: { id: string } }>(
      `mutation($teamId: ID!) { createProject(teamId: $teamId, name: "empty", schemaKind: INFERRED) { id } }`,
      { teamId: stack.teamId },
    );
    const { submitRun } = await stack.gql<{ submitRun: { run: { id: string } } }>(
      `mutation($input: SubmitRunInput!) { submitRun(input: $input) { run { id } } }`,
      { input: { projectId: createProject.id, execution: 'EXTERNAL', hparams: { lr: 0.01 } } },
    );
    await page.goto(`${stack.webUrl}/runs/${submitRun.run.id}`);
    await page.getByRole('region', { name: 'Artifacts' }).getByText('No artifacts.').waitFor();
  });
});
