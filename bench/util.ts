import { openStore, type Store } from '@tuneboard/db';
import { createTestDatabase } from '@tuneboard/db/testing';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

/** One row of the results table. */
export interface Result {
  database: 'pglite' | 'postgres';
  figure: string;
  target: string;
  measured: number;
  unit: string;
  /** measured / reference where the target is a ratio (e.g. API rate / raw rate). */
  ratio?: number;
  /** Undefined where there is no target (a reference figure). */
  pass?: boolean;
}

export interface BenchContext {
  kind: 'pglite' | 'postgres';
  store: Store;
  url: string;
  token: string;
  projectId: string;
  scale: number;
  memory: MemorySampler;
}

/** A correctness check of the benchmark itself: fails loudly, whatever the timings. */
export function check(condition: boolean, message: string): asserts condition {
  if (!condition) throw new Error(`bench correctness check failed: ${message}`);
}

/**
 * Peak resident memory of the process serving the API while `work` runs: the API's own process when it runs
 * apart (PostgreSQL), else this process (PGlite, whose database lives inside the API process, and the
 * benchmark's client with it).
 */
export class MemorySampler {
  constructor(private readonly pid: number = process.pid) {}

  private rss(): number {
    if (this.pid === process.pid) return process.memoryUsage.rss();
    const status = readFileSync(`/proc/${this.pid}/status`, 'utf8');
    return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) * 1024;
  }

  async peakDuring<T>(work: () => Promise<T>): Promise<{ result: T; peakMb: number }> {
    let peak = this.rss();
    const timer = setInterval(() => (peak = Math.max(peak, this.rss())), 20);
    try {
      const result = await work();
      peak = Math.max(peak, this.rss());
      return { result, peakMb: Math.round(peak / 1024 / 1024) };
    } finally {
      clearInterval(timer);
    }
  }
}

export const rssOf = (kind: 'pglite' | 'postgres') => (kind === 'postgres' ? 'of the API process' : 'of the process (API + PGlite + client)');

/** Requests that hit a reset keep-alive connection and were sent again (reported with the results). */
export const resets = { count: 0 };

/**
 * POSTs one GraphQL request. A request that meets a connection the server is closing (ECONNRESET: with
 * PGlite the event loop stalls during long queries, so the server's keep-alive timer fires late, just as
 * the client reuses the socket) is sent once more, as an SDK would: every request here is a read or an
 * idempotent logMetrics, and the stored-count checks would catch a duplicate or a loss.
 */
export async function graphql<T = any>(ctx: Pick<BenchContext, 'url' | 'token'>, body: string): Promise<T> {
  let response: Response;
  const send = () => fetch(ctx.url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${ctx.token}` }, body });
  try {
    response = await send();
  } catch (error) {
    if ((error as { cause?: { code?: string } }).cause?.code !== 'ECONNRESET') throw error;
    resets.count++;
    response = await send();
  }
  const json = (await response.json()) as { data?: T; errors?: unknown[] };
  if (json.errors?.length) throw new Error(`GraphQL errors: ${JSON.stringify(json.errors).slice(0, 500)}`);
  return json.data!;
}

/** Runs `tasks` with at most `concurrency` in flight. */
export async function pool<T>(tasks: (() => Promise<T>)[], concurrency: number): Promise<T[]> {
  const results: T[] = new Array(tasks.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, tasks.length) }, async () => {
      while (next < tasks.length) {
        const i = next++;
        results[i] = await tasks[i]!();
      }
    }),
  );
  return results;
}

export async function timeQuery(iterations: number, warmup: number, run: () => Promise<void>): Promise<{ p50: number; p95: number }> {
  for (let i = 0; i < warmup; i++) await run();
  const times: number[] = [];
  for (let i = 0; i < iterations; i++) {
    const start = performance.now();
    await run();
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  const at = (q: number) => Math.round(times[Math.min(times.length - 1, Math.floor(q * times.length))]! * 10) / 10;
  return { p50: at(0.5), p95: at(0.95) };
}

export async function createRuns(store: Store, projectId: string, count: number, prefix: string): Promise<string[]> {
  const rows = await store.query<{ id: string }>(
    `insert into runs (project_id, name, config, flat_params, status)
     select $1, $2 || i, '{}', '{}', 'running' from generate_series(1, $3) i returning id`,
    [projectId, prefix, count],
  );
  return rows.map((r) => r.id);
}

export interface Api {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

/**
 * The API in a process of its own (api-process.ts, on the store `env` names), so its memory and CPU profile are
 * its alone and the benchmark's clients do not share its event loop. BENCH_API_NODE_OPTIONS go to its node.
 */
export async function startApiProcess(env: Record<string, string>, benchDir = fileURLToPath(new URL('.', import.meta.url))): Promise<Api> {
  const child = spawn(process.execPath, [...(process.env.BENCH_API_NODE_OPTIONS?.split(' ').filter(Boolean) ?? []), '--import', 'tsx', 'api-process.ts'], {
    cwd: benchDir,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (line) => line.startsWith('listening ') && resolve(line.slice('listening '.length)));
    child.once('exit', (code) => reject(new Error(`the API process exited with ${code} before listening`)));
  });
  return {
    url,
    pid: child.pid!,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/**
 * A fresh database for a section that runs the API in a process of its own: an embedded store in a temporary
 * directory, or a throw-away database on BENCH_DATABASE_URL (kept with BENCH_KEEP=1). `env` tells the API process
 * where it is; `cleanup` removes it.
 */
export async function openBenchDatabase(
  kind: 'pglite' | 'postgres',
  prefix: string,
): Promise<{ store: Store; env: Record<string, string>; cleanup(): Promise<void> }> {
  if (kind === 'pglite') {
    const dir = mkdtempSync(join(tmpdir(), `tuneboard-${prefix}-`));
    return { store: await openStore({ dataDir: dir }), env: { BENCH_API_DATA_DIR: dir }, cleanup: async () => rmSync(dir, { recursive: true, force: true }) };
  }
  const database = await createTestDatabase(process.env.BENCH_DATABASE_URL!);
  return {
    store: await openStore({ databaseUrl: database.url }),
    env: { BENCH_API_DATABASE_URL: database.url },
    cleanup: async () => {
      if (process.env.BENCH_KEEP) console.error(`kept ${database.url}`);
      else await database.drop();
    },
  };
}
