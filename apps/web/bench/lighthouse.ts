// Benchmark (not a test): Lighthouse's mobile scores (performance and accessibility) of the runs table and the compare
// page, against the real API on a fresh embedded database with 1,000 runs, 20 of them with 5,000 steps. Needs
// `next build` first, and Lighthouse 12, which is not a dependency of the project:
//   npm install --prefix /tmp/lh lighthouse@12.8.2
//   LIGHTHOUSE=/tmp/lh/node_modules/.bin/lighthouse npm run bench:lighthouse -w @tuneboard/web
// BASELINE_WEB_DIR=<dir holding another build's .next> scores that build too, page by page in turn; REPEATS=3.
// PAGES=runsTable (or compare) scores one page only. KEEP_REPORTS=<dir> keeps Lighthouse's JSON reports (per-script boot-up time, main-thread breakdown) for reading.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startStack } from '../test/stack';
import { seedBenchProject } from './seed';

const LIGHTHOUSE = process.env.LIGHTHOUSE ?? 'lighthouse';
const REPEATS = Number(process.env.REPEATS ?? 3);
const BASELINE_WEB_DIR = process.env.BASELINE_WEB_DIR;
const CHROME_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const KEEP_REPORTS = process.env.KEEP_REPORTS;

interface Score {
  performance: number;
  accessibility: number;
  largestPaintMs: number;
  totalBlockingMs: number;
  kib: number;
}

async function main(): Promise<void> {
  const stack = await startStack({ workers: 0, ...(BASELINE_WEB_DIR ? { baselineWebDir: BASELINE_WEB_DIR } : {}) });
  const out = KEEP_REPORTS ?? mkdtempSync(join(tmpdir(), 'tuneboard-lighthouse-'));
  try {
    const { projectId, runIds } = await seedBenchProject(stack, { runs: 1_000, compared: 20, comparedSteps: 5_000 });
    const allPages = { runsTable: `/projects/${projectId}`, compare: `/projects/${projectId}/compare?runs=${runIds.slice(0, 20).join(',')}` };
    const wanted = process.env.PAGES?.split(',');
    const pages = Object.fromEntries(Object.entries(allPages).filter(([name]) => !wanted || wanted.includes(name)));
    const dashboards = { current: stack.webUrl, ...(stack.baselineWebUrl ? { baseline: stack.baselineWebUrl } : {}) };
    const results: Record<string, Record<string, unknown>> = {};
    for (const [page, path] of Object.entries(pages)) {
      const scores: Record<string, Score[]> = {};
      for (let i = 0; i < REPEATS; i++)
        for (const [name, url] of Object.entries(dashboards))
          (scores[name] ??= []).push(await lighthouse(`${url}${path}`, stack.token, join(out, `${page}-${name}-${i}.json`)));
      results[page] = Object.fromEntries(Object.entries(scores).map(([name, list]) => [name, { median: medianScore(list), runs: list }]));
    }
    console.log(JSON.stringify(results, null, 2));
  } finally {
    if (!KEEP_REPORTS) rmSync(out, { recursive: true, force: true });
    await stack.stop();
  }
}

async function lighthouse(url: string, token: string, outputPath: string): Promise<Score> {
  await promisify(execFile)(
    LIGHTHOUSE,
    [
      url,
      '--quiet',
      '--only-categories=performance,accessibility',
      '--output=json',
      `--output-path=${outputPath}`,
      `--extra-headers=${JSON.stringify({ Cookie: `tuneboard_session=${token}` })}`,
      '--chrome-flags=--headless=new --no-sandbox --disable-gpu',
    ],
    { env: { ...process.env, CHROME_PATH }, maxBuffer: 64 * 1024 * 1024 },
  );
  const report = JSON.parse(readFileSync(outputPath, 'utf8')) as {
    categories: Record<string, { score: number }>;
    audits: Record<string, { numericValue?: number }>;
  };
  return {
    performance: Math.round(report.categories.performance!.score * 100),
    accessibility: Math.round(report.categories.accessibility!.score * 100),
    largestPaintMs: Math.round(report.audits['largest-contentful-paint']?.numericValue ?? NaN),
    totalBlockingMs: Math.round(report.audits['total-blocking-time']?.numericValue ?? NaN),
    kib: Math.round((report.audits['total-byte-weight']?.numericValue ?? NaN) / 1024),
  };
}

function medianScore(list: Score[]): Score {
  const median = (key: keyof Score) => [...list].sort((a, b) => a[key] - b[key])[Math.floor(list.length / 2)]![key];
  return {
    performance: median('performance'),
    accessibility: median('accessibility'),
    largestPaintMs: median('largestPaintMs'),
    totalBlockingMs: median('totalBlockingMs'),
    kib: median('kib'),
  };
}

await main();
