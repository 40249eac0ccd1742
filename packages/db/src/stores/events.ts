import { eq } from 'drizzle-orm';
import { runs, type Run } from '../schema/runs';
import type { Handle } from './handle';

/**
 * Events travel through PostgreSQL NOTIFY (apps/api's EventBus listens). Besides sending one, this is what a
 * live subscriber reads after its channel was interrupted (a lost LISTEN connection): the state it would
 * otherwise have heard about.
 */

/**
 * Sends `payload` to every connection listening on `channel`, once what was written before is committed.
 * PostgreSQL refuses payloads of 8000 bytes or more. A raw query on the pool, as before this moved here: sent
 * through drizzle's `execute`, notifications were lost in apps/api's connection-kill resilience tests.
 */
export async function notify(handle: Handle, channel: string, payload: string): Promise<void> {
  await handle.query('select pg_notify($1, $2)', [channel, payload]);
}

/**
 * notify for many payloads with one statement (in the order given, as separate notifications): what a batch that
 * changed many runs announces.
 */
export async function notifyMany(handle: Handle, channel: string, payloads: readonly string[]): Promise<void> {
  if (payloads.length === 0) return;
  await handle.query('select pg_notify($1, p) from unnest($2::text[]) with ordinality as t(p, n) order by n', [channel, payloads]);
}

/** The run as it is now, soft-deleted or not: what an event about it shows. */
export async function runAsItIsNow(handle: Handle, runId: string): Promise<Run | null> {
  const [run] = await handle.db.select().from(runs).where(eq(runs.id, runId));
  return run ?? null;
}

/** A run's status and the highest step stored for any of its metrics (null before the first point). */
export async function runProgress(
  handle: Handle,
  runId: string,
): Promise<{ status: string; lastStep: number | null; lastStepByKey: Map<string, number> } | null> {
  const [row] = await handle.query<{ status: string; keys: string[] | null; last_steps: number[] | null }>(
    `select r.status, array_agg(m.key order by m.key) filter (where m.key is not null) as keys,
       array_agg(m.last_step order by m.key) filter (where m.key is not null) as last_steps
     from runs r left join metric_summaries m on m.run_id = r.id and m.point_count > 0
     where r.id = $1 group by r.id, r.status`,
    [runId],
  );
  if (!row) return null;
  const lastStepByKey = new Map<string, number>();
  (row.keys ?? []).forEach((key, i) => lastStepByKey.set(key, Number(row.last_steps![i])));
  const lastStep = lastStepByKey.size === 0 ? null : Math.max(...lastStepByKey.values());
  return { status: row.status, lastStep, lastStepByKey };
}

/** The database's clock, as text with microseconds: the cursor `findingEventsSince` compares against. */
export async function databaseNow(handle: Handle): Promise<string> {
  const [row] = await handle.query<{ now: string }>(`select now()::text as now`);
  return row!.now;
}

/**
 * Events of a project's findings recorded at or after `since` minus `slackMs` (a transaction's events carry
 * its start time and may commit after later ones), oldest first, at most `limit`.
 */
export async function findingEventsSince(
  handle: Handle,
  projectId: string,
  since: string,
  options: { slackMs: number; limit: number },
): Promise<{ id: string; findingId: string }[]> {
  const rows = await handle.query<{ id: string; finding_id: string }>(
    `select e.id, e.finding_id from finding_events e join findings f on f.id = e.finding_id
      where f.project_id = $1 and e.created_at >= $2::timestamptz - make_interval(secs => $3::float8 / 1000)
      order by e.created_at, e.id limit $4`,
    [projectId, since, options.slackMs, options.limit],
  );
  return rows.map((row) => ({ id: row.id, findingId: row.finding_id }));
}
