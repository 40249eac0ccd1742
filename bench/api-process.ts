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
 * them to stderr when it stops, with the mean time from sending each to its answer: how many round trips a request
 * makes, and what they cost.
 */
const counted = new Map<string, { n: number; ms: number }>();
if (process.env.BENCH_API_COUNT_QUERIES) {
  // The driver the store uses (a dependency of @tuneboard/db, not of the benchmark).
  type Query = (this: unknown, ...args: unknown[]) => unknown;
  const pg = createRequire(import.meta.resolve('@tuneboard/db'))('pg') as { Client: { prototype: { query: Query } } };
  const query = pg.Client.prototype.query;
  pg.Client.prototype.query = function (this: unknown, ...args: unknown[]) {
    const config = args[0] as string | { text?: string };
    const text = (typeof config === 'string' ? config : (config?.text ?? '?')).replace(/\s+/g, ' ').slice(0, 70);
    const entry = counted.get(text) ?? { n: 0, ms: 0 };
    counted.set(text, entry);
    entry.n++;
    const start = performance.now();
    // The pool passes a callback; a client in a transaction gets a promise.
    const callback = args.at(-1);
    if (typeof callback === 'function')
      args[args.length - 1] = (...answer: unknown[]) => {
        entry.ms += performance.now() - start;
        return (callback as (...a: unknown[]) => unknown)(...answer);
      };
    const result = query.apply(this, args);
    if (result instanceof Promise) void result.finally(() => (entry.ms += performance.now() - start)).catch(() => {});
    return result;
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
        .sort((a, b) => b[1].n - a[1].n)
        .map(([text, { n, ms }]) => `${String(n).padStart(8)} ${(ms / n).toFixed(2).padStart(7)} ms  ${text}`)
        .join('\n'),
    );
  void server
    .stop()
    .then(() => store.close())
    .then(() => process.exit(0));
});
