import { logStore, type LogStream, type Run } from '@tuneboard/db';
import { loadRun } from './access';
import { invalid, type FieldProblem } from './errors';
import { heardFrom } from './runs';
import type { Scope } from './scope';

/**
 * Console logs: the lines a run's command printed (`tuneboard run` sends them), stored in order and read back in
 * pages, searchable. The sender numbers the lines, so a batch sent twice (a retry, a replay from its disk buffer)
 * stores each line once.
 */

/** Lines per append call; `tuneboard run` sends a few hundred at a time. */
export const MAX_LOG_LINES_PER_BATCH = 10_000;
/** Characters per line: `tuneboard run` splits longer output into several lines. */
export const MAX_LOG_LINE_CHARS = 16_384;
/** A run's log holds lines numbered 0 … MAX_LOG_LINES_PER_RUN − 1 (a runaway loop printing forever stops here). */
export const MAX_LOG_LINES_PER_RUN = 1_000_000;
/** Lines per page read. */
export const MAX_LOG_PAGE = 5_000;
const MAX_SEARCH_CHARS = 200;

export interface LogLineInput {
  seq: number;
  stream: LogStream;
  text: string;
  /** Milliseconds since the epoch; default now. */
  time?: number | null;
}

/** Appends lines to a run the actor may write. Every bad line is reported with its index; nothing of a bad batch is stored. */
export async function appendRunLog(scope: Scope, runId: string, lines: readonly LogLineInput[]): Promise<{ accepted: number; run: Run }> {
  const run = await loadRun(scope, runId, 'write');
  if (lines.length > MAX_LOG_LINES_PER_BATCH)
    throw invalid(`A log batch holds at most ${MAX_LOG_LINES_PER_BATCH.toLocaleString('en')} lines; this one has ${lines.length.toLocaleString('en')}`, [
      { path: 'lines', message: 'too many lines' },
    ]);
  const problems: FieldProblem[] = [];
  const now = Date.now();
  lines.forEach((line, i) => {
    if (!Number.isInteger(line.seq) || line.seq < 0 || line.seq >= MAX_LOG_LINES_PER_RUN)
      problems.push({
        path: `lines[${i}].seq`,
        message: `must be a whole number from 0 to ${(MAX_LOG_LINES_PER_RUN - 1).toLocaleString('en')} (a run's log holds at most ${MAX_LOG_LINES_PER_RUN.toLocaleString('en')} lines)`,
      });
    if (line.text.length > MAX_LOG_LINE_CHARS)
      problems.push({
        path: `lines[${i}].text`,
        message: `is ${line.text.length.toLocaleString('en')} characters; a line holds at most ${MAX_LOG_LINE_CHARS.toLocaleString('en')}`,
      });
    // PostgreSQL text cannot hold NUL; the sender replaces it (tuneboard run writes U+FFFD).
    if (line.text.includes('\u0000')) problems.push({ path: `lines[${i}].text`, message: 'contains a NUL character' });
    if (line.time != null && !(Number.isFinite(line.time) && Math.abs(line.time - now) < 10 * 365 * 86_400_000))
      problems.push({ path: `lines[${i}].time`, message: 'must be a time within ten years of now' });
  });
  if (problems.length > 0)
    throw invalid(
      `Invalid log lines: ${problems
        .slice(0, 5)
        .map((p) => `${p.path} ${p.message}`)
        .join('; ')}`,
      problems,
    );
  const accepted = await logStore.appendLogLines(
    scope.store,
    run.id,
    lines.map((line) => ({ seq: line.seq, stream: line.stream, text: line.text, loggedAt: line.time ?? now })),
  );
  // Output from an EXTERNAL run's command is a sign of life, like a metric batch.
  return { accepted, run: (await heardFrom(scope, run)) ?? run };
}

export interface LogPageArgs {
  after?: number | null;
  before?: number | null;
  first?: number | null;
  last?: number | null;
  search?: string | null;
}

/** A page of the log of a run the caller has already read (the run resolver checked access). */
export async function readRunLog(scope: Scope, run: Run, args: LogPageArgs): Promise<logStore.LogPage> {
  const problems: FieldProblem[] = [];
  for (const name of ['first', 'last'] as const) {
    const value = args[name];
    if (value != null && (!Number.isInteger(value) || value < 0 || value > MAX_LOG_PAGE))
      problems.push({ path: name, message: `must be between 0 and ${MAX_LOG_PAGE.toLocaleString('en')}` });
  }
  if (args.first != null && args.last != null) problems.push({ path: 'last', message: 'give first (with after) or last (with before), not both' });
  if (args.search != null && args.search.length > MAX_SEARCH_CHARS)
    problems.push({ path: 'search', message: `is ${args.search.length} characters; at most ${MAX_SEARCH_CHARS}` });
  if (args.search?.includes('\u0000')) problems.push({ path: 'search', message: 'contains a NUL character' });
  if (problems.length > 0) throw invalid(`Invalid log page: ${problems.map((p) => `${p.path} ${p.message}`).join('; ')}`, problems);
  return logStore.readLogPage(scope.store, run.id, {
    after: args.after,
    before: args.before,
    first: args.last == null ? (args.first ?? 500) : null,
    last: args.last,
    search: args.search || null,
  });
}
