import { check, graphql, timeQuery, type BenchContext, type Result } from './util';

/**
 * Target 3: a project of 100,000 runs with 20 hyperparameter paths; filter on two paths, sort by a summary
 * metric, first page of 50. Runs and their metric summaries are seeded with SQL (what ingestion would leave).
 */
export async function benchRunsTable(ctx: BenchContext): Promise<Result[]> {
  const count = Math.round(100_000 * Math.min(1, ctx.scale));
  const [team] = await ctx.store.query<{ team_id: string }>(`select team_id from projects where id = $1`, [ctx.projectId]);
  const [project] = await ctx.store.query<{ id: string }>(`insert into projects (team_id, name) values ($1, 'runs-table') returning id`, [team!.team_id]);
  const projectId = project!.id;
  const seedStart = performance.now();
  await ctx.store.query(
    `insert into runs (project_id, name, status, config, flat_params, created_at)
     select $1, 'sweep-' || i, (array['succeeded','failed','running'])[1 + i % 3], '{}',
       jsonb_build_object(
         'dataset.name', 'mnist', 'dataset.trainSize', 8000, 'dataset.testSize', 2000, 'dataset.seed', i % 5,
         'model.kind', case when i % 2 = 0 then 'mlp' else 'cnn' end, 'model.hiddenLayers[0]', 32 * (1 + i % 8),
         'model.activation', (array['relu','tanh','gelu'])[1 + i % 3], 'model.dropout', (i % 5) / 10.0,
         'optimizer.name', (array['sgd','momentum','adam','rmsprop'])[1 + i % 4],
         'optimizer.learningRate', power(10, -1 - (i % 40) / 10.0), 'optimizer.beta1', 0.9, 'optimizer.beta2', 0.999,
         'schedule.kind', (array['constant','cosine','step'])[1 + i % 3], 'schedule.warmupSteps', i % 1000,
         'batchSize', (array[8,16,32,64,128,256])[1 + i % 6], 'epochs', 1 + i % 20, 'seed', i,
         'params', 25000 + i % 100000, 'derived.flops', 50000 + i, 'derived.depth', 2 + i % 4),
       now() - (i || ' seconds')::interval
     from generate_series(1, $2) i`,
    [projectId, count],
  );
  await ctx.store.query(
    `insert into metric_summaries (run_id, key, point_count, first_step, last_step, last_value, min_value, max_value)
     select r.id, 'test.accuracy', 100, 0, 99, a, a / 2, a from runs r
       cross join lateral (select 0.5 + 0.5 * random() as a) x
     where r.project_id = $1`,
    [projectId],
  );
  await ctx.store.query('analyze runs');
  await ctx.store.query('analyze metric_summaries');
  const seedSeconds = (performance.now() - seedStart) / 1000;
  console.error(`  seeded ${count} runs in ${seedSeconds.toFixed(1)} s`);

  const filter = 'batchSize <= 32 and optimizer.learningRate < 0.001';
  const query = (withCount: boolean) =>
    JSON.stringify({
      query: `query($p: ID!, $f: String, $o: RunOrder) { runs(projectId: $p, filter: $f, orderBy: $o, first: 50) { ${withCount ? 'totalCount' : ''} nodes { id name } pageInfo { hasNextPage } } }`,
      variables: { p: projectId, f: filter, o: { field: 'METRIC_MAX', metric: 'test.accuracy', direction: 'DESC' } },
    });
  const first = await graphql(ctx, query(true));
  check(first.runs.nodes.length === 50, `first page has ${first.runs.nodes.length} runs`);
  const [expected] = await ctx.store.query<{ n: number }>(
    `select count(*)::int as n from runs where project_id = $1 and (flat_params->>'batchSize')::float8 <= 32 and (flat_params->>'optimizer.learningRate')::float8 < 0.001`,
    [projectId],
  );
  check(first.runs.totalCount === expected!.n, `totalCount ${first.runs.totalCount}, expected ${expected!.n}`);
  const page = await timeQuery(20, 3, async () => void (await graphql(ctx, query(false))));
  const counted = await timeQuery(10, 2, async () => void (await graphql(ctx, query(true))));
  const figure = `runs: ${count.toLocaleString('en')} runs, filter on 2 params, sort by max(test.accuracy), first 50`;
  const pg = ctx.kind === 'postgres';
  return [
    { database: ctx.kind, figure: `${figure}, p50`, target: pg ? '< 50 ms' : 'report', measured: page.p50, unit: 'ms', ...(pg ? { pass: page.p50 < 50 } : {}) },
    {
      database: ctx.kind,
      figure: `${figure} + exact totalCount (${expected!.n.toLocaleString('en')}), p50`,
      target: 'report',
      measured: counted.p50,
      unit: 'ms',
    },
  ];
}
