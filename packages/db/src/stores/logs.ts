import type { LogStream, RunLogLine } from '../schema/logs';
import type { Handle } from './handle';

/** Console logs: the lines a run's command printed, numbered by the sender. */

export interface LogLineInput {
  seq: number;
  stream: LogStream;
  text: string;
  /** Milliseconds since the epoch. */
  loggedAt: number;
}

/**
 * Stores lines; a (run, seq) already stored is left as it was, so a replayed batch is harmless. Returns how many
 * lines were new. One statement with array parameters: tens of thousands of lines per call stay one round trip.
 */
export async function appendLogLines(handle: Handle, runId: string, lines: readonly LogLineInput[]): Promise<number> {
  if (lines.length === 0) return 0;
  const rows = await handle.query<{ n: number }>(
    `with inserted as (
       insert into run_log_lines (run_id, seq, stream, text, logged_at)
       select $1, l.seq, l.stream, l.text, to_timestamp(l.ms / 1000.0)
       from unnest($2::int4[], $3::text[], $4::text[], $5::float8[]) as l(seq, stream, text, ms)
       on conflict (run_id, seq) do nothing
       returning 1
     ) select count(*)::int as n from inserted`,
    [
      runId,
      handle.arrayParam(
        'int4',
        lines.map((l) => l.seq),
      ),
      lines.map((l) => l.stream),
      lines.map((l) => l.text),
      handle.arrayParam(
        'float8',
        lines.map((l) => l.loggedAt),
      ),
    ],
  );
  return rows[0]?.n ?? 0;
}

export interface LogPageRequest {
  /** Lines after this seq (forward paging). */
  after?: number | null;
  /** Lines before this seq (backward paging, with `last`). */
  before?: number | null;
  /** The first N lines (after `after`)… */
  first?: number | null;
  /** …or the last N (before `before`), returned in order. */
  last?: number | null;
  /** Case-insensitive substring the lines must contain. */
  search?: string | null;
}

export interface LogPage {
  lines: RunLogLine[];
  /** Lines matching the search (all lines without one) in the whole log. */
  total: number;
  /** Whether matching lines exist after the last one returned / before the first one returned. */
  hasMore: boolean;
  hasEarlier: boolean;
}

interface LineRow {
  seq: number;
  stream: LogStream;
  text: string;
  logged_at: Date | string;
}

/** A page of a run's log, in seq order. */
export async function readLogPage(handle: Handle, runId: string, request: LogPageRequest): Promise<LogPage> {
  const matchParams: unknown[] = [runId];
  const conditions = ['run_id = $1'];
  // strpos on lower(): no LIKE pattern to escape, so a search for "100%" or "a_b" means exactly that.
  if (request.search) conditions.push(`strpos(lower(text), lower($${matchParams.push(request.search)})) > 0`);
  const matching = conditions.join(' and ');
  const pageParams = [...matchParams];
  const bounded = [matching];
  if (request.after != null) bounded.push(`seq > $${pageParams.push(request.after)}`);
  if (request.before != null) bounded.push(`seq < $${pageParams.push(request.before)}`);
  const backward = request.last != null;
  const limit = (backward ? request.last : request.first) ?? 500;
  // One more than asked tells whether more lines lie beyond the page.
  const rows = await handle.query<LineRow>(
    `select seq, stream, text, logged_at from run_log_lines where ${bounded.join(' and ')}
     order by seq ${backward ? 'desc' : 'asc'} limit ${limit + 1}`,
    pageParams,
  );
  const beyond = rows.length > limit;
  const page = rows.slice(0, limit);
  if (backward) page.reverse();
  const lines = page.map((row) => ({ runId, seq: row.seq, stream: row.stream, text: row.text, loggedAt: new Date(row.logged_at) }));
  const [counted] = await handle.query<{ n: number }>(`select count(*)::int as n from run_log_lines where ${matching}`, matchParams);
  // The side the page did not walk towards: is there a matching line past its edge (or past the bound, when empty)?
  const existsBeyond = async (op: '<' | '>', edge: number) =>
    (await handle.query(`select 1 from run_log_lines where ${matching} and seq ${op} $${matchParams.length + 1} limit 1`, [...matchParams, edge])).length > 0;
  const firstSeq = lines[0]?.seq ?? (request.after != null ? request.after + 1 : undefined);
  const lastSeq = lines.at(-1)?.seq ?? (request.before != null ? request.before - 1 : undefined);
  return {
    lines,
    total: counted?.n ?? 0,
    hasMore: backward ? lastSeq !== undefined && (await existsBeyond('>', lastSeq)) : beyond,
    hasEarlier: backward ? beyond : firstSeq !== undefined && (await existsBeyond('<', firstSeq)),
  };
}
