import { writeMlflowFileStore } from '@tuneboard/sdk/import';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, testDatabases, type TestApi, type TestUser } from './harness';
import { killAllChildren, makeTempDir, runCli } from './process-harness';

// `tuneboard import mlflow`: an MLflow file store (mlruns/) imported through the API, typed, idempotently.

const RUNS = /* GraphQL */ `
  query ($p: ID!, $f: String) {
    runs(projectId: $p, filter: $f, first: 100, orderBy: { field: NAME, direction: ASC }) {
      totalCount
      edges {
        node {
          name
          status
          error
          tags
          notes
          params
          paramTypes
          metrics {
            key
            last
            pointCount
          }
        }
      }
    }
  }
`;

const PROJECTS = /* GraphQL */ `
  query {
    projects {
      id
      name
      hparamSchema {
        kind
      }
    }
  }
`;

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
    const projectId = async (name: string) => (await alice.ok(PROJECTS)).projects.find((p: { name: string }) => p.name === name)?.id as string;

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
      const runs = (await alice.ok(RUNS, { p: project })).runs.edges.map((e: any) => e.node);
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
      expect((await alice.ok(RUNS, { p: project, f: 'batch_size <= 64' })).runs.edges.map((e: any) => e.node.name)).toEqual(['bs32', 'killed']);
      expect((await alice.ok(RUNS, { p: project, f: 'nesterov = true and lr < 0.005' })).runs.totalCount).toBe(1);
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
  });
}
