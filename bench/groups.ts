/**
 * Issue 14's groups: metricGroups over 50 configurations × 10 seeds of a 100,000-step series each (500 runs, 50M
 * points), grouped by everything but the seed, each group a mean with its bands on a 200-bucket grid. Seeded
 * straight into the store (appendMetrics, the API's own write path); measured through GraphQL against the API in
 * its own process. Target: p50 < 300 ms on PostgreSQL.
 *
 * BENCH_BASELINE_DIR: a checkout of another version with its node_modules (e.g. `git archive` of the base commit
 * plus `cp -al` of node_modules): its API runs in a second process on the same database and the two are asked
 * in turn (order alternating), so both see the same machine load; the table then gives each p50 and the ratio,
 * and the answers must be equal. BENCH_GROUPS_DATABASE_URL: a database seeded by an earlier run (kept with
 * BENCH_KEEP=1), to measure again without seeding 50M points.
 */
import { accounts } from '@tuneboard/api';
import { metricStore, openStore, type Store } from '@tuneboard/db';
import { loadavg } from 'node:os';
import { isDeepStrictEqual } from 'node:util';
import { seriesValues, stepRange, wallTimes } from './data';
import { check, graphql, openBenchDatabase, pool, startApiProcess, timeQuery, type Result } from './util';

const BATCH_SIZES = [8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096];
const LEARNING_RATES = [0.3, 0.1, 0.03, 0.01, 0.003];
const SEEDS = 10;
const BUCKETS = 200;

const QUERY = `query($p: ID!, $r: [ID!]!, $a: SeriesAlignment) {
  metricGroups(projectId: $p, runIds: $r, groupBy: { allButSeeds: true }, keys: ["train.loss"], alignment: $a, buckets: ${BUCKETS}) {
    groups { label count runIds series { key x count mean min max std low high } }
  }
}`;

export async function benchGroups(kind: 'pglite' | 'postgres', scale: number): Promise<Result[]> {
  const steps = Math.max(10_000, Math.round(100_000 * Math.min(1, scale)));
  const configurations = BATCH_SIZES.flatMap((batchSize) => LEARNING_RATES.map((learningRate) => ({ batchSize, learningRate })));
  const reuse = kind === 'postgres' ? process.env.BENCH_GROUPS_DATABASE_URL : undefined;
  const opened = reuse
    ? { store: await openStore({ databaseUrl: reuse, migrate: false }), env: { BENCH_API_DATABASE_URL: reuse }, cleanup: async () => {} }
    : await openBenchDatabase(kind, 'groups');
  const { store, env, cleanup } = opened;
  try {
    const seeded = reuse ? await seededBefore(store) : await seed(store, kind, configurations, steps);
    if (kind === 'pglite') await store.close();
    const { projectId, runIds, token } = seeded;
    const baselineDir = process.env.BENCH_BASELINE_DIR;
    const api = await startApiProcess(env);
    const baseline = baselineDir ? await startApiProcess(env, `${baselineDir}/bench`) : null;
    try {
      const ctx = { url: api.url, token };
      const body = (alignment: string) => JSON.stringify({ query: QUERY, variables: { p: projectId, r: runIds, a: alignment } });
      const first = await graphql(ctx, body('STEP'));
      const groups = first.metricGroups.groups as { count: number; series: { count: number[]; x: number[]; std: (number | null)[] }[] }[];
      check(groups.length === configurations.length, `${groups.length} groups, expected ${configurations.length}`);
      for (const group of groups) {
        check(group.count === SEEDS, `a group of ${group.count} runs`);
        const [series] = group.series;
        check(series !== undefined && series.x.length > BUCKETS / 2 && series.x.length <= BUCKETS, `a band of ${series?.x.length} points`);
        check(
          series!.count.every((n) => n === SEEDS),
          'every bucket averages all 10 seeds',
        );
        check(
          series!.std.every((s) => s !== null && s > 0),
          'seeds differ, so every bucket has a spread',
        );
      }
      const figure = (alignment: string) =>
        `metricGroups ${configurations.length} groups × ${SEEDS} seeds × ${steps.toLocaleString('en')} steps → ${BUCKETS} buckets, ${alignment}`;
      if (baseline) return await sideBySide(kind, { url: baseline.url, token }, ctx, body, figure);
      const step = await timeQuery(15, 2, async () => void (await graphql(ctx, body('STEP'))));
      const epoch = await timeQuery(10, 1, async () => void (await graphql(ctx, body('EPOCH'))));
      const wall = await timeQuery(10, 1, async () => void (await graphql(ctx, body('WALL_TIME'))));
      // The compare query's read of the same 500 series, for reference: what grouping adds to it, whatever the load.
      const series = JSON.stringify({
        query: 'query($r: [ID!]!) { metricSeries(runIds: $r, keys: ["train.loss"], maxPoints: 1000) { runId steps values } }',
        variables: { r: runIds },
      });
      const reference = await timeQuery(10, 1, async () => void (await graphql(ctx, series)));
      const target = kind === 'postgres' ? '< 300 ms' : 'report';
      return [
        {
          database: kind,
          figure: `${figure('by step')}, p50`,
          target,
          measured: step.p50,
          unit: 'ms',
          ...(kind === 'postgres' ? { pass: step.p50 < 300 } : {}),
        },
        { database: kind, figure: `${figure('by step')}, p95`, target: 'report', measured: step.p95, unit: 'ms' },
        {
          database: kind,
          figure: `${figure('by epoch')}, p50`,
          target,
          measured: epoch.p50,
          unit: 'ms',
          ...(kind === 'postgres' ? { pass: epoch.p50 < 300 } : {}),
        },
        { database: kind, figure: `${figure('by wall time')}, p50`, target: 'report', measured: wall.p50, unit: 'ms' },
        {
          database: kind,
          figure: `reference: metricSeries of the same ${runIds.length} series (≤ 1000 points each), p50`,
          target: 'report',
          measured: reference.p50,
          unit: 'ms',
        },
      ];
    } finally {
      await api.stop();
      await baseline?.stop();
    }
  } finally {
    if (kind === 'postgres') await store.close();
    await cleanup();
  }
}

interface Seeded {
  projectId: string;
  runIds: string[];
  token: string;
}

async function seed(store: Store, kind: string, configurations: { batchSize: number; learningRate: number }[], steps: number): Promise<Seeded> {
  const owner = await accounts.createUserWithToken(store, { email: 'groups@localhost', team: 'groups' });
  const [project] = await store.query<{ id: string }>(`insert into projects (team_id, name) values ($1, 'seeds') returning id`, [owner.team.id]);
  const projectId = project!.id;
  const runs = configurations.flatMap(({ batchSize, learningRate }) =>
    Array.from({ length: SEEDS }, (_, seed) => ({
      config: {
        dataset: { name: 'mnist', trainSize: 8_000, testSize: 2_000 },
        model: { kind: 'mlp', hiddenLayers: [128] },
        optimizer: { name: 'sgd', learningRate },
        batchSize,
        epochs: 10,
        seed,
      },
      params: { batchSize, 'optimizer.learningRate': learningRate, seed },
    })),
  );
  const rows = await store.query<{ id: string }>(
    `insert into runs (project_id, name, config, flat_params, status)
     select $1, 'group-run-' || i, c, p, 'running' from unnest($2::jsonb[], $3::jsonb[]) with ordinality as u(c, p, i) order by i returning id`,
    [projectId, runs.map((r) => JSON.stringify(r.config)), runs.map((r) => JSON.stringify(r.params))],
  );
  const runIds = rows.map((r) => r.id);
  console.error(`${kind}: groups: seeding ${runIds.length} runs × ${steps.toLocaleString('en')} steps`);
  const seedStart = performance.now();
  const stepArray = stepRange(steps);
  const times = wallTimes(steps, 1_800_000_000_000);
  await pool(
    runIds.map((runId, i) => async () => {
      const stored = await metricStore.appendMetrics(store, runId, [
        { key: 'train.loss', steps: stepArray, values: seriesValues(i, 0, steps), wallTimes: times },
      ]);
      check(stored.points === steps, `appendMetrics stored ${stored.points} of ${steps}`);
    }),
    4,
  );
  console.error(`  seeded in ${((performance.now() - seedStart) / 1000).toFixed(1)} s`);
  return { projectId, runIds, token: owner.token };
}

/** The project, runs and a new token of a database an earlier run seeded (BENCH_GROUPS_DATABASE_URL). */
async function seededBefore(store: Store): Promise<Seeded> {
  const [project] = await store.query<{ id: string }>(`select id from projects where name = 'seeds'`);
  check(project !== undefined, 'BENCH_GROUPS_DATABASE_URL holds no seeded groups project');
  const rows = await store.query<{ id: string }>(`select id from runs where project_id = $1 order by substring(name from 11)::int`, [project.id]);
  const issued = await accounts.issueTokenForEmail(store, 'groups@localhost', `bench ${new Date().toISOString()}`);
  check(issued !== null, 'BENCH_GROUPS_DATABASE_URL has no groups@localhost user');
  console.error(`groups: reusing ${rows.length} seeded runs`);
  return { projectId: project.id, runIds: rows.map((r) => r.id), token: issued.token };
}

/**
 * This version and the baseline's API asked in turn, the order swapped every round so neither always goes first:
 * per alignment each one's p50 and p95, and the ratio of the p50s (this / baseline). Their answers must be equal.
 */
async function sideBySide(
  kind: 'pglite' | 'postgres',
  baseline: { url: string; token: string },
  current: { url: string; token: string },
  body: (alignment: string) => string,
  figure: (alignment: string) => string,
): Promise<Result[]> {
  const results: Result[] = [];
  const rounds = Number(process.env.BENCH_GROUPS_ROUNDS ?? 15);
  for (const [alignment, name] of [
    ['STEP', 'by step'],
    ['EPOCH', 'by epoch'],
    ['WALL_TIME', 'by wall time'],
  ] as const) {
    const query = body(alignment);
    const [a, b] = await Promise.all([graphql(current, query), graphql(baseline, query)]);
    check(isDeepStrictEqual(a, b), `${alignment}: this version and the baseline answer differently`);
    const times = { current: [] as number[], baseline: [] as number[] };
    const timed = async (which: 'current' | 'baseline') => {
      const start = performance.now();
      await graphql(which === 'current' ? current : baseline, query);
      times[which].push(performance.now() - start);
    };
    for (let i = 0; i < rounds; i++) {
      if (i % 2 === 0) (await timed('current'), await timed('baseline'));
      else (await timed('baseline'), await timed('current'));
    }
    const load = loadavg()[0]!.toFixed(1);
    console.error(`  ${alignment}: done, load average ${load}`);
    const at = (values: number[], q: number) => {
      const sorted = [...values].sort((x, y) => x - y);
      return Math.round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]! * 10) / 10;
    };
    const now = at(times.current, 0.5);
    const before = at(times.baseline, 0.5);
    results.push(
      { database: kind, figure: `${figure(name)}, p50, baseline (load average ${load})`, target: 'report', measured: before, unit: 'ms' },
      {
        database: kind,
        figure: `${figure(name)}, p50, this version (ratio to baseline)`,
        target: kind === 'postgres' && alignment !== 'WALL_TIME' ? '< 300 ms' : 'report',
        measured: now,
        unit: 'ms',
        ratio: now / before,
        ...(kind === 'postgres' && alignment !== 'WALL_TIME' ? { pass: now < 300 } : {}),
      },
      {
        database: kind,
        figure: `${figure(name)}, p95, baseline / this version`,
        target: 'report',
        measured: at(times.baseline, 0.95),
        unit: `ms / ${at(times.current, 0.95)} ms`,
      },
    );
  }
  return results;
}
