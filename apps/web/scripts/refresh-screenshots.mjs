#!/usr/bin/env node
// `npm run screenshots -w @tuneboard/web`: builds the dashboard, runs the browser walk-throughs (which photograph
// every page they visit, in light and dark mode, into test-artifacts/), then copies the ones the README shows into
// docs/screenshots/. Needs Debian's Chromium (/usr/bin/chromium).
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const web = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const target = resolve(web, '../../docs/screenshots');
/** test-artifacts name → docs/screenshots name. */
const SHOWN = {
  '6e-runs-table-findings.png': 'runs-table.png',
  '7-run-page-notes.png': 'run-page.png',
  '6g-compare-boundary.png': 'compare.png',
  '6b-finding-page.png': 'finding.png',
  'dark-runs-table.png': 'runs-table-dark.png',
  'dark-run-page.png': 'run-page-dark.png',
  'dark-compare.png': 'compare-dark.png',
  'search.png': 'search.png',
};

const run = (command, args) => {
  const result = spawnSync(command, args, { cwd: web, stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
};
run('npx', ['next', 'build']);
run('npx', ['vitest', 'run', 'test/dashboard.browser.test.ts', 'test/artifacts.browser.test.ts']);
mkdirSync(target, { recursive: true });
for (const [from, to] of Object.entries(SHOWN)) {
  const source = join(web, 'test-artifacts', from);
  if (!existsSync(source)) {
    console.error(`missing ${source}: did the browser tests run (is /usr/bin/chromium installed)?`);
    process.exit(1);
  }
  copyFileSync(source, join(target, to));
  console.log(`docs/screenshots/${to}`);
}
