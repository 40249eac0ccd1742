import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CREATE_PROJECT, METRIC_SERIES, MLP_CONFIG, startTestApi, SUBMIT_RUN, testDatabases, type TestApi, type TestUser } from './harness';

const LOG_PACKED = /* GraphQL */ `
  mutation LogPacked($runId: ID!, $packed: [PackedMetricSeriesInput!]) {
    logMetrics(runId: $runId, packed: $packed) {
      accepted
    }
  }
`;

const pack = (array: Int32Array | Float64Array) => Buffer.from(array.buffer, array.byteOffset, array.byteLength).toString('base64');

for (const database of testDatabases()) {
  describe(`packed metric ingestion on ${database.name}`, () => {
    let api: TestApi;
    let alice: TestUser;
    let runId: string;

    beforeAll(async () => {
      api = await startTestApi(database);
      alice = await api.user('alice@example.com', 'vision');
      const projectId = (await alice.ok(CREATE_PROJECT, { teamId: alice.teamId, name: 'p' })).createProject.id;
      runId = (await alice.ok(SUBMIT_RUN, { input: { projectId, hparams: MLP_CONFIG } })).submitRun.run.id;
    });
    afterAll(() => api?.close());

    it('stores base64 little-endian columns exactly, NaN and ±Infinity included, and a retry changes nothing', async () => {
      const steps = Int32Array.from({ length: 2_500 }, (_, i) => i * 2);
      const values = Float64Array.from(steps, (s) => 1 / (s + 1));
      values[7] = Number.NaN;
      values[8] = Number.NEGATIVE_INFINITY;
      const wallTimes = Float64Array.from(steps, (s) => 1_700_000_000_000 + s);
      const packed = [{ key: 'train.loss', steps: pack(steps), values: pack(values), wallTimes: pack(wallTimes) }];
      expect((await alice.ok(LOG_PACKED, { runId, packed })).logMetrics.accepted).toBe(2_500);
      expect((await alice.ok(LOG_PACKED, { runId, packed })).logMetrics.accepted).toBe(2_500);
      const [series] = (await alice.ok(METRIC_SERIES, { runIds: [runId], keys: ['train.loss'], maxPoints: 10_000 })).metricSeries;
      expect(series.pointCount).toBe(2_500);
      expect(series.steps).toEqual([...steps]);
      expect(series.values.slice(6, 10)).toEqual([values[6], 'NaN', '-Infinity', values[9]]);
      expect(series.wallTimes).toEqual([...wallTimes]);
    });

    it('refuses a read that could exceed 2,000,000 points, counting the series that exist', async () => {
      const packed = Array.from({ length: 21 }, (_, i) => ({ key: `k${i}`, steps: pack(Int32Array.of(0)), values: pack(Float64Array.of(i)) }));
      await alice.ok(LOG_PACKED, { runId, packed });
      const tooLarge = await alice.request(METRIC_SERIES, { runIds: [runId], maxPoints: 100_000 });
      expect(tooLarge.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      const fits = await alice.ok(METRIC_SERIES, { runIds: [runId], maxPoints: 10_000 });
      expect(fits.metricSeries.length).toBe(22);
    });

    it('rejects a malformed packed column with BAD_USER_INPUT', async () => {
      for (const steps of ['AAAA!', 'AA!A', 'AAA=AAAA']) {
        const bad = await alice.request(LOG_PACKED, { runId, packed: [{ key: 'x', steps, values: pack(new Float64Array(1)) }] });
        expect(bad.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      }
      // Unaligned small decodes (from Node's shared buffer pool) still come out right.
      const odd = await alice.ok(LOG_PACKED, {
        runId,
        packed: [{ key: 'odd', steps: pack(Int32Array.of(1, 2, 3)), values: pack(Float64Array.of(0.5, -1, 7)) }],
      });
      expect(odd.logMetrics.accepted).toBe(3);
      const [series] = (await alice.ok(METRIC_SERIES, { runIds: [runId], keys: ['odd'] })).metricSeries;
      expect([series.steps, series.values]).toEqual([
        [1, 2, 3],
        [0.5, -1, 7],
      ]);
      const short = await alice.request(LOG_PACKED, { runId, packed: [{ key: 'x', steps: pack(new Int32Array(2)), values: pack(new Float64Array(1)) }] });
      expect(short.errors?.[0]?.message).toContain('has 2 steps but 1 values');
      const negative = await alice.request(LOG_PACKED, { runId, packed: [{ key: 'x', steps: pack(Int32Array.of(-5)), values: pack(new Float64Array(1)) }] });
      expect(negative.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    });
  });
}
