import type { RawQuery, Store } from '../../client';
import { prepareBatch, type MetricColumns, type SortedSeries } from './batch';
import { ChunkRows } from './chunks';
import { ensureSummaryRows, recomputeSummaries, updateAppendedSummaries } from './summaries';

/**
 * Writing batches of points idempotently. Idempotency is per point: (run, key, step) holds one value. A batch
 * that only extends a series (the normal case while a run trains) is inserted as new chunks; a batch that
 * overlaps stored steps (a retry, a re-log) is merged into the chunks it overlaps, the newer value winning, so
 * a retried batch never duplicates or loses a step.
 */

/**
 * Who may write into a run: the worker holding its lease (`leaseToken`) or, when nobody holds it (an EXTERNAL
 * run logged by a script, a finished run), anyone allowed to write the run (`leaseToken` null).
 */
export interface RunWriter {
  leaseToken: string | null;
}

/** A batch refused because of who holds the run; nothing of it was stored. */
export class RunHeldError extends Error {
  constructor(
    message: string,
    readonly reason: 'lease-lost' | 'held-by-worker',
  ) {
    super(message);
    this.name = 'RunHeldError';
  }
}

/**
 * Checks the writer against the run's lease and keeps the run row share-locked until the batch commits, so a
 * worker finishing (or losing) the run at the same moment waits: no point lands after the run changed hands.
 */
async function lockRunForWriter(query: RawQuery, runId: string, writer: RunWriter): Promise<void> {
  const [run] = await query<{ status: string; lease_token: string | null; worker_name: string | null }>(
    `select r.status, r.lease_token, w.name as worker_name from runs r left join workers w on w.id = r.worker_id
     where r.id = $1 for share of r`,
    [runId],
  );
  if (!run) throw new RunHeldError('The run no longer exists', 'lease-lost');
  const held = run.status === 'running' && run.lease_token !== null;
  if (writer.leaseToken !== null) {
    if (!held || run.lease_token !== writer.leaseToken.toLowerCase())
      throw new RunHeldError(
        run.status === 'running'
          ? 'This worker no longer holds the run: its lease expired and the run was handed to another worker; its metrics are not stored'
          : `This worker no longer holds the run: it is ${run.status}; its metrics are not stored`,
        'lease-lost',
      );
  } else if (held) {
    throw new RunHeldError(
      `The run is being trained by worker "${run.worker_name ?? 'unknown'}"; only that worker (with its lease token) may log metrics into it until it finishes`,
      'held-by-worker',
    );
  }
}

/**
 * Stores a batch of metric points for one run, in one transaction. Idempotent per (run, key, step): re-sending
 * points replaces them. With a `writer`, the run's lease is checked first (RunHeldError). Throws
 * MetricBatchError for a malformed batch. Returns how many distinct points the batch held, and its keys.
 */
export async function appendMetrics(
  store: Store,
  runId: string,
  batch: readonly MetricColumns[],
  writer?: RunWriter,
): Promise<{ points: number; keys: string[] }> {
  const series = prepareBatch(batch);
  if (series.length === 0) {
    if (writer) await lockRunForWriter(store.query, runId, writer);
    return { points: 0, keys: [] };
  }
  await store.transaction(async (query) => {
    if (writer) await lockRunForWriter(query, runId, writer);
    await writeSeries(store, query, [{ runId, series }]);
  });
  return { points: series.reduce((sum, s) => sum + s.steps.length, 0), keys: series.map((s) => s.key) };
}

/**
 * Writes prepared series of any number of runs inside the caller's transaction: one statement for their summary
 * rows, one for every chunk of every series, one for the summaries of the appended ones. A series that overlaps
 * stored steps (a retry, a re-log) is merged with the chunks it overlaps, the batch winning (a statement each).
 */
export async function writeSeries(
  store: Pick<Store, 'arrayParam'>,
  query: RawQuery,
  items: readonly { runId: string; series: readonly SortedSeries[] }[],
): Promise<void> {
  // Stored ids are lower case; a series is named by its run and key (one statement may not upsert a row twice).
  const wanted = items.flatMap(({ runId, series }) => series.map((s) => ({ runId: runId.toLowerCase(), s })));
  if (wanted.length === 0) return;
  if (new Set(items.map((item) => item.runId.toLowerCase())).size !== items.length) throw new Error('writeSeries: each run must be given once');
  // Also locks the series' summary rows until commit, so two writers to one series take turns.
  const rows = await ensureSummaryRows(
    query,
    wanted.map(({ runId, s }) => ({ runId, key: s.key })),
  );
  const byRunKey = new Map(rows.map((row) => [`${row.run_id}\u0000${row.key}`, row]));
  const chunks = new ChunkRows();
  const appended: { id: number; s: SortedSeries }[] = [];
  const merged: number[] = [];
  for (const { runId, s } of wanted) {
    const row = byRunKey.get(`${runId}\u0000${s.key}`)!;
    if (row.last_step === null || s.steps[0]! > row.last_step) {
      chunks.add(row.id, s);
      appended.push({ id: row.id, s });
    } else {
      chunks.add(row.id, await mergeWithStored(query, row.id, s));
      merged.push(row.id);
    }
  }
  const summaryCounts = await chunks.insert(store, query);
  await updateAppendedSummaries(query, appended, summaryCounts);
  await recomputeSummaries(query, merged);
}

/** Removes the stored chunks that overlap the batch's step range and returns their points merged with it. */
async function mergeWithStored(query: RawQuery, seriesId: number, batch: SortedSeries): Promise<SortedSeries> {
  const first = batch.steps[0]!;
  const last = batch.steps[batch.steps.length - 1]!;
  const stored = await query<{ steps: number[]; values: number[]; wall_times: number[] }>(
    `delete from metric_chunks where series_id = $1 and last_step >= $2 and first_step <= $3
     returning steps, values, wall_times`,
    [seriesId, first, last],
  );
  const old = { steps: [] as number[], values: [] as number[], wallTimes: [] as number[] };
  for (const chunk of stored) {
    old.steps.push(...chunk.steps);
    old.values.push(...chunk.values.map(Number));
    old.wallTimes.push(...chunk.wall_times.map(Number));
  }
  // Stored points first, batch second: prepareBatch keeps the later of equal steps, so the batch wins.
  const [result] = prepareBatch([
    { key: batch.key, ...old },
    { key: batch.key, steps: batch.steps, values: batch.values, wallTimes: batch.wallTimes },
  ]);
  return result!;
}

/**
 * Cuts a run's history back to `lastStep`: every point after it goes (a run resumed from a checkpoint at that
 * step trains the rest again), keys with nothing left go, and the summaries are rebuilt from what remains.
 */
export async function rewindMetrics(store: Store, runId: string, lastStep: number): Promise<void> {
  await store.transaction(async (query) => {
    const series = await query<{ id: number }>(`select id from metric_summaries where run_id = $1 order by key for update`, [runId]);
    if (series.length === 0) return;
    const ids = series.map((row) => row.id);
    await query(`delete from metric_chunks where series_id = any($1::int4[]) and first_step > $2`, [ids, lastStep]);
    // Chunks that straddle the step keep their first part, re-chunked (with their extrema and coarse copies).
    const straddling = await query<{ series_id: number; steps: number[]; values: number[]; wall_times: number[] }>(
      `delete from metric_chunks where series_id = any($1::int4[]) and last_step > $2 returning series_id, steps, values, wall_times`,
      [ids, lastStep],
    );
    const kept = new ChunkRows();
    for (const chunk of straddling) {
      const steps = chunk.steps.map(Number);
      const count = steps.findIndex((step) => step > lastStep);
      if (count > 0)
        kept.add(chunk.series_id, {
          steps: Int32Array.from(steps.slice(0, count)),
          values: Float64Array.from(chunk.values.slice(0, count), Number),
          wallTimes: Float64Array.from(chunk.wall_times.slice(0, count), Number),
        });
    }
    await kept.insert(store, query);
    await query(`delete from metric_summaries m where m.id = any($1::int4[]) and not exists (select 1 from metric_chunks c where c.series_id = m.id)`, [ids]);
    await recomputeSummaries(query, ids);
  });
}
