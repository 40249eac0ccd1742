/**
 * `npm run bench`: the scale targets of issue #6, measured on a fresh embedded store (PGlite, in a temporary
 * directory) and, when BENCH_DATABASE_URL is set, on a throw-away database of that PostgreSQL server.
 * Prints one table and writes it to bench/results.json. A benchmark, not a test: slow figures do not fail
 * it, but its correctness checks (stored count = sent count, peaks kept, page sizes) throw.
 *
 * Environment: BENCH_DATABASE_URL (a server; a database is created on it and dropped after),
 * BENCH_ONLY=pglite|postgres, BENCH_SCALE (0.1 for a quick look; default 1), BENCH_KEEP=1 (keep the
 * PostgreSQL database and print its URL, for EXPLAIN and profiling afterwards), BENCH_API_NODE_OPTIONS
 * (e.g. '--cpu-prof --cpu-prof-dir=/tmp/prof', for the API process on PostgreSQL), BENCH_ADVERSARIAL=0|only
 * (skip issue 9's adversarial figures, or measure only them). Sections can be named as arguments: scale,
 * tuneboard-run (issue 11: the wrapper's overhead and delivery rate), adversarial, open-schema, mlflow (issue 12: log-batch
 * ingestion and bulk-interval reads through the MLflow API; BENCH_MLFLOW=0|only), import (issue 12: a 1,000-run mlruns/
 * import; BENCH_IMPORT=0|only), groups (issue 14: metricGroups, 50 configurations × 10 seeds × 100k steps, 50M points to seed: only
 * when named, or with BENCH_GROUPS=1|only).
 */
import { accounts, startServer } from '@tuneboard/api';
import { openStore, type Store } from '@tuneboard/db';
import { createTestDatabase } from '@tuneboard/db/testing';
import pino from 'pino';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchIngestion } from './ingestion';
import { benchCompare } from './compare';
import { benchRunsTable } from './runs-table';
import { benchAdversarial } from './adversarial';
import { benchOpenSchema } from './open-schema';
import { benchImport } from './import';
import { benchMlflow } from './mlflow';
import { benchGroups } from './groups';
import { benchTrackedCommand } from './tracked-command';
import { MemorySampler, resets, startApiProcess, type Api, type Result } from './util';

const scale = Number(process.env.BENCH_SCALE ?? 1);

async function benchDatabase(kind: 'pglite' | 'postgres', parts: { scale: boolean; trackedCommand: boolean }): Promise<Result[]> {
  let cleanup: () => Promise<void>;
  let store: Store;
  let databaseUrl: string | undefined;
  if (kind === 'pglite') {
    const dir = mkdtempSync(join(tmpdir(), 'tuneboard-bench-'));
    store = await openStore({ dataDir: dir });
    cleanup = async () => rmSync(dir, { recursive: true, force: true });
  } else {
    const database = await createTestDatabase(process.env.BENCH_DATABASE_URL!);
    store = await openStore({ databaseUrl: database.url, poolSize: 10 });
    databaseUrl = database.url;
    cleanup = async () => {
      if (process.env.BENCH_KEEP) console.error(`kept ${database.url}`);
      else await database.drop();
    };
  }
  // PostgreSQL: the API in a process of its own, so its memory (and CPU profile) is its alone.
  const api = kind === 'postgres' ? await startApiProcess({ BENCH_API_DATABASE_URL: databaseUrl! }) : await startApiHere(store);
  try {
    const user = await accounts.createUserWithToken(store, { email: 'bench@localhost', team: 'bench' });
    const [project] = await store.query<{ id: string }>(`insert into projects (team_id, name) values ($1, 'bench') returning id`, [user.team.id]);
    const ctx = { kind, store, url: api.url, token: user.token, projectId: project!.id, scale, memory: new MemorySampler(api.pid) };
    const results: Result[] = [];
    const log = (r: Result[]) => {
      for (const row of r) console.error(`  ${row.database} ${row.figure}: ${row.measured} ${row.unit}`);
      results.push(...r);
    };
    if (parts.scale) {
      console.error(`${kind}: ingestion`);
      const ingested = await benchIngestion(ctx);
      log(ingested.results);
      console.error(`${kind}: compare query`);
      log(await benchCompare(ctx, ingested.runIds, ingested.keys, ingested.stepsPerSeries));
      console.error(`${kind}: runs table`);
      log(await benchRunsTable(ctx));
    }
    if (parts.trackedCommand) {
      console.error(`${kind}: tuneboard run`);
      log(await benchTrackedCommand(ctx));
    }
    results.push({ database: kind, figure: 'requests resent after a connection reset', target: 'report', measured: resets.count, unit: 'requests' });
    resets.count = 0;
    return results;
  } finally {
    await api.stop();
    await store.close();
    await cleanup();
  }
}

/** PGlite: the database lives in the API's process, so the API runs here. */
async function startApiHere(store: Store): Promise<Api> {
  // Warnings and errors of the API go to stderr: a failed request in a benchmark must say why.
  const server = await startServer({ store, port: 0, logger: pino({ level: 'warn' }, pino.destination(2)) });
  return { url: server.url, pid: process.pid, stop: () => server.stop() };
}

function printTable(results: Result[]): void {
  const rows = results.map((r) => [
    r.database,
    r.figure,
    r.target,
    `${r.measured} ${r.unit}`,
    r.ratio === undefined ? '' : r.ratio.toFixed(2),
    r.pass === undefined ? 'n/a' : r.pass ? 'pass' : 'FAIL',
  ]);
  const header = ['database', 'figure', 'target', 'measured', 'ratio', 'result'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ');
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const row of rows) console.log(line(row));
}

const started = Date.now();
const databases: ('pglite' | 'postgres')[] = [];
if (process.env.BENCH_ONLY !== 'postgres') databases.push('pglite');
if (process.env.BENCH_DATABASE_URL && process.env.BENCH_ONLY !== 'pglite') databases.push('postgres');
const SECTIONS = ['scale', 'tuneboard-run', 'adversarial', 'open-schema', 'mlflow', 'import', 'groups'] as const;
type Section = (typeof SECTIONS)[number];
const named = process.argv.slice(2);
for (const name of named)
  if (!SECTIONS.includes(name as Section)) throw new Error(`Unknown benchmark section "${name}"; the sections are ${SECTIONS.join(', ')}`);
const only = (['adversarial', 'open-schema', 'mlflow', 'import', 'groups'] as const).find((section) => process.env[envName(section)] === 'only');
const sections = SECTIONS.filter((section) =>
  named.length > 0
    ? named.includes(section)
    : only
      ? section === only
      : section === 'scale' || section === 'tuneboard-run' || (section === 'groups' ? process.env.BENCH_GROUPS === '1' : process.env[envName(section)] !== '0'),
);
function envName(section: 'adversarial' | 'open-schema' | 'mlflow' | 'import' | 'groups'): string {
  return { adversarial: 'BENCH_ADVERSARIAL', 'open-schema': 'BENCH_OPEN_SCHEMA', mlflow: 'BENCH_MLFLOW', import: 'BENCH_IMPORT', groups: 'BENCH_GROUPS' }[
    section
  ];
}
const results: Result[] = [];
for (const kind of databases) {
  if (sections.includes('scale') || sections.includes('tuneboard-run'))
    results.push(...(await benchDatabase(kind, { scale: sections.includes('scale'), trackedCommand: sections.includes('tuneboard-run') })));
  if (sections.includes('adversarial')) results.push(...(await benchAdversarial(kind, scale)));
  if (sections.includes('open-schema')) results.push(...(await benchOpenSchema(kind, scale)));
  if (sections.includes('mlflow')) results.push(...(await benchMlflow(kind, scale)));
  if (sections.includes('import')) results.push(...(await benchImport(kind, scale)));
  if (sections.includes('groups')) results.push(...(await benchGroups(kind, scale)));
}
printTable(results);
// A partial run (some sections only) must not replace the full results.
const out = fileURLToPath(
  new URL(sections.length === SECTIONS.length || (named.length === 0 && !only) ? './results.json' : `./results-${sections.join('+')}.json`, import.meta.url),
);
writeFileSync(
  out,
  JSON.stringify({ date: new Date().toISOString(), node: process.version, scale, seconds: Math.round((Date.now() - started) / 1000), results }, null, 2) + '\n',
);
console.error(`wrote ${out} after ${Math.round((Date.now() - started) / 1000)} s`);
process.exit(0);
