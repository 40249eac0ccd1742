import { startServer, type RunningServer } from '../src/server';
import pino from 'pino';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { freePort, METRIC_SERIES, startTestApi, testDatabases, type TestApi, type TestUser } from './harness';
import { killAllChildren, makeTempDir, runCli, spawnCli, type ChildEnv } from './process-harness';

// `tuneboard run -- <command>`: any program tracked as a run, through the real CLI, against a real API.

const FIXTURES = fileURLToPath(new URL('./fixtures', import.meta.url));
const TRAIN = join(FIXTURES, 'train.mjs');

const RUN = /* GraphQL */ `
  query ($id: ID!) {
    run(id: $id) {
      name
      status
      error
      tags
      params
      paramTypes
      project {
        name
        hparamSchema {
          kind
        }
      }
      logs(first: 100) {
        total
        lines {
          seq
          stream
          text
        }
      }
      metrics {
        key
        last
        max
        pointCount
      }
    }
  }
`;

const runIdOf = (stderr: string) => /\(([0-9a-f-]{36})\)/.exec(stderr)?.[1] ?? '';

for (const database of testDatabases()) {
  describe(`tuneboard run on ${database.name}`, () => {
    let api: TestApi;
    let alice: TestUser;
    let spool: { path: string; remove(): void };
    let env: Record<string, string>;

    beforeAll(async () => {
      api = await startTestApi(database);
      alice = await api.user('alice@example.com', 'nlp');
      spool = makeTempDir('spool');
      env = { TUNEBOARD_API_URL: api.server.url, TUNEBOARD_TOKEN: alice.token, TUNEBOARD_SPOOL_DIR: spool.path };
    });
    afterEach(killAllChildren);
    afterAll(async () => {
      await api?.close();
      spool?.remove();
    });

    const runOf = async (id: string) => (await alice.ok(RUN, { id })).run;

    it('tracks a script: typed config, console log, JSON-lines and endpoint metrics, system metrics, success', async () => {
      const config = join(spool.path, 'config.json');
      writeFileSync(config, '{"optimizer": {"lr": 0.001, "betas": [0.9, 0.999]}, "warmup": 2.0, "layers": 2}');
      const result = await runCli(
        [
          'run',
          '--project',
          'transformer',
          '--config',
          config,
          '--set',
          'optimizer.lr=3e-4',
          '--set',
          'name=adamw',
          '--name',
          'first',
          '--tag',
          'smoke',
          '--system-interval',
          '0.5',
          '--',
          process.execPath,
          TRAIN,
          '--delay-ms',
          '150',
          '--post',
          '--nan',
        ],
        { ...env, PATH: `${FIXTURES}:${process.env.PATH}` },
        60_000,
      );
      expect(result.code, result.stderr).toBe(0);
      // The command's own output passes through untouched.
      expect(result.stdout).toContain('epoch 4: loss');
      expect(result.stdout).toContain('posted: 200');
      expect(result.stderr).toContain('warning: this is stderr');
      expect(result.stderr).toMatch(/tuneboard: run first \([0-9a-f-]{36}\) in project transformer/);
      const run = await runOf(runIdOf(result.stderr));
      expect(run).toMatchObject({
        name: 'first',
        status: 'SUCCEEDED',
        error: null,
        tags: ['smoke'],
        project: { name: 'transformer', hparamSchema: { kind: 'INFERRED' } },
      });
      // 2.0 stays a float; --set values are typed (3e-4 a float, adamw a string).
      expect(run.params).toMatchObject({ 'optimizer.lr': 0.0003, 'optimizer.betas[0]': 0.9, warmup: 2, layers: 2, name: 'adamw' });
      expect(run.paramTypes).toMatchObject({ 'optimizer.lr': 'float', warmup: 'float', layers: 'integer', name: 'string' });
      // The console log: both streams, in order within each.
      const texts = run.logs.lines.map((l: { text: string }) => l.text);
      expect(texts[0]).toBe(`run ${runIdOf(result.stderr)} starting with lr=0.0003`);
      expect(run.logs.lines.find((l: { stream: string }) => l.stream === 'STDERR').text).toBe('warning: this is stderr');
      expect(texts).toContain('{"step":4,"train/loss":0.9988014382740711,"lr":0.0003}'.replace('0.9988014382740711', String(1 / (1 + 4 * 0.0003 * 10))));
      expect(run.logs.lines.map((l: { seq: number }) => l.seq)).toEqual(run.logs.lines.map((_: unknown, i: number) => i));
      const metrics = Object.fromEntries(run.metrics.map((m: { key: string }) => [m.key, m]));
      expect(metrics['train/loss']).toMatchObject({ pointCount: 6, last: 'NaN' });
      expect(metrics['lr']).toMatchObject({ pointCount: 5, last: 0.0003 });
      expect(metrics['eval/accuracy']).toMatchObject({ pointCount: 2, last: 0.875 });
      // System metrics of the process tree, and the GPUs nvidia-smi reports.
      expect(metrics['system/memory_mb']?.max).toBeGreaterThan(5);
      expect(metrics['system/gpu0/utilization_percent']).toMatchObject({ last: 87 });
      expect(metrics['system/gpu1/memory_mb']).toMatchObject({ last: 512 });
      expect(metrics['system/cpu_percent']?.pointCount).toBeGreaterThanOrEqual(1);
      // Delivered, so its disk buffer is gone.
      expect(readdirSync(spool.path).filter((name) => name !== 'config.json')).toEqual([]);
      // The typed param filters numerically.
      const filtered = await alice.ok(`query($p: ID!) { project(id: $p) { runs(filter: "optimizer.lr <= 0.001") { totalCount } } }`, {
        p: (await alice.ok(`{ projects { id name } }`)).projects.find((p: { name: string }) => p.name === 'transformer').id,
      });
      expect(filtered.project.runs.totalCount).toBe(1);
    });

    it('fails a run that exits non-zero, quoting its last output, and exits with the same code', async () => {
      const result = await runCli(
        ['run', '--project', 'transformer', '--system-interval', '0', '--', process.execPath, TRAIN, '--epochs', '2', '--exit', '3'],
        env,
      );
      expect(result.code).toBe(3);
      const run = await runOf(runIdOf(result.stderr));
      expect(run.status).toBe('FAILED');
      expect(run.error).toContain('exited with code 3; its last output:');
      expect(run.error).toContain('Traceback: RuntimeError: CUDA out of memory (exit 3)');
      expect(result.stderr).toContain('tuneboard: run');
      expect(result.stderr).toContain('failed (exit code 3)');
    });

    it('cancels the run on Ctrl-C (SIGINT), letting the command save first', async () => {
      const child = spawnCli(
        ['run', '--project', 'transformer', '--system-interval', '0', '--', process.execPath, TRAIN, '--epochs', '1', '--wait-for-signal'],
        env,
      );
      await child.waitForOutput(/waiting for a signal/, 30_000);
      child.process.kill('SIGINT');
      const { code } = await child.exited;
      const { stdout, stderr } = child.output();
      expect(code).toBe(130);
      expect(stdout).toContain('caught SIGINT, saving a checkpoint');
      const run = await runOf(runIdOf(stderr));
      expect(run.status).toBe('CANCELLED');
      expect(run.error).toBe('interrupted (SIGINT)');
      expect(run.logs.lines.at(-1).text).toBe('caught SIGINT, saving a checkpoint');
    });

    it('stops the command when the run is pruned in Tuneboard, keeping PRUNED, the decision and what it logged', async () => {
      const { TuneboardClient } = await import('@tuneboard/sdk');
      const { runCommand } = await import('@tuneboard/sdk/command');
      const messages: string[] = [];
      let output = '';
      const sink = new PassThrough().on('data', (chunk: Buffer) => void (output += chunk.toString()));
      const finished = runCommand({
        client: new TuneboardClient({ url: api.server.url, token: alice.token }),
        project: 'transformer',
        configText: '{"lr": 0.1}',
        command: [process.execPath, TRAIN, '--epochs', '2', '--wait-for-signal'],
        spoolRoot: spool.path,
        systemIntervalMs: 0,
        heartbeatIntervalMs: 200,
        report: (message) => void messages.push(message),
        passThrough: { stdout: sink, stderr: sink },
      });
      const until = async (done: () => Promise<boolean> | boolean) => {
        for (let i = 0; i < 300 && !(await done()); i++) await new Promise((resolve) => setTimeout(resolve, 100));
      };
      await until(() => output.includes('waiting for a signal'));
      const runId = runIdOf(messages.join('\n'));
      await until(async () => (await runOf(runId)).metrics.some((m: { key: string; pointCount: number }) => m.key === 'train/loss' && m.pointCount === 2));
      await alice.ok(`mutation($r: ID!, $d: PruningInput!) { pruneRun(runId: $r, decision: $d) { status } }`, {
        r: runId,
        d: { reason: 'train/loss above the median of 5 completed trials', resource: 2, unit: 'step' },
      });
      const result = await finished;
      expect(result).toMatchObject({ runId, status: 'PRUNED', exitCode: 143, undelivered: 0 });
      expect(messages).toContain('the run was pruned in Tuneboard (early stopping): stopping the command (again to kill it)');
      expect(messages.some((m) => m.includes('was pruned (early stopping; see why on the run in Tuneboard); what it logged is kept'))).toBe(true);
      const run = await runOf(runId);
      expect(run.status).toBe('PRUNED');
      expect(run.error).toBeNull();
      expect(run.metrics.find((m: { key: string }) => m.key === 'train/loss').pointCount).toBe(2);
      const { pruning } = (await alice.ok(`query($id: ID!) { run(id: $id) { pruning { reason resource unit } } }`, { id: runId })).run;
      expect(pruning).toEqual({ reason: 'train/loss above the median of 5 completed trials', resource: 2, unit: 'step' });
    });

    it('fails a command that cannot start', async () => {
      const result = await runCli(['run', '--project', 'transformer', '--system-interval', '0', '--', 'no-such-program-xyz'], env);
      expect(result.code).toBe(127);
      const run = await runOf(runIdOf(result.stderr));
      expect(run).toMatchObject({ status: 'FAILED' });
      expect(run.error).toContain('Could not start no-such-program-xyz');
    });

    // The CLI refuses these before it opens any database: once is enough.
    it.runIf(database === testDatabases()[0])('refuses bad invocations and configs with a clear message, creating no run', async () => {
      const before = (await alice.ok(`{ projects { runCount } }`)).projects.reduce((n: number, p: { runCount: number }) => n + p.runCount, 0);
      const broken = join(spool.path, 'broken.json');
      writeFileSync(broken, '{"lr": 0.1, "lr": 0.2, "depth": }');
      const cases: [string[], ChildEnv, number, string][] = [
        [['run', '--', 'true'], env, 2, '--project is required'],
        [['run', '--project', 'p', 'true'], env, 2, 'give the command to track after --'],
        [['run', '--project', 'p', '--'], env, 2, 'the command after -- is missing'],
        [['run', '--project', 'p', 'extra', '--', 'true'], env, 2, 'unexpected "extra" before --'],
        [['run', '--project', 'p', '--system-interval', 'often', '--', 'true'], env, 2, '--system-interval takes a number of seconds'],
        [['run', '--project', 'p', '--config', broken, '--', 'true'], env, 1, `The config file ${broken} is not valid JSON`],
        [['run', '--project', 'p', '--config', join(spool.path, 'missing.json'), '--', 'true'], env, 1, 'Cannot read the config file'],
        [['run', '--project', 'p', '--set', 'lr', '--', 'true'], env, 1, 'Bad --set: --set #1 (lr): write it as path=value'],
        [['run', '--project', 'p', '--', 'true'], { ...env, TUNEBOARD_TOKEN: undefined }, 2, 'TUNEBOARD_TOKEN is required'],
        [['run', '--project', 'p', '--', 'true'], { ...env, TUNEBOARD_TOKEN: 'tb_wrong' }, 1, 'tuneboard: '],
        [['run', '--project', 'p', '--team', 'nope', '--', 'true'], env, 1, 'You are not in a team "nope"'],
      ];
      for (const [args, childEnv, code, message] of cases) {
        const result = await runCli(args, childEnv);
        expect(result.code, `${args.join(' ')}: ${result.stderr}`).toBe(code);
        expect(result.stderr).toContain(message);
        expect(result.stderr).not.toContain('    at ');
      }
      const after = (await alice.ok(`{ projects { runCount } }`)).projects.reduce((n: number, p: { runCount: number }) => n + p.runCount, 0);
      expect(after).toBe(before);
    });
  });
}

describe('tuneboard schema: a project schema from the command line', () => {
  const [database] = testDatabases();
  let api: TestApi;
  let env: Record<string, string>;
  let dir: { path: string; remove(): void };

  beforeAll(async () => {
    api = await startTestApi(database!);
    const alice = await api.user('alice@example.com', 'nlp');
    dir = makeTempDir('schema-cli');
    env = { TUNEBOARD_API_URL: api.server.url, TUNEBOARD_TOKEN: alice.token, TUNEBOARD_SPOOL_DIR: dir.path };
  });
  afterEach(killAllChildren);
  afterAll(async () => {
    await api?.close();
    dir?.remove();
  });

  const json = (result: { code: number | null; stdout: string; stderr: string }) => {
    expect(result.code, result.stderr).toBe(0);
    return JSON.parse(result.stdout);
  };

  it('promotes what runs taught, declares a new version from a file, and refuses a bad document with its path', async () => {
    // A run creates the project with an inferred schema.
    const first = await runCli(['run', '--project', 'xgb', '--set', 'max_depth=6', '--set', 'eta=0.3', '--system-interval', '0', '--', 'true'], env);
    expect(first.code, first.stderr).toBe(0);
    const shown = json(await runCli(['schema', 'show', '--project', 'xgb'], env));
    expect(shown.hparamSchema).toMatchObject({ kind: 'INFERRED', version: null });
    expect(shown.hparamSchema.paths).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ path: 'max_depth', type: 'integer', runs: 1 }),
        expect.objectContaining({ path: 'eta', type: 'float' }),
      ]),
    );
    expect(json(await runCli(['schema', 'promote', '--project', 'xgb'], env)).hparamSchema).toMatchObject({ kind: 'DECLARED', version: 1 });

    const schemaFile = join(dir.path, 'schema.json');
    writeFileSync(
      schemaFile,
      JSON.stringify({
        type: 'object',
        properties: { max_depth: { type: 'integer', minimum: 1, maximum: 16 }, eta: { type: 'number', exclusiveMinimum: 0, 'x-scale': 'log' } },
      }),
    );
    const declared = json(await runCli(['schema', 'set', '--project', 'xgb', '--file', schemaFile], env));
    expect(declared.hparamSchema.version).toBe(2);
    expect(declared.hparamSchema.paths).toEqual(expect.arrayContaining([expect.objectContaining({ path: 'eta', type: 'float', scale: 'log' })]));
    const versions = json(await runCli(['schema', 'versions', '--project', 'xgb'], env)).hparamSchemaVersions;
    expect(versions.map((v: { version: number; runs: number }) => [v.version, v.runs])).toEqual([
      [2, 0],
      [1, 0],
    ]);

    writeFileSync(schemaFile, JSON.stringify({ type: 'object', properties: { eta: { type: 'numbr' } } }));
    const bad = await runCli(['schema', 'set', '--project', 'xgb', '--file', schemaFile], env);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('properties.eta');
    expect(bad.stderr).not.toContain('    at ');
    // A config the declared schema refuses is refused before the command runs, every problem with its path.
    const refused = await runCli(['run', '--project', 'xgb', '--set', 'max_depth=40', '--set', 'eta=-1', '--system-interval', '0', '--', 'true'], env);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('max_depth');
    expect(refused.stderr).toContain('eta');

    const switched = json(await runCli(['schema', 'set', '--project', 'xgb', '--kind', 'inferred'], env));
    expect(switched.hparamSchema.kind).toBe('INFERRED');
    for (const [args, message] of [
      [['schema', 'set', '--project', 'xgb'], 'schema set takes --file schema.json'],
      [['schema', 'set', '--project', 'xgb', '--kind', 'declared'], '--kind must be builtin or inferred'],
      [['schema', 'show', '--project', 'nope'], 'No project "nope"'],
      [['schema', 'show'], '--project is required'],
    ] as const) {
      const result = await runCli([...args], env);
      expect(result.code).not.toBe(0);
      expect(result.stderr).toContain(message);
    }
  });
});

describe('tuneboard run through an API restart', () => {
  const [database] = testDatabases();
  let api: TestApi;
  let alice: TestUser;
  let spool: { path: string; remove(): void };
  let port: number;
  let server: RunningServer | null = null;

  beforeAll(async () => {
    api = await startTestApi(database!);
    alice = await api.user('alice@example.com', 'nlp');
    spool = makeTempDir('spool-restart');
    // The test API stops and a second server takes over the same store on a fixed port, as a restart would.
    port = await freePort();
    await api.server.stop();
    server = await startServer({ store: api.store, port, logger: pino({ level: 'silent' }) });
  });
  afterEach(killAllChildren);
  afterAll(async () => {
    await server?.stop();
    await api?.store.destroy();
    spool?.remove();
  });

  const url = () => `http://127.0.0.1:${port}/graphql`;
  const restart = async () => (server = await startServer({ store: api.store, port, logger: pino({ level: 'silent' }) }));

  it('loses no log line or metric while the API is down mid-run', async () => {
    const env = { TUNEBOARD_API_URL: url(), TUNEBOARD_TOKEN: alice.token, TUNEBOARD_SPOOL_DIR: spool.path };
    const child = spawnCli(
      ['run', '--project', 'restart', '--system-interval', '0', '--', process.execPath, TRAIN, '--epochs', '30', '--delay-ms', '100'],
      env,
    );
    await child.waitForOutput(/epoch 3:/, 30_000);
    await server!.stop();
    server = null;
    await child.waitForOutput(/epoch 15:/, 30_000);
    await restart();
    const { code } = await child.exited;
    const { stderr } = child.output();
    expect(code, stderr).toBe(0);
    expect(stderr).toContain('cannot reach Tuneboard');
    const runId = runIdOf(stderr);
    const run = (await postJson(url(), alice.token, RUN, { id: runId })).run;
    expect(run.status).toBe('SUCCEEDED');
    // 1 start line, 1 stderr line, 30 × (metrics line + text line).
    expect(run.logs.total).toBe(62);
    const series = (await postJson(url(), alice.token, METRIC_SERIES, { runIds: [runId], keys: ['train/loss'], maxPoints: 1000 })).metricSeries;
    expect(series[0].steps).toEqual(Array.from({ length: 30 }, (_, i) => i));
    expect(existsSync(join(spool.path, runId))).toBe(false);
  });

  it('keeps what it could not deliver on disk, and `tuneboard sync` delivers it later', async () => {
    const env = { TUNEBOARD_API_URL: url(), TUNEBOARD_TOKEN: alice.token, TUNEBOARD_SPOOL_DIR: spool.path };
    const child = spawnCli(
      ['run', '--project', 'restart', '--system-interval', '0', '--flush-timeout', '1', '--', process.execPath, TRAIN, '--epochs', '10', '--delay-ms', '100'],
      env,
    );
    await child.waitForOutput(/epoch 2:/, 30_000);
    await server!.stop();
    server = null;
    const { code } = await child.exited;
    const { stderr } = child.output();
    // The command succeeded; delivering is Tuneboard's business.
    expect(code, stderr).toBe(0);
    expect(stderr).toContain('could not be delivered in time');
    expect(stderr).toContain('tuneboard sync');
    const runId = runIdOf(stderr);
    expect(existsSync(join(spool.path, runId, 'journal.jsonl'))).toBe(true);
    await restart();
    const synced = await runCli(['sync'], env);
    expect(synced.code, synced.stderr).toBe(0);
    expect(JSON.parse(synced.stdout).runs).toMatchObject([{ runId, pending: 0 }]);
    const run = (await postJson(url(), alice.token, RUN, { id: runId })).run;
    expect(run.status).toBe('SUCCEEDED');
    expect(run.logs.total).toBe(22);
    expect(existsSync(join(spool.path, runId))).toBe(false);
  });
});

async function postJson(url: string, token: string, query: string, variables: Record<string, unknown>) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { data: any; errors?: unknown[] };
  if (body.errors) throw new Error(JSON.stringify(body.errors));
  return body.data;
}
