import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projects, runs, teams } from '../../schema/index';
import { testDatabases, type TestStore } from '../../testing';
import {
  appendMetrics,
  appendToWritableRun,
  CHUNK_SIZE,
  deleteMetricsOfRun,
  isWriterRace,
  MetricBatchError,
  prepareBatch,
  readMetricColumns,
  readMetricSeries,
  rewindMetrics,
  summariesOfRuns,
} from './index';

describe('prepareBatch', () => {
  it('sorts by step and keeps the later of two points with the same step', () => {
    const [series] = prepareBatch([{ key: 'loss', steps: [3, 1, 2, 1], values: [0.3, 0.1, 0.2, 0.15], wallTimes: [4, 1, 2, 3] }]);
    expect([...series!.steps]).toEqual([1, 2, 3]);
    expect([...series!.values]).toEqual([0.15, 0.2, 0.3]);
    expect([...series!.wallTimes]).toEqual([3, 2, 4]);
  });

  it('names the offending element of a bad batch', () => {
    expect(() => prepareBatch([{ key: 'loss', steps: [0, 1.5], values: [1, 2] }])).toThrow(
      'metrics[0].steps[1] (loss) must be a whole number from 0 to 2147483647, got 1.5',
    );
    expect(() => prepareBatch([{ key: '', steps: [], values: [] }])).toThrow(MetricBatchError);
    expect(() => prepareBatch([{ key: 'acc', steps: [0, 1], values: [1] }])).toThrow('metrics[0] (acc) has 2 steps but 1 values');
    expect(() => prepareBatch([{ key: 'acc', steps: [-1], values: [1] }])).toThrow('got -1');
    // The key rules are @tuneboard/hparams' (metricKeyProblem), shared with the SDK and findings.
    expect(() => prepareBatch([{ key: ' ', steps: [0], values: [1] }])).toThrow('metrics[0].key must be a non-empty string');
    expect(() => prepareBatch([{ key: 'k'.repeat(201), steps: [0], values: [1] }])).toThrow('metrics[0].key is 201 characters; the limit is 200');
  });
});

for (const database of testDatabases()) {
  describe(`metric store on ${database.name}`, () => {
    let store: TestStore;
    let projectId: string;
    let teamId: string;

    beforeAll(async () => {
      store = await database.open();
      const [team] = await store.db.insert(teams).values({ name: 'ml' }).returning();
      const [project] = await store.db.insert(projects).values({ teamId: team!.id, name: 'mnist' }).returning();
      projectId = project!.id;
      teamId = team!.id;
    });
    afterAll(() => store?.destroy());

    async function newRun(): Promise<string> {
      const [run] = await store.db.insert(runs).values({ projectId, name: 'r', config: {}, flatParams: {} }).returning({ id: runs.id });
      return run!.id;
    }

    async function everything(runId: string, key: string) {
      const [series] = await readMetricSeries(store, { runIds: [runId], keys: [key], maxPoints: 10_000_000 });
      return series!;
    }

    it('reads many series in slices of statements and returns each whole, downsampled ones too', async () => {
      const runId = await newRun();
      const steps = Array.from({ length: 3_000 }, (_, i) => i);
      await appendMetrics(
        store,
        runId,
        Array.from({ length: 7 }, (_, k) => ({ key: `m${k}`, steps, values: steps.map((s) => s * (k + 1)) })),
      );
      // 60,000 points per series: one series per statement (7 statements) for the whole copies…
      const whole = await readMetricSeries(store, { runIds: [runId], maxPoints: 60_000 });
      expect(whole.map((s) => [s.key, s.steps.length, s.values[2_999]])).toEqual(Array.from({ length: 7 }, (_, k) => [`m${k}`, 3_000, 2_999 * (k + 1)]));
      // …and for the downsampled ones (3,000 points into 1,000 buckets' extremes).
      const cut = await readMetricSeries(store, { runIds: [runId], maxPoints: 60_000 / 60 });
      expect(cut.map((s) => [s.key, s.downsampled, s.values.at(-1)])).toEqual(Array.from({ length: 7 }, (_, k) => [`m${k}`, true, 2_999 * (k + 1)]));
    });

    it('round-trips points, including NaN and ±Infinity, and keeps a summary', async () => {
      const runId = await newRun();
      const values = [0.9, 0.5, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 0.25];
      const result = await appendMetrics(store, runId, [{ key: 'loss', steps: [0, 1, 2, 3, 4, 5], values, wallTimes: [10, 11, 12, 13, 14, 15] }]);
      expect(result).toEqual({ points: 6, keys: ['loss'] });
      const series = await everything(runId, 'loss');
      expect(series.steps).toEqual([0, 1, 2, 3, 4, 5]);
      expect(series.values).toEqual(values);
      expect(series.wallTimes).toEqual([10, 11, 12, 13, 14, 15]);
      const [summary] = await summariesOfRuns(store, [runId]);
      expect(summary).toMatchObject({ pointCount: 6, nonFiniteCount: 3, firstStep: 0, lastStep: 5, lastValue: 0.25, minValue: 0.25, maxValue: 0.9 });
    });

    it('is idempotent: a retried batch neither duplicates nor loses a step', async () => {
      const runId = await newRun();
      const steps = Array.from({ length: 2500 }, (_, i) => i);
      const batch = [{ key: 'loss', steps, values: steps.map((s) => 1 / (s + 1)) }];
      await appendMetrics(store, runId, batch);
      await appendMetrics(store, runId, batch);
      const series = await everything(runId, 'loss');
      expect(series.pointCount).toBe(2500);
      expect(series.steps).toEqual(steps);
      expect(series.values[2499]).toBeCloseTo(1 / 2500, 12);
    });

    it('merges an overlapping batch, the newer value winning, and rebuilds the summary', async () => {
      const runId = await newRun();
      await appendMetrics(store, runId, [{ key: 'acc', steps: [0, 1, 2, 3, 4], values: [0.1, 0.2, 0.9, 0.4, 0.5] }]);
      await appendMetrics(store, runId, [{ key: 'acc', steps: [2, 3, 5, 6], values: [0.3, 0.35, 0.6, 0.7] }]);
      const series = await everything(runId, 'acc');
      expect(series.steps).toEqual([0, 1, 2, 3, 4, 5, 6]);
      expect(series.values).toEqual([0.1, 0.2, 0.3, 0.35, 0.5, 0.6, 0.7]);
      const [summary] = await summariesOfRuns(store, [runId]);
      // 0.9 was replaced, so the maximum must come down to 0.7.
      expect(summary).toMatchObject({ pointCount: 7, maxValue: 0.7, minValue: 0.1, lastStep: 6, lastValue: 0.7 });
      // The summary-point counters a read plans with match the chunks after appends and merges.
      const [stored] = await store.query<{ fine: string; coarse: string }>(
        `select sum(cardinality(fine_steps))::text as fine, sum(cardinality(coarse_steps))::text as coarse from metric_chunks where series_id = $1`,
        [summary!.id],
      );
      expect([summary!.fineCount, summary!.coarseCount]).toEqual([Number(stored!.fine), Number(stored!.coarse)]);
    });

    it('rewinds a history to a step: later points and emptied keys go, a straddling chunk keeps its first part, summaries follow', async () => {
      const runId = await newRun();
      const steps = Array.from({ length: 2_500 }, (_, i) => i);
      // The loss peaks at step 2,000, after the rewind point: the maximum must come down with it.
      const loss = steps.map((s) => (s === 2_000 ? 99 : 1 / (s + 1)));
      await appendMetrics(store, runId, [
        { key: 'loss', steps, values: loss, wallTimes: steps.map((s) => 1_000 + s) },
        { key: 'test.accuracy', steps: [500, 1_000, 1_500], values: [0.5, 0.6, 0.7] },
        { key: 'late', steps: [1_800, 1_900], values: [1, 2] },
      ]);
      await rewindMetrics(store, runId, 1_234);
      const series = await everything(runId, 'loss');
      expect(series.steps).toEqual(steps.slice(0, 1_235));
      expect(series.values).toEqual(loss.slice(0, 1_235));
      expect(series.wallTimes.at(-1)).toBe(1_000 + 1_234);
      const summaries = await summariesOfRuns(store, [runId]);
      expect(summaries.map((s) => s.key)).toEqual(['loss', 'test.accuracy']);
      expect(summaries[0]).toMatchObject({ pointCount: 1_235, lastStep: 1_234, lastValue: 1 / 1_235, maxValue: 1, firstStep: 0 });
      expect(summaries[1]).toMatchObject({ pointCount: 2, lastStep: 1_000, lastValue: 0.6, maxValue: 0.6 });
      const [stored] = await store.query<{ fine: string; coarse: string }>(
        `select sum(cardinality(fine_steps))::text as fine, sum(cardinality(coarse_steps))::text as coarse from metric_chunks where series_id = $1`,
        [summaries[0]!.id],
      );
      expect([summaries[0]!.fineCount, summaries[0]!.coarseCount]).toEqual([Number(stored!.fine), Number(stored!.coarse)]);
      // A downsampled read still finds the extremes of what is left, and appending carries on after the step.
      const [sampled] = await readMetricSeries(store, { runIds: [runId], keys: ['loss'], maxPoints: 100 });
      expect(Math.max(...sampled!.values)).toBe(1);
      await appendMetrics(store, runId, [{ key: 'loss', steps: [1_235], values: [0.5] }]);
      expect((await everything(runId, 'loss')).pointCount).toBe(1_236);
      // Rewinding a run with no metrics, or to a step after the last, changes nothing.
      await rewindMetrics(store, await newRun(), 10);
      await rewindMetrics(store, runId, 5_000);
      expect((await everything(runId, 'loss')).pointCount).toBe(1_236);
    });

    it('fills a gap between stored chunks without disturbing them', async () => {
      const runId = await newRun();
      await appendMetrics(store, runId, [{ key: 'x', steps: [0, 1, 10, 11], values: [0, 1, 10, 11] }]);
      await appendMetrics(store, runId, [{ key: 'x', steps: [20, 21], values: [20, 21] }]);
      await appendMetrics(store, runId, [{ key: 'x', steps: [5, 6], values: [5, 6] }]);
      const series = await everything(runId, 'x');
      expect(series.steps).toEqual([0, 1, 5, 6, 10, 11, 20, 21]);
      expect(series.pointCount).toBe(8);
    });

    it('downsamples a long series to at most maxPoints, keeping the global minimum and maximum', async () => {
      const runId = await newRun();
      const n = 3 * CHUNK_SIZE + 517;
      const steps = Array.from({ length: n }, (_, i) => i * 2);
      // A noisy decaying loss with one spike and one dip placed away from bucket edges.
      const values = steps.map((s, i) => Math.exp(-i / 1000) + 0.01 * Math.sin(i * 1.7));
      values[1234] = 42;
      values[2871] = -3;
      // Log in small batches, as a trainer does, so chunks are small and the extrema path is used.
      for (let start = 0; start < n; start += 97) {
        await appendMetrics(store, runId, [{ key: 'loss', steps: steps.slice(start, start + 97), values: values.slice(start, start + 97) }]);
      }
      const [series] = await readMetricSeries(store, { runIds: [runId], keys: ['loss'], maxPoints: 200 });
      expect(series!.downsampled).toBe(true);
      expect(series!.pointCount).toBe(n);
      expect(series!.steps.length).toBeLessThanOrEqual(200);
      expect(series!.steps.length).toBeGreaterThan(100);
      expect(Math.max(...series!.values)).toBe(42);
      expect(Math.min(...series!.values)).toBe(-3);
      expect(series!.steps[series!.values.indexOf(42)]).toBe(steps[1234]);
      // Steps come back in order and every point is a real stored point.
      expect([...series!.steps].sort((a, b) => a - b)).toEqual(series!.steps);
      for (let i = 0; i < series!.steps.length; i++) expect(series!.values[i]).toBe(values[series!.steps[i]! / 2]);
    });

    it('answers long series from the stored summaries: within maxPoints, extremes and divergence kept', { timeout: 60_000 }, async () => {
      const runId = await newRun();
      const n = 100_000;
      const steps = Int32Array.from({ length: n }, (_, i) => i);
      const values = Float64Array.from(steps, (s) => Math.exp(-s / 20_000) + 0.01 * Math.sin(s));
      values[31_337] = 7;
      values[77_777] = -2;
      values[99_001] = Number.POSITIVE_INFINITY;
      await appendMetrics(store, runId, [{ key: 'loss', steps, values }]);
      for (const maxPoints of [100_000, 5_000, 1_000, 300, 50]) {
        const [series] = await readMetricSeries(store, { runIds: [runId], maxPoints });
        expect(series!.steps.length).toBeLessThanOrEqual(maxPoints);
        expect(Math.max(...series!.values.filter(Number.isFinite))).toBe(7);
        expect(Math.min(...series!.values.filter(Number.isFinite))).toBe(-2);
        expect(series!.steps[series!.values.indexOf(Number.POSITIVE_INFINITY)]).toBe(99_001);
        for (let i = 1; i < series!.steps.length; i++) expect(series!.steps[i]!).toBeGreaterThan(series!.steps[i - 1]!);
        for (let i = 0; i < series!.steps.length; i += 97) expect(series!.values[i]).toBe(values[series!.steps[i]!]);
        if (maxPoints === n) expect(series!.steps).toEqual([...steps]);
        // Summaries give a useful resolution, not a handful of points.
        else expect(series!.steps.length).toBeGreaterThan(maxPoints / 3);
      }
    });

    it('keeps the point where a downsampled series diverged', async () => {
      const runId = await newRun();
      const steps = Array.from({ length: 5000 }, (_, i) => i);
      const values = steps.map((s) => (s < 4321 ? 1 / (s + 1) : Number.NaN));
      await appendMetrics(store, runId, [{ key: 'loss', steps, values }]);
      const [series] = await readMetricSeries(store, { runIds: [runId], keys: ['loss'], maxPoints: 300 });
      expect(series!.steps.length).toBeLessThanOrEqual(300);
      const firstNaN = series!.values.findIndex((v) => Number.isNaN(v));
      expect(series!.steps[firstNaN]).toBe(4321);
    });

    it('reads only a step range when asked (what a live subscription needs)', async () => {
      const runId = await newRun();
      const steps = Array.from({ length: 3000 }, (_, i) => i);
      await appendMetrics(store, runId, [{ key: 'loss', steps, values: steps.map((s) => s / 10) }]);
      const [series] = await readMetricSeries(store, { runIds: [runId], keys: ['loss'], maxPoints: 1000, fromStep: 995, toStep: 1004 });
      expect(series!.steps).toEqual([995, 996, 997, 998, 999, 1000, 1001, 1002, 1003, 1004]);
      expect(series!.values[0]).toBeCloseTo(99.5, 10);
    });

    it('reads the same points as typed columns (readMetricColumns) from every copy, whole or in a range', { timeout: 60_000 }, async () => {
      const runId = await newRun();
      const n = 30_000;
      const steps = Int32Array.from({ length: n }, (_, i) => i);
      const values = Float64Array.from(steps, (s) => Math.exp(-s / 5_000) + 0.01 * Math.sin(s));
      values[12_345] = Number.NaN;
      const wallTimes = Float64Array.from(steps, (s) => 1_800_000_000_000 + s * 10);
      await appendMetrics(store, runId, [{ key: 'loss', steps, values, wallTimes }]);
      // raw, raw-bucketed, fine, coarse, coarse-bucketed; whole and cut by a range.
      for (const maxPoints of [30_000, 10_000, 1_500, 300, 50])
        for (const range of [{}, { fromStep: 995, toStep: 21_004 }])
          for (const withWallTimes of [true, false]) {
            const request = { runIds: [runId], keys: ['loss'], maxPoints, wallTimes: withWallTimes, ...range };
            const [points] = await readMetricSeries(store, request);
            const [columns] = await readMetricColumns(store, request);
            expect(columns!.steps).toBeInstanceOf(Int32Array);
            expect({
              ...columns,
              steps: [...columns!.steps],
              values: [...columns!.values],
              wallTimes: columns!.wallTimes ? [...columns!.wallTimes] : [],
            }).toEqual(points);
          }
    });

    it('takes concurrent batches naming the same keys in any order without deadlocking', async () => {
      const runId = await newRun();
      const failures: unknown[] = [];
      for (let step = 0; step < 40; step++) {
        const col = (key: string) => ({ key, steps: [step], values: [step] });
        const results = await Promise.allSettled([
          appendMetrics(store, runId, [col('a'), col('b'), col('c')]),
          appendMetrics(store, runId, [col('c'), col('b'), col('a')]),
        ]);
        failures.push(...results.filter((r) => r.status === 'rejected').map((r) => (r as PromiseRejectedResult).reason));
      }
      expect(failures).toEqual([]);
      expect((await everything(runId, 'b')).pointCount).toBe(40);
    });

    it('reads many runs and keys in one call and skips series that do not exist', async () => {
      const a = await newRun();
      const b = await newRun();
      await appendMetrics(store, a, [
        { key: 'loss', steps: [0, 1], values: [2, 1] },
        { key: 'acc', steps: [0, 1], values: [0.5, 0.6] },
      ]);
      await appendMetrics(store, b, [{ key: 'loss', steps: [0], values: [3] }]);
      const series = await readMetricSeries(store, { runIds: [a, b], keys: ['loss', 'nope'], maxPoints: 100 });
      expect(series.map((s) => [s.runId, s.key, s.values])).toEqual(
        [
          [a, 'loss', [2, 1]],
          [b, 'loss', [3]],
        ].sort((x, y) => String(x[0]).localeCompare(String(y[0]))),
      );
    });

    it('appends the usual batch in one statement with the summaries, reads and notification appendMetrics gives', async () => {
      const [fast, slow] = [await newRun(), await newRun()];
      const steps = Array.from({ length: 2_500 }, (_, i) => i);
      const batch = (from: number, to: number) => [
        {
          key: 'loss',
          steps: steps.slice(from, to),
          values: steps.slice(from, to).map((s) => (s === 1234 ? Number.NaN : 1 / (s + 1))),
          wallTimes: steps.slice(from, to).map((s) => 1e12 + s),
        },
        {
          key: 'acc',
          steps: steps.slice(from, to),
          values: steps.slice(from, to).map((s) => s / 2_500),
          wallTimes: steps.slice(from, to).map((s) => 1e12 + s),
        },
      ];
      const heard: string[] = [];
      const stop = await store.listen('metric_test', (payload) => heard.push(payload));
      const writer = { writer: { leaseToken: null }, teamIds: [teamId] };
      for (const [from, to] of [
        [0, 1_500],
        [1_500, 2_500],
      ] as const) {
        await appendMetrics(store, slow, batch(from, to));
        const appended = await appendToWritableRun(store, fast, batch(from, to), {
          ...writer,
          notify: (range) => ({ channel: 'metric_test', payload: JSON.stringify(range) }),
        });
        expect(appended).toMatchObject({ points: 2 * (to - from), keys: ['loss', 'acc'], run: { status: 'queued' } });
      }
      const summaries = async (runId: string) => (await summariesOfRuns(store, [runId])).map(({ id: _id, runId: _run, updatedAt: _at, ...rest }) => rest);
      expect(await summaries(fast)).toEqual(await summaries(slow));
      for (const maxPoints of [10_000, 100])
        expect((await readMetricSeries(store, { runIds: [fast], maxPoints, wallTimes: true })).map(({ runId: _r, ...rest }) => rest)).toEqual(
          (await readMetricSeries(store, { runIds: [slow], maxPoints, wallTimes: true })).map(({ runId: _r, ...rest }) => rest),
        );
      await expect.poll(() => heard.length).toBe(2);
      expect(JSON.parse(heard[1]!)).toEqual({ keys: ['loss', 'acc'], fromStep: 1_500, toStep: 2_499 });
      await stop();
    });

    it('writes nothing in one statement when the batch must take the ordinary path', async () => {
      const runId = await newRun();
      const writer = { writer: { leaseToken: null }, teamIds: [teamId] };
      await appendMetrics(store, runId, [{ key: 'loss', steps: [0, 1, 2], values: [3, 2, 1] }]);
      const before = await summariesOfRuns(store, [runId]);
      // A retry overlapping stored steps (appendMetrics merges it), with a key that is new: nothing of it.
      expect(
        await appendToWritableRun(
          store,
          runId,
          [
            { key: 'loss', steps: [2, 3], values: [9, 9] },
            { key: 'acc', steps: [0], values: [1] },
          ],
          writer,
        ),
      ).toBeNull();
      // Another team's run, a run a worker holds, a run that does not exist.
      expect(await appendToWritableRun(store, runId, [{ key: 'loss', steps: [3], values: [0] }], { ...writer, teamIds: [] })).toBeNull();
      await store.db.update(runs).set({ status: 'running', leaseToken: '00000000-0000-4000-8000-000000000001' }).where(eq(runs.id, runId));
      expect(await appendToWritableRun(store, runId, [{ key: 'loss', steps: [3], values: [0] }], writer)).toBeNull();
      expect(
        await appendToWritableRun(store, runId, [{ key: 'loss', steps: [3], values: [0] }], {
          ...writer,
          writer: { leaseToken: '00000000-0000-4000-8000-000000000002' },
        }),
      ).toBeNull();
      expect(await appendToWritableRun(store, '00000000-0000-4000-8000-000000000009', [{ key: 'loss', steps: [3], values: [0] }], writer)).toBeNull();
      expect(await summariesOfRuns(store, [runId])).toEqual(before);
      expect((await everything(runId, 'loss')).steps).toEqual([0, 1, 2]);
      // The worker holding it writes with its lease token.
      expect(
        await appendToWritableRun(store, runId, [{ key: 'loss', steps: [3], values: [0] }], {
          ...writer,
          writer: { leaseToken: '00000000-0000-4000-8000-000000000001' },
        }),
      ).toMatchObject({ points: 1 });
    });

    it('stores concurrent copies of one batch once, whichever writer gets a series first', async () => {
      const runId = await newRun();
      const writer = { writer: { leaseToken: null }, teamIds: [teamId] };
      for (let step = 0; step < 30; step += 3) {
        const batch = ['a', 'b', 'c'].map((key) => ({ key, steps: [step, step + 1, step + 2], values: [step, step + 1, step + 2] }));
        // What the service does: the one statement, else (nothing written, or a writer in between) appendMetrics.
        const write = async () => {
          try {
            if (await appendToWritableRun(store, runId, batch, writer)) return;
          } catch (error) {
            if (!isWriterRace(error)) throw error;
          }
          await appendMetrics(store, runId, batch, { leaseToken: null });
        };
        await Promise.all([write(), write(), write()]);
      }
      for (const key of ['a', 'b', 'c']) {
        const series = await everything(runId, key);
        expect(series.steps).toEqual(Array.from({ length: 30 }, (_, i) => i));
        expect(series.pointCount).toBe(30);
      }
      expect((await summariesOfRuns(store, [runId])).map((s) => [s.key, s.pointCount, s.firstStep, s.lastStep])).toEqual([
        ['a', 30, 0, 29],
        ['b', 30, 0, 29],
        ['c', 30, 0, 29],
      ]);
    });

    it('forgets every metric of one run, points with their summaries, and only of that run', async () => {
      const a = await newRun();
      const b = await newRun();
      for (const runId of [a, b]) await appendMetrics(store, runId, [{ key: 'loss', steps: [0, 1, 2], values: [3, 2, 1] }]);
      await deleteMetricsOfRun(store, a);
      expect(await summariesOfRuns(store, [a])).toEqual([]);
      expect(await readMetricSeries(store, { runIds: [a, b], maxPoints: 100 })).toMatchObject([{ runId: b, steps: [0, 1, 2] }]);
      // A new attempt starts from nothing: its first batch is an append, not a merge with old points.
      await appendMetrics(store, a, [{ key: 'loss', steps: [1], values: [9] }]);
      expect(await summariesOfRuns(store, [a])).toMatchObject([{ key: 'loss', pointCount: 1, firstStep: 1, lastValue: 9 }]);
    });
  });
}
