import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CREATE_PROJECT, LOG_METRICS, MLP_CONFIG, startTestApi, SUBMIT_RUN, testDatabases, type TestApi, type TestUser } from './harness';

const RUNS = `query($p: ID!, $f: String, $o: RunOrder, $first: Int, $after: String) {
  runs(projectId: $p, filter: $f, orderBy: $o, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor } nodes { id params }
  }
}`;

for (const database of testDatabases()) {
  describe(`runs sorted by a metric on ${database.name}`, () => {
    let api: TestApi;
    let alice: TestUser;
    let project: string;
    const accuracy: Record<number, number | null> = { 8: 0.5, 16: 0.9, 32: null, 64: 0.7, 128: null, 256: Number.NaN };
    const ids: Record<number, string> = {};

    beforeAll(async () => {
      api = await startTestApi(database);
      alice = await api.user('alice@example.com', 'vision');
      project = (await alice.ok(CREATE_PROJECT, { teamId: alice.teamId, name: 'sweep' })).createProject.id;
      for (const batchSize of [8, 16, 32, 64, 128, 256]) {
        ids[batchSize] = (await alice.ok(SUBMIT_RUN, { input: { projectId: project, hparams: { ...MLP_CONFIG, batchSize } } })).submitRun.run.id;
        const value = accuracy[batchSize];
        if (value !== null)
          await alice.ok(LOG_METRICS, { runId: ids[batchSize], points: [{ key: 'acc', step: 0, value: Number.isNaN(value) ? 'NaN' : value }] });
      }
    });
    afterAll(() => api?.close());

    /** Every page of `first` runs, following cursors, as batch sizes. */
    async function allPages(order: Record<string, unknown>, first: number, filter?: string) {
      const seen: number[] = [];
      let after: string | null = null;
      for (;;) {
        const data: any = await alice.ok(RUNS, { p: project, o: order, first, after, f: filter });
        seen.push(...data.runs.nodes.map((n: any) => n.params.batchSize));
        if (!data.runs.pageInfo.hasNextPage) return { seen, totalCount: data.runs.totalCount };
        after = data.runs.pageInfo.endCursor;
      }
    }

    it('lists runs with the metric in its order, then the runs without it (NaN counts as without), newest first', async () => {
      // Runs without a value come last, newest first: 256 (NaN), 128, 32.
      for (const first of [1, 2, 4, 10]) {
        expect((await allPages({ field: 'METRIC_LAST', metric: 'acc', direction: 'DESC' }, first)).seen).toEqual([16, 64, 8, 256, 128, 32]);
        expect((await allPages({ field: 'METRIC_LAST', metric: 'acc', direction: 'ASC' }, first)).seen).toEqual([8, 64, 16, 256, 128, 32]);
      }
      const filtered = await allPages({ field: 'METRIC_MAX', metric: 'acc', direction: 'DESC' }, 2, 'batchSize >= 32');
      expect(filtered).toEqual({ seen: [64, 256, 128, 32], totalCount: 4 });
    });

    it('starts the runs without the metric at the right place when a cursor points past the ranked ones', async () => {
      const firstPage: any = await alice.ok(RUNS, { p: project, o: { field: 'METRIC_MIN', metric: 'acc', direction: 'DESC' }, first: 4 });
      const rest: any = await alice.ok(RUNS, {
        p: project,
        o: { field: 'METRIC_MIN', metric: 'acc', direction: 'DESC' },
        first: 4,
        after: firstPage.runs.pageInfo.endCursor,
      });
      expect(rest.runs.nodes.map((n: any) => n.params.batchSize)).toEqual([128, 32]);
      expect(rest.runs.pageInfo.hasNextPage).toBe(false);
    });
  });
}
