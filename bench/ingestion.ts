import { metricStore } from '@tuneboard/db';
import { base64, KEYS, seriesValues, stepRange, wallTimes } from './data';
import { check, createRuns, graphql, pool, rssOf, type BenchContext, type Result } from './util';

const LOG_PACKED = 'mutation($r: ID!, $p: [PackedMetricSeriesInput!]) { logMetrics(runId: $r, packed: $p) { accepted } }';
const LOG_SERIES = 'mutation($r: ID!, $s: [MetricSeriesInput!]) { logMetrics(runId: $r, series: $s) { accepted } }';
const IN_FLIGHT = 4;

/**
 * Target 1 (rate through the API vs the raw store), 4 (memory while ingesting) and 5 (no loss). Half the
 * runs are written through GraphQL (packed input, one 100k-point series per request, IN_FLIGHT requests in
 * flight), the other half straight into the store with the same code path the API ends in (appendMetrics:
 * chunk rows, binary array parameters on PostgreSQL), the same points and the same concurrency. Together
 * they are the data set of the compare query.
 */
export async function benchIngestion(ctx: BenchContext) {
  const runsPerHalf = Math.max(2, Math.round(50 * ctx.scale));
  const steps = Math.max(10_000, Math.round(100_000 * Math.min(1, ctx.scale * 4)));
  const apiRuns = await createRuns(ctx.store, ctx.projectId, runsPerHalf, 'api-');
  const rawRuns = await createRuns(ctx.store, ctx.projectId, runsPerHalf, 'raw-');
  const stepsPacked = base64(stepRange(steps));
  const stepArray = stepRange(steps);
  const points = runsPerHalf * KEYS.length * steps;
  const database = ctx.kind;

  const apiTasks = apiRuns.flatMap((runId, run) =>
    KEYS.map((key, k) => async () => {
      const body = `{"query":${JSON.stringify(LOG_PACKED)},"variables":{"r":"${runId}","p":[{"key":"${key}","steps":"${stepsPacked}","values":"${base64(
        seriesValues(run, k, steps),
      )}","wallTimes":"${base64(wallTimes(steps, 1_800_000_000_000))}"}]}}`;
      const data = await graphql(ctx, body);
      check(data.logMetrics.accepted === steps, `logMetrics accepted ${data.logMetrics.accepted} of ${steps}`);
    }),
  );
  const rawTasks = rawRuns.flatMap((runId, run) =>
    KEYS.map((key, k) => async () => {
      const result = await metricStore.appendMetrics(ctx.store, runId, [
        { key, steps: stepArray, values: seriesValues(runsPerHalf + run, k, steps), wallTimes: wallTimes(steps, 1_800_000_000_000) },
      ]);
      check(result.points === steps, `appendMetrics stored ${result.points} of ${steps}`);
    }),
  );

  // Raw first, then the API: each measured alone on an otherwise idle server.
  const rawStart = performance.now();
  await pool(rawTasks, IN_FLIGHT);
  const rawRate = points / ((performance.now() - rawStart) / 1000);
  const api = await ctx.memory.peakDuring(async () => {
    const start = performance.now();
    await pool(apiTasks, IN_FLIGHT);
    return points / ((performance.now() - start) / 1000);
  });
  await checkStored(ctx, apiRuns, points, 'API');
  await checkStored(ctx, rawRuns, points, 'raw');

  // The friendly JSON input, for reference: what a hand-written call costs per point.
  const [jsonRun] = await createRuns(ctx.store, ctx.projectId, 1, 'json-');
  const jsonSteps = [...stepArray.subarray(0, 100_000)];
  const jsonValues = [...seriesValues(0, 0, steps).subarray(0, 100_000)];
  const jsonStart = performance.now();
  await pool(
    Array.from({ length: 4 }, (_, i) => async () => {
      const body = JSON.stringify({ query: LOG_SERIES, variables: { r: jsonRun, s: [{ key: `json.${i}`, steps: jsonSteps, values: jsonValues }] } });
      await graphql(ctx, body);
    }),
    2,
  );
  const jsonRate = (4 * jsonSteps.length) / ((performance.now() - jsonStart) / 1000);
  await checkStored(ctx, [jsonRun!], 4 * jsonSteps.length, 'JSON');

  const round = (n: number) => Math.round(n / 1000) * 1000;
  const results: Result[] = [
    {
      database,
      figure: `raw store write (${points.toLocaleString('en')} points, ${IN_FLIGHT} in flight)`,
      target: 'reference',
      measured: round(rawRate),
      unit: 'points/s',
    },
    {
      database,
      figure: `GraphQL packed ingestion (${points.toLocaleString('en')} points, ${IN_FLIGHT} in flight)`,
      target: database === 'postgres' ? '≥ 1,000,000 points/s and ≥ 0.5 × raw' : 'report; ratio to raw',
      measured: round(api.result),
      unit: 'points/s',
      ratio: api.result / rawRate,
      ...(database === 'postgres' ? { pass: api.result >= 1_000_000 && api.result >= 0.5 * rawRate } : {}),
    },
    { database, figure: 'GraphQL columnar JSON ingestion (400k points, 2 in flight)', target: 'reference', measured: round(jsonRate), unit: 'points/s' },
    {
      database,
      figure: `peak RSS ${rssOf(database)} while ingesting ${points.toLocaleString('en')} points via the API`,
      target: 'bounded (see docs)',
      measured: api.peakMb,
      unit: 'MB',
    },
    {
      database,
      figure: 'stored points = sent points after ingestion',
      target: 'exact',
      measured: 2 * points + 4 * jsonSteps.length,
      unit: 'points',
      pass: true,
    },
  ];
  return { results, runIds: [...apiRuns, ...rawRuns], keys: [...KEYS], stepsPerSeries: steps };
}

/** Target 5: what is stored, counted from the chunks themselves, equals what was sent. */
export async function checkStored(ctx: BenchContext, runIds: string[], expected: number, what: string): Promise<void> {
  const [row] = await ctx.store.query<{ chunks: string; summary: string }>(
    `select (select coalesce(sum(cardinality(c.steps)), 0) from metric_chunks c join metric_summaries m on m.id = c.series_id where m.run_id = any($1::uuid[]))::text as chunks,
            (select coalesce(sum(point_count), 0) from metric_summaries where run_id = any($1::uuid[]))::text as summary`,
    [runIds],
  );
  check(Number(row!.chunks) === expected, `${what}: ${row!.chunks} points stored in chunks, ${expected} sent`);
  check(Number(row!.summary) === expected, `${what}: summaries count ${row!.summary} points, ${expected} sent`);
}
