import { TuneboardClient } from '@tuneboard/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CREATE_PROJECT, MLP_CONFIG, startTestApi, testDatabases, type TestApi, type TestUser } from './harness';

// submitRuns: many runs of one project in one request and one transaction (a sweep's grid, an import).

const SUBMIT_RUNS = /* GraphQL */ `
  mutation ($input: SubmitRunsInput!) {
    submitRuns(input: $input) {
      runs {
        run {
          id
          name
          status
          tags
          params
        }
        warnings {
          code
          message
        }
      }
    }
  }
`;

const CREATE_OPEN = /* GraphQL */ `
  mutation ($teamId: ID!, $name: String!, $kind: HparamSchemaKind, $schema: JSON) {
    createProject(teamId: $teamId, name: $name, schemaKind: $kind, schema: $schema) {
      id
    }
  }
`;

const RUNS = /* GraphQL */ `
  query ($p: ID!, $f: String) {
    runs(projectId: $p, filter: $f, first: 100) {
      totalCount
      edges {
        node {
          name
          status
          params
        }
      }
    }
  }
`;

const PATH_TYPES = /* GraphQL */ `
  query ($id: ID!) {
    project(id: $id) {
      hparamSchema {
        paths {
          path
          type
          runs
        }
      }
    }
  }
`;

const CREATE_FINDING = /* GraphQL */ `
  mutation ($input: FindingInput!) {
    createFinding(input: $input) {
      id
    }
  }
`;

const XGB_SCHEMA = {
  type: 'object',
  properties: {
    max_depth: { type: 'integer', minimum: 1, maximum: 32 },
    eta: { type: 'number', exclusiveMinimum: 0, maximum: 1 },
  },
  required: ['max_depth', 'eta'],
};

for (const database of testDatabases()) {
  describe(`submitRuns on ${database.name}`, () => {
    let api: TestApi;
    let alice: TestUser;
    let viewer: TestUser;
    let bob: TestUser;

    beforeAll(async () => {
      api = await startTestApi(database);
      alice = await api.user('alice@example.com', 'ml');
      viewer = await api.user('vera@example.com', 'ml', 'viewer');
      bob = await api.user('bob@example.com', 'other');
    });
    afterAll(() => api?.close());

    const create = async (name: string, kind?: string, schema?: unknown): Promise<string> =>
      (await alice.ok(CREATE_OPEN, { teamId: alice.teamId, name, kind, schema })).createProject.id;
    const count = async (projectId: string) => (await alice.ok(RUNS, { p: projectId })).runs.totalCount as number;

    it('stores every run of an inferred batch in order, typed, each with the warnings it would get alone', async () => {
      const project = await create('sweep', 'INFERRED');
      const result = await alice.ok(SUBMIT_RUNS, {
        input: {
          projectId: project,
          execution: 'EXTERNAL',
          runs: [
            { name: 'a', hparamsText: '{"lr": 0.001, "width": 2.0, "depth": 4}', tags: ['grid'] },
            { name: 'b', hparamsText: '{"lr": 0.01, "width": 3.5, "depth": 8}' },
            // width as an integer, after two runs that learned it as a float: a warning for this run alone.
            { name: 'c', hparamsText: '{"lr": 0.1, "width": 4, "depth": 16}' },
          ],
        },
      });
      const runs = result.submitRuns.runs;
      expect(runs.map((r: any) => r.run.name)).toEqual(['a', 'b', 'c']);
      expect(runs.map((r: any) => r.run.status)).toEqual(['RUNNING', 'RUNNING', 'RUNNING']);
      expect(runs[0].run.tags).toEqual(['grid']);
      expect(runs[0].warnings).toEqual([]);
      expect(runs[1].warnings).toEqual([]);
      expect(runs[2].warnings).toEqual([expect.objectContaining({ code: 'TYPE_CONTRADICTS', message: expect.stringMatching(/^width was float in 2 runs/) })]);
      const paths = (await alice.ok(PATH_TYPES, { id: project })).project.hparamSchema.paths;
      expect(paths).toContainEqual({ path: 'depth', type: 'integer', runs: 3 });
      expect(paths).toContainEqual(expect.objectContaining({ path: 'lr', type: 'float', runs: 3 }));
      // Typed values: the filter compares numbers, and 2.0 stayed a float.
      const small = await alice.ok(RUNS, { p: project, f: 'lr <= 0.01' });
      expect(small.runs.totalCount).toBe(2);
      expect(runs[0].run.params.width).toBe(2);
    });

    it('refuses a whole declared batch when one run is invalid, naming each problem by its run, and stores nothing', async () => {
      const project = await create('xgb', 'DECLARED', XGB_SCHEMA);
      const refused = await alice.request(SUBMIT_RUNS, {
        input: {
          projectId: project,
          execution: 'EXTERNAL',
          runs: [
            { hparams: { max_depth: 6, eta: 0.3 } },
            { hparams: { max_depth: 0, eta: 0.3 } },
            { hparams: { max_depth: 6, eta: 0.1 } },
            { hparams: { max_depth: 6, eta: 2 }, tags: [''] },
          ],
        },
      });
      const error = refused.errors?.[0];
      expect(error?.extensions?.code).toBe('BAD_USER_INPUT');
      expect(error?.message).toMatch(/^2 of 4 runs are invalid, so none was submitted: runs\[1\]\.hparams\.max_depth: /);
      const paths = error?.extensions?.problems?.map((p) => p.path);
      expect(paths).toEqual(expect.arrayContaining(['runs[1].hparams.max_depth', 'runs[3].hparams.eta']));
      expect(await count(project)).toBe(0);

      const stored = await alice.ok(SUBMIT_RUNS, {
        input: { projectId: project, execution: 'EXTERNAL', runs: [{ hparams: { max_depth: 6, eta: 0.3 } }, { hparams: { max_depth: 12, eta: 0.05 } }] },
      });
      expect(stored.submitRuns.runs).toHaveLength(2);
      expect((await alice.ok(RUNS, { p: project, f: 'max_depth > 8' })).runs.edges.map((e: any) => e.node.params.max_depth)).toEqual([12]);
    });

    it('queues a built-in grid for the workers, and refuses it whole on a bad config', async () => {
      const project = (await alice.ok(CREATE_PROJECT, { teamId: alice.teamId, name: 'mnist-grid' })).createProject.id;
      const grid = [8, 32, 128].map((batchSize) => ({ hparams: { ...MLP_CONFIG, batchSize } }));
      const queued = await alice.ok(SUBMIT_RUNS, { input: { projectId: project, runs: grid, requirements: { backends: ['cpu'] }, maxAttempts: 2 } });
      expect(queued.submitRuns.runs.map((r: any) => [r.run.status, r.run.params.batchSize])).toEqual([
        ['QUEUED', 8],
        ['QUEUED', 32],
        ['QUEUED', 128],
      ]);
      expect(queued.submitRuns.runs[1].run.name).toBe('mnist-mlp-adam-lr1e-3-bs32');

      const bad = await alice.request(SUBMIT_RUNS, {
        input: { projectId: project, runs: [{ hparams: MLP_CONFIG }, { hparams: { ...MLP_CONFIG, batchSize: -1 } }] },
      });
      expect(bad.errors?.[0]?.extensions?.problems).toContainEqual(expect.objectContaining({ path: 'runs[1].hparams.batchSize' }));
      expect(await count(project)).toBe(3);
    });

    it('refuses a batch with a run that breaks a policy unless it gives a reason, which each such run records', async () => {
      const project = (await alice.ok(CREATE_PROJECT, { teamId: alice.teamId, name: 'policy-grid' })).createProject.id;
      await alice.ok(CREATE_FINDING, {
        input: {
          projectId: project,
          title: 'Small batches',
          rule: 'batchSize <= 64',
          metric: { key: 'test.accuracy', direction: 'HIGHER' },
          severity: 'POLICY',
        },
      });
      const runs = [32, 256].map((batchSize) => ({ hparams: { ...MLP_CONFIG, batchSize } }));
      const refused = await alice.request(SUBMIT_RUNS, { input: { projectId: project, runs } });
      expect(refused.errors?.[0]?.extensions?.code).toBe('POLICY_VIOLATION');
      expect(refused.errors?.[0]?.message).toMatch(
        /^runs\[1\]: This run breaks a policy of the team: "Small batches" \(batchSize <= 64\)\..* Nothing was submitted\.$/,
      );
      expect(await count(project)).toBe(0);

      const overridden = await alice.ok(SUBMIT_RUNS, { input: { projectId: project, runs, overrideReason: 'checking the large-batch end of the grid' } });
      expect(overridden.submitRuns.runs[0].warnings).toEqual([]);
      expect(overridden.submitRuns.runs[1].warnings).toEqual([
        expect.objectContaining({ code: 'POLICY_OVERRIDDEN', message: expect.stringContaining('Overridden: checking the large-batch end of the grid') }),
      ]);
    });

    it('takes 1 to 1,000 runs and says so', async () => {
      const project = await create('limits', 'INFERRED');
      const none = await alice.request(SUBMIT_RUNS, { input: { projectId: project, execution: 'EXTERNAL', runs: [] } });
      expect(none.errors?.[0]?.message).toBe('submitRuns takes 1 to 1,000 runs, got 0');
      expect(none.errors?.[0]?.extensions?.problems).toEqual([{ path: 'runs', message: 'must have 1 to 1000 runs' }]);
      const many = Array.from({ length: 1001 }, (_, i) => ({ hparams: { trial: i } }));
      const tooMany = await alice.request(SUBMIT_RUNS, { input: { projectId: project, execution: 'EXTERNAL', runs: many } });
      expect(tooMany.errors?.[0]?.message).toBe('submitRuns takes 1 to 1,000 runs, got 1001');
      expect(await count(project)).toBe(0);
      // QUEUE is the built-in trainer's: an open project's batch must say EXTERNAL, as submitRun must.
      const queued = await alice.request(SUBMIT_RUNS, { input: { projectId: project, runs: [{ hparams: { trial: 1 } }] } });
      expect(queued.errors?.[0]?.extensions?.problems).toEqual([{ path: 'execution', message: 'must be EXTERNAL for a project whose schema is not built-in' }]);
    });

    it('keeps other teams and viewers out', async () => {
      const project = await create('private', 'INFERRED');
      const input = { projectId: project, execution: 'EXTERNAL', runs: [{ hparams: { trial: 1 } }] };
      expect((await bob.request(SUBMIT_RUNS, { input })).errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
      expect((await viewer.request(SUBMIT_RUNS, { input })).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
      expect(await count(project)).toBe(0);
    });

    it('counts what the answer selects for every run of the batch against the query cost limit', async () => {
      const project = await create('costly', 'INFERRED');
      // An expensive field (a log search) for each of 20 runs is 20 expensive fields, over the limit of 10: refused
      // before anything is stored. For one run it is one, and allowed.
      const query = `mutation ($input: SubmitRunsInput!) { submitRuns(input: $input) { runs { run { logs(search: "x") { total } } } } }`;
      const runs = (n: number) => Array.from({ length: n }, (_, i) => ({ hparams: { trial: i } }));
      const costly = await alice.request(query, { input: { projectId: project, execution: 'EXTERNAL', runs: runs(20) } });
      expect(costly.status).toBe(400);
      expect(costly.errors?.[0]?.extensions?.code).toBe('QUERY_TOO_COMPLEX');
      // The refusal names the fields that are expensive, not every weighted one (submitRuns' own weight is a size).
      expect(costly.errors?.[0]?.message).toMatch(/^This query asks for expensive fields \([^)]*Run\.logs[^)]*\) 20 times/);
      expect(costly.errors?.[0]?.message).not.toMatch(/submitRuns|SubmitRun/);
      expect(await count(project)).toBe(0);
      const one = await alice.ok(query, { input: { projectId: project, execution: 'EXTERNAL', runs: runs(1) } });
      expect(one.submitRuns.runs).toEqual([{ run: { logs: { total: 0 } } }]);
    });

    it('is what the SDK sends for a batch', async () => {
      const project = await create('sdk-batch', 'INFERRED');
      const client = new TuneboardClient({ url: api.server.url, token: alice.token });
      const runs = await client.submitRuns({
        projectId: project,
        execution: 'EXTERNAL',
        runs: Array.from({ length: 250 }, (_, i) => ({ name: `trial-${i}`, hparamsText: `{"trial": ${i}, "lr": ${(i + 1) / 1000}}` })),
      });
      expect(runs).toHaveLength(250);
      expect(runs[249]!.run.name).toBe('trial-249');
      expect((await alice.ok(RUNS, { p: project, f: 'lr <= 0.1' })).runs.totalCount).toBe(100);
    });
  });
}
