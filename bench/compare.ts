import { dipValue, spikeValue } from './data';
import { check, graphql, rssOf, timeQuery, type BenchContext, type Result } from './util';

const MAX_POINTS = 1000;

/** Target 2 (compare query latency through GraphQL) and 4 (memory while serving it). */
export async function benchCompare(ctx: BenchContext, runIds: string[], keys: string[], steps: number): Promise<Result[]> {
  const request = (fields: string) =>
    JSON.stringify({
      query: `query($r: [ID!]!, $k: [String!], $m: Int) { metricSeries(runIds: $r, keys: $k, maxPoints: $m) { ${fields} } }`,
      variables: { r: runIds, k: keys, m: MAX_POINTS },
    });
  const body = request('runId key pointCount downsampled steps values');
  // What the dashboard's compare view asks for: wall times too (a third more to read and send).
  const withWallTimes = request('runId key pointCount downsampled steps values wallTimes');
  const runIndex = new Map(runIds.map((id, i) => [id, i]));
  let returned = 0;
  const verify = (data: { metricSeries: { runId: string; key: string; pointCount: number; steps: number[]; values: (number | string)[] }[] }) => {
    check(data.metricSeries.length === runIds.length * keys.length, `${data.metricSeries.length} series returned`);
    returned = 0;
    for (const s of data.metricSeries) {
      const run = runIndex.get(s.runId)!;
      const key = keys.indexOf(s.key);
      const values = s.values as number[];
      returned += values.length;
      check(s.pointCount === steps, `${s.runId}/${s.key}: pointCount ${s.pointCount}`);
      check(values.length <= MAX_POINTS, `${s.runId}/${s.key}: ${values.length} points > ${MAX_POINTS}`);
      check(Math.max(...values) === spikeValue(run, key), `${s.runId}/${s.key}: the spike was lost`);
      check(Math.min(...values) === dipValue(run, key), `${s.runId}/${s.key}: the dip was lost`);
    }
  };
  verify(await graphql(ctx, body));
  const { result: timing, peakMb } = await ctx.memory.peakDuring(() => timeQuery(15, 2, async () => void (await graphql(ctx, body))));
  const timingWithWallTimes = await timeQuery(10, 1, async () => void (await graphql(ctx, withWallTimes)));
  const series = runIds.length * keys.length;
  const figure = `metricSeries ${runIds.length} runs × ${keys.length} metrics × ${steps.toLocaleString('en')} steps → ≤ ${MAX_POINTS} points`;
  return [
    {
      database: ctx.kind,
      figure: `${figure}, p50`,
      target: ctx.kind === 'postgres' ? '< 200 ms' : 'report',
      measured: timing.p50,
      unit: 'ms',
      ...(ctx.kind === 'postgres' ? { pass: timing.p50 < 200 } : {}),
    },
    { database: ctx.kind, figure: `${figure}, p95`, target: 'report', measured: timing.p95, unit: 'ms' },
    { database: ctx.kind, figure: `${figure}, with wallTimes, p50`, target: 'report', measured: timingWithWallTimes.p50, unit: 'ms' },
    {
      database: ctx.kind,
      figure: `points returned per series (mean; spikes and dips checked)`,
      target: `≤ ${MAX_POINTS}`,
      measured: Math.round(returned / series),
      unit: 'points',
      pass: true,
    },
    { database: ctx.kind, figure: `peak RSS ${rssOf(ctx.kind)} while serving compare queries`, target: 'bounded (see docs)', measured: peakMb, unit: 'MB' },
  ];
}
