import { TuneboardClient } from '@tuneboard/sdk';
import { importRuns, readTensorBoardLogdir, writeEventFile, type EventToWrite } from '@tuneboard/sdk/import';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, testDatabases, type TestApi, type TestUser } from './harness';
import { IMPORTED_RUNS, projectIdNamed } from './imported-runs';
import { killAllChildren, makeTempDir, runCli } from './process-harness';

// `tuneboard import tensorboard`: a TensorBoard log directory, written here by our own event-file writer, imported
// through the API as typed, filterable runs; again without duplicates; resumed after a stop.

/** A Keras-style run: the HParams plugin in the run's directory, metrics in train/ and validation/ beside it. */
function kerasRun(dir: string, hparams: Record<string, unknown>, epochs: number, options: { failed?: boolean } = {}) {
  mkdirSync(join(dir, 'train'), { recursive: true });
  mkdirSync(join(dir, 'validation'), { recursive: true });
  const t0 = 1_764_000_000;
  const session: EventToWrite[] = [{ wallTime: t0, sessionStart: { hparams: hparams as never, startTime: t0 } }];
  if (options.failed) session.push({ wallTime: t0 + epochs, sessionEnd: { status: 'FAILURE', endTime: t0 + epochs } });
  writeFileSync(join(dir, 'events.out.tfevents.1764000000.host.1.v2'), writeEventFile(session));
  const series = (prefix: string, base: number): EventToWrite[] =>
    Array.from({ length: epochs }, (_, epoch) => ({
      wallTime: t0 + epoch + 1,
      step: epoch,
      scalar: { tag: 'epoch_loss', value: base / (epoch + 1), as: 'tensor' as const },
    }));
  writeFileSync(join(dir, 'train', 'events.out.tfevents.1764000001.host.2.v2'), writeEventFile(series('train', 1)));
  writeFileSync(join(dir, 'validation', 'events.out.tfevents.1764000001.host.3.v2'), writeEventFile(series('validation', 2)));
}

for (const database of testDatabases()) {
  describe(`tuneboard import tensorboard on ${database.name}`, () => {
    let api: TestApi;
    let alice: TestUser;
    let bob: TestUser;
    let logs: { path: string; remove(): void };

    beforeAll(async () => {
      api = await startTestApi(database);
      alice = await api.user('alice@example.com', 'vision');
      bob = await api.user('bob@example.com', 'other');
      logs = makeTempDir('tensorboard');
      kerasRun(join(logs.path, 'bs32-lr0.001'), { batch_size: 32, lr: 0.001, optimizer: 'adam', dropout: 0.5 }, 3);
      kerasRun(join(logs.path, 'bs128-lr0.01'), { batch_size: 128, lr: 0.01, optimizer: 'sgd', dropout: 0.0 }, 2, { failed: true });
      // A PyTorch SummaryWriter run: scalars as simple_value, no HParams plugin.
      mkdirSync(join(logs.path, 'torch', 'run-1'), { recursive: true });
      writeFileSync(
        join(logs.path, 'torch', 'run-1', 'events.out.tfevents.1764000100.host.9.0'),
        writeEventFile(
          Array.from({ length: 5 }, (_, step) => ({ wallTime: 1_764_000_100 + step, step: step * 10, scalar: { tag: 'Loss/train', value: 1 - step / 10 } })),
        ),
      );
    });
    afterEach(killAllChildren);
    afterAll(async () => {
      await api?.close();
      logs?.remove();
    });

    const env = () => ({ TUNEBOARD_API_URL: api.server.url, TUNEBOARD_TOKEN: alice.token });
    const projectId = async (name: string) => (await projectIdNamed(alice, name)) as string;

    it('imports every run with typed hyperparameters, its metrics and its status; the runs filter as numbers', async () => {
      const result = await runCli(['import', 'tensorboard', logs.path, '--project', 'keras-sweep'], env(), 60_000);
      expect(result.code, result.stderr).toBe(0);
      expect(JSON.parse(result.stdout)).toMatchObject({ imported: 3, completed: 0, alreadyImported: 0, points: 3 * 2 + 2 * 2 + 5 });
      expect(result.stderr).toContain('[3/3] imported: ');

      const project = await projectId('keras-sweep');
      const { runs } = await alice.ok(IMPORTED_RUNS, { p: project });
      expect(runs.edges.map((e: any) => [e.node.name, e.node.status])).toEqual([
        ['bs128-lr0.01', 'FAILED'],
        ['bs32-lr0.001', 'SUCCEEDED'],
        ['torch/run-1', 'SUCCEEDED'],
      ]);
      const bs32 = runs.edges[1].node;
      expect(bs32.params).toEqual({ batch_size: 32, lr: 0.001, optimizer: 'adam', dropout: 0.5 });
      expect(bs32.paramTypes).toMatchObject({ batch_size: 'integer', lr: 'float', optimizer: 'string' });
      expect(bs32.metrics).toEqual([
        { key: 'train/epoch_loss', last: expect.closeTo(1 / 3, 6), pointCount: 3 },
        { key: 'validation/epoch_loss', last: expect.closeTo(2 / 3, 6), pointCount: 3 },
      ]);
      expect(bs32.tags).toEqual(['import:tensorboard', expect.stringMatching(/^src:[0-9a-f]{16}$/)]);
      expect(bs32.notes).toContain(`Imported from tensorboard:${join(logs.path, 'bs32-lr0.001')}`);
      expect(runs.edges[0].node.error).toContain('Recorded as failed');
      expect(runs.edges[2].node.metrics).toEqual([{ key: 'Loss/train', last: expect.closeTo(0.6, 6), pointCount: 5 }]);

      // What MLflow cannot do: the imported hyperparameters compare as numbers.
      expect((await alice.ok(IMPORTED_RUNS, { p: project, f: 'batch_size <= 32' })).runs.edges.map((e: any) => e.node.name)).toEqual(['bs32-lr0.001']);
    });

    it('imports again without duplicates, and completes a run a stopped import left unfinished', async () => {
      const again = await runCli(['import', 'tensorboard', logs.path, '--project', 'keras-sweep'], env(), 60_000);
      expect(again.code, again.stderr).toBe(0);
      expect(JSON.parse(again.stdout)).toMatchObject({ imported: 0, alreadyImported: 3 });

      // An import stopped after creating its runs but before finishing the second one.
      const resumable = makeTempDir('tensorboard-resume');
      try {
        kerasRun(join(resumable.path, 'a'), { batch_size: 16 }, 2);
        kerasRun(join(resumable.path, 'b'), { batch_size: 64 }, 4);
        const client = new TuneboardClient({ url: api.server.url, token: alice.token });
        // The import stops after sending the runs' metrics, before it finishes them (a Ctrl-C, a lost connection):
        // as a server without finishRuns takes them, a logMetrics and a setRunStatus per run.
        const stopping = Object.create(client) as TuneboardClient;
        stopping.request = async <T>(query: string, variables?: Record<string, unknown>): Promise<T> => {
          if (query.includes('setRunStatus')) throw new Error('the import was stopped');
          return client.request<T>(query, variables);
        };
        const runs = readTensorBoardLogdir(resumable.path);
        await expect(importRuns(stopping, { project: 'resumed', kind: 'tensorboard', runs, finishing: 'per-run' })).rejects.toThrow('the import was stopped');
        const project = await projectId('resumed');
        const stopped = (await alice.ok(IMPORTED_RUNS, { p: project })).runs.edges.map((e: any) => e.node);
        expect(stopped.map((r: any) => [r.status, r.metrics.map((m: any) => m.pointCount)])).toEqual([
          ['RUNNING', [2, 2]],
          ['RUNNING', [4, 4]],
        ]);

        const resumed = await importRuns(client, { project: 'resumed', kind: 'tensorboard', runs: readTensorBoardLogdir(resumable.path) });
        expect(resumed).toMatchObject({ imported: 0, completed: 2, alreadyImported: 0, points: 2 * 2 + 4 * 2 });
        expect(await importRuns(client, { project: 'resumed', kind: 'tensorboard', runs })).toMatchObject({ imported: 0, completed: 0, alreadyImported: 2 });
        const after = (await alice.ok(IMPORTED_RUNS, { p: project })).runs.edges.map((e: any) => e.node);
        expect(after.map((r: any) => [r.name, r.status, r.metrics.map((m: any) => m.pointCount)])).toEqual([
          ['a', 'SUCCEEDED', [2, 2]],
          ['b', 'SUCCEEDED', [4, 4]],
        ]);

        // Stopped before its one finishRuns (metrics and statuses go in together): created, nothing stored; resumed.
        const batchStopping = Object.create(client) as TuneboardClient;
        batchStopping.request = async <T>(query: string, variables?: Record<string, unknown>): Promise<T> => {
          if (query.includes('finishRuns')) throw new Error('the import was stopped');
          return client.request<T>(query, variables);
        };
        await expect(importRuns(batchStopping, { project: 'resumed-batch', kind: 'tensorboard', runs })).rejects.toThrow('the import was stopped');
        const batchProject = await projectId('resumed-batch');
        const created = (await alice.ok(IMPORTED_RUNS, { p: batchProject })).runs.edges.map((e: any) => e.node);
        expect(created.map((r: any) => [r.status, r.metrics])).toEqual([
          ['RUNNING', []],
          ['RUNNING', []],
        ]);
        expect(await importRuns(client, { project: 'resumed-batch', kind: 'tensorboard', runs })).toMatchObject({ imported: 0, completed: 2, points: 12 });
        const finished = (await alice.ok(IMPORTED_RUNS, { p: batchProject })).runs.edges.map((e: any) => e.node);
        expect(finished.map((r: any) => [r.name, r.status, r.metrics.map((m: any) => m.pointCount)])).toEqual([
          ['a', 'SUCCEEDED', [2, 2]],
          ['b', 'SUCCEEDED', [4, 4]],
        ]);
      } finally {
        resumable.remove();
      }
    });

    it('imports through a server that does not know finishRuns yet, as before it: a logMetrics and a setRunStatus per run', async () => {
      const client = new TuneboardClient({ url: api.server.url, token: alice.token });
      // An older server: finishRuns and its input type are unknown to it (the server's own validation error).
      const older = Object.create(client) as TuneboardClient;
      const sent: string[] = [];
      older.request = async <T>(query: string, variables?: Record<string, unknown>): Promise<T> => {
        sent.push(query.match(/(finishRuns|logMetrics|setRunStatus|submitRuns)\b/)?.[1] ?? 'other');
        return client.request<T>(query.replaceAll('finishRuns', 'finishRunsOld').replaceAll('FinishRunsInput', 'FinishRunsOldInput'), variables);
      };
      const runs = readTensorBoardLogdir(logs.path);
      expect(await importRuns(older, { project: 'older-server', kind: 'tensorboard', runs })).toMatchObject({ imported: 3, points: 3 * 2 + 2 * 2 + 5 });
      expect(sent.filter((name) => name !== 'other')).toEqual(['submitRuns', 'finishRuns', 'logMetrics', 'setRunStatus']);
      const viaFinishRuns = (await alice.ok(IMPORTED_RUNS, { p: await projectId('keras-sweep') })).runs.edges.map((e: any) => e.node);
      const viaOlder = (await alice.ok(IMPORTED_RUNS, { p: await projectId('older-server') })).runs.edges.map((e: any) => e.node);
      // The same runs, whichever way they were finished (ids and the source tag's project aside).
      const comparable = (run: any) => ({ ...run, id: undefined });
      expect(viaOlder.map(comparable)).toEqual(viaFinishRuns.map(comparable));
    });

    it('says what is wrong with a bad source, and reads what a torn file holds', async () => {
      const missing = await runCli(['import', 'tensorboard', join(logs.path, 'nope'), '--project', 'p'], env());
      expect(missing.code).toBe(2);
      expect(missing.stderr).toContain('is not a directory');
      const empty = makeTempDir('tensorboard-empty');
      try {
        const none = await runCli(['import', 'tensorboard', empty.path, '--project', 'p'], env());
        expect(none.stderr).toContain('no TensorBoard event files (events.out.tfevents.*) under');
        expect((await runCli(['import', 'neptune', empty.path, '--project', 'p'], env())).stderr).toContain(
          'import takes a source kind: tensorboard or mlflow, not "neptune"',
        );

        // A writer killed mid-record: its complete records are imported and the cut is reported.
        const file = writeEventFile(Array.from({ length: 4 }, (_, step) => ({ wallTime: 1_764_000_000 + step, step, scalar: { tag: 'loss', value: step } })));
        mkdirSync(join(empty.path, 'torn'));
        writeFileSync(join(empty.path, 'torn', 'events.out.tfevents.1.host'), file.subarray(0, file.length - 3));
        const torn = await runCli(['import', 'tensorboard', empty.path, '--project', 'torn'], env());
        expect(torn.code, torn.stderr).toBe(0);
        expect(torn.stderr).toContain('ends inside a record (a writer stopped mid-write); its complete records were read');
        expect(JSON.parse(torn.stdout)).toMatchObject({ imported: 1, points: 3 });

        // A corrupted record is refused with its offset, and nothing of that import is stored.
        const corrupted = file.slice();
        corrupted[40]! ^= 0xff;
        writeFileSync(join(empty.path, 'torn', 'events.out.tfevents.1.host'), corrupted);
        const bad = await runCli(['import', 'tensorboard', empty.path, '--project', 'corrupt'], env());
        expect(bad.code).not.toBe(0);
        expect(bad.stderr.trim()).toMatch(/^tuneboard: \S+events\.out\.tfevents\.1\.host: the (data|length) of the record at byte \d+ fails its CRC32C check$/);
        expect(await projectId('corrupt')).toBeUndefined();
      } finally {
        empty.remove();
      }
    });

    it("imports only into the token's own team", async () => {
      const result = await runCli(['import', 'tensorboard', logs.path, '--project', 'keras-sweep', '--team', 'vision'], {
        TUNEBOARD_API_URL: api.server.url,
        TUNEBOARD_TOKEN: bob.token,
      });
      expect(result.code).not.toBe(0);
      expect(result.stderr).toContain('You are not in a team "vision"');
    });
  });
}
