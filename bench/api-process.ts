/**
 * The API alone in a process of its own, so the benchmark can measure its resident memory (and profile it:
 * BENCH_API_NODE_OPTIONS='--cpu-prof') and its clients do not share its event loop. Over PostgreSQL
 * (BENCH_API_DATABASE_URL) or an embedded store's directory (BENCH_API_DATA_DIR). Prints `listening <url>`.
 */
import { startServer } from '@tuneboard/api';
import { openStore } from '@tuneboard/db';
import { createRequire } from 'node:module';
import pino from 'pino';

/**
 * BENCH_API_COUNT_QUERIES=1: counts the statements the API sends to PostgreSQL (by their first words) and prints
 * them to stderr when it stops, to see how many round trips a request makes.
 */
const counted = new Map<string, number>();
if (process.env.BENCH_API_COUNT_QUERIES) {
  // The driver the store uses (a dependency of @tuneboard/db, not of the benchmark).
  type Query = (this: unknown, ...args: unknown[]) => unknown;
  const pg = createRequire(import.meta.resolve('@tuneboard/db'))('pg') as { Client: { prototype: { query: Query } } };
  const query = pg.Client.prototype.query;
  pg.Client.prototype.query = function (this: unknown, ...args: unknown[]) {
    const config = args[0] as string | { text?: string };
    const text = (typeof config === 'string' ? config : (config?.text ?? '?')).replace(/\s+/g, ' ').slice(0, 70);
    counted.set(text, (counted.get(text) ?? 0) + 1);
    return query.apply(this, args);
  };
}

// The API's default time budget, as `tuneboard start` applies it.
const store = await openStore({
  databaseUrl: process.env.BENCH_API_DATABASE_URL,
  dataDir: process.env.BENCH_API_DATA_DIR,
  migrate: false,
  statementTimeoutMs: 15_000,
});
const server = await startServer({ store, port: 0, logger: pino({ level: 'warn' }, pino.destination(2)) });
console.log(`listening ${server.url}`);
process.on('SIGTERM', () => {
  if (counted.size > 0)
    console.error(
      [...counted]
        .sort((a, b) => b[1] - a[1])
        .map(([text, n]) => `${String(n).padStart(8)}  ${text}`)
        .join('\n'),
    );
  void server
    .stop()
    .then(() => store.close())
    .then(() => process.exit(0));
});
