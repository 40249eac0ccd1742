/**
 * The runs table's groups (issue #14): Project.runGroups over every run matching the filter, at 10,000 runs of 240
 * configurations × ~42 seeds with 20 hyperparameter paths and three metric summaries each; and runs(group:), the
 * first page of an expanded group. Baseline: the table's own first page (50 runs with totalCount), the query every
 * visit to the table already makes. Seeded with SQL (what ingestion leaves); measured through GraphQL against the
 * API in its own process.
 *
 *   NODE_ENV=production npx tsx bench/table-groups.ts                 # PGlite
 *   BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres NODE_ENV=production npx tsx bench/table-groups.ts
 * BENCH_RUNS overrides the 10,000.
 */
import { accounts } from '@tuneboard/api';
import { check, graphql, openBenchDatabase, startApiProcess, timeQuery } from './util';

const RUNS = Number(process.env.BENCH_RUNS ?? 10_000);
const kind = process.env.BENCH_DATABASE_URL ? 'postgres' : 'pglite';

const GROUPS = `query($p: ID!, $f: String, $g: RunGroupByInput!, $o: RunOrder) {
  project(id: $p) { runGroups(filter: $f, groupBy: $g, orderBy: $o, metrics: [
    { key: "test.accuracy", aggregate: MAX }, { key: "train.loss", aggregate: LAST }, { key: "val.loss", aggregate: MIN }]) {
    runCount groupCount truncated groups { key label runCount metrics { n mean std low high } } } }
}`;
const PAGE = `query($p: ID!, $f: String, $o: RunOrder, $group: RunGroupInput) {
  runs(projectId: $p, filter: $f, orderBy: $o, group: $group, first: 50) { totalCount nodes { id name params metrics { key last min max } } }
}`;

async function main() {
  const { store, env, cleanup } = await openBenchDatabase(kind, 'table-groups');
  try {
    const owner = await accounts.createUserWithToken(store, { email: 'table-groups@localhost', team: 'groups' });
    const [project] = await store.query<{ id: string }>(`insert into projects (team_id, name) values ($1, 'table-groups') returning id`, [owner.team.id]);
    const projectId = project!.id;
    const seedStart = performance.now();
    // 240 configurations (batchSize × learningRate × optimizer × width), each with its seeds; 20 paths in all.
    await store.query(
      `insert into runs (project_id, name, status, config, flat_params, created_at)
       select $1, 'sweep-' || i, 'succeeded', '{}',
         jsonb_build_object(
           'dataset.name', 'mnist', 'dataset.trainSize', 8000, 'dataset.testSize', 2000, 'dataset.seed', i / 240,
           'model.kind', 'mlp', 'model.hiddenLayers[0]', (array[32,64,128,256,512])[1 + (i / 48) % 5],
           'model.activation', 'relu', 'model.dropout', 0.1,
           'optimizer.name', (array['sgd','adam'])[1 + (i / 24) % 2],
           'optimizer.learningRate', (array[0.1,0.03,0.01,0.003])[1 + (i / 6) % 4], 'optimizer.beta1', 0.9, 'optimizer.beta2', 0.999,
           'schedule.kind', 'cosine', 'schedule.warmupSteps', 100,
           'batchSize', (array[8,16,32,64,128,256])[1 + i % 6], 'epochs', 10, 'seed', i / 240,
           'params', 25000 + i % 240, 'derived.flops', 50000, 'derived.depth', 3),
         now() - (i || ' seconds')::interval
       from generate_series(0, $2 - 1) i`,
      [projectId, RUNS],
    );
    for (const key of ['test.accuracy', 'train.loss', 'val.loss'])
      await store.query(
        `insert into metric_summaries (run_id, key, point_count, first_step, last_step, last_value, min_value, max_value)
         select r.id, $2, 100, 0, 99, v, v / 2, v from runs r cross join lateral (select 0.5 + 0.5 * random() as v) x where r.project_id = $1`,
        [projectId, key],
      );
    await store.query('analyze runs');
    await store.query('analyze metric_summaries');
    console.error(`${kind}: seeded ${RUNS.toLocaleString('en')} runs in ${((performance.now() - seedStart) / 1000).toFixed(1)} s`);
    if (kind === 'pglite') await store.close();
    const api = await startApiProcess(env);
    try {
      const ctx = { url: api.url, token: owner.token };
      const body = (query: string, variables: Record<string, unknown>) => JSON.stringify({ query, variables: { p: projectId, ...variables } });
      const sort = { field: 'METRIC_MAX', metric: 'test.accuracy', direction: 'DESC' };
      const cases: [string, string][] = [
        ['table first page: 50 runs + totalCount (baseline)', body(PAGE, { o: sort })],
        ['runGroups all but seeds (240 groups), 3 metrics, sorted by max(test.accuracy)', body(GROUPS, { g: { allButSeeds: true }, o: sort })],
        ['runGroups by batchSize (6 groups), 3 metrics', body(GROUPS, { g: { paths: ['batchSize'] } })],
        ['runGroups all but seeds, filter batchSize <= 32 (half the runs)', body(GROUPS, { f: 'batchSize <= 32', g: { allButSeeds: true }, o: sort })],
        [
          'runGroups by seed, batchSize, learningRate (1,008 groups; 500 returned, truncated)',
          body(GROUPS, { g: { paths: ['seed', 'batchSize', 'optimizer.learningRate'] } }),
        ],
      ];
      const seeds = (await graphql(ctx, cases[1]![1])).project.runGroups;
      check(seeds.runCount === RUNS && seeds.groupCount === Math.min(240, RUNS), `${seeds.runCount} runs in ${seeds.groupCount} groups`);
      const group = seeds.groups[0];
      cases.push([
        `runs(group:) first 50 of one group (${group.runCount} runs) + totalCount`,
        body(PAGE, { o: sort, group: { by: { allButSeeds: true }, key: group.key } }),
      ]);
      const expanded = (await graphql(ctx, cases.at(-1)![1])).runs;
      check(expanded.totalCount === group.runCount, `group lists ${expanded.totalCount} runs, expected ${group.runCount}`);
      const rows: string[] = [];
      let baseline = 0;
      for (const [name, request] of cases) {
        const { p50, p95 } = await timeQuery(15, 3, async () => void (await graphql(ctx, request)));
        if (rows.length === 0) baseline = p50;
        rows.push(`| ${kind} | ${name} | ${p50.toFixed(1)} | ${p95.toFixed(1)} | ${(p50 / baseline).toFixed(1)}× |`);
        console.error(rows.at(-1));
      }
      console.log(
        [`${RUNS.toLocaleString('en')} runs`, '| database | query | p50 ms | p95 ms | vs baseline |', '| --- | --- | ---: | ---: | ---: |', ...rows].join('\n'),
      );
    } finally {
      await api.stop();
    }
  } finally {
    if (kind === 'postgres') await store.close();
    await cleanup();
  }
}

await main();
