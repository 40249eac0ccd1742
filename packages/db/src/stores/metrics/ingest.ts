import type { RawQuery, Store } from '../../client';
import { prepareBatch, type MetricColumns, type SortedSeries } from './batch';
import { CHUNK_INSERT, chunkInsert, ChunkRows, summarise } from './chunks';
import { appendedSummariesUpdate, ensureSummaryRows, recomputeSummaries } from './summaries';

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

/** What the run's row says about who may write into it. */
interface RunHolder {
  status: string;
  lease_token: string | null;
  worker_name: string | null;
}

/** Whether `writer` may write into a run in this state; SQL_WRITER_ALLOWED says the same in SQL. */
function refusal(run: RunHolder | undefined, writer: RunWriter): RunHeldError | null {
  if (!run) return new RunHeldError('The run no longer exists', 'lease-lost');
  const held = run.status === 'running' && run.lease_token !== null;
  if (writer.leaseToken !== null) {
    if (!held || run.lease_token !== writer.leaseToken.toLowerCase())
      return new RunHeldError(
        run.status === 'running'
          ? 'This worker no longer holds the run: its lease expired and the run was handed to another worker; its metrics are not stored'
          : `This worker no longer holds the run: it is ${run.status}; its metrics are not stored`,
        'lease-lost',
      );
  } else if (held) {
    return new RunHeldError(
      `The run is being trained by worker "${run.worker_name ?? 'unknown'}"; only that worker (with its lease token) may log metrics into it until it finishes`,
      'held-by-worker',
    );
  }
  return null;
}

/** `refusal` in SQL over the run row `r`, with the writer's lease token (lower case, or null) as `$2`. */
const SQL_WRITER_ALLOWED = `(case when $2::text is null then not (r.status = 'running' and r.lease_token is not null)
  else r.status = 'running' and r.lease_token::text = $2::text end)`;

/**
 * Checks the writer against the run's lease and keeps the run row share-locked until the batch commits, so a
 * worker finishing (or losing) the run at the same moment waits: no point lands after the run changed hands.
 * In the same statement (one round trip): the summary rows of the batch's keys, created where missing and locked
 * in key order (ensureSummaryRows), only when the writer may write.
 */
async function lockRunAndSummaryRows(
  query: RawQuery,
  runId: string,
  writer: RunWriter,
  keys: readonly string[],
): Promise<{ id: number; key: string; last_step: number | null }[]> {
  const rows = await query<RunHolder & { id: number | null; key: string | null; last_step: number | null }>(
    `with r as (select id, status, lease_token, worker_id from runs where id = $1 for share),
     s as (
       insert into metric_summaries (run_id, key) select r.id, k from r, unnest($3::text[]) as k where ${SQL_WRITER_ALLOWED} order by k
       on conflict (run_id, key) do update set updated_at = now()
       returning id, key, last_step
     )
     select r.status, r.lease_token, w.name as worker_name, s.id, s.key, s.last_step
     from r left join workers w on w.id = r.worker_id left join s on true`,
    [runId, writer.leaseToken?.toLowerCase() ?? null, keys],
  );
  const refused = refusal(rows[0], writer);
  if (refused) throw refused;
  const series = rows.filter((row): row is typeof row & { id: number; key: string } => row.id !== null);
  if (series.length !== keys.length) throw new Error(`expected ${keys.length} summary rows for run ${runId}, got ${series.length}`);
  return series;
}

/** The steps and keys a batch added, for the notification that announces it. */
export interface AppendedRange {
  keys: string[];
  fromStep: number;
  toStep: number;
}

/** A NOTIFY sent by the batch's transaction, so listeners hear of it exactly when it commits. */
export type AppendNotification = (appended: AppendedRange) => { channel: string; payload: string };

/**
 * Stores a batch of metric points for one run, in one transaction. Idempotent per (run, key, step): re-sending
 * points replaces them. With a `writer`, the run's lease is checked first (RunHeldError). Throws
 * MetricBatchError for a malformed batch. Returns how many distinct points the batch held, and its keys.
 * `notify`: a notification the transaction sends (when it stored any point), delivered when it commits.
 *
 * The usual batch (every series extends its stored steps) is four round trips: begin; the run's lock, lease
 * check and summary rows; the chunks, the summaries and the notification in one statement; commit.
 */
export async function appendMetrics(
  store: Store,
  runId: string,
  batch: readonly MetricColumns[],
  writer?: RunWriter,
  options: { notify?: AppendNotification } = {},
): Promise<{ points: number; keys: string[] }> {
  const series = prepareBatch(batch);
  if (series.length === 0) {
    if (writer) await lockRunAndSummaryRows(store.query, runId, writer, []);
    return { points: 0, keys: [] };
  }
  const keys = series.map((s) => s.key);
  await store.transaction(async (query) => {
    // Also locks the series' summary rows until commit, so two writers to one series take turns.
    const rows = writer
      ? await lockRunAndSummaryRows(query, runId, writer, keys)
      : await ensureSummaryRows(
          query,
          keys.map((key) => ({ runId: runId.toLowerCase(), key })),
        );
    const byKey = new Map(rows.map((row) => [row.key, row]));
    await writeIntoRows(
      store,
      query,
      series.map((s) => ({ row: byKey.get(s.key)!, s })),
      options.notify?.(appendedRange(series)),
    );
  });
  return { points: series.reduce((sum, s) => sum + s.steps.length, 0), keys };
}

/** What appendToWritableRun learnt of the run, for the caller's heartbeat. */
export interface AppendedRun {
  status: string;
  lastSeenAt: Date | null;
}

/**
 * appendMetrics for the usual batch in ONE statement (one round trip, one commit): the run is loaded and
 * share-locked, its team checked against `teamIds` (those the caller may write), the writer against its lease;
 * the summary rows are locked and, when every series of the batch extends its stored steps, the chunks are
 * inserted, the summaries updated and `notify` sent, all or nothing. Returns null when it wrote nothing: the run
 * is missing, foreign, held or deleted, or the batch overlaps stored steps (a retry, a re-log). When another
 * writer extended one of the series in between, the statement fails on purpose (isWriterRace) and stores nothing.
 * In both cases the caller takes the ordinary path (its checks say why, and appendMetrics merges overlaps), so
 * the outcome is the same as if it had taken it at once.
 */
export async function appendToWritableRun(
  store: Store,
  runId: string,
  batch: readonly MetricColumns[],
  options: { writer: RunWriter; teamIds: readonly string[]; notify?: AppendNotification },
): Promise<{ points: number; keys: string[]; run: AppendedRun } | null> {
  const series = prepareBatch(batch);
  if (series.length === 0) return null;
  const chunks = new ChunkRows();
  // Chunks name their series by its 1-based place in the batch; the statement maps that to the series row.
  series.forEach((s, i) => chunks.add(i + 1, s));
  const inserted = chunks.statement(store)!;
  const params = [...inserted.params];
  const p = (value: unknown) => `$${params.push(value)}`;
  const extrema = series.map((s) => summarise(s.values, 0, s.values.length));
  const keys = series.map((s) => s.key);
  const notice = options.notify?.(appendedRange(series));
  const run = p(runId);
  const keysParam = p(keys);
  const sqlWriterAllowed = SQL_WRITER_ALLOWED.replaceAll('$2::text', `${p(options.writer.leaseToken?.toLowerCase() ?? null)}::text`);
  const rows = await store.query<{ status: string | null; last_seen_at: Date | null; appended: boolean; failed: number | null }>(
    `with r as (
       select r.id, r.status, r.lease_token, r.last_seen_at, p.team_id from runs r join projects p on p.id = r.project_id
       where r.id = ${run}::uuid and r.deleted_at is null and p.deleted_at is null for share of r
     ),
     stored as (
       select s.key, s.last_step from metric_summaries s where s.run_id = ${run}::uuid and s.key = any(${keysParam}::text[]) order by s.key for update
     ),
     fast as (
       select 1 from r where r.team_id::text = any(${p(options.teamIds)}::text[]) and ${sqlWriterAllowed}
       and not exists (select 1 from stored join unnest(${keysParam}::text[], ${p(series.map((s) => s.steps[0]!))}::int4[]) as b(key, first_step)
                       on b.key = stored.key where stored.last_step >= b.first_step)
     ),
     up as (
       insert into metric_summaries as m (run_id, key, point_count, non_finite_count, first_step, last_step, last_value, min_value, max_value, fine_count, coarse_count)
       select ${run}::uuid, u.key, u.n, u.non_finite, u.first_step, u.last_step, u.last_value, u.min_value, u.max_value, u.fine, u.coarse
       from unnest(${keysParam}::text[], ${p(series.map((s) => s.steps.length))}::int8[], ${p(extrema.map((e) => e.nonFinite))}::int8[],
         ${p(series.map((s) => s.steps[0]!))}::int4[], ${p(series.map((s) => s.steps[s.steps.length - 1]!))}::int4[],
         ${p(series.map((s) => s.values[s.values.length - 1]!))}::float8[], ${p(extrema.map((e) => e.minValue))}::float8[],
         ${p(extrema.map((e) => e.maxValue))}::float8[], ${p(series.map((_, i) => inserted.summaryCounts.get(i + 1)!.fine))}::int8[],
         ${p(series.map((_, i) => inserted.summaryCounts.get(i + 1)!.coarse))}::int8[])
         as u(key, n, non_finite, first_step, last_step, last_value, min_value, max_value, fine, coarse)
       where exists (select 1 from fast)
       order by u.key
       on conflict (run_id, key) do update set
         point_count = m.point_count + excluded.point_count,
         non_finite_count = m.non_finite_count + excluded.non_finite_count,
         first_step = coalesce(m.first_step, excluded.first_step),
         last_step = excluded.last_step,
         last_value = excluded.last_value,
         min_value = least(m.min_value, excluded.min_value),
         max_value = greatest(m.max_value, excluded.max_value),
         fine_count = m.fine_count + excluded.fine_count,
         coarse_count = m.coarse_count + excluded.coarse_count,
         updated_at = now()
       -- A series another writer extended since this statement's snapshot is left alone (and fails it below).
       where m.last_step is null or m.last_step < excluded.first_step
       returning id, key
     ),
     inserted_chunks as (${chunkInsert('up.id', `join up on up.key = (${keysParam}::text[])[c.series_id]`)})
     select r.status, r.last_seen_at, n.appended,
       -- Some series stored, others not: fail the statement, so that nothing of the batch is stored.
       (case when n.appended and n.count <> ${p(keys.length)} then 'a writer got in between: ' || n.count end)::int as failed
       ${notice ? `, case when n.appended then pg_notify(${p(notice.channel)}, ${p(notice.payload)}) end as notified` : ''}
     from (select count(*)::int as count, count(*) > 0 as appended from up) n left join r on true`,
    params,
    { prepared: true },
  );
  const row = rows[0];
  if (!row?.appended || row.status === null) return null;
  return { points: series.reduce((sum, s) => sum + s.steps.length, 0), keys, run: { status: row.status, lastSeenAt: row.last_seen_at } };
}

/** Whether an error is appendToWritableRun's failing on purpose (another writer extended a series meanwhile). */
export function isWriterRace(error: unknown): boolean {
  return error instanceof Error && /a writer got in between/.test(error.message);
}

function appendedRange(series: readonly SortedSeries[]): AppendedRange {
  let fromStep = Number.POSITIVE_INFINITY;
  let toStep = Number.NEGATIVE_INFINITY;
  for (const s of series) {
    fromStep = Math.min(fromStep, s.steps[0]!);
    toStep = Math.max(toStep, s.steps[s.steps.length - 1]!);
  }
  return { keys: series.map((s) => s.key), fromStep, toStep };
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
  await writeIntoRows(
    store,
    query,
    wanted.map(({ runId, s }) => ({ row: byRunKey.get(`${runId}\u0000${s.key}`)!, s })),
  );
}

/**
 * Writes each series into its summary row (created and locked by the caller): new chunks for a series that extends
 * its stored steps, a merge for one that overlaps them. The chunks, the appended series' summaries and `notice` go
 * in one statement; a merge rebuilds its summaries after it, and the notification then follows on its own.
 */
async function writeIntoRows(
  store: Pick<Store, 'arrayParam'>,
  query: RawQuery,
  targets: readonly { row: { id: number; last_step: number | null }; s: SortedSeries }[],
  notice?: { channel: string; payload: string },
): Promise<void> {
  const chunks = new ChunkRows();
  const appended: { id: number; s: SortedSeries }[] = [];
  const merged: number[] = [];
  for (const { row, s } of targets) {
    if (row.last_step === null || s.steps[0]! > row.last_step) {
      chunks.add(row.id, s);
      appended.push({ id: row.id, s });
    } else {
      chunks.add(row.id, await mergeWithStored(query, row.id, s));
      merged.push(row.id);
    }
  }
  const inserted = chunks.statement(store);
  if (!inserted) return;
  const summaries = appendedSummariesUpdate(appended, inserted.summaryCounts, inserted.params.length + 1);
  const params = [...inserted.params, ...(summaries?.params ?? [])];
  let notification = '';
  if (notice && merged.length === 0) {
    notification = `pg_notify($${params.length + 1}, $${params.length + 2})`;
    params.push(notice.channel, notice.payload);
  }
  await query(
    `with inserted_chunks as (${CHUNK_INSERT})${summaries ? `, appended_summaries as (${summaries.text})` : ''} select ${notification || 'null'}`,
    params,
  );
  if (merged.length > 0) {
    await recomputeSummaries(query, merged);
    if (notice) await query('select pg_notify($1, $2)', [notice.channel, notice.payload]);
  }
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
    const insert = kept.statement(store);
    if (insert) await query(CHUNK_INSERT, insert.params);
    await query(`delete from metric_summaries m where m.id = any($1::int4[]) and not exists (select 1 from metric_chunks c where c.series_id = m.id)`, [ids]);
    await recomputeSummaries(query, ids);
  });
}
