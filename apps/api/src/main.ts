import { openStore, type Store } from '@tuneboard/db';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import { LocalArtifactStore } from './artifacts/local';
import { S3ArtifactStore } from './artifacts/s3';
import type { ArtifactStore } from './artifacts/store';
import { createFirstUser, issueLocalWorkerToken } from './services/accounts';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import pino from 'pino';
import { childEnv, readEnv, type Env } from './env';
import { startServer, type RunningServer } from './server';

/** `tuneboard start`: migrate, bootstrap an empty installation, serve. What `npm start` runs. */
export async function start(env: Env = readEnv()): Promise<void> {
  const logger = pino({ level: env.TUNEBOARD_LOG_LEVEL });
  const dataDir = resolve(env.TUNEBOARD_DATA_DIR);

  // Signal handlers come first: a signal during start-up (or right after the banner, before a handler
  // registered later would exist) must still close the store and release the data directory.
  const running: { store?: Store; server?: RunningServer; workers?: { stop(): Promise<void> } | null } = {};
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    try {
      await running.workers?.stop();
      await running.server?.stop();
    } finally {
      await running.store?.close();
      process.exit(0);
    }
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));

  const store = (running.store = await openStore({
    databaseUrl: env.DATABASE_URL,
    dataDir,
    statementTimeoutMs: env.TUNEBOARD_OPERATION_TIMEOUT_MS,
    // A dropped connection is survivable (queries fail and are retried by clients); worth a warning, not a crash.
    onConnectionError: (error) => logger.warn({ err: error }, 'a PostgreSQL connection failed'),
  }));
  const artifacts = await openArtifactStore(env, dataDir);
  const server = (running.server = await startServer({
    store,
    artifacts,
    maxArtifactBytes: env.TUNEBOARD_MAX_ARTIFACT_MB * 1024 * 1024,
    port: env.PORT,
    host: env.HOST,
    logger,
    maxBodyBytes: env.TUNEBOARD_MAX_BODY_MB * 1024 * 1024,
    leaseSeconds: env.TUNEBOARD_LEASE_SECONDS,
    externalRunTimeoutSeconds: env.TUNEBOARD_EXTERNAL_RUN_TIMEOUT_SECONDS,
    maxResponseBytes: env.TUNEBOARD_MAX_RESPONSE_MB * 1024 * 1024,
    operationTimeoutMs: env.TUNEBOARD_OPERATION_TIMEOUT_MS,
    trustedProxies: env.TUNEBOARD_TRUSTED_PROXIES,
    rateLimits: {
      tokenRequestsPerMinute: env.TUNEBOARD_RATE_LIMIT_PER_TOKEN,
      addressRequestsPerMinute: env.TUNEBOARD_RATE_LIMIT_PER_ADDRESS,
      authFailuresPerMinute: env.TUNEBOARD_AUTH_FAILURES_PER_ADDRESS,
    },
  }));

  const lines = [
    '',
    `Tuneboard API    ${server.url}   (subscriptions: ${server.wsUrl})`,
    `Database         ${store.kind === 'pglite' ? `embedded PGlite in ${store.location}` : `PostgreSQL ${store.location}`}`,
    `Artifacts        ${artifacts.location} (up to ${env.TUNEBOARD_MAX_ARTIFACT_MB} MB a file; MLflow clients upload through /api/2.0/mlflow-artifacts)`,
  ];
  const firstToken = await bootstrapIfEmpty(store, dataDir);
  const workers = (running.workers = env.TUNEBOARD_WORKERS > 0 ? await startLocalWorkers(store, server.url, env.TUNEBOARD_WORKERS, logger) : null);
  lines.push(
    workers
      ? `Workers          ${env.TUNEBOARD_WORKERS} local trainer worker(s); add more anywhere with TUNEBOARD_API_URL=${server.url} TUNEBOARD_TOKEN=… npx tuneboard worker`
      : 'Workers          none here (TUNEBOARD_WORKERS=0); start them with `tuneboard worker`',
  );
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
}

/** S3 when a bucket is configured; otherwise a directory beside the data directory, not in it (with the embedded database that directory is PostgreSQL's own). */
async function openArtifactStore(env: Env, dataDir: string): Promise<ArtifactStore> {
  if (!env.TUNEBOARD_ARTIFACT_S3_BUCKET) return LocalArtifactStore.open(resolve(env.TUNEBOARD_ARTIFACT_ROOT ?? join(dirname(dataDir), 'artifacts')));
  return new S3ArtifactStore({
    bucket: env.TUNEBOARD_ARTIFACT_S3_BUCKET,
    region: env.TUNEBOARD_ARTIFACT_S3_REGION,
    endpoint: env.TUNEBOARD_ARTIFACT_S3_ENDPOINT ?? `https://s3.${env.TUNEBOARD_ARTIFACT_S3_REGION}.amazonaws.com`,
    prefix: env.TUNEBOARD_ARTIFACT_S3_PREFIX,
    // Checked in env.ts: both are set when a bucket is.
    accessKeyId: (env.TUNEBOARD_ARTIFACT_S3_ACCESS_KEY_ID ?? env.AWS_ACCESS_KEY_ID)!,
    secretAccessKey: (env.TUNEBOARD_ARTIFACT_S3_SECRET_ACCESS_KEY ?? env.AWS_SECRET_ACCESS_KEY)!,
  });
}

/**
 * Trainer workers as child processes (training would stall the API's event loop), with a token of their own
 * for the first user, so the embedded default trains runs out of the box. A worker that dies is restarted.
 */
async function startLocalWorkers(store: Store, apiUrl: string, count: number, logger: Logger) {
  // One token per start, the previous ones revoked, so tokens do not pile up.
  const token = await issueLocalWorkerToken(store, LOCAL_WORKER_TOKEN);
  if (!token) return null;
  const bin = fileURLToPath(new URL('../bin/tuneboard.mjs', import.meta.url));
  let stopping = false;
  const children = new Set<ChildProcess>();
  const spawnWorker = (index: number) => {
    const child = spawn(process.execPath, [bin, 'worker', '--name', `local-${index}`], {
      // Registered for the owner's teams as of each worker start (a setting meant for remote workers is not inherited).
      env: childEnv({ TUNEBOARD_API_URL: apiUrl, TUNEBOARD_TOKEN: token, TUNEBOARD_WORKER_TEAMS: '' }),
      // The IPC channel closes when this process dies, however it dies (even SIGKILL): the worker then exits.
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    children.add(child);
    child.on('exit', (code, signal) => {
      children.delete(child);
      if (stopping) return;
      logger.warn({ code, signal, index }, 'local worker exited; restarting it in 2 s');
      setTimeout(() => !stopping && spawnWorker(index), 2_000).unref();
    });
  };
  for (let i = 1; i <= count; i++) spawnWorker(i);
  return {
    async stop() {
      stopping = true;
      await Promise.all([...children].map((child) => new Promise<void>((resolve) => (child.once('exit', () => resolve()), child.kill('SIGTERM')))));
    },
  };
}

const LOCAL_WORKER_TOKEN = 'local worker';

/** On an empty database, the first user, team and owner token. The embedded default keeps the token in a file beside the data. */
async function bootstrapIfEmpty(store: Store, dataDir: string): Promise<{ token: string; savedTo?: string } | null> {
  const result = await createFirstUser(store);
  if (!result) return null;
  if (store.kind !== 'pglite') return { token: result.token };
  const savedTo = join(dirname(dataDir), 'admin-token.json');
  mkdirSync(dirname(savedTo), { recursive: true });
  writeFileSync(savedTo, JSON.stringify(result, null, 2) + '\n', { mode: 0o600 });
  chmodSync(savedTo, 0o600);
  return { token: result.token, savedTo };
}
