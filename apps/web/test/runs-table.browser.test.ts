// Issue #13 in the runs table, at 1440×900: the metrics are on screen without scrolling, columns whose value every
// run shares are hidden (and named), the header and the rows scroll as one, sorting by a column that was off
// screen shows its values in order, headers are readable, and a column choice is remembered for the project.
// Needs `next build` first. No trainer worker: the runs are logged through the API, as a script would.
import { existsSync, mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { axeViolations, formatViolations } from './axe';
import { CHROMIUM_PATH, startStack, type Stack } from './stack';

const ARTIFACTS = resolve(import.meta.dirname, '../test-artifacts');
const BUILT = existsSync(resolve(import.meta.dirname, '../.next/BUILD_ID'));
/** More than the table's first page (50 rows) and the page of 200 that follows it, so the rest loads on scrolling. */
const RUNS = 300;

describe.skipIf(!BUILT || !existsSync(CHROMIUM_PATH))('the runs table at 1440 px', () => {
  let stack: Stack;
  let page: Page;
  let projectId: string;

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    stack = await startStack({ workers: 0 });
    page = await stack.browser.newPage();
    await page.setViewportSize({ width: 1440, height: 900 });

    // A built-in project's sweep: learning rate and batch size vary; dataset, model, optimizer and tags do not.
    const { createProject } = await stack.gql<{ createProject: { id: string } }>(
      `mutation($teamId: ID!) { createProject(teamId: $teamId, name: "sweep") { id } }`,
      { teamId: stack.teamId },
    );
    projectId = createProject.id;
    const specs = Array.from({ length: RUNS }, (_, i) => ({
      name: `run-${String(i).padStart(3, '0')}`,
      tags: ['sweep'],
      hparams: {
        dataset: { name: 'spirals', trainSize: 800, testSize: 200 },
        model: { kind: 'mlp', hiddenLayers: [32, 32] },
        optimizer: { name: 'adam', learningRate: 0.001 * (1 + (i % 5)) },
        batchSize: [16, 32, 64][i % 3],
        epochs: 3,
      },
    }));
    const { submitRuns } = await stack.gql<{ submitRuns: { runs: { run: { id: string } }[] } }>(
      `mutation($input: SubmitRunsInput!) { submitRuns(input: $input) { runs { run { id } } } }`,
      { input: { projectId, execution: 'EXTERNAL', runs: specs } },
    );
    const ids = submitRuns.runs.map((r) => r.run.id);
    // Accuracies are all different (a permutation of 0.5…0.799), so a sorted column has one right order.
    for (let start = 0; start < ids.length; start += 10) {
      await Promise.all(
        ids.slice(start, start + 10).map((id, offset) =>
          stack.gql(`mutation($id: ID!, $points: [MetricPointInput!]) { logMetrics(runId: $id, points: $points) { accepted } }`, {
            id,
            points: [
              { key: 'train.loss', step: 1, value: 1.5 },
              { key: 'train.loss', step: 2, value: 0.2 + ((start + offset) % 7) / 10 },
              { key: 'test.accuracy', step: 2, value: 0.5 + (((start + offset) * 37) % RUNS) / 1000 },
            ],
          }),
        ),
      );
    }
  }, 180_000);

  afterAll(async () => {
    await stack?.stop();
  });

  const shot = (name: string) => page.screenshot({ path: resolve(ARTIFACTS, `runs-table-${name}.png`) });

  it('shows the metrics, scrolls header and rows together, sorts by an off-screen column and remembers the columns', async () => {
    await page.goto(`${stack.webUrl}/sign-in`);
    await page.getByLabel('API token').fill(stack.token);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(/\/projects$/);
    const projectUrl = `${stack.webUrl}/projects/${projectId}`;
    await page.goto(projectUrl);
    const table = page.getByRole('table', { name: 'Runs table' });
    const header = (name: string) => table.getByRole('columnheader', { name, exact: true });
    await table.locator('[role="row"][data-run-id]').first().waitFor();

    // The metrics are on screen without scrolling; the columns every run shares are hidden, and named.
    expect(await table.evaluate((el) => el.scrollLeft)).toBe(0);
    for (const name of ['max(test.accuracy)', 'last(train.loss)', 'optimizer.learningRate', 'batchSize']) await expectInside(header(name), table);
    for (const name of ['model.kind', 'optimizer.name', 'Backend', 'Tags', 'params']) expect(await header(name).count()).toBe(0);
    const note = page.getByTestId('same-value-note');
    expect(await note.textContent()).toMatch(/^Hidden because every loaded run has the same value: .*model\.kind = mlp.*optimizer\.name = adam/);
    await shot('1-default');

    // Show more columns than fit: one of them the same for every run (a choice wins over that default).
    await page.getByText(/^Columns \(\d+\)$/).click();
    const chooser = page.locator('.column-chooser .popover');
    for (const label of [
      'optimizer.name',
      'min(test.accuracy)',
      'max(train.loss)',
      'min(train.loss)',
      'dataset.trainSize',
      'model.activation',
      'last(test.accuracy)',
    ]) {
      await chooser.getByLabel(label).click();
      await header(label).waitFor();
    }
    await page.getByText(/^Columns \(\d+\)$/).click();
    expect(await note.textContent()).not.toContain('optimizer.name');

    // Readable headers: the full name wraps inside its cell (nothing cut), and is the cell's title too.
    const learningRate = header('optimizer.learningRate');
    expect(await learningRate.getAttribute('title')).toBe('optimizer.learningRate');
    const label = learningRate.locator('.label');
    expect(await label.innerText()).toMatch(/^optimizer\.learningRate\s↕$/);
    expect(await label.evaluate((el) => el.scrollWidth <= el.clientWidth && el.scrollHeight <= el.clientHeight)).toBe(true);
    await expectWithin(label, learningRate);

    // Scroll the rows sideways with the mouse wheel: every header stays over its own column's cells.
    const firstRow = table.locator('[role="row"][data-run-id]').first();
    const box = (await firstRow.boundingBox())!;
    await page.mouse.move(box.x + 700, box.y + 200);
    await page.mouse.wheel(250, 0);
    await page.waitForFunction(() => (document.querySelector('[data-testid="runs-scroll"]')?.scrollLeft ?? 0) >= 200);
    const scrolledLeft = await table.evaluate((el) => el.scrollLeft);
    const alignment = await table.evaluate((el) => {
      const headers = [...el.querySelectorAll('[role="columnheader"]')];
      return [...el.querySelectorAll('[role="row"][data-run-id]')].slice(0, 5).flatMap((row) =>
        [...row.querySelectorAll(':scope > [role="cell"]')].map((cell, index) => ({
          header: headers[index]!.textContent,
          headerLeft: headers[index]!.getBoundingClientRect().left,
          cellLeft: cell.getBoundingClientRect().left,
          headerWidth: headers[index]!.getBoundingClientRect().width,
          cellWidth: cell.getBoundingClientRect().width,
        })),
      );
    });
    expect(alignment.length).toBeGreaterThan(5 * 10);
    for (const { header: name, headerLeft, cellLeft, headerWidth, cellWidth } of alignment) {
      expect({ name, left: Math.round(cellLeft), width: Math.round(cellWidth) }).toEqual({
        name,
        left: Math.round(headerLeft),
        width: Math.round(headerWidth),
      });
    }
    // The run's name sticks to the left while the rest scrolls under it.
    await expectInside(header('Name'), table);
    await expectInside(firstRow.getByRole('link'), table);
    await shot('2-scrolled-sideways');

    // Sort by a metric column that is off screen, with the keyboard: Enter on its header's button.
    const offScreen = header('last(test.accuracy)');
    expect(await isInside(offScreen, table)).toBe(false);
    await offScreen.getByRole('button').focus();
    await page.keyboard.press('Enter');
    await page.waitForURL(/sort=metric%3Atest\.accuracy%3Alast&dir=desc/);
    await page.waitForFunction(() => document.querySelector('[role="row"][data-run-id] a')?.textContent === 'run-227');
    expect(await offScreen.getAttribute('aria-sort')).toBe('descending');
    expect((await offScreen.locator('.sort-arrow').innerText()).trim()).toBe('▼');
    await expectInside(offScreen.locator('.sort-arrow'), table);
    // The focused header scrolled into view, and its column's cells with it: values, visible, in order.
    const sortedValues = await visibleColumnValues(table, 'metric:test.accuracy:last');
    expect(sortedValues.length).toBeGreaterThan(10);
    expect(sortedValues.every((value) => value !== '')).toBe(true);
    const numbers = sortedValues.map(Number);
    expect(numbers).toEqual([...numbers].sort((a, b) => b - a));
    expect(numbers[0]).toBe(0.799);
    await shot('3-sorted-off-screen-column');

    // Space sorts it ascending.
    await page.keyboard.press('Space');
    await page.waitForURL(/dir=asc/);
    await page.waitForFunction(() => document.querySelector('[role="row"][data-run-id] a')?.textContent === 'run-000');
    expect(await offScreen.getAttribute('aria-sort')).toBe('ascending');
    expect((await offScreen.locator('.sort-arrow').innerText()).trim()).toBe('▲');
    const ascending = (await visibleColumnValues(table, 'metric:test.accuracy:last')).map(Number);
    expect(ascending).toEqual([...ascending].sort((a, b) => a - b));
    expect(scrolledLeft).toBeGreaterThanOrEqual(200);

    // Scrolling to the bottom loads the runs past the first page.
    await page.waitForFunction((last) => {
      const scroller = document.querySelector('[data-testid="runs-scroll"]')!;
      scroller.scrollTop = scroller.scrollHeight;
      return scroller.querySelector(`[role="row"][aria-rowindex="${last}"]`) !== null;
    }, RUNS + 1);
    expect(await page.getByText(/^[\d,]+ of [\d,]+ loaded/).count()).toBe(0);

    // Another page and back: the columns chosen are still there, without anything in the address.
    const chosen = await table.getByRole('columnheader').allInnerTexts();
    await page.getByRole('link', { name: 'Schema' }).click();
    await page.waitForURL(/\/schema/);
    await page.getByRole('link', { name: 'Runs' }).click();
    await page.waitForURL((url) => url.pathname === `/projects/${projectId}` && url.search === '');
    await table.locator('[role="row"][data-run-id]').first().waitFor();
    await header('optimizer.name').waitFor();
    expect(await table.getByRole('columnheader').allInnerTexts()).toEqual(chosen.map((text) => text.replace(/[▲▼]/, '↕')));
    // And after a reload, hiding one of the defaults stays hidden too.
    await page.getByText(/^Columns \(\d+\)$/).click();
    await chooser.getByLabel('batchSize').click();
    await header('batchSize').waitFor({ state: 'detached' });
    await page.goto(projectUrl);
    await header('optimizer.name').waitFor();
    expect(await header('batchSize').count()).toBe(0);
    expect(await header('max(test.accuracy)').count()).toBe(1);
    await shot('4-columns-remembered');

    // Reset brings back the project's default view.
    await page.getByText(/^Columns \(\d+\)$/).click();
    await chooser.getByRole('button', { name: 'Reset to default' }).click();
    await header('batchSize').waitFor();
    expect(await header('optimizer.name').count()).toBe(0);
  });

  it('arrives rendered: the first rows of the runs table are in the HTML the server sends, before any script runs', async () => {
    // Read as a browser without JavaScript would: the first rows are in the server's HTML, sorted as the URL asks.
    const html = async (path: string) => {
      const response = await fetch(`${stack.webUrl}${path}`, { headers: { cookie: `tuneboard_session=${stack.token}` } });
      expect(response.status).toBe(200);
      return response.text();
    };
    const sorted = await html(`/projects/${projectId}?sort=${encodeURIComponent('metric:test.accuracy:last')}&dir=desc`);
    const names = [...sorted.matchAll(/>(run-\d{3})</g)].map((m) => m[1]);
    expect(names.length).toBeGreaterThanOrEqual(20);
    // The best accuracy is 0.799: (i·37) mod 300 = 299 for i = 227.
    expect(names[0]).toBe('run-227');
    const filtered = await html(`/projects/${projectId}?q=${encodeURIComponent('batchSize = 64')}`);
    // i mod 3 = 2 for 100 of the 300 runs.
    expect(filtered).toContain('100 runs');
    // A filter the API refuses is not rendered as rows: the table's own query reports it once the page runs.
    const refused = await html(`/projects/${projectId}?q=${encodeURIComponent('batchSize <=')}`);
    expect(refused.match(/data-run-id=/g)).toBeNull();
  });

  it('groups every run matching the filter, not only the first page loaded, and pages an expanded group', async () => {
    // A fresh load: the table holds its first page of 50 runs, the groups count all 300.
    await page.goto(`${stack.webUrl}/projects/${projectId}?group=path:batchSize`);
    const groups = page.getByRole('table', { name: 'Run groups' });
    await groups.locator('tr[data-group]').nth(2).waitFor();
    const note = page.getByTestId('group-count');
    expect(await note.textContent()).toMatch(/^3 groups of all 300 runs; each metric as mean ± standard deviation/);
    expect(
      await groups.locator('tr[data-group]').evaluateAll((rows) => rows.map((r) => [r.getAttribute('data-group'), r.querySelector('td')!.textContent])),
    ).toEqual([
      ['batchSize=16', '100'],
      ['batchSize=32', '100'],
      ['batchSize=64', '100'],
    ]);
    // max(test.accuracy) of batch 16 (i mod 3 = 0), computed here over all 100 runs: its mean leads the cell.
    const accuracies = Array.from({ length: RUNS }, (_, i) => i)
      .filter((i) => i % 3 === 0)
      .map((i) => 0.5 + ((i * 37) % RUNS) / 1000);
    const mean = accuracies.reduce((a, b) => a + b, 0) / accuracies.length;
    const cell = await groups.locator('tr[data-group="batchSize=16"] td[data-column-id="metric:test.accuracy:max"]').textContent();
    expect(Number(cell!.split(' ± ')[0])).toBeCloseTo(mean, 2);

    // Expanding a group reads its runs 50 at a time, from the keyboard too.
    const toggle = groups.locator('tr[data-group="batchSize=16"]').getByRole('button');
    await toggle.focus();
    await page.keyboard.press('Enter');
    await groups.locator('tr.group-member').nth(49).waitFor();
    expect(await toggle.getAttribute('aria-expanded')).toBe('true');
    const more = groups.getByRole('button', { name: 'Show 50 more of batchSize=16' });
    await more.click();
    await groups.locator('tr.group-member').nth(99).waitFor();
    expect(await groups.locator('tr.group-member').count()).toBe(100);
    expect(await more.count()).toBe(0);
    const violations = await axeViolations(page, 'runs-table-groups');
    expect(violations, formatViolations(violations)).toEqual([]);
    await shot('5-groups');

    // A second path, and a filter: the groups follow both.
    await page.getByLabel('Also group runs by').selectOption('optimizer.learningRate');
    await page.waitForURL(/group=path(%3A|:)batchSize(%2C|,)optimizer\.learningRate/);
    await page.waitForFunction(() => document.querySelectorAll('tr[data-group]').length === 15);
    expect(await note.textContent()).toMatch(/^15 groups of all 300 runs/);
    await page.goto(`${stack.webUrl}/projects/${projectId}?group=seeds&q=${encodeURIComponent('batchSize = 64')}`);
    await groups.locator('tr[data-group]').nth(4).waitFor();
    expect(await note.textContent()).toMatch(/^5 groups of all 100 runs matching the filter/);
  });

  it('works without a mouse: Tab reaches the table, j/k move, x selects, c compares, Enter opens; a run is submitted from the keyboard', async () => {
    const tabTo = async (matches: () => Promise<boolean>, what: string) => {
      for (let i = 0; i < 60; i++) {
        if (await matches()) return;
        await page.keyboard.press('Tab');
      }
      throw new Error(`Tab never reached ${what}`);
    };
    await page.goto(`${stack.webUrl}/projects/${projectId}`);
    const table = page.getByTestId('runs-scroll');
    await table.locator('[role="row"][data-run-id]').first().waitFor();
    await tabTo(() => table.evaluate((el) => el === document.activeElement), 'the runs table');
    const cursorRun = () => table.locator('[role="row"][aria-current="true"]').getAttribute('data-run-id');
    await page.keyboard.press('j');
    const first = await cursorRun();
    await page.keyboard.press('x');
    await page.keyboard.press('j');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('k');
    const second = await cursorRun();
    expect(second).not.toBe(first);
    // Pressed at once after the toggles: the selection builds on the latest one, not on the URL's.
    await page.keyboard.press(' ');
    await page.keyboard.press('c');
    await page.waitForURL(/\/compare\?/);
    expect(new URL(page.url()).searchParams.get('runs')!.split(',').sort()).toEqual([first, second].sort());
    const violations = await axeViolations(page, 'compare-from-keyboard');
    expect(violations, formatViolations(violations)).toEqual([]);

    // Back in the table, Enter opens the run under the cursor.
    await page.goBack();
    await table.locator('[role="row"][data-run-id]').first().waitFor();
    await table.focus();
    await page.keyboard.press('j');
    const opened = await cursorRun();
    await page.keyboard.press('Enter');
    await page.waitForURL(new RegExp(`/runs/${opened}$`));

    // The submit form: every field and the button are reachable with Tab, and Enter on the button submits.
    await page.goto(`${stack.webUrl}/projects/${projectId}/submit`);
    const submit = page.getByRole('button', { name: 'Submit run' });
    await submit.waitFor();
    await tabTo(() => submit.evaluate((el) => el === document.activeElement), 'the Submit run button');
    await page.keyboard.press('Enter');
    await page.getByTestId('submit-warnings').or(page.getByText('Submitted')).first().waitFor();
  });
});

async function rect(locator: Locator): Promise<{ left: number; right: number; top: number; bottom: number }> {
  return locator.evaluate((el) => {
    const r = el.getBoundingClientRect();
    return { left: r.left, right: r.right, top: r.top, bottom: r.bottom };
  });
}

async function isInside(inner: Locator, outer: Locator): Promise<boolean> {
  const [a, b] = [await rect(inner), await rect(outer)];
  return a.left >= b.left - 0.5 && a.right <= b.right + 0.5 && a.top >= b.top - 0.5 && a.bottom <= b.bottom + 0.5;
}

async function expectInside(inner: Locator, outer: Locator): Promise<void> {
  expect({ inside: await isInside(inner, outer), inner: await rect(inner), outer: await rect(outer) }).toMatchObject({ inside: true });
}

const expectWithin = expectInside;

/**
 * The text a user sees in one column of the rendered rows, top to bottom: each cell must be the element at its own
 * centre (not hidden under another element or clipped away by a scroll box) and inside the viewport.
 */
async function visibleColumnValues(table: Locator, columnId: string): Promise<string[]> {
  return table.evaluate((el, id) => {
    const index = [...el.querySelectorAll('[role="columnheader"]')].findIndex((h) => h.getAttribute('data-column-id') === id);
    if (index < 0) throw new Error(`no header for ${id}`);
    const box = el.getBoundingClientRect();
    const head = el.querySelector('[role="rowgroup"]')!.getBoundingClientRect();
    const rows = [...el.querySelectorAll('[role="row"][data-run-id]')]
      .map((row) => ({ row, top: row.getBoundingClientRect().top }))
      .filter(({ top }) => top >= head.bottom && top + 34 <= Math.min(box.bottom, window.innerHeight))
      .sort((a, b) => a.top - b.top);
    return rows.map(({ row }) => {
      const cell = row.querySelectorAll(':scope > [role="cell"]')[index] as HTMLElement;
      const r = cell.getBoundingClientRect();
      const x = r.left + r.width / 2;
      const y = r.top + r.height / 2;
      if (x < box.left || x > box.right || x > window.innerWidth) throw new Error(`cell of ${id} off screen at x=${x}`);
      const seen = document.elementFromPoint(x, y);
      if (!seen || !cell.contains(seen)) throw new Error(`cell of ${id} hidden under ${seen?.outerHTML.slice(0, 80)}`);
      return cell.innerText.trim();
    });
  }, columnId);
}
