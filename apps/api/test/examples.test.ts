import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { METRIC_SERIES, startTestApi, testDatabases, type TestApi, type TestUser } from './harness';
import { killAllChildren, makeTempDir, runCli } from './process-harness';

// The three example projects of examples/open-schemas, as a team would use them: every run tracked with
// `tuneboard run` around a script that prints JSON lines (Node, and plain shell for XGBoost), then filtered on typed
// paths, compared, and summed up in a finding whose evidence is those runs.

const EXAMPLES = fileURLToPath(new URL('../../../examples/open-schemas', import.meta.url));

const PROJECT_RUNS = /* GraphQL */ `
  query ($p: ID!, $f: String, $ids: [ID!], $order: RunOrder) {
    project(id: $p) {
      hparamSchema {
        kind
        paths {
          path
          type
          runs
        }
      }
      runs(filter: $f, ids: $ids, orderBy: $order, first: 50) {
        totalCount
        nodes {
          id
          name
          status
          params
          paramTypes
          metrics {
            key
            last
          }
        }
      }
    }
  }
`;
const CREATE_FINDING = /* GraphQL */ `
  mutation ($input: FindingInput!) {
    createFinding(input: $input) {
      id
      ruleParams
      evidence {
        satisfying {
          runCount
          best {
            run {
              name
            }
            value
          }
        }
        violating {
          runCount
          excludedNonFinite
        }
        points {
          side
          cited
          run {
            name
          }
          ruleParams
        }
      }
    }
  }
`;

const [database] = testDatabases();

describe('the open-schema examples, tracked with tuneboard run', () => {
  let api: TestApi;
  let alice: TestUser;
  let spool: { path: string; remove(): void };
  let env: Record<string, string>;

  beforeAll(async () => {
    api = await startTestApi(database!);
    alice = await api.user('alice@example.com', 'ml');
    spool = makeTempDir('examples');
    env = { TUNEBOARD_API_URL: api.server.url, TUNEBOARD_TOKEN: alice.token, TUNEBOARD_SPOOL_DIR: spool.path };
  });
  afterEach(killAllChildren);
  afterAll(async () => {
    await api?.close();
    spool?.remove();
  });

  /** One `tuneboard run` from the example's directory, as its README shows; the run's id. */
  async function track(example: string, project: string, name: string, sets: string[], command: string[], expectedCode = 0): Promise<string> {
    const args = ['run', '--project', project, '--config', `${EXAMPLES}/${example}/config.json`, '--name', name, '--system-interval', '0'];
    for (const set of sets) args.push('--set', set);
    const result = await runCli([...args, '--', ...command.map((part) => part.replace('<dir>', `${EXAMPLES}/${example}`))], env, 60_000);
    expect(result.code, result.stderr).toBe(expectedCode);
    return /\(([0-9a-f-]{36})\)/.exec(result.stderr)![1]!;
  }

  const projectId = async (name: string) => (await alice.ok(`{ projects { id name } }`)).projects.find((p: { name: string }) => p.name === name).id as string;
  const list = async (project: string, variables: Record<string, unknown>) =>
    (await alice.ok(PROJECT_RUNS, { p: await projectId(project), ...variables })).project;
  const names = (runs: { nodes: { name: string }[] }) => runs.nodes.map((n) => n.name).sort();

  it('a PyTorch-style transformer: nested optimizer and scheduler, a list of layers', async () => {
    const node = [process.execPath, '<dir>/train.mjs'];
    await track('transformer', 'transformer-lm', 'lr1e-4', ['optimizer.lr=1e-4'], node);
    await track('transformer', 'transformer-lm', 'lr3e-4', [], node);
    const fast = await track('transformer', 'transformer-lm', 'lr1e-3', ['optimizer.lr=1e-3'], node);
    const diverged = await track('transformer', 'transformer-lm', 'lr5e-3', ['optimizer.lr=5e-3'], node, 1);
    const project = await list('transformer-lm', { f: 'optimizer.lr <= 0.001', order: { field: 'METRIC_LAST', metric: 'val/loss', direction: 'ASC' } });
    expect(project.hparamSchema.kind).toBe('INFERRED');
    expect(project.hparamSchema.paths).toEqual(
      expect.arrayContaining([
        { path: 'optimizer.lr', type: 'float', runs: 4 },
        { path: 'model.layers[3].heads', type: 'integer', runs: 4 },
        { path: 'scheduler.min_lr_ratio', type: 'float', runs: 4 },
        { path: 'precision', type: 'string', runs: 4 },
      ]),
    );
    // Filtered numerically on a nested float, sorted by a metric: the best first.
    expect(project.runs.totalCount).toBe(3);
    expect(project.runs.nodes.map((n: { name: string }) => n.name)).toEqual(['lr1e-3', 'lr3e-4', 'lr1e-4']);
    // min_lr_ratio was written 0.0: a float, not the integer 0.
    expect(project.runs.nodes[0].paramTypes).toMatchObject({ 'scheduler.min_lr_ratio': 'float', batch_size: 'integer', 'model.layers[3].dropout': 'float' });
    // Compared side by side: the params that differ, the curves of both.
    const compared = await list('transformer-lm', { ids: [fast, diverged] });
    const [a, b] = [fast, diverged].map((id) => compared.runs.nodes.find((n: { id: string }) => n.id === id));
    expect(a.params['optimizer.lr']).toBe(0.001);
    expect(b.params['optimizer.lr']).toBe(0.005);
    expect(b.status).toBe('DIVERGED');
    const series = (await alice.ok(METRIC_SERIES, { runIds: [fast, diverged], keys: ['train/loss'] })).metricSeries;
    expect(series.find((s: { runId: string }) => s.runId === fast).steps).toHaveLength(21);
    expect(series.find((s: { runId: string }) => s.runId === diverged).values.at(-1)).toBe('NaN');
    // The finding the team writes down, with the runs as its evidence.
    const finding = (
      await alice.ok(CREATE_FINDING, {
        input: {
          projectId: await projectId('transformer-lm'),
          title: 'AdamW above 1e-3 diverges on the 4-layer LM',
          rule: 'optimizer.lr <= 1e-3',
          metric: { key: 'val/loss', direction: 'LOWER' },
          citedRunIds: [fast, diverged],
        },
      })
    ).createFinding;
    expect(finding.ruleParams).toEqual(['optimizer.lr']);
    expect(finding.evidence.satisfying).toMatchObject({ runCount: 3, best: { run: { name: 'lr1e-3' } } });
    expect(finding.evidence.violating).toMatchObject({ excludedNonFinite: 1 });
  });

  it('XGBoost from a plain shell script: integer max_depth, float eta and subsample', async () => {
    const shell = ['sh', '<dir>/train.sh'];
    for (const [depth, eta] of [
      [3, '0.3'],
      [6, '0.3'],
      [6, '0.1'],
      [10, '0.3'],
      [12, '0.1'],
    ] as const)
      await track('xgboost', 'xgboost-churn', `d${depth}-eta${eta}`, [`max_depth=${depth}`, `eta=${eta}`], shell);
    const project = await list('xgboost-churn', { f: 'max_depth >= 6 and eta < 0.2' });
    expect(names(project.runs)).toEqual(['d12-eta0.1', 'd6-eta0.1']);
    expect(project.runs.nodes[0].paramTypes).toMatchObject({
      max_depth: 'integer',
      eta: 'float',
      subsample: 'float',
      colsample_bytree: 'float',
      objective: 'string',
    });
    // 1.0 in the config file stays a float.
    expect(project.hparamSchema.paths).toEqual(expect.arrayContaining([{ path: 'colsample_bytree', type: 'float', runs: 5 }]));
    const finding = (
      await alice.ok(CREATE_FINDING, {
        input: {
          projectId: await projectId('xgboost-churn'),
          title: 'Trees deeper than 8 overfit the churn data',
          rule: 'max_depth <= 8',
          metric: { key: 'valid/auc', direction: 'HIGHER' },
        },
      })
    ).createFinding;
    expect(finding.evidence.satisfying.runCount).toBe(3);
    expect(finding.evidence.violating.runCount).toBe(2);
    expect(finding.evidence.satisfying.best.run.name).toBe('d6-eta0.3');
    expect(finding.evidence.points.map((p: { ruleParams: { max_depth: number } }) => p.ruleParams.max_depth).sort((x: number, y: number) => x - y)).toEqual([
      3, 6, 6, 10, 12,
    ]);
  });

  it('PPO: a discount factor below 0.99 plateaus early', async () => {
    const node = [process.execPath, '<dir>/train.mjs'];
    for (const gamma of ['0.9', '0.95', '0.99', '0.995']) await track('rl', 'ppo-cartpole', `gamma${gamma}`, [`algo.gamma=${gamma}`], node);
    const project = await list('ppo-cartpole', { f: 'algo.gamma >= 0.99', order: { field: 'METRIC_LAST', metric: 'episode/return', direction: 'DESC' } });
    expect(names(project.runs)).toEqual(['gamma0.99', 'gamma0.995']);
    expect(project.runs.nodes[0].params).toMatchObject({ 'env.id': 'CartPole-v1', 'policy.net_arch[1]': 64, total_timesteps: 100000 });
    const finding = (
      await alice.ok(CREATE_FINDING, {
        input: {
          projectId: await projectId('ppo-cartpole'),
          title: 'CartPole needs gamma ≥ 0.99',
          rule: 'algo.gamma >= 0.99',
          metric: { key: 'episode/return', direction: 'HIGHER' },
        },
      })
    ).createFinding;
    expect(finding.evidence.satisfying).toMatchObject({ runCount: 2 });
    expect(finding.evidence.violating).toMatchObject({ runCount: 2 });
    expect(finding.evidence.satisfying.best.value).toBeGreaterThan(400);
  });
});
