// Issue #11 in the dashboard: a project with an inferred schema gets a "log your first run" page instead of the
// form, runs logged through the API show their typed params in the runs table and on the schema page, and the
// settings page promotes the inferred schema, checks a declared one as it is typed and records its versions.
// Needs `next build` first. No trainer worker: these projects' runs come from scripts (here, API calls).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { axeViolations, formatViolations, type AxeViolation } from './axe';
import { CHROMIUM_PATH, startStack, type Stack } from './stack';

const ARTIFACTS = resolve(import.meta.dirname, '../test-artifacts');
const TUNEBOARD_BIN = resolve(import.meta.dirname, '../../api/bin/tuneboard.mjs');
const BUILT = existsSync(resolve(import.meta.dirname, '../.next/BUILD_ID'));

describe.skipIf(!BUILT || !existsSync(CHROMIUM_PATH))('open hyperparameter schemas in the dashboard', () => {
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

  // Each photographed state is also checked by axe (see dashboard.browser.test.ts).
  const violations: AxeViolation[] = [];
  const shot = async (name: string) => {
    await page.screenshot({ path: resolve(ARTIFACTS, `open-${name}.png`), fullPage: true });
    violations.push(...(await axeViolations(page, `open-${name}`)));
  };

  it('creates an inferred project, logs runs, reads their typed params, promotes the schema and versions it', async () => {
    await page.goto(`${stack.webUrl}/sign-in`);
    await page.getByLabel('API token').fill(stack.token);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(/\/projects$/);

    // An inferred project: Tuneboard cannot train it, so it offers to log the first run instead of the form.
    await page.getByLabel('Project name').fill('lm sweep');
    await page.getByLabel('Hyperparameter schema').selectOption('INFERRED');
    await page.getByRole('button', { name: 'Create project' }).click();
    await page.waitForURL(/\/projects\/[0-9a-f-]+$/);
    const projectUrl = page.url();
    const projectId = projectUrl.split('/').pop()!;
    await page.getByTestId('first-run-callout').waitFor();
    await shot('1-project-empty');
    await page.getByTestId('first-run-callout').getByRole('link', { name: 'Log your first run' }).click();
    await page.getByRole('heading', { name: 'Log your first run' }).waitFor();
    await expectText(page.getByTestId('cli-snippet'), "tuneboard run --project 'lm sweep' --config config.json -- python train.py");
    await expectText(page.getByTestId('jsonl-snippet'), '{"step": 10, "train/loss": 0.31}');
    await expectText(page.getByTestId('sdk-snippet'), "import { init } from '@tuneboard/sdk';");
    expect(await page.getByRole('button', { name: 'Submit run' }).count()).toBe(0);
    await stack.browser.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: stack.webUrl });
    await page.getByRole('button', { name: 'Copy the command' }).click();
    await page.getByText('Copied').waitFor();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe("npx tuneboard run --project 'lm sweep' --config config.json -- python train.py");
    await shot('2-log-first-run');

    // Two runs logged as a script would (EXTERNAL, config as JSON text): scale is a float even when whole.
    const logRun = async (name: string, hparamsText: string, loss: number) => {
      const { submitRun } = await stack.gql<{ submitRun: { run: { id: string } } }>(
        `mutation($input: SubmitRunInput!) { submitRun(input: $input) { run { id } } }`,
        { input: { projectId, name, execution: 'EXTERNAL', hparamsText } },
      );
      await stack.gql(`mutation($id: ID!, $points: [MetricPointInput!]) { logMetrics(runId: $id, points: $points) { accepted } }`, {
        id: submitRun.run.id,
        points: [
          { key: 'train/loss', step: 10, value: loss * 2 },
          { key: 'train/loss', step: 20, value: loss },
        ],
      });
      return submitRun.run.id;
    };
    const smallRunId = await logRun('small', '{"lr": 0.0003, "scale": 2.0, "optimizer": {"name": "adamw"}, "layers": 4}', 0.4);
    await logRun('large', '{"lr": 0.001, "scale": 3.5, "optimizer": {"name": "sgd"}, "layers": 8}', 0.3);

    // The runs table shows the project's own paths as columns, values as their type (2.0 stays 2.0).
    await page.goto(projectUrl);
    await expectText(page.getByTestId('run-count'), '2 runs');
    await page.getByRole('columnheader', { name: 'scale' }).waitFor();
    await page.getByRole('columnheader', { name: 'last(train/loss)' }).waitFor();
    const smallRow = page.locator('[role="row"]', { has: page.getByRole('link', { name: 'small' }) });
    await expectText(smallRow, '2.0');
    await expectText(smallRow, '0.0003');
    await expectText(smallRow, 'adamw');
    // The filter bar knows the project's paths, not the built-in ones.
    const filter = page.getByLabel('Filter runs');
    await filter.fill('optimiser.name = "sgd"');
    await expectText(page.locator('[data-filter-error]').first(), 'did you mean "optimizer.name"?');
    await filter.fill('scale >= 3');
    await filter.press('Enter');
    await expectText(page.getByTestId('run-count'), '1 run match');
    await page.getByRole('link', { name: 'large' }).waitFor();
    await shot('3-runs-table');

    // Compare: the built-in defaults (test.accuracy, optimizer.learningRate) are absent, so the project's own
    // metric and first varying numeric path are used; a finding's rule is checked against the project's paths.
    await page.getByRole('button', { name: 'Clear' }).click();
    await expectText(page.getByTestId('run-count'), '2 runs');
    // Sorting by a path of the project goes to the API (descending first).
    await page.getByRole('columnheader', { name: 'scale' }).getByRole('button').click();
    await page.waitForURL(/sort=param%3Ascale/);
    await page.waitForFunction(() => document.querySelector('[role="row"][data-run-id] a')?.textContent === 'large');
    await page.getByRole('columnheader', { name: 'scale' }).getByRole('button').click();
    await page.waitForURL(/dir=asc/);
    await page.waitForFunction(() => document.querySelector('[role="row"][data-run-id] a')?.textContent === 'small');
    await page.getByLabel('Select all loaded runs').click();
    await page.waitForURL(/sel=[^&]+%2C|sel=[^&]+,/);
    await page.getByRole('link', { name: 'Compare selected' }).click();
    await page.waitForURL(/\/compare\?runs=/);
    await waitForChart(page, 'train/loss', 'data-series-count', 2);
    await waitForChart(page, 'Scatter', 'data-point-count', 2);
    expect(await page.getByLabel('scatter x').inputValue()).toBe('layers');
    await page.getByRole('button', { name: 'Record a finding' }).click();
    const findingForm = page.getByRole('form', { name: 'Finding' });
    const rule = findingForm.locator('input[name="rule"]');
    expect(await rule.inputValue()).toMatch(/^layers (<=|>=) [48]$/);
    expect(await findingForm.locator('input[name="metric"]').inputValue()).toBe('train/loss');
    await rule.fill('batchSize <= 32');
    await expectText(findingForm.locator('[data-expression-error="rule"]'), 'Unknown hyperparameter "batchSize"');
    await rule.fill('layers >= 8');
    await findingForm.locator('[data-expression-error="rule"]').waitFor({ state: 'detached' });
    await findingForm.locator('input[name="title"]').fill('Deeper is better on lm sweep');
    await shot('3a-compare');
    await findingForm.getByRole('button', { name: 'Record finding' }).click();
    await page.waitForURL(/\/findings\/[0-9a-f-]+$/);
    await page.getByRole('heading', { name: 'Deeper is better on lm sweep' }).waitFor();

    // The schema page: every path with its type, values seen and how many runs have it, linked to the table.
    await page.goto(`${projectUrl}/schema`);
    const scaleRow = page.locator('[data-schema-path="scale"]');
    await expectText(scaleRow, 'float');
    await expectText(scaleRow, '2.0 – 3.5');
    expect(await scaleRow.locator('td.numeric').innerText()).toBe('2');
    await expectText(page.locator('[data-schema-path="optimizer.name"]'), 'adamw, sgd');
    await shot('4-schema-page');
    await page.getByRole('link', { name: 'Runs with layers' }).click();
    await page.waitForURL(/q=layers/);
    await expectText(page.getByTestId('run-count'), '2 runs match');

    // Settings: one click promotes the inferred schema to a declared one, version 1.
    await page.goto(`${projectUrl}/settings`);
    await expectText(page.getByTestId('schema-kind'), 'inferred');
    await page.getByRole('button', { name: 'Promote to declared' }).click();
    await expectText(page.getByTestId('schema-saved'), 'Promoted: the schema is declared, version 1.');
    await expectText(page.getByTestId('schema-kind'), 'declared');
    await page.locator('[data-schema-version="1"]').waitFor();

    // The editor checks the document as it is typed, naming the path of each problem; a valid one saves as v2.
    const editor = page.getByLabel('JSON Schema document');
    const promoted = JSON.parse(await editor.inputValue()) as { properties: Record<string, Record<string, unknown>> };
    expect(promoted.properties.scale).toMatchObject({ type: 'number' });
    await editor.fill(JSON.stringify({ ...promoted, properties: { ...promoted.properties, lr: { type: 'flot' } } }, null, 2));
    await expectText(page.locator('[data-schema-problem="properties.lr.type"]'), '"flot" is not allowed');
    expect(await page.getByRole('button', { name: 'Save as a new version' }).isDisabled()).toBe(true);
    await shot('5-schema-editor-problem');
    const tightened = { ...promoted, properties: { ...promoted.properties, lr: { type: 'number', exclusiveMinimum: 0, maximum: 0.1, 'x-scale': 'log' } } };
    await editor.fill(JSON.stringify(tightened, null, 2));
    await expectText(page.getByTestId('schema-valid'), 'lr: float');
    await page.getByRole('button', { name: 'Save as a new version' }).click();
    await expectText(page.getByTestId('schema-saved'), 'version 2');
    const v2 = page.locator('[data-schema-version="2"]');
    await expectText(v2, '(current)');
    await expectText(v2, 'admin');
    await v2.getByRole('button', { name: 'View v2' }).click();
    await expectText(page.getByLabel('Version 2 document'), '"x-scale": "log"');
    await shot('6-schema-versions');

    // Switching the kind asks first and says what happens to the runs.
    await page.getByRole('radio', { name: /^Inferred/ }).check();
    await page.getByRole('button', { name: 'Switch to inferred…' }).click();
    await expectText(page.getByRole('alertdialog'), 'The 2 runs already logged keep their configs');
    await page.getByRole('button', { name: 'Confirm switch' }).click();
    await expectText(page.getByTestId('schema-kind'), 'inferred');

    // The run page's console log: what the script printed (as `tuneboard run` sends it), the tail first.
    const appendLog = (lines: { seq: number; stream: string; text: string }[]) =>
      stack.gql(`mutation($id: ID!, $lines: [RunLogLineInput!]!) { appendRunLog(runId: $id, lines: $lines) { accepted } }`, { id: smallRunId, lines });
    await appendLog(
      Array.from({ length: 1200 }, (_, seq) =>
        seq % 100 === 50
          ? { seq, stream: 'STDERR', text: `Error: loss spike at step ${seq}` }
          : { seq, stream: 'STDOUT', text: seq === 1000 ? '    indented   with  spaces' : `step ${seq} loss=${(1 / (seq + 1)).toFixed(4)}` },
      ),
    );
    await page.goto(`${stack.webUrl}/runs/${smallRunId}`);
    const log = page.getByRole('log', { name: 'Console output' });
    await expectText(page.getByTestId('log-count'), '1,200 lines, 500 shown');
    await log.locator('[data-seq="1199"]').waitFor();
    expect(await log.locator('[data-seq="699"]').count()).toBe(0);
    // stderr is marked in words, not only by colour; whitespace is kept as printed.
    expect(await log.locator('[data-seq="1150"]').getAttribute('data-stream')).toBe('STDERR');
    await expectText(log.locator('[data-seq="1150"] .log-stream'), 'stderr');
    expect(await log.locator('[data-seq="1000"] .log-text').evaluate((el) => el.textContent)).toBe('    indented   with  spaces');
    await page.getByRole('button', { name: 'Load earlier lines' }).click();
    await log.locator('[data-seq="200"]').waitFor({ state: 'attached' });
    await expectText(page.getByTestId('log-count'), '1,200 lines, 1,000 shown');
    await shot('7-run-log');
    await page.getByLabel('Search the log').fill('ERROR');
    await expectText(page.getByTestId('log-count'), '12 matching lines');
    expect(await log.locator('[data-stream="STDOUT"]').count()).toBe(0);
    // While the run is RUNNING, new lines appear without a reload.
    await page.getByLabel('Search the log').fill('');
    await expectText(page.getByTestId('log-count'), '1,200 lines');
    await appendLog([{ seq: 1200, stream: 'STDOUT', text: 'fresh line from the script' }]);
    await expectText(log.locator('[data-seq="1200"]'), 'fresh line from the script');
    await expectText(page.getByTestId('log-count'), '1,201 lines');

    // The page's own command, run for real: `tuneboard run --project 'lm sweep' --config config.json -- <command>`.
    const workDir = mkdtempSync(join(tmpdir(), 'tuneboard-cli-'));
    try {
      writeFileSync(join(workDir, 'config.json'), '{"lr": 0.002, "scale": 1.0, "optimizer": {"name": "adamw"}, "layers": 6}');
      const script = 'console.log(JSON.stringify({ step: 10, "train/loss": 0.25 })); console.error("  warming   up"); console.log("done")';
      const cli = spawnSync(
        process.execPath,
        [
          TUNEBOARD_BIN,
          'run',
          '--project',
          'lm sweep',
          '--config',
          'config.json',
          '--name',
          'from-cli',
          '--system-interval',
          '0',
          '--',
          process.execPath,
          '-e',
          script,
        ],
        {
          cwd: workDir,
          encoding: 'utf8',
          timeout: 60_000,
          env: { ...process.env, TUNEBOARD_API_URL: stack.apiUrl, TUNEBOARD_TOKEN: stack.token, TUNEBOARD_SPOOL_DIR: join(workDir, 'spool') },
        },
      );
      expect(cli.status, cli.stderr).toBe(0);
    } finally {
      rmSync(workDir, { recursive: true, force: true });
    }
    await page.goto(projectUrl);
    await expectText(page.getByTestId('run-count'), '3 runs');
    await page.getByRole('link', { name: 'from-cli' }).click();
    await page.waitForURL(/\/runs\//);
    await expectText(page.getByTestId('run-status'), 'succeeded');
    await expectText(page.locator('[data-param-path="scale"]'), '1.0');
    const cliLog = page.getByRole('log', { name: 'Console output' });
    await expectText(cliLog.locator('[data-stream="STDERR"] .log-text'), 'warming   up');
    await expectText(cliLog, 'done');
    await shot('8-run-from-cli');
    expect(violations, formatViolations(violations)).toEqual([]);
  }, 180_000);
});

async function waitForChart(page: Page, chart: string, attribute: 'data-point-count' | 'data-series-count', atLeast: number): Promise<void> {
  await page.waitForFunction(
    ([name, attr, min]) => Number(document.querySelector(`[data-chart="${name}"]`)?.getAttribute(attr) ?? 0) >= Number(min),
    [chart, attribute, atLeast] as const,
    { timeout: 30_000 },
  );
}

async function expectText(locator: Locator, text: string, timeout = 15_000): Promise<void> {
  await locator.filter({ hasText: text }).first().waitFor({ timeout });
}
