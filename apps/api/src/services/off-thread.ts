import { computeImportance, suggestFindings, type ImportanceRun } from '@tuneboard/findings';
import { availableParallelism } from 'node:os';
import { Piscina } from 'piscina';

/**
 * Importance (a few hundred trees) and suggested findings (thousands of permutations per rule) are synchronous and
 * take seconds at the 2,000-run cap: on the API's thread they would hold every other request, /healthz included.
 * They run in a small pool of worker threads instead (compute-worker.mjs). One thread is kept warm (its first
 * start loads tsx and the findings package, a few hundred ms); a second one, on a machine with cores to spare,
 * serves a second computation at once and goes after a minute idle. Idle threads do not keep the process alive.
 * The results are the same functions' results, structured-cloned back.
 */
let pool: Piscina | null = null;

function computePool(): Piscina {
  pool ??= new Piscina({
    filename: new URL('./compute-worker.mjs', import.meta.url).href,
    minThreads: 1,
    maxThreads: Math.max(1, Math.min(2, availableParallelism() - 1)),
    idleTimeout: 60_000,
  });
  return pool;
}

export function computeImportanceOffThread(...args: Parameters<typeof computeImportance>): Promise<ReturnType<typeof computeImportance>> {
  return computePool().run({ task: 'importance', args });
}

export function suggestFindingsOffThread(...args: Parameters<typeof suggestFindings>): Promise<ReturnType<typeof suggestFindings>> {
  return computePool().run({ task: 'suggestions', args });
}

/** What either computation reads of a run for one metric: less to clone into the worker than whole evidence runs. */
export function forMetric(runs: readonly ImportanceRun[], key: string): ImportanceRun[] {
  return runs.map((run) => ({ id: run.id, status: run.status, params: run.params, metrics: run.metrics?.[key] ? { [key]: run.metrics[key] } : {} }));
}
