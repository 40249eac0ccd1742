import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CREATE_PROJECT,
  LOG_METRICS,
  METRIC_SERIES,
  MLP_CONFIG,
  postGraphQL,
  startWithProject,
  SUBMIT_RUN,
  testDatabases,
  type TestApi,
  type TestUser,
} from './harness';

for (const database of testDatabases()) {
  describe(`GraphQL API over HTTP on ${database.name}`, () => {
    let api: TestApi;
    let alice: TestUser;
    let projectId: string;

    beforeAll(async () => {
      ({ api, alice, projectId } = await startWithProject(database, 'mnist-mlp'));
    });
    afterAll(() => api?.close());

    async function submit(hparams: unknown = MLP_CONFIG, extra: Record<string, unknown> = {}) {
      const data = await alice.ok(SUBMIT_RUN, { input: { projectId, hparams, ...extra } });
      return data.submitRun.run as { id: string; name: string; status: string; params: Record<string, unknown> };
    }

    it('answers /healthz', async () => {
      const response = await fetch(api.server.url.replace('/graphql', '/healthz'));
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ status: 'ok', database: api.store.kind });
    });

    it('refuses requests without a valid token with 401 UNAUTHENTICATED', async () => {
      const anonymous = await postGraphQL(api.server.url, null, { query: '{ viewer { email } }' });
      expect(anonymous.status).toBe(401);
      expect(anonymous.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
      const forged = await postGraphQL(api.server.url, 'tb_not-a-real-token', { query: '{ projects { id } }' });
      expect(forged.status).toBe(401);
    });

    it('submits a run, logs 10,000 points and reads them back exactly', async () => {
      const result = await alice.ok(SUBMIT_RUN, { input: { projectId, hparams: MLP_CONFIG, tags: ['baseline'] } });
      const run = result.submitRun.run;
      expect(run.status).toBe('QUEUED');
      expect(run.name).toBe('mnist-mlp-adam-lr1e-3-bs32');
      expect(result.submitRun.warnings).toEqual([]);
      // Defaults are applied and the flat path vocabulary is stored with derived facts.
      expect(run.hparams.schedule).toEqual({ kind: 'constant' });
      expect(run.params).toMatchObject({ batchSize: 32, 'optimizer.learningRate': 0.001, 'model.kind': 'mlp', params: 784 * 32 + 32 + 32 * 10 + 10 });

      const steps = Array.from({ length: 10_000 }, (_, i) => i);
      const loss = steps.map((s) => 2.3 * Math.exp(-s / 3000));
      const logged = await alice.ok(LOG_METRICS, { runId: run.id, series: [{ key: 'train.loss', steps, values: loss }] });
      expect(logged.logMetrics.accepted).toBe(10_000);

      const { metricSeries } = await alice.ok(METRIC_SERIES, { runIds: [run.id], keys: ['train.loss'], maxPoints: 10_000 });
      expect(metricSeries).toHaveLength(1);
      expect(metricSeries[0].pointCount).toBe(10_000);
      expect(metricSeries[0].downsampled).toBe(false);
      expect(metricSeries[0].steps).toEqual(steps);
      expect(metricSeries[0].values).toEqual(loss);

      const summary = await alice.ok(`query($id: ID!) { run(id: $id) { metrics { key pointCount lastStep last min max } } }`, { id: run.id });
      expect(summary.run.metrics).toEqual([{ key: 'train.loss', pointCount: 10_000, lastStep: 9999, last: loss[9999], min: loss[9999], max: 2.3 }]);
    });

    it('accepts points one object each, and a retried batch never duplicates a step', async () => {
      const run = await submit();
      const points = Array.from({ length: 300 }, (_, i) => ({ key: i % 2 ? 'acc' : 'loss', step: Math.floor(i / 2), value: i / 1000 }));
      const first = await alice.ok(LOG_METRICS, { runId: run.id, points });
      const retry = await alice.ok(LOG_METRICS, { runId: run.id, points });
      expect(first.logMetrics.accepted).toBe(300);
      expect(retry.logMetrics.accepted).toBe(300);
      const { metricSeries } = await alice.ok(METRIC_SERIES, { runIds: [run.id], maxPoints: 1000 });
      expect(metricSeries.map((s: any) => [s.key, s.pointCount, s.steps.length])).toEqual([
        ['acc', 150, 150],
        ['loss', 150, 150],
      ]);
    });

    it('stores and returns NaN and ±Infinity faithfully', async () => {
      const run = await submit();
      await alice.ok(LOG_METRICS, {
        runId: run.id,
        points: [
          { key: 'loss', step: 0, value: 1.5 },
          { key: 'loss', step: 1, value: 'Infinity' },
          { key: 'loss', step: 2, value: 'NaN' },
          { key: 'loss', step: 3, value: '-Infinity' },
        ],
      });
      const { metricSeries } = await alice.ok(METRIC_SERIES, { runIds: [run.id], maxPoints: 100 });
      expect(metricSeries[0].values).toEqual([1.5, 'Infinity', 'NaN', '-Infinity']);
      const summary = await alice.ok(`query($id: ID!) { run(id: $id) { metric(key: "loss") { last min max nonFiniteCount } } }`, { id: run.id });
      expect(summary.run.metric).toEqual({ last: '-Infinity', min: 1.5, max: 1.5, nonFiniteCount: 3 });
      const bad = await alice.request(LOG_METRICS, { runId: run.id, points: [{ key: 'loss', step: 4, value: 'nan' }] });
      expect(bad.errors?.[0]?.message).toContain('must be a number or one of "NaN", "Infinity", "-Infinity"');
    });

    it('downsamples on the server and keeps the global minimum and maximum', async () => {
      const run = await submit();
      const steps = Array.from({ length: 50_000 }, (_, i) => i);
      const values = steps.map((s) => Math.sin(s / 50) + 0.001 * s);
      values[12_345] = 1000;
      values[40_001] = -1000;
      for (let start = 0; start < steps.length; start += 10_000)
        await alice.ok(LOG_METRICS, {
          runId: run.id,
          series: [{ key: 'loss', steps: steps.slice(start, start + 10_000), values: values.slice(start, start + 10_000) }],
        });
      const { metricSeries } = await alice.ok(METRIC_SERIES, { runIds: [run.id], keys: ['loss'], maxPoints: 500 });
      const series = metricSeries[0];
      expect(series.downsampled).toBe(true);
      expect(series.pointCount).toBe(50_000);
      expect(series.values.length).toBeLessThanOrEqual(500);
      expect(Math.max(...series.values)).toBe(1000);
      expect(Math.min(...series.values)).toBe(-1000);
      expect(series.steps[series.values.indexOf(1000)]).toBe(12_345);
    });

    it('rejects invalid hyperparameters with every problem, its path and a readable message', async () => {
      const result = await alice.request(SUBMIT_RUN, {
        input: {
          projectId,
          hparams: { ...MLP_CONFIG, batchSize: 0, optimizer: { name: 'adam', learningRate: -0.1 }, epochs: 'many' },
        },
      });
      expect(result.data).toBeNull();
      const error = result.errors![0]!;
      expect(error.extensions?.code).toBe('BAD_USER_INPUT');
      const paths = error.extensions!.problems!.map((p) => p.path).sort();
      expect(paths).toEqual(['hparams.batchSize', 'hparams.epochs', 'hparams.optimizer.learningRate']);
      const lr = error.extensions!.problems!.find((p) => p.path === 'hparams.optimizer.learningRate')!;
      expect(lr.message).toContain('-0.1');
      // Nothing was stored.
      const runs = await alice.ok(`query($p: ID!) { runs(projectId: $p, filter: "epochs = 0") { totalCount } }`, { p: projectId });
      expect(runs.runs.totalCount).toBe(0);
    });

    it('filters with the expression language, sorts by hyperparameters and metrics, and pages with cursors', async () => {
      const project = (await alice.ok(CREATE_PROJECT, { teamId: alice.teamId, name: 'sweep' })).createProject.id;
      const ids: Record<number, string> = {};
      for (const batchSize of [8, 16, 32, 64, 128]) {
        const data = await alice.ok(SUBMIT_RUN, {
          input: { projectId: project, hparams: { ...MLP_CONFIG, batchSize }, tags: batchSize === 128 ? ['baseline'] : [] },
        });
        ids[batchSize] = data.submitRun.run.id;
        await alice.ok(LOG_METRICS, { runId: ids[batchSize], points: [{ key: 'test.accuracy', step: 0, value: 1 - batchSize / 1000 }] });
      }
      const query = `query($p: ID!, $f: String, $o: RunOrder, $first: Int, $after: String) {
        runs(projectId: $p, filter: $f, orderBy: $o, first: $first, after: $after) {
          totalCount pageInfo { hasNextPage endCursor } nodes { params }
        }
      }`;
      const batchSizes = (data: any) => data.runs.nodes.map((n: any) => n.params.batchSize);

      const small = await alice.ok(query, {
        p: project,
        f: 'batchSize <= 32 or tags has "baseline"',
        o: { field: 'PARAM', path: 'batchSize', direction: 'ASC' },
      });
      expect(batchSizes(small)).toEqual([8, 16, 32, 128]);
      expect(small.runs.totalCount).toBe(4);

      const byAccuracy = await alice.ok(query, {
        p: project,
        f: 'max(test.accuracy) > 0.95',
        o: { field: 'METRIC_MAX', metric: 'test.accuracy', direction: 'DESC' },
      });
      expect(batchSizes(byAccuracy)).toEqual([8, 16, 32]);

      const page1 = await alice.ok(query, { p: project, o: { field: 'PARAM', path: 'batchSize', direction: 'DESC' }, first: 2 });
      expect(batchSizes(page1)).toEqual([128, 64]);
      expect(page1.runs.pageInfo.hasNextPage).toBe(true);
      const page2 = await alice.ok(query, {
        p: project,
        o: { field: 'PARAM', path: 'batchSize', direction: 'DESC' },
        first: 2,
        after: page1.runs.pageInfo.endCursor,
      });
      expect(batchSizes(page2)).toEqual([32, 16]);

      const wrong = await alice.request(query, { p: project, f: 'batchsize <= 32' });
      expect(wrong.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      expect(wrong.errors?.[0]?.message).toContain('did you mean "batchSize"');
    });

    it('lists exactly the runs asked for by id, and reports planned steps and progress', async () => {
      const a = await submit(MLP_CONFIG, { name: 'picked-a' });
      const b = await submit(MLP_CONFIG, { name: 'picked-b' });
      await submit(MLP_CONFIG, { name: 'not-picked' });
      const picked = await alice.ok(
        `query($p: ID!, $ids: [ID!]) { runs(projectId: $p, ids: $ids, orderBy: { field: NAME, direction: ASC }) { totalCount nodes { name } } }`,
        {
          p: projectId,
          ids: [a.id, b.id, 'not-a-uuid', '00000000-0000-4000-8000-000000000000'],
        },
      );
      expect(picked.runs).toEqual({ totalCount: 2, nodes: [{ name: 'picked-a' }, { name: 'picked-b' }] });
      // 1,000 training digits in batches of 32 = 32 steps per epoch, 1 epoch.
      await alice.ok(LOG_METRICS, { runId: a.id, series: [{ key: 'train.loss', steps: [0, 1, 2, 3, 4, 5, 6, 7], values: [1, 1, 1, 1, 1, 1, 1, 1] }] });
      const progress = await alice.ok(`query($a: ID!, $b: ID!) { a: run(id: $a) { totalSteps progress } b: run(id: $b) { totalSteps progress } }`, {
        a: a.id,
        b: b.id,
      });
      expect(progress).toEqual({ a: { totalSteps: 32, progress: 0.25 }, b: { totalSteps: 32, progress: null } });
    });

    it('moves runs through their lifecycle and refuses impossible transitions', async () => {
      const run = await submit();
      const set = (status: string, extra: Record<string, unknown> = {}) =>
        alice.request(`mutation($input: SetRunStatusInput!) { setRunStatus(input: $input) { status backend device startedAt finishedAt divergedAtStep } }`, {
          input: { runId: run.id, status, ...extra },
        });
      const running = await set('RUNNING', { backend: 'wasm', device: 'cpu' });
      expect(running.data.setRunStatus).toMatchObject({ status: 'RUNNING', backend: 'wasm', device: 'cpu', finishedAt: null });
      expect(running.data.setRunStatus.startedAt).toBeTruthy();
      const diverged = await set('DIVERGED', { divergedAtStep: 1234, divergedLearningRate: 0.5 });
      expect(diverged.data.setRunStatus).toMatchObject({ status: 'DIVERGED', divergedAtStep: 1234 });
      const again = await set('RUNNING');
      expect(again.errors?.[0]?.extensions?.code).toBe('CONFLICT');
      expect(again.errors?.[0]?.message).toBe('A diverged run cannot become running; diverged is final');
    });

    it('edits tags and notes and keeps annotations', async () => {
      const run = await submit();
      const updated = await alice.ok(`mutation($input: UpdateRunInput!) { updateRun(input: $input) { tags notes } }`, {
        input: { id: run.id, tags: ['small-batch', 'small-batch', ' lr-sweep '], notes: '# Why\nsmaller batches' },
      });
      expect(updated.updateRun).toEqual({ tags: ['small-batch', 'lr-sweep'], notes: '# Why\nsmaller batches' });
      await alice.ok(`mutation($id: ID!) { annotateRun(runId: $id, body: "loss spike: bad shard", step: 420) { id } }`, { id: run.id });
      const read = await alice.ok(`query($id: ID!) { run(id: $id) { annotations { body step author { email } } } }`, { id: run.id });
      expect(read.run.annotations).toEqual([{ body: 'loss spike: bad shard', step: 420, author: { email: 'alice@example.com' } }]);
    });

    it('refuses oversized bodies, too-large batches, too-deep and too-costly queries with clear messages', async () => {
      const run = await submit();
      const tooMany = await alice.request(LOG_METRICS, {
        runId: run.id,
        series: [{ key: 'x', steps: Array.from({ length: 1_000_001 }, (_, i) => i), values: new Array(1_000_001).fill(0) }],
      });
      expect(tooMany.errors?.[0]?.message).toContain('at most 1,000,000 points');

      const huge = await postGraphQL(api.server.url, alice.token, JSON.stringify({ query: '{ viewer { email } }', padding: 'x'.repeat(65 * 1024 * 1024) }));
      expect(huge.status).toBe(413);
      expect(huge.errors?.[0]?.message).toContain('larger than 64 MB');

      const deep = await alice.request(
        `{ viewer { teams { projects { team { projects { team { projects { team { projects { team { projects { team { name } } } } } } } } } } } } }`,
      );
      expect(deep.status).toBe(400);
      expect(deep.errors?.[0]?.message).toMatch(/nested \d+ levels deep; the limit is 12/);

      const costly = await alice.request(`query($p: ID!) { runs(projectId: $p, first: 500) { nodes { project { runs(first: 500) { nodes { id } } } } } }`, {
        p: projectId,
      });
      expect(costly.errors?.[0]?.message).toContain('estimated cost');
      expect(costly.errors?.[0]?.extensions?.code).toBe('QUERY_TOO_COMPLEX');
    });

    it('refuses nonsense that would otherwise reach SQL: huge cursors, NUL characters, negative pages that dodge the cost limit', async () => {
      const hugeCursor = Buffer.from('offset:99999999999999999999').toString('base64url');
      const cursor = await alice.request(`query($p: ID!, $a: String) { runs(projectId: $p, after: $a) { totalCount } }`, { p: projectId, a: hugeCursor });
      expect(cursor.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      const nul = await alice.request(CREATE_PROJECT, { teamId: alice.teamId, name: 'a\u0000b' });
      expect(nul.status).toBe(400);
      expect(nul.errors?.[0]?.message).toBe('Text may not contain the NUL character (U+0000), which PostgreSQL cannot store: $name');
      const dodge = await alice.request(
        `query($p: ID!) { a: runs(projectId: $p, first: 500) { nodes { project { runs(first: 500) { nodes { id } } } } } z: runs(projectId: $p, first: -100000000) { nodes { id } } }`,
        { p: projectId },
      );
      expect(dodge.errors?.[0]?.extensions?.code).toBe('QUERY_TOO_COMPLEX');
    });

    it('answers an unknown id with NOT_FOUND, not an internal error', async () => {
      const result = await alice.request(`{ run(id: "not-a-uuid") { id } }`);
      expect(result.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
      const other = await alice.request(`{ run(id: "00000000-0000-4000-8000-000000000000") { id } }`);
      expect(other.errors?.[0]?.message).toBe('Run 00000000-0000-4000-8000-000000000000 was not found');
    });
  });
}
