/**
 * Issue 11's figures for open (inferred) schemas: (a) a project of 100,000 runs whose configs have 200 paths
 * (a transformer + XGBoost-like config: integers, floats, strings, booleans, nested objects and lists), filtered
 * on two paths, sorted by a metric, first 50 with an exact totalCount; (b) 10,000 EXTERNAL runs created through
 * the API over HTTP by several clients at once, as a team's sweep would, in runs/s.
 *
 * (a) is seeded in bulk with SQL (`insert … select from jsonb_array_elements`, 1,000 runs a statement), storing
 * exactly what submitRun stores (the hparams package's own flattening and types) and an inferred schema learned
 * from the first runs (every run has the same 200 paths); the metric summaries are SQL too, as in runs-table.ts.
 * (b) goes through the real API, twice: `submitRuns` batches of BENCH_OPEN_SCHEMA_BATCH runs (the target), then one
 * `submitRun` mutation per run (a tenth as many runs), as clients that log their runs one by one do.
 */
import { accounts } from '@tuneboard/api';
import type { Store } from '@tuneboard/db';
import { emptyInferredSchema, inferSchema, plainOf, readConfigText, type InferredSchema } from '@tuneboard/hparams';
import { readFileSync } from 'node:fs';
import { check, graphql, openBenchDatabase, pool, startApiProcess, timeQuery, type Result } from './util';

const PATHS = 200;
/** Concurrent clients of the bulk create (BENCH_OPEN_SCHEMA_CLIENTS). */
const CLIENTS = Number(process.env.BENCH_OPEN_SCHEMA_CLIENTS ?? 8);
/** Runs per submitRuns request of the bulk create (BENCH_OPEN_SCHEMA_BATCH). */
const BATCH = Number(process.env.BENCH_OPEN_SCHEMA_BATCH ?? 500);
/** BENCH_OPEN_SCHEMA_PART=query|create measures one half alone (e.g. to compare two trees quickly). */
const PART = process.env.BENCH_OPEN_SCHEMA_PART;

/** A whole number in JSON text, or a float that stays one (`1.0`, not `1`). */
const float = (x: number) => (Number.isInteger(x) ? x.toFixed(1) : String(x));

/**
 * Run i's config as JSON text with exactly 200 leaves: a transformer (8 layers of 8 settings each), an optimizer and
 * schedule, data and trainer settings, XGBoost-style boosting parameters and a list of evaluation settings.
 */
export function openConfigText(i: number): string {
  const pick = <T>(values: readonly T[], salt = 0) => values[(i * 7 + salt * 13 + ((i / 3) | 0)) % values.length]!;
  const layers = Array.from(
    { length: 8 },
    (_, l) =>
      `{"heads": ${pick([8, 12, 16], l)}, "ffnDim": ${pick([2048, 3072, 4096], l + 1)}, "dropout": ${float(pick([0, 0.1, 0.2], l + 2))}, ` +
      `"windowed": ${pick([true, false], l)}, "window": ${pick([128, 256, 512, 1024], l + 3)}, "norm": "${pick(['pre', 'post'], l + 1)}", ` +
      `"gate": "${pick(['swiglu', 'geglu', 'relu'], l)}", "residualScale": ${float(pick([1, 0.5, 0.7071], l))}}`,
  ).join(', ');
  const evals = Array.from(
    { length: 4 },
    (_, e) =>
      `{"name": "${['valid', 'test', 'ood', 'long'][e]}", "every": ${pick([100, 500, 1000], e)}, "batches": ${pick([10, 50, 100], e + 1)}, "greedy": ${pick([true, false], e)}}`,
  ).join(', ');
  const extras = Array.from({ length: 51 }, (_, k) => {
    const value = [`${(i + k) % 97}`, float(((i * (k + 3)) % 1000) / 1000 + 0.5), `"v${(i + k) % 5}"`, `${(i + k) % 2 === 0}`][k % 4];
    return `"p${String(k).padStart(2, '0')}": ${value}`;
  }).join(', ');
  // Learning rates on a log grid: 10^-2 … 10^-4.9, two thirds of them ≤ 0.001.
  const lr = Number(Math.pow(10, -2 - (i % 30) / 10).toPrecision(4));
  return `{
  "model": {"kind": "transformer", "dModel": ${pick([256, 512, 768, 1024])}, "nLayers": 8, "vocabSize": 32000, "maxSeqLen": ${pick([512, 1024, 2048], 1)},
    "norm": "${pick(['layernorm', 'rmsnorm'], 2)}", "activation": "${pick(['gelu', 'silu', 'relu'], 3)}", "dropout": ${float(pick([0, 0.05, 0.1, 0.2], 4))},
    "tieEmbeddings": ${pick([true, false], 5)}, "rope": {"base": ${pick([10000, 500000], 6)}, "scaling": ${float(pick([1, 2, 4], 7))}, "enabled": true},
    "init": {"std": 0.02, "scheme": "${pick(['normal', 'xavier', 'kaiming'], 8)}"}, "layers": [${layers}]},
  "optimizer": {"name": "${pick(['adamw', 'adam', 'lion', 'sgd'], 9)}", "lr": ${float(lr)}, "betas": [0.9, ${float(pick([0.95, 0.98, 0.999], 10))}], "eps": 1e-8,
    "weightDecay": ${float(pick([0, 0.01, 0.1], 11))}, "clipNorm": ${float(pick([0.5, 1, 2], 12))}, "fused": ${pick([true, false], 13)},
    "schedule": {"kind": "${pick(['cosine', 'linear', 'constant'], 14)}", "warmupSteps": ${pick([0, 500, 2000], 15)}, "minLrRatio": ${float(pick([0, 0.1], 16))}, "cycles": 1}},
  "data": {"name": "${pick(['c4', 'pile', 'wiki', 'books'], 17)}", "seqLen": ${pick([512, 1024, 2048], 18)}, "batchSize": ${pick([16, 32, 64, 128, 256], 19)},
    "shuffle": true, "seed": ${i}, "workers": ${pick([2, 4, 8], 20)}, "tokenizer": {"kind": "bpe", "lowercase": ${pick([true, false], 21)}, "vocab": 32000},
    "augment": {"mixup": ${pick([true, false], 22)}, "cutmix": false, "noise": ${float(pick([0, 0.01], 23))}}, "splits": [0.9, 0.05, 0.05]},
  "trainer": {"epochs": ${1 + (i % 20)}, "maxSteps": ${10000 * (1 + (i % 5))}, "precision": "${pick(['bf16', 'fp16', 'fp32'], 24)}", "gradAccum": ${pick([1, 2, 4, 8], 25)},
    "compile": ${pick([true, false], 26)}, "checkpoint": {"every": 1000, "keep": 3, "async": true}, "earlyStop": {"patience": ${pick([3, 5, 10], 27)}, "minDelta": 0.001}},
  "xgboost": {"booster": "${pick(['gbtree', 'dart'], 28)}", "maxDepth": ${3 + (i % 8)}, "eta": ${float(pick([0.01, 0.05, 0.1, 0.3], 29))}, "subsample": ${float(pick([0.5, 0.8, 1], 30))},
    "colsampleBytree": ${float(pick([0.5, 0.8, 1], 31))}, "minChildWeight": ${pick([1, 3, 5], 32)}, "gamma": ${float(pick([0, 0.1, 1], 33))}, "lambda": 1.0, "alpha": 0.0,
    "nEstimators": ${pick([100, 500, 1000], 34)}, "treeMethod": "hist", "objective": "binary:logistic", "evalMetric": ["auc", "logloss"], "earlyStoppingRounds": 50},
  "eval": [${evals}],
  "sweep": {${extras}},
  "seed": ${i}, "deterministic": ${i % 2 === 0}, "notesTag": "${pick(['baseline', 'ablation', 'scale'], 35)}"
}`;
}

/** What submitRun stores for a config: the plain value, the flat values and their types, in one JSON row. */
function seedRow(i: number): Record<string, unknown> {
  const read = readConfigText(openConfigText(i));
  if (!read.ok) throw new Error(`bench config ${i} is invalid: ${read.issues.map((issue) => issue.message).join('; ')}`);
  const params: Record<string, unknown> = {};
  const types: Record<string, string> = {};
  for (const [path, leaf] of Object.entries(read.flat)) {
    params[path] = leaf.value;
    types[path] = leaf.type;
  }
  check(Object.keys(params).length === PATHS, `bench config has ${Object.keys(params).length} paths, not ${PATHS}`);
  return { name: `sweep-${i}`, config: plainOf(read.value), params, types };
}

async function seedProject(store: Store, teamId: string, count: number): Promise<string> {
  let schema: InferredSchema = emptyInferredSchema();
  // Every run has the same 200 paths and types: the first runs teach the whole vocabulary (and some categories).
  for (let i = 1; i <= 200; i++) schema = inferSchema(schema, readConfigTextOrThrow(i)).schema;
  schema.runs = count;
  for (const entry of Object.values(schema.paths)) entry.runs = count;
  const [project] = await store.query<{ id: string }>(
    `insert into projects (team_id, name, schema_kind, inferred_schema) values ($1, 'open-100k', 'inferred', $2::jsonb) returning id`,
    [teamId, JSON.stringify(schema)],
  );
  const projectId = project!.id;
  const batch = 1_000;
  for (let start = 1; start <= count; start += batch) {
    const rows = Array.from({ length: Math.min(batch, count - start + 1) }, (_, k) => seedRow(start + k));
    await store.query(
      `insert into runs (project_id, name, status, config, flat_params, param_types, created_at, started_at, finished_at)
       select $1, r->>'name', 'succeeded', r->'config', r->'params', r->'types', now() - ((${count} - $3 - n) || ' seconds')::interval, now(), now()
       from jsonb_array_elements($2::jsonb) with ordinality as e(r, n)`,
      [projectId, JSON.stringify(rows), start],
    );
  }
  await store.query(
    `insert into metric_summaries (run_id, key, point_count, first_step, last_step, last_value, min_value, max_value)
     select r.id, 'eval.accuracy', 100, 0, 99, a, a / 2, a from runs r
       cross join lateral (select 0.5 + 0.5 * random() as a) x
     where r.project_id = $1`,
    [projectId],
  );
  // What autovacuum would do after a bulk load this size: statistics, and the visibility map for index-only scans.
  for (const table of ['runs', 'metric_summaries']) await store.query(`vacuum analyze ${table}`);
  return projectId;
}

function readConfigTextOrThrow(i: number) {
  const read = readConfigText(openConfigText(i));
  if (!read.ok) throw new Error(`bench config ${i} is invalid`);
  return read.flat;
}

/** CPU time a process has used, in ms (utime + stime of /proc/<pid>/stat, at 100 ticks a second); 0 once it is gone. */
function cpuMs(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return 0;
  }
}

/**
 * CPU used by the API process and the database's backends (PostgreSQL, same machine) while `work` runs: what the
 * work costs whatever else the machine runs, unlike a rate measured on a shared machine. Backends that ended
 * meanwhile are missed; the API's pool keeps its connections.
 */
async function cpuDuring(store: Store | null, apiPid: number, work: () => Promise<void>): Promise<{ apiMs: number; databaseMs: number | null }> {
  const backends = async () =>
    store ? (await store.query<{ pid: number }>(`select pid from pg_stat_activity where datname = current_database()`)).map((r) => r.pid) : [];
  const before = new Map((await backends()).map((pid) => [pid, cpuMs(pid)]));
  const apiBefore = cpuMs(apiPid);
  await work();
  const apiMs = cpuMs(apiPid) - apiBefore;
  if (!store) return { apiMs, databaseMs: null };
  let databaseMs = 0;
  for (const pid of await backends()) databaseMs += cpuMs(pid) - (before.get(pid) ?? 0);
  return { apiMs, databaseMs };
}

export const OPEN_FILTER = 'optimizer.lr <= 0.001 and model.norm = "rmsnorm"';
/** The same condition in SQL, for the count check (the filter is typed: lr is a number, norm a string). */
const OPEN_FILTER_SQL = `jsonb_typeof(flat_params->'optimizer.lr') = 'number' and (flat_params->>'optimizer.lr')::float8 <= 0.001 and flat_params->>'model.norm' = 'rmsnorm'`;

export async function benchOpenSchema(kind: 'pglite' | 'postgres', scale: number): Promise<Result[]> {
  const runCount = Math.round(100_000 * Math.min(1, scale));
  const submitCount = Math.round(10_000 * Math.min(1, scale));
  const { store, env, cleanup } = await openBenchDatabase(kind, 'open');
  const results: Result[] = [];
  const row = (figure: string, target: string, measured: number, unit: string, pass?: boolean): Result => ({
    database: kind,
    figure,
    target,
    measured,
    unit,
    ...(pass === undefined ? {} : { pass }),
  });
  try {
    const owner = await accounts.createUserWithToken(store, { email: 'open-owner@localhost', team: 'open' });
    // A sweep's clients: one team member (and token) each, as several machines of a team would log.
    const clients = [owner.token];
    for (let c = 1; c < CLIENTS; c++)
      clients.push((await accounts.createUserWithToken(store, { email: `open-client${c}@localhost`, team: 'open', joinExisting: true, role: 'member' })).token);
    let seeded: { projectId: string; expected: number } | null = null;
    if (PART !== 'create') {
      console.error(`${kind}: open schema: seeding ${runCount.toLocaleString('en')} runs of ${PATHS} paths`);
      const seedStart = performance.now();
      const projectId = await seedProject(store, owner.team.id, runCount);
      console.error(`  seeded in ${((performance.now() - seedStart) / 1000).toFixed(1)} s`);
      const [expected] = await store.query<{ n: number }>(`select count(*)::int as n from runs where project_id = $1 and ${OPEN_FILTER_SQL}`, [projectId]);
      seeded = { projectId, expected: expected!.n };
    }
    const [sweep] = await store.query<{ id: string }>(`insert into projects (team_id, name, schema_kind) values ($1, 'open-sweep', 'inferred') returning id`, [
      owner.team.id,
    ]);
    const [single] = await store.query<{ id: string }>(
      `insert into projects (team_id, name, schema_kind) values ($1, 'open-one-by-one', 'inferred') returning id`,
      [owner.team.id],
    );
    // The embedded store belongs to one process at a time: the API's, from here on.
    if (kind === 'pglite') await store.close();
    const api = await startApiProcess(env);
    try {
      const ctx = { url: api.url, token: owner.token };
      if (seeded) {
        const query = JSON.stringify({
          query: `query($p: ID!, $f: String, $o: RunOrder) { project(id: $p) { runs(filter: $f, orderBy: $o, first: 50) { totalCount edges { node { id name } } pageInfo { hasNextPage } } } }`,
          variables: { p: seeded.projectId, f: OPEN_FILTER, o: { field: 'METRIC_MAX', metric: 'eval.accuracy', direction: 'DESC' } },
        });
        const first = await graphql(ctx, query);
        check(first.project.runs.edges.length === 50, `first page has ${first.project.runs.edges.length} runs`);
        check(first.project.runs.totalCount === seeded.expected, `totalCount ${first.project.runs.totalCount}, expected ${seeded.expected}`);
        const timed = await timeQuery(kind === 'postgres' ? 30 : 10, 3, async () => void (await graphql(ctx, query)));
        const figure = `open schema: ${runCount.toLocaleString('en')} runs × ${PATHS} paths, filter \`${OPEN_FILTER}\`, sort by max(eval.accuracy), first 50 + exact totalCount (${seeded.expected.toLocaleString('en')})`;
        console.error(`  ${figure}: p50 ${timed.p50} ms, p95 ${timed.p95} ms`);
        const pg = kind === 'postgres';
        results.push(row(`${figure}, p50`, pg ? '< 50 ms' : 'report', timed.p50, 'ms', pg ? timed.p50 < 50 : undefined));
        results.push(row(`${figure}, p95`, 'report', timed.p95, 'ms'));
      }

      if (PART === 'query') return results;
      // (b) A sweep logging its runs, CLIENTS clients at once: in submitRuns batches (the target), then one by one.
      const bulk = await createRuns(
        { url: api.url, clients, projectId: sweep!.id, count: submitCount, batch: BATCH, store: kind === 'postgres' ? store : null, pid: api.pid },
        `${kind}: ${submitCount} runs in submitRuns batches of ${BATCH}`,
      );
      await checkSweep(ctx, sweep!.id, submitCount);
      const singleCount = Math.max(CLIENTS, Math.round(submitCount / 10));
      const oneByOne = await createRuns(
        { url: api.url, clients, projectId: single!.id, count: singleCount, batch: 1, store: kind === 'postgres' ? store : null, pid: api.pid },
        `${kind}: ${singleCount} runs one submitRun each`,
      );
      await checkSweep(ctx, single!.id, singleCount);
      const pg = kind === 'postgres';
      const cpuRow = (label: string, created: CreateFigures) => {
        results.push(row(`open schema, ${label}: CPU of the API process${pg ? '' : ' (API + PGlite)'} per run created`, 'report', created.apiMsPerRun, 'ms'));
        if (created.databaseMsPerRun !== null)
          results.push(row(`open schema, ${label}: CPU of the PostgreSQL backends per run created`, 'report', created.databaseMsPerRun, 'ms'));
      };
      results.push(
        row(
          `open schema: ${submitCount.toLocaleString('en')} EXTERNAL runs of ${PATHS} paths created through the API in submitRuns batches of ${BATCH} (${CLIENTS} clients)`,
          pg ? '≥ 1,000 runs/s' : 'report',
          bulk.rate,
          'runs/s',
          pg ? bulk.rate >= 1_000 : undefined,
        ),
      );
      cpuRow(`batches of ${BATCH}`, bulk);
      results.push(
        row(
          `open schema: ${singleCount.toLocaleString('en')} EXTERNAL runs created one submitRun request each (${CLIENTS} clients)`,
          'report',
          oneByOne.rate,
          'runs/s',
        ),
      );
      cpuRow('one by one', oneByOne);
    } finally {
      await api.stop();
    }
    return results;
  } finally {
    if (kind === 'postgres') await store.close();
    await cleanup();
  }
}

interface CreateFigures {
  rate: number;
  apiMsPerRun: number;
  databaseMsPerRun: number | null;
}

/**
 * Creates `count` EXTERNAL runs of 200-path configs in a project through the API: each client submits its share
 * one request after another, `batch` runs a request (submitRuns), or one (submitRun) when batch is 1.
 */
async function createRuns(
  options: { url: string; clients: string[]; projectId: string; count: number; batch: number; store: Store | null; pid: number },
  label: string,
): Promise<CreateFigures> {
  const { url, clients, projectId, count, batch } = options;
  const single = `mutation($input: SubmitRunInput!) { submitRun(input: $input) { run { id } } }`;
  const many = `mutation($input: SubmitRunsInput!) { submitRuns(input: $input) { runs { run { id } } } }`;
  const perClient = Math.ceil(count / clients.length);
  const start = performance.now();
  const cpu = await cpuDuring(options.store, options.pid, () =>
    pool(
      clients.map((token, c) => async () => {
        const first = c * perClient;
        const end = Math.min(first + perClient, count);
        for (let i = first; i < end; i += batch) {
          const body =
            batch === 1
              ? { query: single, variables: { input: { projectId, hparamsText: openConfigText(1_000_000 + i), execution: 'EXTERNAL' } } }
              : {
                  query: many,
                  variables: {
                    input: {
                      projectId,
                      execution: 'EXTERNAL',
                      runs: Array.from({ length: Math.min(batch, end - i) }, (_, k) => ({ hparamsText: openConfigText(1_000_000 + i + k) })),
                    },
                  },
                };
          await graphql({ url, token }, JSON.stringify(body));
        }
      }),
      clients.length,
    ).then(() => undefined),
  );
  const seconds = (performance.now() - start) / 1000;
  const perRun = (ms: number) => Math.round((ms / count) * 100) / 100;
  const figures = {
    rate: Math.round(count / seconds),
    apiMsPerRun: perRun(cpu.apiMs),
    databaseMsPerRun: cpu.databaseMs === null ? null : perRun(cpu.databaseMs),
  };
  console.error(
    `  ${label}: ${seconds.toFixed(1)} s, ${figures.rate} runs/s; CPU per run: API ${figures.apiMsPerRun} ms, database ${figures.databaseMsPerRun ?? 'n/a'} ms`,
  );
  return figures;
}

/** The project holds `count` runs and its inferred schema counted every one of them (no lost update). */
async function checkSweep(ctx: { url: string; token: string }, projectId: string, count: number): Promise<void> {
  const { project } = await graphql<{ project: { runs: { totalCount: number }; hparamSchema: { paths: { path: string; runs: number }[] } } }>(
    ctx,
    JSON.stringify({
      query: `query($p: ID!) { project(id: $p) { runs(first: 0) { totalCount } hparamSchema { paths { path runs } } } }`,
      variables: { p: projectId },
    }),
  );
  check(project.runs.totalCount === count, `the project holds ${project.runs.totalCount} runs, ${count} were submitted`);
  const seed = project.hparamSchema.paths.find((p) => p.path === 'seed');
  check(project.hparamSchema.paths.length === PATHS && seed?.runs === count, `the inferred schema counted ${seed?.runs} runs of ${count}`);
}
