// Benchmark (not a test): the browser main thread's CPU time while the runs table (and compare) load, from Chrome's
// trace. Wall-clock figures such as Lighthouse's total blocking time grow with the machine's load; the thread CPU time
// of each task (the trace's `tdur`) much less, so this is the figure to compare builds with on a shared machine.
// "Blocking" is Lighthouse's definition applied to CPU time slowed 4× as on its mobile run: Σ max(0, 4·cpu − 50 ms)
// over the main thread's tasks. Needs `next build` first; BASELINE_WEB_DIR=<dir holding another build's .next>
// measures that build too, in turn; REPEATS=5; RUNS=1000.
// Run: npm run bench:main-thread -w @tuneboard/web
import type { CDPSession, Page } from 'playwright-core';
import { startStack } from '../test/stack';
import { seedBenchProject } from './seed';

const REPEATS = Number(process.env.REPEATS ?? 5);
const RUNS = Number(process.env.RUNS ?? 1_000);
const BASELINE_WEB_DIR = process.env.BASELINE_WEB_DIR;
/** After the page's own requests settle, how long to keep recording (late renders count too). */
const SETTLE_MS = 3_000;

interface TraceEvent {
  name: string;
  ph: string;
  pid: number;
  tid: number;
  dur?: number;
  tdur?: number;
  args?: { name?: string };
}

interface Figures {
  cpuMs: number;
  blockingMs: number;
  longestTaskMs: number;
}

async function traced(page: Page, cdp: CDPSession, url: string): Promise<Figures> {
  const events: TraceEvent[] = [];
  const onData = (data: { value: object[] }) => events.push(...(data.value as TraceEvent[]));
  cdp.on('Tracing.dataCollected', onData);
  await cdp.send('Tracing.start', {
    categories: 'toplevel,disabled-by-default-devtools.timeline,__metadata',
    options: 'record-until-full',
    transferMode: 'ReportEvents',
  } as never);
  await page.goto(url, { waitUntil: 'networkidle' });
  await page.waitForTimeout(SETTLE_MS);
  const done = new Promise<void>((resolve) => cdp.once('Tracing.tracingComplete', () => resolve()));
  await cdp.send('Tracing.end');
  await done;
  cdp.off('Tracing.dataCollected', onData);
  const mainThreads = new Set(events.filter((e) => e.name === 'thread_name' && e.args?.name === 'CrRendererMain').map((e) => `${e.pid}:${e.tid}`));
  const tasks = events.filter(
    (e) => e.ph === 'X' && (e.name === 'RunTask' || e.name === 'ThreadControllerImpl::RunTask') && mainThreads.has(`${e.pid}:${e.tid}`),
  );
  const cpu = tasks.map((e) => (e.tdur ?? e.dur ?? 0) / 1_000);
  return {
    cpuMs: Math.round(cpu.reduce((a, b) => a + b, 0)),
    blockingMs: Math.round(cpu.reduce((sum, ms) => sum + Math.max(0, 4 * ms - 50), 0)),
    longestTaskMs: Math.round(Math.max(0, ...cpu)),
  };
}

function median(list: Figures[]): Figures {
  const at = (key: keyof Figures) => [...list].sort((a, b) => a[key] - b[key])[Math.floor(list.length / 2)]![key];
  return { cpuMs: at('cpuMs'), blockingMs: at('blockingMs'), longestTaskMs: at('longestTaskMs') };
}

async function main(): Promise<void> {
  const stack = await startStack({ workers: 0, ...(BASELINE_WEB_DIR ? { baselineWebDir: BASELINE_WEB_DIR } : {}) });
  try {
    const { projectId, runIds } = await seedBenchProject(stack, { runs: RUNS, compared: 20, comparedSteps: 5_000 });
    const dashboards = { current: stack.webUrl, ...(stack.baselineWebUrl ? { baseline: stack.baselineWebUrl } : {}) };
    for (const url of Object.values(dashboards)) await stack.browser.addCookies([{ name: 'tuneboard_session', value: stack.token, url }]);
    const pages = { runsTable: `/projects/${projectId}`, compare: `/projects/${projectId}/compare?runs=${runIds.slice(0, 20).join(',')}` };
    const wanted = process.env.PAGES?.split(',');
    const page = await stack.browser.newPage();
    const cdp = await stack.browser.newCDPSession(page);
    for (const [name, path] of Object.entries(pages)) {
      if (wanted && !wanted.includes(name)) continue;
      const figures: Record<string, Figures[]> = {};
      // One unmeasured load each first: the server's first render of a route compiles and caches.
      for (const url of Object.values(dashboards)) await page.goto(`${url}${path}`, { waitUntil: 'networkidle' });
      // The builds take turns going first, so neither gains from the order (a warm server cache, the browser's state).
      for (let i = 0; i < REPEATS; i++)
        for (const [build, url] of i % 2 === 0 ? Object.entries(dashboards) : Object.entries(dashboards).reverse()) {
          await page.goto('about:blank');
          (figures[build] ??= []).push(await traced(page, cdp, `${url}${path}`));
        }
      const medians = Object.fromEntries(Object.entries(figures).map(([build, list]) => [build, median(list)]));
      const ratio =
        medians.baseline && medians.current
          ? {
              cpu: +(medians.current.cpuMs / medians.baseline.cpuMs).toFixed(2),
              blocking: +(medians.current.blockingMs / medians.baseline.blockingMs).toFixed(2),
            }
          : undefined;
      console.log(JSON.stringify({ page: name, medians, ratio, runs: figures }));
    }
  } finally {
    await stack.stop();
  }
}

await main();
