// Diagnostic (not a test): where the browser's main thread spends its time while a page loads. Loads the runs table
// (or PAGE=compare) with the CPU slowed 4× as Lighthouse's mobile run does, records a V8 CPU profile for SECONDS,
// and prints self time per function and per script. Needs `next build` first.
// Run: npx tsx bench/cpu-profile.ts   (PAGE=compare, SECONDS=10, RUNS=1000)
import { startStack } from '../test/stack';
import { seedBenchProject } from './seed';

const PAGE = process.env.PAGE ?? 'runsTable';
const SECONDS = Number(process.env.SECONDS ?? 10);
const RUNS = Number(process.env.RUNS ?? 1_000);

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  children?: number[];
}

async function main(): Promise<void> {
  const stack = await startStack({ workers: 0 });
  try {
    const { projectId, runIds } = await seedBenchProject(stack, { runs: RUNS, compared: 20, comparedSteps: 5_000 });
    const context = stack.browser;
    await context.addCookies([{ name: 'tuneboard_session', value: stack.token, url: stack.webUrl }]);
    const page = await context.newPage();
    const path = PAGE === 'compare' ? `/projects/${projectId}/compare?runs=${runIds.slice(0, 20).join(',')}` : `/projects/${projectId}`;
    // Warm the server's caches once, unmeasured.
    await page.goto(`${stack.webUrl}${path}`);
    await page.goto('about:blank');
    const cdp = await context.newCDPSession(page);
    await cdp.send('Emulation.setCPUThrottlingRate', { rate: 4 });
    await cdp.send('Profiler.enable');
    await cdp.send('Profiler.setSamplingInterval', { interval: 200 });
    await cdp.send('Profiler.start');
    const started = Date.now();
    await page.goto(`${stack.webUrl}${path}`, { waitUntil: 'commit' });
    await page.waitForTimeout(SECONDS * 1_000);
    const { profile } = (await cdp.send('Profiler.stop')) as { profile: { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] } };
    const self = new Map<number, number>();
    profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1_000));
    const byFunction = new Map<string, number>();
    const byScript = new Map<string, number>();
    for (const node of profile.nodes) {
      const ms = self.get(node.id) ?? 0;
      const script = node.callFrame.url.replace(/^https?:\/\/[^/]+/, '') || `(${node.callFrame.functionName || 'native'})`;
      const name = `${node.callFrame.functionName || '(anonymous)'} ${script}:${node.callFrame.lineNumber + 1}:${node.callFrame.columnNumber + 1}`;
      byFunction.set(name, (byFunction.get(name) ?? 0) + ms);
      byScript.set(script, (byScript.get(script) ?? 0) + ms);
    }
    // Inclusive time of each module's top-level code (the factories Turbopack's loader instantiates).
    const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
    const inclusive = (node: ProfileNode): number => (self.get(node.id) ?? 0) + (node.children ?? []).reduce((sum, id) => sum + inclusive(nodes.get(id)!), 0);
    const byModule = new Map<string, number>();
    for (const node of profile.nodes) {
      if (!node.callFrame.url.includes('/turbopack-') || node.callFrame.functionName !== 'I') continue;
      for (const id of node.children ?? []) {
        const child = nodes.get(id)!;
        if (child.callFrame.url.includes('/turbopack-')) continue;
        const key = `${child.callFrame.url.replace(/^https?:\/\/[^/]+/, '')}:${child.callFrame.lineNumber + 1}:${child.callFrame.columnNumber + 1}`;
        byModule.set(key, (byModule.get(key) ?? 0) + inclusive(child));
      }
    }
    const top = (map: Map<string, number>, n: number) =>
      [...map]
        .sort((a, b) => b[1] - a[1])
        .slice(0, n)
        .map(([key, ms]) => `${ms.toFixed(0).padStart(7)} ms  ${key}`)
        .join('\n');
    console.log(
      `${PAGE}: ${((Date.now() - started) / 1_000).toFixed(1)} s recorded, CPU slowed 4×\n\nby script:\n${top(byScript, 15)}\n\nby function:\n${top(byFunction, 40)}\n\nmodule top-level code, inclusive:\n${top(byModule, 25)}`,
    );
  } finally {
    await stack.stop();
  }
}

await main();
