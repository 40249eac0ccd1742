import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '@tuneboard/db';
import pino from 'pino';
import { startServer } from '../src/server';
import { LOG_METRICS, startTestApi, SUBMIT_RUN, testDatabases, type TestApi, type TestUser } from './harness';

// The MLflow-compatible tracking API over real HTTP, in the order MLflow's fluent client calls it
// (mlflow.set_experiment → start_run → log_params/log_metric/set_tag → end_run → search_runs → get_metric_history),
// then each error code, and the same run seen through Tuneboard's GraphQL with typed params.

type Json = any;

const CREATE_FINDING = `mutation($input: FindingInput!) { createFinding(input: $input) { id } }`;
const RUNS = /* GraphQL */ `
  query ($projectId: ID!, $filter: String) {
    runs(projectId: $projectId, filter: $filter) {
      nodes {
        id
        name
        status
        notes
        params
        paramTypes
      }
    }
  }
`;

for (const database of testDatabases()) {
  describe(`the MLflow tracking API on ${database.name}`, () => {
    let api: TestApi;
    let alice: TestUser;
    let viewer: TestUser;
    let bob: TestUser;
    let base: string;

    beforeAll(async () => {
      api = await startTestApi(database);
      alice = await api.user('alice@example.com', 'nlp');
      viewer = await api.user('vera@example.com', 'nlp', 'viewer');
      bob = await api.user('bob@example.com', 'other');
      base = `http://127.0.0.1:${api.server.port}/api/2.0/mlflow`;
    });
    afterAll(() => api?.close());

    /** What MLflow's Python client sends: GET with the fields in the query string, POST with a JSON body. */
    async function call(
      user: TestUser | null,
      method: 'GET' | 'POST',
      endpoint: string,
      body: Record<string, unknown> | string = {},
      headers: Record<string, string> = {},
    ): Promise<{ status: number; json: Json }> {
      let url = `${base}/${endpoint}`;
      if (method === 'GET' && typeof body === 'object') {
        const query = new URLSearchParams();
        for (const [key, value] of Object.entries(body)) for (const item of Array.isArray(value) ? value : [value]) query.append(key, String(item));
        url += `?${query}`;
      }
      const response = await fetch(url, {
        method,
        headers: {
          ...(user ? { authorization: `Bearer ${user.token}` } : {}),
          ...(method === 'POST' ? { 'content-type': 'application/json' } : {}),
          ...headers,
        },
        ...(method === 'POST' ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
      });
      const text = await response.text();
      return { status: response.status, json: text ? JSON.parse(text) : null };
    }
    const ok = async (user: TestUser, method: 'GET' | 'POST', endpoint: string, body: Record<string, unknown> = {}) => {
      const result = await call(user, method, endpoint, body);
      if (result.status !== 200) throw new Error(`${endpoint} answered ${result.status}: ${JSON.stringify(result.json)}`);
      return result.json;
    };
    const expectError = (result: { status: number; json: Json }, status: number, code: string, message?: string | RegExp) => {
      expect(result.status).toBe(status);
      expect(result.json.error_code).toBe(code);
      if (message) expect(result.json.message).toMatch(message);
    };

    let experimentId: string;
    let runId: string;

    it('follows the fluent client: set_experiment, start_run, log, set_tag, end_run', async () => {
      const t0 = Date.now();
      // mlflow.set_experiment("bert-sweep"): get-by-name, 404, then create.
      expectError(await call(alice, 'GET', 'experiments/get-by-name', { experiment_name: 'bert-sweep' }), 404, 'RESOURCE_DOES_NOT_EXIST');
      const created = await ok(alice, 'POST', 'experiments/create', { name: 'bert-sweep', tags: [{ key: 'owner', value: 'alice' }] });
      experimentId = created.experiment_id;
      expect(typeof experimentId).toBe('string');
      const { experiment } = await ok(alice, 'GET', 'experiments/get-by-name', { experiment_name: 'bert-sweep' });
      expect(experiment).toMatchObject({
        experiment_id: experimentId,
        name: 'bert-sweep',
        lifecycle_stage: 'active',
        tags: [{ key: 'owner', value: 'alice' }],
      });
      expect(experiment.artifact_location).toBe(`mlflow-artifacts:/${experimentId}`);

      // mlflow.start_run(run_name=…)
      const { run } = await ok(alice, 'POST', 'runs/create', {
        experiment_id: experimentId,
        start_time: t0,
        run_name: 'bert-bs32',
        user_id: 'alice',
        tags: [
          { key: 'mlflow.source.name', value: 'train.py' },
          { key: 'mlflow.source.type', value: 'LOCAL' },
          { key: 'mlflow.note.content', value: 'baseline' },
        ],
      });
      runId = run.info.run_id;
      expect(run.info).toMatchObject({
        run_uuid: runId,
        experiment_id: experimentId,
        run_name: 'bert-bs32',
        user_id: 'alice',
        status: 'RUNNING',
        start_time: t0,
        lifecycle_stage: 'active',
        artifact_uri: `mlflow-artifacts:/${experimentId}/${runId}/artifacts`,
      });
      expect(run.data.tags).toContainEqual({ key: 'mlflow.runName', value: 'bert-bs32' });

      // mlflow.log_params / log_metrics (log-batch), then single log_param, log_metric, set_tag.
      await ok(alice, 'POST', 'runs/log-batch', {
        run_id: runId,
        params: [
          { key: 'batch_size', value: '32' },
          { key: 'lr', value: '0.001' },
          { key: 'warmup', value: '2.0' },
          { key: 'fp16', value: 'True' },
          { key: 'optimizer', value: 'adamw' },
        ],
        metrics: [0, 1, 2].map((step) => ({ key: 'loss', value: 1 / (step + 1), timestamp: t0 + step, step })),
        tags: [{ key: 'team', value: 'nlp' }],
      });
      await ok(alice, 'POST', 'runs/log-parameter', { run_id: runId, key: 'epochs', value: '3' });
      await ok(alice, 'POST', 'runs/log-parameter', { run_id: runId, key: 'batch_size', value: '32' });
      await ok(alice, 'POST', 'runs/log-metric', { run_id: runId, key: 'loss', value: 0.25, timestamp: t0 + 3, step: 3 });
      await ok(alice, 'POST', 'runs/log-metric', { run_uuid: runId, key: 'accuracy', value: 0.9, timestamp: t0 + 3, step: 3 });
      await ok(alice, 'POST', 'runs/set-tag', { run_id: runId, key: 'team', value: 'nlp-2' });
      await ok(alice, 'POST', 'runs/set-tag', { run_id: runId, key: 'scratch', value: 'x' });
      await ok(alice, 'POST', 'runs/delete-tag', { run_id: runId, key: 'scratch' });

      // mlflow.end_run()
      const end = t0 + 5_000;
      const updated = await ok(alice, 'POST', 'runs/update', { run_id: runId, run_uuid: runId, status: 'FINISHED', end_time: end });
      expect(updated.run_info).toMatchObject({ status: 'FINISHED', end_time: end });

      const got = (await ok(alice, 'GET', 'runs/get', { run_id: runId })).run;
      expect(got.info).toMatchObject({ status: 'FINISHED', run_name: 'bert-bs32' });
      expect(got.data.params).toEqual([
        { key: 'batch_size', value: '32' },
        { key: 'epochs', value: '3' },
        { key: 'fp16', value: 'True' },
        { key: 'lr', value: '0.001' },
        { key: 'optimizer', value: 'adamw' },
        { key: 'warmup', value: '2.0' },
      ]);
      expect(got.data.tags).toContainEqual({ key: 'team', value: 'nlp-2' });
      expect(got.data.tags).toContainEqual({ key: 'mlflow.source.name', value: 'train.py' });
      expect(got.data.tags.find((t: Json) => t.key === 'scratch')).toBeUndefined();
      expect(got.data.metrics).toContainEqual({ key: 'loss', value: 0.25, step: 3, timestamp: expect.any(Number) });
      expect(got.data.metrics).toContainEqual(expect.objectContaining({ key: 'accuracy', value: 0.9, step: 3 }));
    });

    it('logs into the Default experiment ("0") when the client names none, and takes NaN and unicode keys', async () => {
      const { run } = await ok(alice, 'POST', 'runs/create', { experiment_id: '0', run_name: 'no-experiment' });
      const defaultId = run.info.experiment_id;
      expect(defaultId).not.toBe('0');
      expect((await ok(alice, 'GET', 'experiments/get', { experiment_id: '0' })).experiment).toMatchObject({ experiment_id: defaultId, name: 'Default' });
      await ok(alice, 'POST', 'runs/log-batch', {
        run_id: run.info.run_id,
        metrics: [
          { key: 'loss', value: 'NaN', timestamp: 1, step: 0 },
          { key: 'loss', value: 'Infinity', timestamp: 2, step: 1 },
        ],
        params: [{ key: '学习率', value: '0.1' }],
      });
      const history = await ok(alice, 'GET', 'metrics/get-history', { run_id: run.info.run_id, metric_key: 'loss' });
      expect(history.metrics.map((m: Json) => m.value)).toEqual(['NaN', 'Infinity']);
      const again = (await ok(alice, 'GET', 'runs/get', { run_id: run.info.run_id })).run;
      expect(again.data.params).toEqual([{ key: '学习率', value: '0.1' }]);
      const search = await ok(alice, 'POST', 'runs/search', { experiment_ids: ['0'], filter: 'params.`学习率` > 0.05' });
      expect(search.runs.map((r: Json) => r.info.run_name)).toEqual(['no-experiment']);
    });

    it('searches runs with typed param filters, where MLflow itself compares text', async () => {
      const other = (await ok(alice, 'POST', 'runs/create', { experiment_id: experimentId, run_name: 'bert-bs128' })).run.info.run_id;
      await ok(alice, 'POST', 'runs/log-batch', {
        run_id: other,
        params: [
          { key: 'batch_size', value: '128' },
          { key: 'optimizer', value: 'sgd' },
        ],
        metrics: [{ key: 'loss', value: 0.5, timestamp: Date.now(), step: 0 }],
      });
      const search = async (filter: string, extra: Record<string, unknown> = {}) =>
        (await ok(alice, 'POST', 'runs/search', { experiment_ids: [experimentId], filter, ...extra })).runs?.map((r: Json) => r.info.run_name) ?? [];
      expect(await search('params.batch_size <= 32')).toEqual(['bert-bs32']);
      // '32' < '128' would be false as text: compared as numbers, it is true.
      expect(await search("params.batch_size <= '32'")).toEqual(['bert-bs32']);
      expect(await search("params.batch_size > '32'")).toEqual(['bert-bs128']);
      expect(await search("params.`batch_size` IN ('32', '64')")).toEqual(['bert-bs32']);
      expect(await search("params.optimizer = 'sgd'")).toEqual(['bert-bs128']);
      expect(await search("params.optimizer LIKE 'adam%'")).toEqual(['bert-bs32']);
      expect(await search("tags.team = 'nlp-2' and attributes.status = 'FINISHED'")).toEqual(['bert-bs32']);
      expect(await search("attributes.status = 'RUNNING'")).toEqual(['bert-bs128']);
      expect(await search('metrics.loss < 0.3')).toEqual(['bert-bs32']);
      expect(await search("attributes.run_name ILIKE 'BERT-%'", { order_by: ['metrics.loss DESC'] })).toEqual(['bert-bs128', 'bert-bs32']);
      expect(await search('', { order_by: ['params.batch_size ASC'] })).toEqual(['bert-bs32', 'bert-bs128']);
      // Paging: one run a page, with a token to the next.
      const first = await ok(alice, 'POST', 'runs/search', { experiment_ids: [experimentId], max_results: 1, order_by: ['attributes.run_name ASC'] });
      expect(first.runs.map((r: Json) => r.info.run_name)).toEqual(['bert-bs128']);
      const second = await ok(alice, 'POST', 'runs/search', {
        experiment_ids: [experimentId],
        max_results: 1,
        order_by: ['attributes.run_name ASC'],
        page_token: first.next_page_token,
      });
      expect(second.runs.map((r: Json) => r.info.run_name)).toEqual(['bert-bs32']);
      expect(second.next_page_token).toBeUndefined();
      // Grammar MLflow does not have, or that cannot apply, is refused with what is wrong.
      expectError(
        await call(alice, 'POST', 'runs/search', { experiment_ids: [experimentId], filter: "params.optimizer = 'sgd' or params.lr = '1'" }),
        400,
        'INVALID_PARAMETER_VALUE',
        /'and' only/,
      );
      expectError(
        await call(alice, 'POST', 'runs/search', { experiment_ids: [experimentId], filter: "params.optimizer < 'sgd'" }),
        400,
        'INVALID_PARAMETER_VALUE',
        /compares as text/,
      );
      expectError(await call(alice, 'POST', 'runs/search', { experiment_ids: [experimentId], filter: 'metrics.loss < abc' }), 400, 'INVALID_PARAMETER_VALUE');
      expectError(
        await call(alice, 'POST', 'runs/search', { experiment_ids: [experimentId], filter: "foo.bar = '1'" }),
        400,
        'INVALID_PARAMETER_VALUE',
        /Invalid entity type/,
      );
      expectError(
        await call(alice, 'POST', 'runs/search', { experiment_ids: [experimentId], max_results: 50_001 }),
        400,
        'INVALID_PARAMETER_VALUE',
        /at most 50000/,
      );
      expectError(
        await call(alice, 'POST', 'runs/search', { experiment_ids: [experimentId], page_token: 'garbage' }),
        400,
        'INVALID_PARAMETER_VALUE',
        /page token/,
      );
    });

    it('reads metric history, paged and downsampled', async () => {
      const history = await ok(alice, 'GET', 'metrics/get-history', { run_id: runId, metric_key: 'loss' });
      expect(history.metrics.map((m: Json) => [m.step, m.value])).toEqual([
        [0, 1],
        [1, 0.5],
        [2, 1 / 3],
        [3, 0.25],
      ]);
      const page1 = await ok(alice, 'GET', 'metrics/get-history', { run_id: runId, metric_key: 'loss', max_results: 3 });
      expect(page1.metrics.map((m: Json) => m.step)).toEqual([0, 1, 2]);
      const page2 = await ok(alice, 'GET', 'metrics/get-history', { run_id: runId, metric_key: 'loss', max_results: 3, page_token: page1.next_page_token });
      expect(page2.metrics.map((m: Json) => m.step)).toEqual([3]);
      expect(page2.next_page_token).toBeUndefined();
      expect((await ok(alice, 'GET', 'metrics/get-history', { run_id: runId, metric_key: 'nope' })).metrics).toEqual([]);

      // A long run: 5,000 points in five batches of 1,000 (MLflow's batch size), one spike; 100 points keep it.
      const long = (await ok(alice, 'POST', 'runs/create', { experiment_id: experimentId, run_name: 'long' })).run.info.run_id;
      for (let b = 0; b < 5; b++)
        await ok(alice, 'POST', 'runs/log-batch', {
          run_id: long,
          metrics: Array.from({ length: 1000 }, (_, i) => ({ key: 'loss', value: b * 1000 + i === 3217 ? 99 : 1, timestamp: Date.now(), step: b * 1000 + i })),
        });
      const bulk = await ok(alice, 'GET', 'metrics/get-history-bulk-interval', { run_ids: [long, runId], metric_key: 'loss', max_results: 100 });
      const ofLong = bulk.metrics.filter((m: Json) => m.run_id === long);
      expect(ofLong.length).toBeLessThanOrEqual(100);
      expect(ofLong.some((m: Json) => m.value === 99 && m.step === 3217)).toBe(true);
      expect(bulk.metrics.filter((m: Json) => m.run_id === runId)).toHaveLength(4);
      const window = await ok(alice, 'GET', 'metrics/get-history-bulk-interval', {
        run_ids: long,
        metric_key: 'loss',
        start_step: 10,
        end_step: 19,
        max_results: 100,
      });
      expect(window.metrics.map((m: Json) => m.step)).toEqual([10, 11, 12, 13, 14, 15, 16, 17, 18, 19]);
      const paged = await ok(alice, 'GET', 'metrics/get-history', { run_id: long, metric_key: 'loss', max_results: 2000 });
      expect(paged.metrics).toHaveLength(2000);
      expect(paged.next_page_token).toBeDefined();
      // Past 100,000 points a history is paged in step windows; sparse steps (every 7th) widen them.
      const huge = (await ok(alice, 'POST', 'runs/create', { experiment_id: experimentId, run_name: 'huge' })).run.info.run_id;
      const n = 101_000;
      await alice.ok(LOG_METRICS, {
        runId: huge,
        series: [{ key: 'loss', steps: Array.from({ length: n }, (_, i) => i * 7), values: Array.from({ length: n }, (_, i) => i) }],
      });
      let token: string | undefined;
      let seen = 0;
      let pages = 0;
      let lastStep = -1;
      do {
        const page = await ok(alice, 'GET', 'metrics/get-history', {
          run_id: huge,
          metric_key: 'loss',
          max_results: 25_000,
          ...(token ? { page_token: token } : {}),
        });
        for (const m of page.metrics) {
          expect(m.step).toBeGreaterThan(lastStep);
          expect(m.value).toBe(m.step / 7);
          lastStep = m.step;
        }
        seen += page.metrics.length;
        token = page.next_page_token;
        pages++;
      } while (token && pages < 20);
      expect(seen).toBe(n);
      expect(pages).toBe(5);
      expectError(await call(alice, 'GET', 'metrics/get-history-bulk-interval', { metric_key: 'loss' }), 400, 'INVALID_PARAMETER_VALUE', /run_ids/);
      expectError(
        await call(alice, 'GET', 'metrics/get-history-bulk-interval', { run_ids: long, metric_key: 'loss', start_step: 5 }),
        400,
        'INVALID_PARAMETER_VALUE',
        /both/,
      );
    });

    it('shows the same run in Tuneboard with typed params, filterable as batch_size <= 32', async () => {
      const { runs } = await alice.ok(RUNS, { projectId: experimentId, filter: 'batch_size <= 32' });
      expect(runs.nodes.map((r: Json) => r.name)).toEqual(['bert-bs32']);
      const [run] = runs.nodes;
      expect(run).toMatchObject({ id: runId, status: 'SUCCEEDED', notes: 'baseline' });
      expect(run.params).toMatchObject({ batch_size: 32, lr: 0.001, warmup: 2, fp16: true, optimizer: 'adamw', epochs: 3 });
      expect(run.paramTypes).toMatchObject({ batch_size: 'integer', lr: 'float', warmup: 'float', fp16: 'boolean', optimizer: 'string', epochs: 'integer' });
      expect((await alice.ok(RUNS, { projectId: experimentId, filter: 'fp16 = true and warmup >= 2' })).runs.nodes).toHaveLength(1);
      // The project learned the params' types from the text MLflow sent.
      const { project } = await alice.ok(`query($id: ID!) { project(id: $id) { hparamSchema { kind paths { path type runs } } } }`, { id: experimentId });
      expect(project.hparamSchema.kind).toBe('INFERRED');
      const byPath = Object.fromEntries(project.hparamSchema.paths.map((p: Json) => [p.path, p]));
      expect(byPath.batch_size).toMatchObject({ type: 'integer', runs: 2 });
      expect(byPath.warmup).toMatchObject({ type: 'float', runs: 1 });
      expect(byPath.fp16).toMatchObject({ type: 'boolean' });
      expect(byPath.optimizer).toMatchObject({ type: 'string', runs: 2 });
    });

    it('keeps params immutable, overwrites tags and maps run names and status both ways', async () => {
      expectError(
        await call(alice, 'POST', 'runs/log-parameter', { run_id: runId, key: 'batch_size', value: '64' }),
        400,
        'INVALID_PARAMETER_VALUE',
        /Changing param values is not allowed.*batch_size.*'32'.*'64'/,
      );
      expectError(
        await call(alice, 'POST', 'runs/log-batch', {
          run_id: runId,
          params: [
            { key: 'new_one', value: '1' },
            { key: 'new_one', value: '2' },
          ],
        }),
        400,
        'INVALID_PARAMETER_VALUE',
      );
      // Refused as a whole: the first param of the refused batch was not stored either.
      expect((await ok(alice, 'GET', 'runs/get', { run_id: runId })).run.data.params.find((p: Json) => p.key === 'new_one')).toBeUndefined();
      await ok(alice, 'POST', 'runs/set-tag', { run_id: runId, key: 'mlflow.runName', value: 'renamed' });
      expect((await ok(alice, 'GET', 'runs/get', { run_id: runId })).run.info.run_name).toBe('renamed');
      await ok(alice, 'POST', 'runs/update', { run_id: runId, run_name: 'bert-bs32' });
      const got = (await ok(alice, 'GET', 'runs/get', { run_id: runId })).run;
      expect(got.info.run_name).toBe('bert-bs32');
      expect(got.data.tags).toContainEqual({ key: 'mlflow.runName', value: 'bert-bs32' });
      const killed = (await ok(alice, 'POST', 'runs/create', { experiment_id: experimentId, run_name: 'killed' })).run.info.run_id;
      await ok(alice, 'POST', 'runs/update', { run_id: killed, status: 'KILLED', end_time: Date.now() });
      expect((await alice.ok(RUNS, { projectId: experimentId, filter: 'name = "killed"' })).runs.nodes[0].status).toBe('CANCELLED');
      // Resumed (start_run(run_id=…) sets RUNNING again), then FAILED.
      await ok(alice, 'POST', 'runs/update', { run_id: killed, status: 'RUNNING' });
      expect((await ok(alice, 'GET', 'runs/get', { run_id: killed })).run.info).not.toHaveProperty('end_time');
      await ok(alice, 'POST', 'runs/update', { run_id: killed, status: 'FAILED' });
      expect((await ok(alice, 'GET', 'runs/get', { run_id: killed })).run.info.status).toBe('FAILED');
      expectError(await call(alice, 'POST', 'runs/update', { run_id: killed, status: 'DONE' }), 400, 'INVALID_PARAMETER_VALUE', /RUNNING, SCHEDULED/);
      // A run pruned by early stopping is KILLED to MLflow; set_terminated("KILLED") keeps it pruned, another status is refused.
      const pruned = (await ok(alice, 'POST', 'runs/create', { experiment_id: experimentId, run_name: 'pruned' })).run.info.run_id;
      await alice.ok(`mutation($r: ID!) { pruneRun(runId: $r, decision: { reason: "below the median", resource: 2 }) { status } }`, { r: pruned });
      expect((await ok(alice, 'GET', 'runs/get', { run_id: pruned })).run.info.status).toBe('KILLED');
      await ok(alice, 'POST', 'runs/update', { run_id: pruned, status: 'KILLED', end_time: Date.now() });
      expect((await call(alice, 'POST', 'runs/update', { run_id: pruned, status: 'FINISHED' })).status).toBeGreaterThanOrEqual(400);
      expect((await alice.ok(RUNS, { projectId: experimentId, filter: 'name = "pruned"' })).runs.nodes[0].status).toBe('PRUNED');
      expectError(await call(alice, 'POST', 'runs/delete-tag', { run_id: runId, key: 'never-set' }), 404, 'RESOURCE_DOES_NOT_EXIST');
      // mlflow.<flavor>.log_model records the model in the run's history tag (the files go through the artifact routes).
      await ok(alice, 'POST', 'runs/log-model', { run_id: runId, model_json: JSON.stringify({ artifact_path: 'model', flavors: { sklearn: {} } }) });
      await ok(alice, 'POST', 'runs/log-model', { run_id: runId, model_json: JSON.stringify({ artifact_path: 'model2' }) });
      const history = (await ok(alice, 'GET', 'runs/get', { run_id: runId })).run.data.tags.find((t: Json) => t.key === 'mlflow.log-model.history');
      expect(JSON.parse(history.value).map((m: Json) => m.artifact_path)).toEqual(['model', 'model2']);
      expectError(await call(alice, 'POST', 'runs/log-model', { run_id: runId, model_json: '{oops' }), 400, 'INVALID_PARAMETER_VALUE', /not valid JSON/);
    });

    it('nests runs under mlflow.parentRunId (start_run(nested=True)), in Tuneboard too, and never fails a client over it', async () => {
      const NESTING = `query($id: ID!) { run(id: $id) { parent { id } children { id name } } }`;
      const create = async (name: string, tags: { key: string; value: string }[] = [], experiment = experimentId) =>
        (await ok(alice, 'POST', 'runs/create', { experiment_id: experiment, run_name: name, tags })).run.info.run_id as string;
      const tuning = await create('tuning-job');
      const trial1 = await create('trial-1', [{ key: 'mlflow.parentRunId', value: tuning }]);
      const trial2 = await create('trial-2');
      await ok(alice, 'POST', 'runs/set-tag', { run_id: trial2, key: 'mlflow.parentRunId', value: tuning });
      expect((await alice.ok(NESTING, { id: tuning })).run).toEqual({
        parent: null,
        children: [
          { id: trial1, name: 'trial-1' },
          { id: trial2, name: 'trial-2' },
        ],
      });
      expect((await alice.ok(NESTING, { id: trial1 })).run.parent).toEqual({ id: tuning });
      // MLflow's UI finds children by the tag; the search answers it.
      const children = await ok(alice, 'POST', 'runs/search', { experiment_ids: [experimentId], filter: `tags.mlflow.parentRunId = '${tuning}'` });
      expect(children.runs.map((r: Json) => r.info.run_name).sort()).toEqual(['trial-1', 'trial-2']);

      // A cycle, a run of another experiment, an unknown id or no id at all: the tag is kept, no nesting, no error.
      await ok(alice, 'POST', 'runs/set-tag', { run_id: tuning, key: 'mlflow.parentRunId', value: trial1 });
      await ok(alice, 'POST', 'runs/set-tag', { run_id: tuning, key: 'mlflow.parentRunId', value: tuning });
      const elsewhere = (await ok(alice, 'POST', 'experiments/create', { name: 'nesting-elsewhere' })).experiment_id as string;
      const stranger = await create('stranger', [{ key: 'mlflow.parentRunId', value: tuning }], elsewhere);
      const orphan = await create('orphan', [{ key: 'mlflow.parentRunId', value: 'not-a-run-id' }]);
      for (const run of [tuning, stranger, orphan]) expect((await alice.ok(NESTING, { id: run })).run.parent).toBeNull();
      expect((await ok(alice, 'GET', 'runs/get', { run_id: orphan })).run.data.tags).toContainEqual({ key: 'mlflow.parentRunId', value: 'not-a-run-id' });
      // Deleting the tag takes the run back to the top level.
      await ok(alice, 'POST', 'runs/delete-tag', { run_id: trial2, key: 'mlflow.parentRunId' });
      expect((await alice.ok(NESTING, { id: tuning })).run.children).toEqual([{ id: trial1, name: 'trial-1' }]);
      const tooMany = await alice.request(`query($id: ID!) { run(id: $id) { children(first: 501) { id } } }`, { id: tuning });
      expect(tooMany.errors?.[0]?.message).toBe('first must be from 0 to 500');

      // Tuneboard's own API nests and un-nests too, refusing what the MLflow tag only ignores.
      const NEST = `mutation($id: ID!, $parent: ID) { updateRun(input: { id: $id, parentRunId: $parent }) { parent { id } } }`;
      expect((await alice.ok(NEST, { id: trial2, parent: tuning })).updateRun.parent).toEqual({ id: tuning });
      const refused = async (user: TestUser, id: string, parent: string | null) => (await user.request(NEST, { id, parent })).errors?.[0];
      for (const parent of [stranger, trial1, tuning, 'nope'])
        expect(await refused(alice, tuning, parent)).toMatchObject({
          message: expect.stringContaining('parentRunId must name another run of project'),
          extensions: { code: 'BAD_USER_INPUT' },
        });
      expect((await refused(viewer, trial2, null))?.extensions?.code).toBe('FORBIDDEN');
      expect((await refused(bob, trial2, null))?.extensions?.code).toBe('NOT_FOUND');
      expect((await alice.ok(NEST, { id: trial2, parent: null })).updateRun.parent).toBeNull();
      // Leaving parentRunId out changes nothing.
      await alice.ok(`mutation($id: ID!) { updateRun(input: { id: $id, notes: "fold 1" }) { id } }`, { id: trial1 });
      expect((await alice.ok(NESTING, { id: trial1 })).run.parent).toEqual({ id: tuning });
    });

    it('warns, and never refuses, when params contradict a finding', async () => {
      await alice.ok(CREATE_FINDING, {
        input: {
          projectId: experimentId,
          title: 'Keep batch size ≤ 32',
          rule: 'batch_size <= 32',
          metric: { key: 'accuracy', direction: 'HIGHER' },
          severity: 'POLICY',
        },
      });
      const big = (await ok(alice, 'POST', 'runs/create', { experiment_id: experimentId, run_name: 'bs256' })).run.info.run_id;
      await ok(alice, 'POST', 'runs/log-parameter', { run_id: big, key: 'batch_size', value: '256' });
      const tags = (await ok(alice, 'GET', 'runs/get', { run_id: big })).run.data.tags;
      const warning = tags.find((t: Json) => t.key === 'tuneboard.warnings');
      expect(warning?.value).toMatch(/Keep batch size/);
      const { run } = await alice.ok(`query($id: ID!) { run(id: $id) { annotations { body } } }`, { id: big });
      expect(run.annotations[0].body).toMatch(/contradict a finding/);
      // A param whose type contradicts what the project learned is a warning line too (never a refusal).
      await ok(alice, 'POST', 'runs/log-parameter', { run_id: big, key: 'lr', value: 'auto' });
      const lines = (await ok(alice, 'GET', 'runs/get', { run_id: big })).run.data.tags.find((t: Json) => t.key === 'tuneboard.warnings').value.split('\n');
      expect(lines).toHaveLength(2);
      expect(lines[1]).toMatch(/lr was float in \d+ runs?; this run has string "auto"/);
    });

    it('creates, renames, searches, deletes and restores experiments', async () => {
      expectError(await call(alice, 'POST', 'experiments/create', { name: 'bert-sweep' }), 400, 'RESOURCE_ALREADY_EXISTS', /already exists/);
      const id = (await ok(alice, 'POST', 'experiments/create', { name: 'scratch' })).experiment_id;
      await ok(alice, 'POST', 'experiments/update', { experiment_id: id, new_name: 'scratch-2' });
      await ok(alice, 'POST', 'experiments/set-experiment-tag', { experiment_id: id, key: 'note', value: 'temp' });
      await ok(alice, 'POST', 'experiments/set-experiment-tag', { experiment_id: id, key: 'gone', value: 'soon' });
      await ok(alice, 'POST', 'experiments/delete-experiment-tag', { experiment_id: id, key: 'gone' });
      expectError(await call(alice, 'POST', 'experiments/delete-experiment-tag', { experiment_id: id, key: 'gone' }), 404, 'RESOURCE_DOES_NOT_EXIST');
      expect((await ok(alice, 'GET', 'experiments/get', { experiment_id: id })).experiment).toMatchObject({
        name: 'scratch-2',
        tags: [{ key: 'note', value: 'temp' }],
      });
      const found = await ok(alice, 'POST', 'experiments/search', { filter: "name LIKE 'scratch%'", max_results: 10 });
      expect(found.experiments.map((e: Json) => e.experiment_id)).toEqual([id]);
      const byTag = await ok(alice, 'POST', 'experiments/search', { filter: "tags.note = 'temp' and name ILIKE 'SCRATCH%'" });
      expect(byTag.experiments.map((e: Json) => e.experiment_id)).toEqual([id]);
      expect((await ok(alice, 'POST', 'experiments/search', { filter: "tags.`note` != 'temp' and name = 'scratch-2'" })).experiments).toEqual([]);
      expectError(await call(alice, 'POST', 'experiments/search', { filter: 'creation_time > 5' }), 400, 'INVALID_PARAMETER_VALUE', /by name and tags/);
      expectError(await call(alice, 'POST', 'experiments/search', { filter: "name < 'b'" }), 400, 'INVALID_PARAMETER_VALUE', /Invalid comparator/);
      expectError(await call(alice, 'POST', 'experiments/search', { order_by: ['colour'] }), 400, 'INVALID_PARAMETER_VALUE', /Invalid order_by/);
      await ok(alice, 'POST', 'experiments/delete', { experiment_id: id });
      expect((await ok(alice, 'GET', 'experiments/get', { experiment_id: id })).experiment.lifecycle_stage).toBe('deleted');
      expect((await ok(alice, 'POST', 'experiments/search', { filter: "name = 'scratch-2'" })).experiments).toEqual([]);
      expect((await ok(alice, 'POST', 'experiments/search', { filter: "name = 'scratch-2'", view_type: 'DELETED_ONLY' })).experiments).toHaveLength(1);
      expectError(await call(alice, 'POST', 'runs/create', { experiment_id: id }), 400, 'INVALID_PARAMETER_VALUE', /active/);
      await ok(alice, 'POST', 'experiments/restore', { experiment_id: id });
      expect((await ok(alice, 'GET', 'experiments/get', { experiment_id: id })).experiment.lifecycle_stage).toBe('active');
      // GET search, as the MLflow UI's ajax-api sends it.
      const viaAjax = await fetch(
        `http://127.0.0.1:${api.server.port}/ajax-api/2.0/mlflow/experiments/search?max_results=5&filter=${encodeURIComponent("name = 'bert-sweep'")}`,
        {
          headers: { authorization: `Bearer ${alice.token}` },
        },
      );
      expect(((await viaAjax.json()) as Json).experiments.map((e: Json) => e.name)).toEqual(['bert-sweep']);
    });

    it('shows runs logged with Tuneboard itself to MLflow clients, typed params as text', async () => {
      const mixed = (await ok(alice, 'POST', 'experiments/create', { name: 'mixed' })).experiment_id;
      const viaMlflow = (await ok(alice, 'POST', 'runs/create', { experiment_id: mixed, run_name: 'from-mlflow' })).run.info.run_id;
      await ok(alice, 'POST', 'runs/log-batch', { run_id: viaMlflow, params: [{ key: 'optimizer', value: 'adamw' }] });
      const submitted = await alice.ok(SUBMIT_RUN, {
        input: { projectId: mixed, name: 'from-sdk', execution: 'EXTERNAL', hparamsText: '{"optimizer": "adamw", "warmup": 2.0, "model": {"depth": 4}}' },
      });
      const sdkRun = submitted.submitRun.run.id;
      expect((await ok(alice, 'GET', 'runs/get', { run_id: sdkRun })).run.data.params).toEqual([
        { key: 'model.depth', value: '4' },
        { key: 'optimizer', value: 'adamw' },
        { key: 'warmup', value: '2.0' },
      ]);
      // Its config is its params: the same value again is fine, another one or one replacing a section is refused.
      await ok(alice, 'POST', 'runs/log-parameter', { run_id: sdkRun, key: 'warmup', value: '2.0' });
      expectError(
        await call(alice, 'POST', 'runs/log-parameter', { run_id: sdkRun, key: 'warmup', value: '3.0' }),
        400,
        'INVALID_PARAMETER_VALUE',
        /Changing param values/,
      );
      expectError(
        await call(alice, 'POST', 'runs/log-parameter', { run_id: sdkRun, key: 'model', value: 'big' }),
        400,
        'INVALID_PARAMETER_VALUE',
        /section 'model'/,
      );
      await ok(alice, 'POST', 'runs/log-parameter', { run_id: sdkRun, key: 'seed', value: '7' });
      expect((await ok(alice, 'GET', 'runs/get', { run_id: sdkRun })).run.data.params).toContainEqual({ key: 'seed', value: '7' });
      const found = await ok(alice, 'POST', 'runs/search', {
        experiment_ids: [mixed],
        filter: "params.optimizer = 'adamw'",
        order_by: ['attributes.run_name'],
      });
      expect(found.runs.map((r: Json) => r.info.run_name)).toEqual(['from-mlflow', 'from-sdk']);
    });

    it('deletes and restores runs', async () => {
      const id = (await ok(alice, 'POST', 'runs/create', { experiment_id: experimentId, run_name: 'doomed' })).run.info.run_id;
      await ok(alice, 'POST', 'runs/delete', { run_id: id });
      expect((await ok(alice, 'GET', 'runs/get', { run_id: id })).run.info.lifecycle_stage).toBe('deleted');
      expectError(await call(alice, 'POST', 'runs/log-parameter', { run_id: id, key: 'a', value: '1' }), 400, 'INVALID_PARAMETER_VALUE', /active/);
      expectError(await call(alice, 'POST', 'runs/log-metric', { run_id: id, key: 'a', value: 1, timestamp: 1 }), 400, 'INVALID_PARAMETER_VALUE', /active/);
      const search = async (view: string) =>
        ((await ok(alice, 'POST', 'runs/search', { experiment_ids: [experimentId], run_view_type: view })).runs ?? []).map((r: Json) => r.info.run_id);
      expect(await search('ACTIVE_ONLY')).not.toContain(id);
      expect(await search('DELETED_ONLY')).toEqual([id]);
      await ok(alice, 'POST', 'runs/restore', { run_id: id });
      expect(await search('ACTIVE_ONLY')).toContain(id);
    });

    it('scopes everything to the token: 401 without one, 404 for another team, viewers read only', async () => {
      expectError(await call(null, 'GET', 'experiments/get', { experiment_id: experimentId }), 401, 'UNAUTHENTICATED', /not authenticated/);
      expectError(await call({ ...alice, token: 'tb_wrong' }, 'GET', 'experiments/get', { experiment_id: experimentId }), 401, 'UNAUTHENTICATED');
      // Another team's experiment and run are answered exactly like ones that do not exist.
      expectError(await call(bob, 'GET', 'experiments/get', { experiment_id: experimentId }), 404, 'RESOURCE_DOES_NOT_EXIST');
      expectError(await call(bob, 'GET', 'experiments/get', { experiment_id: '00000000-0000-4000-8000-000000000000' }), 404, 'RESOURCE_DOES_NOT_EXIST');
      expectError(await call(bob, 'GET', 'runs/get', { run_id: runId }), 404, 'RESOURCE_DOES_NOT_EXIST');
      expectError(await call(bob, 'POST', 'runs/log-batch', { run_id: runId, params: [{ key: 'x', value: '1' }] }), 404, 'RESOURCE_DOES_NOT_EXIST');
      expectError(await call(bob, 'POST', 'runs/create', { experiment_id: experimentId }), 404, 'RESOURCE_DOES_NOT_EXIST');
      expectError(await call(bob, 'POST', 'runs/search', { experiment_ids: [experimentId] }), 404, 'RESOURCE_DOES_NOT_EXIST');
      expectError(await call(bob, 'GET', 'metrics/get-history', { run_id: runId, metric_key: 'loss' }), 404, 'RESOURCE_DOES_NOT_EXIST');
      expectError(await call(bob, 'GET', 'experiments/get-by-name', { experiment_name: 'bert-sweep' }), 404, 'RESOURCE_DOES_NOT_EXIST');
      expectError(
        await call(bob, 'GET', 'experiments/get-by-name', { experiment_name: 'bert-sweep' }, { 'x-tuneboard-team': alice.teamId }),
        404,
        'RESOURCE_DOES_NOT_EXIST',
      );
      expect((await ok(bob, 'POST', 'experiments/search', {})).experiments).toEqual([]);
      // A viewer of the team reads, but does not write.
      expect((await ok(viewer, 'GET', 'runs/get', { run_id: runId })).run.info.run_id).toBe(runId);
      expectError(await call(viewer, 'POST', 'runs/set-tag', { run_id: runId, key: 'a', value: 'b' }), 403, 'PERMISSION_DENIED');
    });

    it('chooses the team by X-Tuneboard-Team, else the first team joined', async () => {
      const carol = await api.user('carol@example.com', 'carol-own');
      await api.user('carol@example.com', 'nlp', 'member');
      // Without the header: her own (first) team; bert-sweep is in nlp.
      expectError(await call(carol, 'GET', 'experiments/get-by-name', { experiment_name: 'bert-sweep' }), 404, 'RESOURCE_DOES_NOT_EXIST');
      const nlp = alice.teamId;
      const { experiment } = (await call(carol, 'GET', 'experiments/get-by-name', { experiment_name: 'bert-sweep' }, { 'X-Tuneboard-Team': nlp })).json;
      expect(experiment.experiment_id).toBe(experimentId);
      // An unmodified client cannot add a header: the tracking URI may name the team (MLFLOW_TRACKING_URI=http://host:4000/teams/nlp).
      const viaUri = await fetch(`http://127.0.0.1:${api.server.port}/teams/nlp/api/2.0/mlflow/experiments/get-by-name?experiment_name=bert-sweep`, {
        headers: { authorization: `Bearer ${carol.token}` },
      });
      expect(((await viaUri.json()) as Json).experiment.experiment_id).toBe(experimentId);
      const created = await fetch(`http://127.0.0.1:${api.server.port}/teams/${alice.teamId}/ajax-api/2.0/mlflow/experiments/create`, {
        method: 'POST',
        headers: { authorization: `Bearer ${carol.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'carol-in-nlp' }),
      });
      const inNlp = ((await created.json()) as Json).experiment_id;
      expect((await ok(alice, 'GET', 'experiments/get-by-name', { experiment_name: 'carol-in-nlp' })).experiment.experiment_id).toBe(inNlp);
      const foreign = await fetch(`http://127.0.0.1:${api.server.port}/teams/other/api/2.0/mlflow/experiments/search`, {
        headers: { authorization: `Bearer ${carol.token}` },
      });
      expect(foreign.status).toBe(404);
      const garbled = await fetch(`http://127.0.0.1:${api.server.port}/teams/%E0%A4%A/api/2.0/mlflow/experiments/search`, {
        headers: { authorization: `Bearer ${carol.token}` },
      });
      expect(((await garbled.json()) as Json).error_code).toBe('INVALID_PARAMETER_VALUE');
      // The header may name the team instead of giving its id.
      const byName = (await call(carol, 'GET', 'experiments/get-by-name', { experiment_name: 'bert-sweep' }, { 'X-Tuneboard-Team': 'NLP' })).json;
      expect(byName.experiment.experiment_id).toBe(experimentId);
      const mine = (await ok(carol, 'POST', 'experiments/create', { name: 'carol-exp' })).experiment_id;
      expect((await ok(carol, 'GET', 'experiments/get-by-name', { experiment_name: 'carol-exp' })).experiment.experiment_id).toBe(mine);
      expectError(await call(alice, 'GET', 'experiments/get-by-name', { experiment_name: 'carol-exp' }), 404, 'RESOURCE_DOES_NOT_EXIST');
      expectError(await call(carol, 'POST', 'experiments/search', {}, { 'x-tuneboard-team': bob.teamId }), 404, 'RESOURCE_DOES_NOT_EXIST', /Team/);
    });

    it('answers bad input with MLflow error bodies', async () => {
      const post = (endpoint: string, body: Record<string, unknown> | string) => call(alice, 'POST', endpoint, body);
      expectError(await post('experiments/create', '{"name": '), 400, 'MALFORMED_REQUEST', /not valid JSON/);
      expectError(await post('experiments/create', '[1]'), 400, 'MALFORMED_REQUEST', /JSON object/);
      expectError(await post('experiments/create', {}), 400, 'INVALID_PARAMETER_VALUE', "Missing value for required parameter 'name'.");
      expectError(await post('experiments/create', { name: 42 }), 400, 'INVALID_PARAMETER_VALUE', /must be a string/);
      expectError(await post('runs/create', {}), 400, 'INVALID_PARAMETER_VALUE', /experiment_id/);
      expectError(await post('runs/create', { experiment_id: 'not-an-id' }), 404, 'RESOURCE_DOES_NOT_EXIST');
      expectError(
        await post('runs/log-metric', { run_id: runId, key: 'loss', value: 'high', timestamp: 1 }),
        400,
        'INVALID_PARAMETER_VALUE',
        /must be a number/,
      );
      expectError(await post('runs/log-metric', { run_id: runId, key: 'loss', value: 1 }), 400, 'INVALID_PARAMETER_VALUE', /timestamp/);
      expectError(await post('runs/log-metric', { run_id: runId, key: 'loss', value: 1, timestamp: 1, step: 1.5 }), 400, 'INVALID_PARAMETER_VALUE', /integer/);
      expectError(await post('runs/update', { run_id: runId, end_time: 9_000_000_000_000_000 }), 400, 'INVALID_PARAMETER_VALUE', /not a time/);
      expectError(await post('runs/create', { experiment_id: experimentId, start_time: '12x' }), 400, 'INVALID_PARAMETER_VALUE', /integer/);
      expectError(
        await post('experiments/create', { name: 'tagged', tags: [{ key: 'k', value: 'v'.repeat(20_001) }] }),
        400,
        'INVALID_PARAMETER_VALUE',
        /longer than 20000/,
      );
      expectError(await post('runs/set-tag', { run_id: runId, key: 'k', value: 'v'.repeat(8001) }), 400, 'INVALID_PARAMETER_VALUE', /longer than 8000/);
      expectError(await post('runs/log-batch', { run_id: runId, metrics: 'lots' }), 400, 'INVALID_PARAMETER_VALUE', /list of objects/);
      expectError(await post('runs/log-batch', { run_id: runId, params: [{ key: 'a' }] }), 400, 'INVALID_PARAMETER_VALUE', /'value'/);
      // Keys become paths in MLflow's own stores: traversal-like keys are refused everywhere.
      for (const key of ['../../etc/passwd', '/abs', 'a/../b', 'a\\b', 'new\nline', ''])
        expectError(await post('runs/log-batch', { run_id: runId, tags: [{ key, value: 'x' }] }), 400, 'INVALID_PARAMETER_VALUE');
      expectError(await post('runs/log-parameter', { run_id: runId, key: '../x', value: '1' }), 400, 'INVALID_PARAMETER_VALUE');
      // MLflow's log-batch limits.
      const metric = (step: number) => ({ key: 'm', value: 1, timestamp: 1, step });
      expectError(
        await post('runs/log-batch', { run_id: runId, metrics: Array.from({ length: 1001 }, (_, i) => metric(i)) }),
        400,
        'INVALID_PARAMETER_VALUE',
        /at most 1000 metrics/,
      );
      expectError(
        await post('runs/log-batch', { run_id: runId, params: Array.from({ length: 101 }, (_, i) => ({ key: `p${i}`, value: '1' })) }),
        400,
        'INVALID_PARAMETER_VALUE',
        /at most 100 params/,
      );
      expectError(
        await post('runs/log-batch', { run_id: runId, tags: Array.from({ length: 101 }, (_, i) => ({ key: `t${i}`, value: '1' })) }),
        400,
        'INVALID_PARAMETER_VALUE',
        /at most 100 tags/,
      );
      expectError(
        await post('runs/log-batch', {
          run_id: runId,
          params: Array.from({ length: 100 }, (_, i) => ({ key: `big${i}`, value: 'x'.repeat(6000) })),
          tags: Array.from({ length: 100 }, (_, i) => ({ key: `t${i}`, value: 'y'.repeat(8000) })),
        }),
        400,
        'INVALID_PARAMETER_VALUE',
        /bytes/,
      );
      expectError(await post('runs/log-batch', 'x'.repeat(5 * 1024 * 1024)), 413, 'INVALID_PARAMETER_VALUE', /larger than/);
      expectError(await post('runs/log-metric', { run_id: runId, key: 'loss', value: 1, timestamp: 1, step: -1 }), 400, 'INVALID_PARAMETER_VALUE');
      // Unknown endpoints and methods.
      expectError(await call(alice, 'GET', 'experiments/teleport', {}), 404, 'ENDPOINT_NOT_FOUND');
      expectError(await call(alice, 'GET', 'runs/create', {}), 404, 'ENDPOINT_NOT_FOUND', /POST/);
      expect(await ok(alice, 'GET', 'registered-models/search', {})).toEqual({ registered_models: [] });
      expect(await ok(alice, 'GET', 'model-versions/search', {})).toEqual({ model_versions: [] });
    });
  });
}

describe('the MLflow tracking API behind the rate limits', () => {
  it('answers REQUEST_LIMIT_EXCEEDED (429, Retry-After) past the token budget, like every other route', async () => {
    const api = await startTestApi(testDatabases()[0]!, { rateLimits: { tokenRequestsPerMinute: 3 } });
    try {
      const alice = await api.user('alice@example.com', 'nlp');
      const get = () => fetch(`http://127.0.0.1:${api.server.port}/api/2.0/mlflow/experiments/search`, { headers: { authorization: `Bearer ${alice.token}` } });
      for (let i = 0; i < 3; i++) expect((await get()).status).toBe(200);
      const limited = await get();
      expect(limited.status).toBe(429);
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(((await limited.json()) as { error_code: string }).error_code).toBe('REQUEST_LIMIT_EXCEEDED');
    } finally {
      await api.close();
    }
  });
});

for (const database of testDatabases())
  describe(`MLflow admission on ${database.name}: the address count, the token lookup and the token count at once`, () => {
    it('shares its counts with GraphQL and with other replicas, and a revoked token stops at once', async () => {
      const limits = { tokenRequestsPerMinute: 4, addressRequestsPerMinute: 0, authFailuresPerMinute: 0 };
      const api = await startTestApi(database, { rateLimits: limits });
      // PostgreSQL: a second replica on its own pool counts in the same rows; PGlite: one process, one count.
      const otherStore = api.store.kind === 'postgres' ? await openStore({ databaseUrl: api.store.databaseUrl, migrate: false, poolSize: 2 }) : null;
      const other = otherStore ? await startServer({ store: otherStore, port: 0, logger: pino({ level: 'silent' }), rateLimits: limits }) : null;
      try {
        const alice = await api.user('alice@example.com', 'nlp');
        const search = (port: number, token: string) =>
          fetch(`http://127.0.0.1:${port}/api/2.0/mlflow/experiments/search`, { headers: { authorization: `Bearer ${token}` } });
        const ports = [api.server.port, other?.port ?? api.server.port];
        expect((await search(ports[0]!, alice.token)).status).toBe(200);
        expect((await search(ports[1]!, alice.token)).status).toBe(200);
        expect((await alice.request('{ viewer { email } }')).data?.viewer.email).toBe('alice@example.com');
        expect((await search(ports[1]!, alice.token)).status).toBe(200);
        const limited = await search(ports[0]!, alice.token);
        expect(limited.status).toBe(429);
        expect(((await limited.json()) as { message: string }).message).toMatch(/Too many requests with this token; try again in \d+ s/);
        expect((await alice.request('{ viewer { email } }')).errors?.[0]?.extensions?.code).toBe('RATE_LIMITED');

        // A token revoked on one replica is refused by the next request on the other one.
        const bob = await api.user('bob@example.com', 'nlp');
        const { createToken } = await bob.ok(`mutation { createToken(name: "laptop") { token apiToken { id } } }`);
        expect((await search(ports[1]!, createToken.token)).status).toBe(200);
        await bob.ok(`mutation($id: ID!) { revokeToken(id: $id) { id } }`, { id: createToken.apiToken.id });
        const refused = await search(ports[1]!, createToken.token);
        expect(refused.status).toBe(401);
        expect(((await refused.json()) as { error_code: string }).error_code).toBe('UNAUTHENTICATED');
        // So is one that expired.
        const { createToken: expiring } = await bob.ok(`mutation { createToken(name: "ci") { token apiToken { id } } }`);
        expect((await search(ports[0]!, expiring.token)).status).toBe(200);
        await api.store.query(`update api_tokens set expires_at = now() - interval '1 second' where id = $1`, [expiring.apiToken.id]);
        expect((await search(ports[0]!, expiring.token)).status).toBe(401);
      } finally {
        await other?.stop();
        await otherStore?.close();
        await api.close();
      }
    });

    it('counts every request of an address, with or without a valid token', async () => {
      const api = await startTestApi(database, { rateLimits: { tokenRequestsPerMinute: 0, addressRequestsPerMinute: 4, authFailuresPerMinute: 0 } });
      try {
        const alice = await api.user('alice@example.com', 'nlp');
        const search = (token: string) =>
          fetch(`http://127.0.0.1:${api.server.port}/api/2.0/mlflow/experiments/search`, { headers: { authorization: `Bearer ${token}` } });
        expect((await search(alice.token)).status).toBe(200);
        expect((await search('tb_not_a_token')).status).toBe(401);
        expect((await search(alice.token)).status).toBe(200);
        expect((await alice.request('{ viewer { email } }')).status).toBe(200);
        for (const token of [alice.token, 'tb_not_a_token']) {
          const refused = await search(token);
          expect(refused.status).toBe(429);
          expect(((await refused.json()) as { message: string }).message).toMatch(/from your address/);
        }
      } finally {
        await api.close();
      }
    });
  });
