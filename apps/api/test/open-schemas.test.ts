import { init, TuneboardClient } from '@tuneboard/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, SUBMIT_RUN, testDatabases, type TestApi, type TestUser } from './harness';

// Projects whose runs are not the built-in trainer's: a declared JSON Schema (versioned) or a schema inferred from the runs.

const CREATE = /* GraphQL */ `
  mutation ($teamId: ID!, $name: String!, $kind: HparamSchemaKind, $schema: JSON) {
    createProject(teamId: $teamId, name: $name, schemaKind: $kind, schema: $schema) {
      id
      hparamSchema {
        kind
        version
      }
    }
  }
`;

const SET_SCHEMA = /* GraphQL */ `
  mutation ($projectId: ID!, $kind: HparamSchemaKind!, $schema: JSON) {
    setProjectSchema(projectId: $projectId, kind: $kind, schema: $schema) {
      id
      hparamSchema {
        kind
        version
        document
        paths {
          path
          type
          runs
          min
          max
          categories
          description
          unit
          scale
        }
      }
    }
  }
`;

const VERSIONS = /* GraphQL */ `
  query ($id: ID!) {
    project(id: $id) {
      runCount
      hparamSchemaVersions {
        version
        document
        createdAt
        createdBy {
          email
        }
        runs
      }
    }
  }
`;

const SCHEMA = /* GraphQL */ `
  query ($id: ID!) {
    project(id: $id) {
      hparamSchema {
        kind
        version
        document
        paths {
          path
          type
          runs
          min
          max
          categories
        }
      }
    }
  }
`;

const RUN = /* GraphQL */ `
  query ($id: ID!) {
    run(id: $id) {
      id
      hparams
      params
      paramTypes
      schemaVersion
      totalSteps
      progress
      derived {
        parameterCount
        layers {
          name
        }
      }
    }
  }
`;

const RUNS = /* GraphQL */ `
  query ($p: ID!, $f: String, $o: RunOrder) {
    runs(projectId: $p, filter: $f, orderBy: $o) {
      totalCount
      nodes {
        name
        params
      }
    }
  }
`;

/** The issue's transformer example: nested optimizer and scheduler, a list of layers. */
const TRANSFORMER_SCHEMA = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  type: 'object',
  additionalProperties: false,
  required: ['model', 'optimizer'],
  properties: {
    model: {
      type: 'object',
      required: ['d_model', 'layers'],
      properties: {
        d_model: { type: 'integer', minimum: 16, maximum: 8192, description: 'Width of the residual stream' },
        layers: {
          type: 'array',
          items: { type: 'object', properties: { heads: { type: 'integer', minimum: 1 }, dropout: { type: 'number', minimum: 0, maximum: 1 } } },
        },
      },
    },
    optimizer: {
      type: 'object',
      properties: {
        name: { enum: ['adamw', 'sgd'] },
        lr: { type: 'number', exclusiveMinimum: 0, maximum: 1, 'x-scale': 'log' },
      },
    },
    scheduler: {
      type: 'object',
      properties: { warmup_ratio: { type: 'number', minimum: 0, maximum: 1, default: 0.1 }, kind: { type: 'string', default: 'cosine' } },
    },
    context: { type: 'integer', 'x-unit': 'tokens' },
  },
};

const TRANSFORMER_CONFIG = {
  model: {
    d_model: 512,
    layers: [
      { heads: 8, dropout: 0.1 },
      { heads: 8, dropout: 0.0 },
    ],
  },
  optimizer: { name: 'adamw', lr: 3e-4 },
  context: 2048,
};

for (const database of testDatabases()) {
  describe(`open hyperparameter schemas on ${database.name}`, () => {
    let api: TestApi;
    let alice: TestUser;
    let viewer: TestUser;
    let bob: TestUser;

    beforeAll(async () => {
      api = await startTestApi(database);
      alice = await api.user('alice@example.com', 'nlp');
      viewer = await api.user('vera@example.com', 'nlp', 'viewer');
      bob = await api.user('bob@example.com', 'other');
    });
    afterAll(() => api?.close());

    const create = async (name: string, kind?: string, schema?: unknown): Promise<string> =>
      (await alice.ok(CREATE, { teamId: alice.teamId, name, kind, schema })).createProject.id;
    const submit = (user: TestUser, input: Record<string, unknown>) => user.request(SUBMIT_RUN, { input: { execution: 'EXTERNAL', ...input } });

    it('keeps existing projects built-in, with the built-in path vocabulary', async () => {
      const id = await create('mnist');
      const { project } = await alice.ok(SCHEMA, { id });
      expect(project.hparamSchema.kind).toBe('BUILTIN');
      expect(project.hparamSchema.version).toBeNull();
      expect(project.hparamSchema.paths).toContainEqual(expect.objectContaining({ path: 'batchSize', type: 'integer' }));
      expect(project.hparamSchema.paths).toContainEqual(
        expect.objectContaining({ path: 'optimizer.name', categories: ['sgd', 'momentum', 'adam', 'rmsprop'] }),
      );
    });

    describe('a declared schema (transformer)', () => {
      let project: string;
      beforeAll(async () => {
        project = await create('transformer', 'DECLARED', TRANSFORMER_SCHEMA);
      });

      it('answers its version, document and typed paths', async () => {
        const { hparamSchema } = (await alice.ok(SCHEMA, { id: project })).project;
        expect(hparamSchema.kind).toBe('DECLARED');
        expect(hparamSchema.version).toBe(1);
        expect(hparamSchema.document).toEqual(TRANSFORMER_SCHEMA);
        const byPath = Object.fromEntries(hparamSchema.paths.map((p: any) => [p.path, p]));
        expect(byPath['model.d_model']).toMatchObject({ type: 'integer', min: 16, max: 8192 });
        expect(byPath['model.layers[].heads']).toMatchObject({ type: 'integer', min: 1 });
        expect(byPath['optimizer.name']).toMatchObject({ type: 'string', categories: ['adamw', 'sgd'] });
      });

      it('stores a valid config with defaults applied, its types and the version', async () => {
        // Defaults fill in keys of objects that are present (JSON Schema's rule): scheduler {} gets both.
        const { data, errors } = await submit(alice, { projectId: project, hparamsText: JSON.stringify({ ...TRANSFORMER_CONFIG, scheduler: {} }) });
        expect(errors).toBeUndefined();
        const { run } = await alice.ok(RUN, { id: data!.submitRun.run.id });
        expect(run.schemaVersion).toBe(1);
        expect(run.hparams.scheduler).toEqual({ warmup_ratio: 0.1, kind: 'cosine' });
        expect(run.params).toMatchObject({ 'model.d_model': 512, 'model.layers[1].heads': 8, 'optimizer.lr': 3e-4, 'scheduler.warmup_ratio': 0.1 });
        expect(run.paramTypes).toMatchObject({ 'model.d_model': 'integer', 'optimizer.lr': 'float', 'model.layers[1].dropout': 'float' });
        // Built-in facts do not exist for an open config: safe empty values, no crash.
        expect(run).toMatchObject({ totalSteps: 0, progress: null, derived: { parameterCount: 0, layers: [] } });
        expect(data!.submitRun.run.name).toMatch(/^transformer-\d{8}-\d{4}-[0-9a-f]{1,4}$/);
      });

      it('refuses a bad config with every problem at its path', async () => {
        const bad = {
          model: { d_model: 8, layers: [{ heads: 0 }, { heads: 2.5, dropout: 2 }] },
          optimizer: { name: 'adam', lr: -1 },
          extra: true,
        };
        const { errors } = await submit(alice, { projectId: project, hparams: bad });
        expect(errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
        const paths = errors![0]!.extensions!.problems!.map((p) => p.path).sort();
        expect(paths).toEqual(
          [
            'hparams.extra',
            'hparams.model.d_model',
            'hparams.model.layers[0].heads',
            'hparams.model.layers[1].dropout',
            'hparams.model.layers[1].heads',
            'hparams.optimizer.lr',
            'hparams.optimizer.name',
          ].sort(),
        );
      });

      it('checkRun reports the same problems without storing anything', async () => {
        const check = `query($input: SubmitRunInput!) { checkRun(input: $input) { problems { path message } warnings { code } } }`;
        const bad = await alice.ok(check, { input: { projectId: project, execution: 'EXTERNAL', hparamsText: '{"model": {"d_model": 8, "layers": []}}' } });
        expect(bad.checkRun.problems.map((p: any) => p.path).sort()).toEqual(['hparams.model.d_model', 'hparams.optimizer']);
        const good = await alice.ok(check, { input: { projectId: project, execution: 'EXTERNAL', hparams: TRANSFORMER_CONFIG } });
        expect(good.checkRun).toEqual({ problems: [], warnings: [] });
      });

      it('refuses a QUEUE run: workers train only the built-in schema', async () => {
        const { errors } = await alice.request(SUBMIT_RUN, { input: { projectId: project, hparams: TRANSFORMER_CONFIG } });
        expect(errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
        expect(errors?.[0]?.message).toMatch(/workers train only the built-in schema/);
        expect(errors?.[0]?.extensions?.problems).toEqual([expect.objectContaining({ path: 'execution' })]);
      });

      it('keeps old runs valid and readable with their version when the schema changes', async () => {
        const before = (await submit(alice, { projectId: project, hparams: TRANSFORMER_CONFIG })).data!.submitRun.run.id;
        // Version 2 requires a key the old runs do not have and narrows d_model below theirs.
        const v2 = structuredClone(TRANSFORMER_SCHEMA) as any;
        v2.required = ['model', 'optimizer', 'seed'];
        v2.properties.seed = { type: 'integer' };
        v2.properties.model.properties.d_model.maximum = 256;
        const set = await alice.ok(SET_SCHEMA, { projectId: project, kind: 'DECLARED', schema: v2 });
        expect(set.setProjectSchema.hparamSchema.version).toBe(2);
        // The same document again is not a new version.
        expect((await alice.ok(SET_SCHEMA, { projectId: project, kind: 'DECLARED', schema: v2 })).setProjectSchema.hparamSchema.version).toBe(2);
        expect((await alice.ok(RUN, { id: before })).run).toMatchObject({ schemaVersion: 1, params: { 'model.d_model': 512 } });
        const refused = await submit(alice, { projectId: project, hparams: TRANSFORMER_CONFIG });
        expect(refused.errors?.[0]?.extensions?.problems?.map((p) => p.path).sort()).toEqual(['hparams.model.d_model', 'hparams.seed']);
        const after = await submit(alice, { projectId: project, hparams: { ...TRANSFORMER_CONFIG, model: { d_model: 256, layers: [] }, seed: 7 } });
        expect(after.errors).toBeUndefined();
        expect((await alice.ok(RUN, { id: after.data!.submitRun.run.id })).run.schemaVersion).toBe(2);
        // Old runs are still listed and filterable by the paths they have.
        const listed = await alice.ok(RUNS, { p: project, f: 'model.d_model >= 512' });
        expect(listed.runs.totalCount).toBe(2);
        // The version history: newest first, who wrote each, and the runs each one validated.
        const history = await alice.ok(VERSIONS, { id: project });
        const { runCount, hparamSchemaVersions: versions } = history.project;
        expect(versions.map((v: { version: number }) => v.version)).toEqual([2, 1]);
        expect(versions[0]).toMatchObject({ runs: 1, createdBy: { email: 'alice@example.com' }, document: { required: ['model', 'optimizer', 'seed'] } });
        expect(versions[1].runs).toBe(runCount - 1);
        expect(versions[1].document.properties.seed).toBeUndefined();
      });

      it('refuses an invalid JSON Schema with the path of each problem', async () => {
        const { errors } = await alice.request(SET_SCHEMA, {
          projectId: project,
          kind: 'DECLARED',
          schema: { type: 'object', properties: { lr: { type: 'numbr' }, tags: { type: 'object', patternProperties: { '^x': { type: 'string' } } } } },
        });
        expect(errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
        const problems = errors![0]!.extensions!.problems!;
        expect(problems.every((p) => p.path.startsWith('schema.'))).toBe(true);
        expect(problems.map((p) => p.path)).toContainEqual(expect.stringContaining('properties.lr'));
        expect((await alice.ok(SCHEMA, { id: project })).project.hparamSchema.version).toBe(2);
      });

      it('lets only owners and members change the schema, and hides other teams’ projects', async () => {
        const asViewer = await viewer.request(SET_SCHEMA, { projectId: project, kind: 'INFERRED' });
        expect(asViewer.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
        const asOutsider = await bob.request(SET_SCHEMA, { projectId: project, kind: 'INFERRED' });
        expect(asOutsider.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
        const submitOutsider = await submit(bob, { projectId: project, hparams: TRANSFORMER_CONFIG });
        expect(submitOutsider.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
        expect((await bob.request(SCHEMA, { id: project })).errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
      });
    });

    describe('an XGBoost-style declared schema', () => {
      it('filters and sorts runs numerically on an open path', async () => {
        const project = await create('xgb', 'DECLARED', {
          type: 'object',
          properties: {
            max_depth: { type: 'integer', minimum: 1, maximum: 32 },
            eta: { type: 'number', exclusiveMinimum: 0, maximum: 1 },
            subsample: { type: 'number', minimum: 0.1, maximum: 1 },
          },
          required: ['max_depth', 'eta'],
        });
        for (const [depth, eta] of [
          [3, 0.3],
          [6, 0.1],
          [8, 0.05],
          [12, 0.01],
        ] as const)
          await alice.ok(SUBMIT_RUN, {
            input: { projectId: project, execution: 'EXTERNAL', name: `d${depth}`, hparams: { max_depth: depth, eta, subsample: 0.8 } },
          });
        const shallow = await alice.ok(RUNS, { p: project, f: 'max_depth <= 6', o: { field: 'PARAM', path: 'max_depth', direction: 'ASC' } });
        expect(shallow.runs.totalCount).toBe(2);
        expect(shallow.runs.nodes.map((n: any) => n.name)).toEqual(['d3', 'd6']);
        expect((await alice.ok(RUNS, { p: project, f: 'eta < 0.1 and max_depth > 6' })).runs.totalCount).toBe(2);
        const unknown = await alice.request(RUNS, { p: project, f: 'batchSize <= 32' });
        expect(unknown.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
        const schema = (await alice.ok(SCHEMA, { id: project })).project.hparamSchema;
        expect(schema.paths.find((p: any) => p.path === 'max_depth')).toMatchObject({ type: 'integer', runs: 4 });

        // A finding over the open paths: written against the project's vocabulary, judged on every new run.
        const finding = await alice.ok(`mutation($input: FindingInput!) { createFinding(input: $input) { id rule ruleParams } }`, {
          input: { projectId: project, title: 'Shallow trees generalise', rule: 'max_depth <= 6', metric: { key: 'valid/auc', direction: 'HIGHER' } },
        });
        expect(finding.createFinding).toMatchObject({ rule: 'max_depth <= 6', ruleParams: ['max_depth'] });
        const deep = await alice.ok(SUBMIT_RUN, { input: { projectId: project, execution: 'EXTERNAL', hparams: { max_depth: 16, eta: 0.1 } } });
        expect(deep.submitRun.warnings).toEqual([expect.objectContaining({ code: 'FINDING_VIOLATED', message: expect.stringContaining('max_depth = 16') })]);
        const typo = await alice.request(`mutation($input: FindingInput!) { createFinding(input: $input) { id } }`, {
          input: { projectId: project, title: 'x', rule: 'batchSize <= 6', metric: { key: 'valid/auc', direction: 'HIGHER' } },
        });
        expect(typo.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      });
    });

    describe('an inferred schema (RL)', () => {
      let project: string;
      beforeAll(async () => {
        project = await create('ppo', 'INFERRED');
      });

      it('accepts any config and keeps integer apart from float (2.0 stays a float)', async () => {
        const text = '{"env": {"id": "CartPole-v1", "num_envs": 8}, "algo": {"gamma": 0.99, "clip": 2.0, "epochs": 4}, "normalize": true, "seed": null}';
        const { data, errors } = await submit(alice, { projectId: project, hparamsText: text });
        expect(errors).toBeUndefined();
        expect(data!.submitRun.warnings).toEqual([]);
        const { run } = await alice.ok(RUN, { id: data!.submitRun.run.id });
        expect(run.schemaVersion).toBeNull();
        expect(run.paramTypes).toEqual({
          'env.id': 'string',
          'env.num_envs': 'integer',
          'algo.gamma': 'float',
          'algo.clip': 'float',
          'algo.epochs': 'integer',
          normalize: 'boolean',
          seed: 'null',
        });
        const schema = (await alice.ok(SCHEMA, { id: project })).project.hparamSchema;
        expect(schema).toMatchObject({ kind: 'INFERRED', version: null });
        expect(schema.paths).toContainEqual(expect.objectContaining({ path: 'algo.clip', type: 'float', runs: 1, min: 2, max: 2 }));
        expect(schema.paths).toContainEqual(expect.objectContaining({ path: 'env.id', type: 'string', categories: ['CartPole-v1'] }));
      });

      it('warns on a type that contradicts the learned one, naming the path and both types', async () => {
        const text = '{"env": {"id": "Pendulum-v1", "num_envs": 8.5}, "algo": {"gamma": 0.95, "clip": 1, "epochs": 3}}';
        const { data, errors } = await submit(alice, { projectId: project, hparamsText: text });
        expect(errors).toBeUndefined();
        const warnings = data!.submitRun.warnings;
        expect(warnings.map((w: any) => w.code)).toEqual(['TYPE_CONTRADICTS', 'TYPE_CONTRADICTS']);
        expect(warnings[0].message).toMatch(/env\.num_envs was integer in 1 run; this run has float 8\.5/);
        expect(warnings[1].message).toMatch(/algo\.clip was float in 1 run; this run has integer 1/);
        expect((await alice.ok(RUNS, { p: project, f: 'algo.gamma >= 0.98' })).runs.totalCount).toBe(1);
      });

      it('learns every run of concurrent submits', async () => {
        await Promise.all(Array.from({ length: 6 }, (_, i) => submit(alice, { projectId: project, hparams: { algo: { gamma: 0.9, epochs: i + 1 } } })));
        const schema = (await alice.ok(SCHEMA, { id: project })).project.hparamSchema;
        expect(schema.paths.find((p: any) => p.path === 'algo.gamma').runs).toBe(8);
      });

      it('gives each of concurrent submits (learned together in one transaction) the warnings it would get alone', async () => {
        const sweep = await create('sweep', 'INFERRED');
        // Half the runs log `width` as an integer, half as a float: whichever is learned first, the others contradict it.
        const results = await Promise.all(
          Array.from({ length: 12 }, (_, i) =>
            submit(alice, { projectId: sweep, hparamsText: `{"width": ${i % 2 === 0 ? `${i}` : `${i}.5`}, "trial": ${i}}` }),
          ),
        );
        for (const result of results) expect(result.errors).toBeUndefined();
        const schema = (await alice.ok(SCHEMA, { id: sweep })).project.hparamSchema;
        const width = schema.paths.find((p: any) => p.path === 'width');
        expect(width.runs).toBe(12);
        const warned = results.filter((r) => r.data!.submitRun.warnings.length > 0);
        expect(warned).toHaveLength(6);
        for (const result of warned)
          expect(result.data!.submitRun.warnings[0].message).toMatch(new RegExp(`^width was ${width.type} in \\d+ runs?; this run has`));
        const ids = new Set(results.map((r) => r.data!.submitRun.run.id));
        expect(ids.size).toBe(12);
        expect((await alice.ok(RUNS, { p: sweep, f: 'trial >= 0' })).runs.totalCount).toBe(12);
      });

      it('keeps a run that fails in a shared transaction from failing the runs it shared it with', async () => {
        const sweep = await create('sweep-with-a-bad-run', 'INFERRED');
        // PostgreSQL's jsonb refuses the NUL character, so this run's insert fails inside the database.
        const results = await Promise.all(
          Array.from({ length: 6 }, (_, i) => submit(alice, { projectId: sweep, hparams: { trial: i, note: i === 3 ? 'a\u0000b' : 'ok' } })),
        );
        expect(results.map((r) => r.errors === undefined)).toEqual([true, true, true, false, true, true]);
        const schema = (await alice.ok(SCHEMA, { id: sweep })).project.hparamSchema;
        expect(schema.paths.find((p: any) => p.path === 'trial').runs).toBe(5);
        expect((await alice.ok(RUNS, { p: sweep, f: 'trial >= 0' })).runs.totalCount).toBe(5);
      });

      it('promotes to a declared schema in one call; old runs keep their data', async () => {
        const promoted = await alice.ok(
          /* GraphQL */ `
            mutation ($id: ID!) {
              promoteInferredSchema(projectId: $id) {
                hparamSchema {
                  kind
                  version
                  paths {
                    path
                    type
                  }
                }
              }
            }
          `,
          { id: project },
        );
        expect(promoted.promoteInferredSchema.hparamSchema).toMatchObject({ kind: 'DECLARED', version: 1 });
        expect(promoted.promoteInferredSchema.hparamSchema.paths).toContainEqual({ path: 'algo.gamma', type: 'float' });
        const again = await submit(alice, { projectId: project, hparams: { env: { id: 'x', num_envs: 2 }, algo: { gamma: 0.5, epochs: 1 } } });
        expect(again.errors).toBeUndefined();
        expect((await alice.ok(RUNS, { p: project, f: 'algo.gamma >= 0.98' })).runs.totalCount).toBe(1);
        // A later version that declares less: the paths runs taught stay listed (and filterable), with their counts.
        const narrowed = await alice.ok(SET_SCHEMA, {
          projectId: project,
          kind: 'DECLARED',
          schema: { type: 'object', properties: { algo: { type: 'object', properties: { gamma: { type: 'number' } } } } },
        });
        const paths = narrowed.setProjectSchema.hparamSchema.paths;
        expect(paths).toContainEqual(expect.objectContaining({ path: 'algo.gamma', type: 'float', runs: expect.any(Number) }));
        expect(paths).toContainEqual(expect.objectContaining({ path: 'env.num_envs', type: 'integer', runs: expect.any(Number) }));
        expect((await alice.ok(RUNS, { p: project, f: 'env.num_envs >= 2' })).runs.totalCount).toBeGreaterThan(0);
      });

      it('reports hparamsText that is not JSON with its line and column, and configs over the limits', async () => {
        const broken = await submit(alice, { projectId: project, hparamsText: '{\n  "lr": 0.1,\n  "depth": }' });
        expect(broken.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
        expect(broken.errors?.[0]?.message).toMatch(/line 3, column \d+/);
        const wide = Object.fromEntries(Array.from({ length: 2001 }, (_, i) => [`p${i}`, i]));
        const tooWide = await submit(alice, { projectId: project, hparams: wide });
        expect(tooWide.errors?.[0]?.message).toMatch(/more than the limit of 2,000 paths/);
        let deep: any = 1;
        for (let i = 0; i < 20; i++) deep = { k: deep };
        const tooDeep = await submit(alice, { projectId: project, hparams: deep });
        expect(tooDeep.errors?.[0]?.extensions?.problems?.[0]?.message).toMatch(/levels deep/);
        const longKey = await submit(alice, { projectId: project, hparams: { ['k'.repeat(201)]: 1 } });
        expect(longKey.errors?.[0]?.extensions?.problems?.[0]?.message).toMatch(/characters long/);
      });
    });

    it('logs a run of any config through the SDK: init({ project, config }) creates an inferred project', async () => {
      const client = new TuneboardClient({ url: api.server.url, token: alice.token });
      const run = await init({ client, project: 'sdk-rl', config: { env: 'HalfCheetah-v4', gamma: 0.99, steps: 1_000_000, layers: [256, 256] } });
      run.log({ 'episode/return': 12.5 });
      await run.finish();
      const { run: stored } = await alice.ok(RUN, { id: run.id });
      expect(stored.paramTypes).toEqual({ env: 'string', gamma: 'float', steps: 'integer', 'layers[0]': 'integer', 'layers[1]': 'integer' });
      const projects = await alice.ok(`{ projects { name hparamSchema { kind } } }`);
      expect(projects.projects).toContainEqual({ name: 'sdk-rl', hparamSchema: { kind: 'INFERRED' } });
      // A declared project validates what the SDK sends.
      const xgb = await init({ client, project: 'xgb', config: { max_depth: 4, eta: 0.2 } });
      await xgb.finish();
      await expect(init({ client, project: 'xgb', config: { max_depth: 0.5, eta: 2 } })).rejects.toMatchObject({ code: 'BAD_USER_INPUT' });
    });

    it('refuses a declared project without a schema, and a schema for another kind', async () => {
      const noDoc = await alice.request(CREATE, { teamId: alice.teamId, name: 'nodoc', kind: 'DECLARED' });
      expect(noDoc.errors?.[0]?.extensions?.problems).toEqual([expect.objectContaining({ path: 'schema' })]);
      const stray = await alice.request(CREATE, { teamId: alice.teamId, name: 'stray', kind: 'INFERRED', schema: { type: 'object' } });
      expect(stray.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    });
  });
}
