import { writeMlflowFileStore } from '@tuneboard/sdk/import';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, testDatabases, type TestApi, type TestUser } from './harness';
import { IMPORTED_RUNS, projectIdNamed } from './imported-runs';
import { killAllChildren, makeTempDir, runCli } from './process-harness';

// `tuneboard import mlflow`: an MLflow file store (mlruns/) imported through the API, typed, idempotently.

for (const database of testDatabases()) {
  describe(`tuneboard import mlflow on ${database.name}`, () => {
    let api: TestApi;
    let alice: TestUser;
    let store: { path: string; remove(): void };

    beforeAll(async () => {
      api = await startTestApi(database);
      alice = await api.user('alice@example.com', 'ml');
      store = makeTempDir('mlruns');
      writeMlflowFileStore(store.path, [
        {
          id: '0',
          name: 'Default',
          runs: [{ id: 'aaa0', name: 'smoke', params: { epochs: '1' } }],
        },
        {
          id: '7',
          name: 'resnet-sweep',
          runs: [
            {
              id: 'run32',
              name: 'bs32',
              start: 1764000000000,
              end: 1764000600000,
              params: { batch_size: '32', lr: '0.001', optimizer: 'adam', nesterov: 'True', warmup: '2.0', 'model/depth': '50' },
              metrics: {
                loss: [
                  [1764000001000, '0.9', 0],
                  [1764000002000, '0.5', 1],
                  [1764000003000, '0.4', 1],
                ],
                'val/accuracy': [[1764000004000, '0.81', 1]],
              },
              tags: { 'mlflow.note.content': 'The baseline.', team: 'vision' },
            },
            {
              id: 'run256',
              name: 'bs256',
              status: 4,
              params: { batch_size: '256', lr: '0.01', optimizer: 'sgd', nesterov: 'False', warmup: '0.5', 'model/depth': '50' },
              metrics: { loss: [[1764000001000, 'nan', 0]] },
            },
            { id: 'killed', name: 'killed', status: 5, params: { batch_size: '64' } },
            { id: 'gone', name: 'deleted-run', deleted: true, params: { batch_size: '8' } },
          ],
        },
      ]);
    });
    afterEach(killAllChildren);
    afterAll(async () => {
      await api?.close();
      store?.remove();
    });

    const env = () => ({ TUNEBOARD_API_URL: api.server.url, TUNEBOARD_TOKEN: alice.token });
    const projectId = async (name: string) => (await projectIdNamed(alice, name)) as string;

    it('imports each experiment as a project: params typed, metrics, tags, notes and status; deleted runs left out', async () => {
      const result = await runCli(['import', 'mlflow', store.path], env(), 60_000);
      expect(result.code, result.stderr).toBe(0);
      const summary = JSON.parse(result.stdout);
      expect(summary.projects.map((p: any) => [p.project, p.imported])).toEqual([
        ['Default', 1],
        ['resnet-sweep', 3],
      ]);
      expect(result.stderr).toContain('resnet-sweep: 1 deleted runs left out');

      const project = await projectId('resnet-sweep');
      const runs = (await alice.ok(IMPORTED_RUNS, { p: project })).runs.edges.map((e: any) => e.node);
      expect(runs.map((r: any) => [r.name, r.status])).toEqual([
        ['bs256', 'FAILED'],
        ['bs32', 'SUCCEEDED'],
        ['killed', 'CANCELLED'],
      ]);
      const bs32 = runs[1];
      // A key that is not an identifier is one quoted path segment, as MLflow's API gives it too.
      expect(bs32.params).toEqual({ batch_size: 32, lr: 0.001, optimizer: 'adam', nesterov: true, warmup: 2, '["model/depth"]': 50 });
      expect(bs32.paramTypes).toMatchObject({ batch_size: 'integer', lr: 'float', nesterov: 'boolean', warmup: 'float' });
      // Two values at step 1: Tuneboard keeps the last written.
      expect(bs32.metrics).toEqual([
        { key: 'loss', last: 0.4, pointCount: 2 },
        { key: 'val/accuracy', last: 0.81, pointCount: 1 },
      ]);
      expect(bs32.tags).toEqual(['import:mlflow', expect.stringMatching(/^src:/), 'team=vision']);
      expect(bs32.notes).toMatch(
        /^The baseline\.\n\nImported from mlflow:.*run32; started 2025-11-24T16:00:00\.000Z, last written 2025-11-24T16:10:00\.000Z\.$/,
      );
      // MLflow's `nan` stays NaN (the API writes non-finite numbers as strings).
      expect(runs[0].metrics[0].last).toBe('NaN');

      // MLflow's own search refuses `params.batch_size <= '32'`; here the imported params compare as numbers.
      expect((await alice.ok(IMPORTED_RUNS, { p: project, f: 'batch_size <= 64' })).runs.edges.map((e: any) => e.node.name)).toEqual(['bs32', 'killed']);
      expect((await alice.ok(IMPORTED_RUNS, { p: project, f: 'nesterov = true and lr < 0.005' })).runs.totalCount).toBe(1);
    });

    it('imports again without duplicates; --experiment and --project choose what goes where', async () => {
      const again = await runCli(['import', 'mlflow', store.path], env(), 60_000);
      expect(JSON.parse(again.stdout).projects.map((p: any) => [p.project, p.imported, p.alreadyImported])).toEqual([
        ['Default', 0, 1],
        ['resnet-sweep', 0, 3],
      ]);
      const one = await runCli(['import', 'mlflow', store.path, '--experiment', '7', '--project', 'all-in-one'], env(), 60_000);
      expect(JSON.parse(one.stdout).projects).toEqual([expect.objectContaining({ project: 'all-in-one', imported: 3 })]);
      const missing = await runCli(['import', 'mlflow', store.path, '--experiment', 'nope'], env());
      expect(missing.code).toBe(2);
      expect(missing.stderr).toContain('no MLflow experiment "nope" (<id>/meta.yaml) under');
      const notStore = await runCli(['import', 'mlflow', join(store.path, '7', 'run32', 'params')], env());
      expect(notStore.stderr).toContain('no MLflow experiments (<id>/meta.yaml) under');
    });

    it("imports from an MLflow tracking server over REST (here Tuneboard's own MLflow API), with its token", async () => {
      const mlflow = async (endpoint: string, body: Record<string, unknown>) => {
        const response = await fetch(`${api.server.url.replace('/graphql', '')}/api/2.0/mlflow/${endpoint}`, {
          method: 'POST',
          headers: { authorization: `Bearer ${alice.token}`, 'content-type': 'application/json' },
          body: JSON.stringify(body),
        });
        expect(response.status, await response.clone().text()).toBe(200);
        return (await response.json()) as any;
      };
      const { experiment_id } = await mlflow('experiments/create', { name: 'remote-sweep' });
      for (const [name, batch, status] of [
        ['remote-16', '16', 'FINISHED'],
        ['remote-512', '512', 'KILLED'],
      ] as const) {
        const { run } = await mlflow('runs/create', { experiment_id, run_name: name, start_time: 1764000000000 });
        await mlflow('runs/log-batch', {
          run_id: run.info.run_id,
          params: [
            { key: 'batch_size', value: batch },
            { key: 'lr', value: '3e-4' },
          ],
          metrics: [0, 1, 2].map((step) => ({ key: 'loss', value: 1 / (step + 1), timestamp: 1764000000000 + step, step })),
          tags: [{ key: 'stage', value: 'remote' }],
        });
        await mlflow('runs/update', { run_id: run.info.run_id, status, end_time: 1764000009000 });
      }

      const server = api.server.url.replace('/graphql', '');
      const result = await runCli(
        ['import', 'mlflow', server, '--experiment', 'remote-sweep', '--project', 'copied'],
        { ...env(), MLFLOW_TRACKING_TOKEN: alice.token },
        60_000,
      );
      expect(result.code, result.stderr).toBe(0);
      expect(JSON.parse(result.stdout).projects).toEqual([expect.objectContaining({ project: 'copied', imported: 2, points: 6 })]);
      const runs = (await alice.ok(IMPORTED_RUNS, { p: await projectId('copied') })).runs.edges.map((e: any) => e.node);
      expect(runs.map((r: any) => [r.name, r.status, r.params, r.metrics])).toEqual([
        ['remote-16', 'SUCCEEDED', { batch_size: 16, lr: 3e-4 }, [{ key: 'loss', last: expect.closeTo(1 / 3, 6), pointCount: 3 }]],
        ['remote-512', 'CANCELLED', { batch_size: 512, lr: 3e-4 }, [{ key: 'loss', last: expect.closeTo(1 / 3, 6), pointCount: 3 }]],
      ]);
      expect(runs[0].tags).toContain('stage=remote');
      expect(runs[0].notes).toMatch(/Imported from mlflow-server:http:\/\/127\.0\.0\.1:\d+\/#\/experiments\/[0-9a-f-]+\/runs\/[0-9a-f-]+/);

      // The source's refusals come back in one line naming the server; nothing is imported.
      const refused = await runCli(['import', 'mlflow', server, '--project', 'nothing'], { ...env(), MLFLOW_TRACKING_TOKEN: 'not-a-token' });
      expect(refused.code).toBe(1);
      expect(refused.stderr.trim()).toMatch(
        /^tuneboard: The MLflow server at http:\/\/127\.0\.0\.1:\d+ answered experiments\/search with HTTP 401 \(UNAUTHENTICATED: /,
      );
      const unreachable = await runCli(['import', 'mlflow', 'http://127.0.0.1:9', '--project', 'nothing'], env());
      expect(unreachable.stderr).toContain('tuneboard: Cannot reach the MLflow server at http://127.0.0.1:9');
      expect(await projectId('nothing')).toBeUndefined();
    });
  });
}
