import { hasAnyUser, bootstrap } from './services/accounts';
import { openStore, type Store } from '@tuneboard/db';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import pino from 'pino';
import { readEnv, type Env } from './env';
import { startServer } from './server';

/** `tuneboard start`: migrate, bootstrap an empty installation, serve. What `npm start` runs. */
export async function start(env: Env = readEnv()): Promise<void> {
  const logger = pino({ level: env.TUNEBOARD_LOG_LEVEL });
  const dataDir = resolve(env.TUNEBOARD_DATA_DIR);
  const store = await openStore({ databaseUrl: env.DATABASE_URL, dataDir });
  const server = await startServer({ store, port: env.PORT, host: env.HOST, logger, maxBodyBytes: env.TUNEBOARD_MAX_BODY_MB * 1024 * 1024 });

  const lines = [
    '',
    `Tuneboard API    ${server.url}   (subscriptions: ${server.wsUrl})`,
    `Database         ${store.kind === 'pglite' ? `embedded PGlite in ${store.location}` : `PostgreSQL ${store.location}`}`,
  ];
  const firstToken = await bootstrapIfEmpty(store, dataDir);
  if (firstToken) {
    lines.push(
      '',
      'First start: created the user admin@localhost, the team "default" and an owner token:',
      `  ${firstToken.token}`,
      firstToken.savedTo ? `(also saved to ${firstToken.savedTo}; keep it secret)` : '(shown once; keep it)',
      '',
      'Try it:',
      `  curl -s ${server.url} -H 'content-type: application/json' -H 'authorization: Bearer ${firstToken.token}' \\`,
      `    -d '{"query":"{ viewer { email teams { name } } }"}'`,
    );
  }
  console.log(lines.join('\n') + '\n');

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    await server.stop();
    await store.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
}

/** On an empty database, the first user, team and owner token. The embedded default keeps the token in a file beside the data. */
async function bootstrapIfEmpty(store: Store, dataDir: string): Promise<{ token: string; savedTo?: string } | null> {
  if (await hasAnyUser(store)) return null;
  const result = await bootstrap(store);
  if (store.kind !== 'pglite') return { token: result.token };
  const savedTo = join(dirname(dataDir), 'admin-token.json');
  mkdirSync(dirname(savedTo), { recursive: true });
  writeFileSync(savedTo, JSON.stringify(result, null, 2) + '\n', { mode: 0o600 });
  chmodSync(savedTo, 0o600);
  return { token: result.token, savedTo };
}
