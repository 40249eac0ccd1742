/**
 * Issue 12's figures for the MLflow-compatible API: log-batch ingestion in points/s with MLflow's own batch size
 * (1,000 metrics a request, the body MLflow's client sends: `{"run_id", "metrics": [{"key", "value", "timestamp",
 * "step"}…]}`), with one client and with four (MLflow 2.17.2's own server on this PostgreSQL: 7,400 and 15,500
 * points/s; the target is 20× that), and get-history-bulk-interval of a 200,000-point run (target p50 < 50 ms;
 * MLflow: 5.5 s for a 1,000-point sample).
 */
import { accounts } from '@tuneboard/api';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { check, openBenchDatabase, pool, startApiProcess, timeQuery, type Result } from './util';

const MLFLOW_ONE_CLIENT = 7_400;
const BATCH = 1_000;
/** Keys a step logs (loss, accuracy, lr, grad_norm): a batch holds 250 steps of each, step by step, as a client buffers them. */
const KEYS = ['loss', 'accuracy', 'lr', 'grad_norm'];

async function mlflow(base: string, token: string, endpoint: string, body: unknown): Promise<any> {
  const response = await fetch(`${base}/api/2.0/mlflow/${endpoint}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  });
  const json = await response.json();
  if (response.status !== 200) throw new Error(`${endpoint}: ${response.status} ${JSON.stringify(json).slice(0, 300)}`);
  return json;
}

/** The body of batch `b` of a run: 1,000 metrics, 250 steps × 4 keys, with client timestamps. */
function batchBody(runId: string, b: number, t0: number): string {
  const metrics = [];
  for (let s = 0; s < BATCH / KEYS.length; s++) {
    const step = b * (BATCH / KEYS.length) + s;
    for (const key of KEYS) metrics.push({ key, value: Math.exp(-step / 5000) + Math.random() * 0.01, timestamp: t0 + step, step });
  }
  return JSON.stringify({ run_id: runId, metrics });
}

export async function benchMlflow(kind: 'pglite' | 'postgres', scale: number): Promise<Result[]> {
  const database = await openBenchDatabase(kind, 'mlflow');
  const user = await accounts.createUserWithToken(database.store, { email: 'bench@localhost', team: 'bench' });
  // An embedded database opens in one process at a time: the API's.
  if (kind === 'pglite') await database.store.close();
  const api = await startApiProcess(database.env);
  // BENCH_MLFLOW_BASELINE=<another checkout, npm-installed>: its API too, on the same database, measured turn about with this one.
  const baselineDir = kind === 'postgres' ? process.env.BENCH_MLFLOW_BASELINE : undefined;
  const baseline = baselineDir ? await startApiProcess(database.env, join(baselineDir, 'bench')) : null;
  const results: Result[] = [];
  try {
    const base = new URL(api.url).origin;
    const { experiment_id: experimentId } = await mlflow(base, user.token, 'experiments/create', { name: 'mlflow-bench' });
    const newRun = async (name: string) =>
      (await mlflow(base, user.token, 'runs/create', { experiment_id: experimentId, run_name: name, start_time: Date.now() })).run.info.run_id as string;

    /** `clients` runs, each sent `batches` batches one after another by its own client to `origin`; points/s over all. */
    const ingest = async (clients: number, batches: number, label: string, origin = base) => {
      const runs = await Promise.all(Array.from({ length: clients }, (_, c) => newRun(`${label}-${c}`)));
      const bodies = runs.map((runId) => Array.from({ length: batches }, (_, b) => batchBody(runId, b, Date.now())));
      // Warm-up: the first batch of each run (connection, JIT), not timed.
      await Promise.all(runs.map((runId) => mlflow(origin, user.token, 'runs/log-batch', JSON.parse(bodies[runs.indexOf(runId)]![0]!))));
      const start = performance.now();
      await pool(
        runs.map((runId, c) => async () => {
          for (let b = 1; b < batches; b++) {
            const response = await fetch(`${origin}/api/2.0/mlflow/runs/log-batch`, {
              method: 'POST',
              headers: { 'content-type': 'application/json', authorization: `Bearer ${user.token}` },
              body: bodies[c]![b]!,
            });
            if (response.status !== 200) throw new Error(`log-batch: ${response.status} ${await response.text()}`);
            await response.arrayBuffer();
          }
        }),
        clients,
      );
      const seconds = (performance.now() - start) / 1000;
      const points = clients * (batches - 1) * BATCH;
      // Every point is stored: each key's history has every step.
      for (const runId of runs) {
        const response = await fetch(`${base}/api/2.0/mlflow/metrics/get-history?run_id=${runId}&metric_key=loss`, {
          headers: { authorization: `Bearer ${user.token}` },
        });
        const { metrics } = (await response.json()) as { metrics: unknown[] };
        check(metrics.length === (batches * BATCH) / KEYS.length, `run ${runId} stored ${metrics.length} loss points, sent ${(batches * BATCH) / KEYS.length}`);
      }
      return { rate: Math.round(points / seconds), runs };
    };

    const batches = Math.max(5, Math.round(200 * scale));
    /**
     * With a baseline: each API measured twice per round (BENCH_MLFLOW_ROUNDS, default 1), turn about (baseline, this,
     * this, baseline), the mean of its measurements reported.
     */
    const measure = async (clients: number, label: string) => {
      if (!baseline) return { rate: (await ingest(clients, batches, label)).rate, baselineRate: null };
      const baselineOrigin = new URL(baseline.url).origin;
      const rates = { this: [] as number[], baseline: [] as number[] };
      const rounds = Number(process.env.BENCH_MLFLOW_ROUNDS ?? 1);
      for (const which of Array.from({ length: rounds }, () => ['baseline', 'this', 'this', 'baseline'] as const).flat()) {
        const { rate } = await ingest(clients, batches, `${label}-${which}`, which === 'this' ? base : baselineOrigin);
        console.error(`    ${clients} client(s), ${which}: ${rate.toLocaleString('en')} points/s (load ${loadavg()[0]!.toFixed(1)})`);
        rates[which].push(rate);
      }
      const mean = (r: number[]) => Math.round(r.reduce((a, b) => a + b, 0) / r.length);
      return { rate: mean(rates.this), baselineRate: mean(rates.baseline) };
    };
    const baselineRow = (figure: string, rate: number | null, reference: number): Result[] =>
      rate === null
        ? []
        : [{ database: kind, figure: `${figure}, baseline (${baselineDir})`, target: 'reference', measured: rate, unit: 'points/s', ratio: rate / reference }];

    const one = await measure(1, 'one-client');
    results.push({
      database: kind,
      figure: 'MLflow log-batch ingestion, 1 client (1,000 metrics a request)',
      target: `≥ 20× MLflow (${MLFLOW_ONE_CLIENT.toLocaleString('en')} points/s)`,
      measured: one.rate,
      unit: 'points/s',
      ratio: one.rate / MLFLOW_ONE_CLIENT,
      pass: one.rate >= 20 * MLFLOW_ONE_CLIENT,
    });
    results.push(...baselineRow('MLflow log-batch ingestion, 1 client', one.baselineRate, MLFLOW_ONE_CLIENT));
    const four = await measure(4, 'four-clients');
    results.push({
      database: kind,
      figure: 'MLflow log-batch ingestion, 4 clients',
      target: `≥ 20× MLflow (15,500 points/s)`,
      measured: four.rate,
      unit: 'points/s',
      ratio: four.rate / 15_500,
      pass: four.rate >= 20 * 15_500,
    });
    results.push(...baselineRow('MLflow log-batch ingestion, 4 clients', four.baselineRate, 15_500));

    // get-history-bulk-interval of one 200,000-point series (the one-client run's loss has 250 × batches points; a
    // run of its own gets exactly 200k at scale 1).
    const long = await newRun('long');
    const longBatches = Math.max(10, Math.round(200 * scale));
    await pool(
      Array.from({ length: longBatches }, (_, b) => async () => {
        const metrics = Array.from({ length: BATCH }, (_, i) => ({
          key: 'loss',
          value: b * BATCH + i === 123_457 ? 50 : Math.random(),
          timestamp: Date.now(),
          step: b * BATCH + i,
        }));
        await mlflow(base, user.token, 'runs/log-batch', { run_id: long, metrics });
      }),
      1,
    );
    const url = `${base}/api/2.0/mlflow/metrics/get-history-bulk-interval?run_ids=${long}&metric_key=loss&max_results=1000`;
    const read = async () => {
      const response = await fetch(url, { headers: { authorization: `Bearer ${user.token}` } });
      const json = (await response.json()) as { metrics: { value: number }[] };
      check(json.metrics.length <= 1000 && json.metrics.length > 100, `bulk-interval returned ${json.metrics.length} points`);
      if (longBatches * BATCH > 123_457)
        check(
          json.metrics.some((m) => m.value === 50),
          'the spike survived downsampling',
        );
    };
    const { p50, p95 } = await timeQuery(20, 3, read);
    results.push({
      database: kind,
      figure: `get-history-bulk-interval, ${(longBatches * BATCH).toLocaleString('en')}-point run → 1,000 points (p50; p95 ${p95} ms)`,
      target: 'p50 < 50 ms',
      measured: p50,
      unit: 'ms',
      pass: p50 < 50,
    });
    return results;
  } finally {
    await baseline?.stop();
    await api.stop();
    if (kind === 'postgres') await database.store.close();
    await database.cleanup();
  }
}
