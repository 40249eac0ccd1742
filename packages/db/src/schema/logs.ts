import { sql } from 'drizzle-orm';
import { check, integer, pgTable, primaryKey, text, uuid } from 'drizzle-orm/pg-core';
import { timestampColumn } from './columns';
import { runs } from './runs';

export const LOG_STREAMS = ['stdout', 'stderr'] as const;
export type LogStream = (typeof LOG_STREAMS)[number];

// A run's console output (what `tuneboard run` captured from the command), one row per line. The sender numbers
// lines itself (seq from 0), so a batch retried after a timeout or replayed from its disk buffer stores nothing twice.
export const runLogLines = pgTable(
  'run_log_lines',
  {
    runId: uuid('run_id')
      .notNull()
      .references(() => runs.id, { onDelete: 'cascade' }),
    seq: integer('seq').notNull(),
    stream: text('stream', { enum: LOG_STREAMS }).notNull(),
    text: text('text').notNull(),
    loggedAt: timestampColumn('logged_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.runId, t.seq] }), check('run_log_lines_stream_check', sql`${t.stream} in ('stdout', 'stderr')`)],
);

export type RunLogLine = typeof runLogLines.$inferSelect;
