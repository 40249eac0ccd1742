/**
 * Issue 12's import figure: a 1,000-run MLflow file store (mlruns/, written here as `mlflow` writes it: 12 params,
 * 3 metrics of 100 steps, 4 tags a run) imported through the API in its own process with `importRuns`, the code
 * behind `tuneboard import mlflow`, in runs/s (target ≥ 200 runs/s): finishing the runs with finishRuns (the default),
 * and as before it, with a logMetrics and a setRunStatus per run, side by side in one run.
 */
import { accounts } from '@tuneboard/api';
import { TuneboardClient } from '@tuneboard/sdk';
import { importRuns, readMlflowFileStore, writeMlflowFileStore, type Finishing, type MlrunsRun } from '@tuneboard/sdk/import';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { check, openBenchDatabase, startApiProcess, type Result } from './util';

/** Which ways of finishing runs to measure: BENCH_IMPORT_FINISHING=batch|per-run (default both, old first). */
const FINISHING: readonly Finishing[] =
  process.env.BENCH_IMPORT_FINISHING === 'batch' ? ['batch'] : process.env.BENCH_IMPORT_FINISHING === 'per-run' ? ['per-run'] : ['per-run', 'batch'];

function mlrunsRun(i: number): MlrunsRun {
  const start = 1_764_000_000_000 + i * 60_000;
  const curve = (base: number) =>
    Array.from({ length: 100 }, (_, step) => [start + step * 1000, String(base / (step + 1) + (i % 7) / 100), step] as [number, string, number]);
  return {
    id: `run${String(i).padStart(5, '0')}`,
    name: `trial-${i}`,
    start,
    end: start + 100_000,
    status: i % 10 === 0 ? 4 : 3,
    params: {
      batch_size: String([16, 32, 64, 128][i % 4]),
      lr: String(Number((10 ** (-2 - (i % 20) / 10)).toPrecision(3))),
      optimizer: ['adam', 'sgd', 'adamw'][i % 3]!,
      epochs: '10',
      weight_decay: ['0.0', '0.01', '0.1'][i % 3]!,
      dropout: String((i % 5) / 10),
      hidden: String(64 * (1 + (i % 4))),
      layers: String(2 + (i % 3)),
      seed: String(i),
      nesterov: i % 2 === 0 ? 'True' : 'False',
      scheduler: 'cosine',
      warmup_steps: String(100 * (i % 5)),
    },
    metrics: { loss: curve(2), val_loss: curve(2.2), accuracy: curve(0.5) },
    tags: { 'mlflow.source.name': 'train.py', 'mlflow.source.type': 'LOCAL', stage: 'sweep', owner: 'alice' },
  };
}

export async function benchImport(kind: 'pglite' | 'postgres', scale: number): Promise<Result[]> {
  const runCount = Math.max(10, Math.round(1_000 * Math.min(1, scale)));
  const dir = mkdtempSync(join(tmpdir(), 'tuneboard-mlruns-'));
  const { store, env, cleanup } = await openBenchDatabase(kind, 'import');
  try {
    writeMlflowFileStore(dir, [{ id: '1', name: 'sweep', runs: Array.from({ length: runCount }, (_, i) => mlrunsRun(i)) }]);
    const owner = await accounts.createUserWithToken(store, { email: 'import@localhost', team: 'import' });
    if (kind === 'pglite') await store.close();
    const api = await startApiProcess(env);
    try {
      const client = new TuneboardClient({ url: api.url, token: owner.token });
      const results: Result[] = [];
      // Both ways into one API and database, one after the other (the new one second, on the fuller database):
      // the machine is shared, so only their ratio within one run means much.
      for (const finishing of FINISHING) {
        const started = performance.now();
        const [experiment] = readMlflowFileStore(dir);
        const read = performance.now() - started;
        const summary = await importRuns(client, { project: `sweep-${finishing}`, kind: 'mlflow', runs: experiment!.runs, finishing });
        const seconds = (performance.now() - started) / 1000;
        check(summary.imported === runCount, `imported ${summary.imported} of ${runCount} runs`);
        check(summary.points === runCount * 300, `imported ${summary.points} points, expected ${runCount * 300}`);
        const rate = Math.round(runCount / seconds);
        console.error(
          `  ${kind} (${finishing}): imported ${runCount} mlruns runs in ${seconds.toFixed(1)} s (reading the files: ${Math.round(read)} ms), ${rate} runs/s; load ${loadavg()
            .map((l) => l.toFixed(1))
            .join(' ')}`,
        );
        const pg = kind === 'postgres';
        const current = finishing === 'batch';
        results.push({
          database: kind,
          figure: `import: a ${runCount.toLocaleString('en')}-run mlruns/ directory (12 params, 3 × 100 points a run) through the API, ${current ? 'finishRuns per 50 runs' : 'before: logMetrics + setRunStatus per run'}`,
          target: pg && current ? '≥ 200 runs/s' : 'report',
          measured: rate,
          unit: 'runs/s',
          ...(pg && current ? { pass: rate >= 200 } : {}),
        });
      }
      return results;
    } finally {
      await api.stop();
    }
  } finally {
    if (kind === 'postgres') await store.close();
    await cleanup();
    rmSync(dir, { recursive: true, force: true });
  }
}
