/**
 * The API alone in a process of its own, over PostgreSQL, so the benchmark can measure its resident
 * memory (and profile it: BENCH_API_NODE_OPTIONS='--cpu-prof'). Prints `listening <url>` when ready.
 */
import { startServer } from '@tuneboard/api';
import { openStore } from '@tuneboard/db';
import pino from 'pino';

const store = await openStore({ databaseUrl: process.env.BENCH_API_DATABASE_URL!, migrate: false });
const server = await startServer({ store, port: 0, logger: pino({ level: 'warn' }, pino.destination(2)) });
console.log(`listening ${server.url}`);
process.on('SIGTERM', () => {
  void server.stop().then(() => store.close()).then(() => process.exit(0));
});
