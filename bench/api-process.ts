/**
 * The API alone in a process of its own, so the benchmark can measure its resident memory (and profile it:
 * BENCH_API_NODE_OPTIONS='--cpu-prof') and its clients do not share its event loop. Over PostgreSQL
 * (BENCH_API_DATABASE_URL) or an embedded store's directory (BENCH_API_DATA_DIR). Prints `listening <url>`.
 */
import { startServer } from '@tuneboard/api';
import { openStore } from '@tuneboard/db';
import pino from 'pino';

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
  void server
    .stop()
    .then(() => store.close())
    .then(() => process.exit(0));
});
