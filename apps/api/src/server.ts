import type { BaseContext } from '@apollo/server';
import { pingStore, type Store } from '@tuneboard/db';
import { createServer, type Server, type ServerResponse } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino, { type Logger } from 'pino';
import { LocalArtifactStore } from './artifacts/local';
import type { ArtifactStore } from './artifacts/store';
import { LOOPBACK_PROXIES, trustedProxySet } from './client-address';
import type { Services } from './context';
import { DEFAULT_RATE_LIMITS, RateLimits, type RateLimitSettings } from './rate-limits';
import { buildSchema } from './schema/index';
import { EventBus } from './services/events';
import { FindingRechecks } from './services/findings';
import { requeueExpiredLeases } from './services/queue';
import { markLostRuns } from './services/runs';
import { Admission } from './transport/admission';
import { createApollo } from './transport/apollo';
import { createArtifactsHandler, isArtifactRequest } from './transport/artifacts';
import { createGraphQLHandler, graphQLErrorBody, sendJson } from './transport/http';
import { createMlflowHandler, isMlflowPath } from './transport/mlflow';
import { startSocketServer } from './transport/sockets';

/**
 * The API process's front door: one port serving GraphQL over HTTP (transport/http.ts) and subscriptions over
 * WebSocket (transport/sockets.ts), both behind the same admission checks (transport/admission.ts).
 */

export interface ServerOptions {
  store: Store;
  port?: number;
  host?: string;
  logger?: Logger;
  /** Largest request body read, in bytes. */
  maxBodyBytes?: number;
  /** How long a worker's lease on a run lasts without a heartbeat (default 30 s). */
  leaseSeconds?: number;
  /** How long an EXTERNAL run may stay RUNNING without a heartbeat or metric batch before it is marked lost (default 300 s). */
  externalRunTimeoutSeconds?: number;
  /** Largest response sent, in bytes of JSON (default 128 MB); a larger one is answered RESPONSE_TOO_LARGE. */
  maxResponseBytes?: number;
  /**
   * Time budget of one query in ms (default 15 s; 0 = none): past it the query is answered OPERATION_TIMEOUT and
   * resolves no further fields. The store's statement timeout (openStore) aborts its SQL on PostgreSQL.
   */
  operationTimeoutMs?: number;
  /** Requests per minute per token, per address, and invalid tokens per address (0 = off). */
  rateLimits?: Partial<RateLimitSettings>;
  /** Peers whose X-Forwarded-For names the client for the per-address limits (default: this machine). */
  trustedProxies?: readonly string[];
  /** Where run artifacts are kept (default: a fresh temporary directory, removed on stop; `tuneboard start` passes the configured one). */
  artifacts?: ArtifactStore;
  /** Largest artifact file accepted, in bytes (default 1 GB). */
  maxArtifactBytes?: number;
}

export interface RunningServer {
  url: string;
  wsUrl: string;
  port: number;
  httpServer: Server;
  stop(): Promise<void>;
}

const GRAPHQL_PATH = '/graphql';

/** Starts the HTTP (queries, mutations) and WebSocket (subscriptions) GraphQL endpoints on one port. */
export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const logger = options.logger ?? pino({ level: 'silent' });
  const maxBodyBytes = options.maxBodyBytes ?? 64 * 1024 * 1024;
  const maxResponseBytes = options.maxResponseBytes ?? 128 * 1024 * 1024;
  const operationTimeoutMs = options.operationTimeoutMs ?? 15_000;
  const trustedProxies = trustedProxySet(options.trustedProxies ?? LOOPBACK_PROXIES);
  /** Contexts of queries past their time budget: their remaining fields are not resolved. */
  const expired = new WeakSet<object>();

  const events = new EventBus(options.store, logger);
  await events.start();
  const settings = {
    leaseSeconds: options.leaseSeconds ?? 30,
    externalRunTimeoutSeconds: options.externalRunTimeoutSeconds ?? 300,
    maxArtifactBytes: options.maxArtifactBytes ?? 1024 * 1024 * 1024,
  };
  const rechecks = new FindingRechecks(options.store, events, logger);
  const temporaryArtifacts = options.artifacts ? null : await mkdtemp(join(tmpdir(), 'tuneboard-artifacts-'));
  const artifacts = options.artifacts ?? (await LocalArtifactStore.open(temporaryArtifacts!));
  const services: Services = { store: options.store, events, logger, settings, rechecks, artifacts };
  const stopSweepingLeases = sweepExpiredLeases(services);
  const stopSweepingLost = sweepLostRuns(services);
  const schema = buildSchema();
  const admission = new Admission(services, new RateLimits(options.store, { ...DEFAULT_RATE_LIMITS, ...options.rateLimits }, logger));

  const httpServer = createServer();
  const sockets = startSocketServer({ httpServer, path: GRAPHQL_PATH, schema, services, events, admission, logger, trustedProxies });
  const apollo = createApollo({ schema, httpServer, logger, maxResponseBytes, operationTimeoutMs, expired, onDrain: () => sockets.dispose() });
  await apollo.start();
  const handleGraphQL = createGraphQLHandler({ apollo, schema, admission, logger, trustedProxies, maxBodyBytes, operationTimeoutMs, expired });
  const handleArtifacts = createArtifactsHandler({ admission, logger, trustedProxies });
  const handleMlflow = createMlflowHandler({ admission, logger, trustedProxies, maxBodyBytes });

  httpServer.on('request', (req, res) => {
    res.setHeader('access-control-allow-origin', req.headers.origin ?? '*');
    res.setHeader('access-control-allow-headers', 'authorization, content-type, apollo-require-preflight, x-tuneboard-team');
    res.setHeader('access-control-allow-methods', 'GET, POST, OPTIONS');
    res.setHeader('vary', 'origin');
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (req.method === 'OPTIONS') {
      res.writeHead(204).end();
      return;
    }
    if (url.pathname === '/healthz') {
      pingStore(options.store)
        .then(() => sendJson(res, 200, { status: 'ok', database: options.store.kind }))
        .catch(() => sendJson(res, 503, { status: 'unavailable', database: options.store.kind }));
      return;
    }
    if (isArtifactRequest(req.url)) return void handleArtifacts(req, res);
    if (isMlflowPath(url.pathname)) return void handleMlflow(req, res, url).catch(failed(res));
    if (url.pathname !== GRAPHQL_PATH) {
      sendJson(res, 404, { error: `Nothing at ${url.pathname}; the GraphQL endpoint is ${GRAPHQL_PATH}` });
      return;
    }
    handleGraphQL(req, res, url).catch(failed(res));
  });
  const failed = (res: ServerResponse) => (error: unknown) => {
    logger.error({ err: error }, 'request failed');
    if (!res.headersSent) sendJson(res, 500, graphQLErrorBody('Internal server error', 'INTERNAL_SERVER_ERROR'));
  };

  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(options.port ?? 4000, options.host ?? '127.0.0.1', () => resolve());
  });
  const { port } = httpServer.address() as AddressInfo;
  const host = options.host ?? '127.0.0.1';
  const displayHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${displayHost}:${port}${GRAPHQL_PATH}`,
    wsUrl: `ws://${displayHost}:${port}${GRAPHQL_PATH}`,
    port,
    httpServer,
    async stop() {
      stopSweepingLeases();
      stopSweepingLost();
      rechecks.stop();
      await apollo.stop();
      await events.stop();
      if (temporaryArtifacts) await rm(temporaryArtifacts, { recursive: true, force: true });
    },
  };
}

/** Every replica sweeps expired leases; the sweep is one idempotent UPDATE, so replicas do not conflict. */
function sweepExpiredLeases({ store, events, rechecks, settings, logger }: Services): () => void {
  const sweep = setInterval(
    () => {
      requeueExpiredLeases(store)
        .then((changed) =>
          Promise.all(
            changed.map(async (run) => {
              await events.publish({ kind: 'STATUS_CHANGED', runId: run.id, status: run.status });
              if (run.status === 'failed') rechecks.projectChanged(run.projectId);
            }),
          ),
        )
        .catch((error: unknown) => logger.warn({ err: error }, 'lease sweep failed'));
    },
    Math.max(250, (settings.leaseSeconds * 1000) / 3),
  );
  sweep.unref();
  return () => clearInterval(sweep);
}

/**
 * Every replica marks EXTERNAL runs unheard from past the timeout as lost (one idempotent UPDATE, like the lease
 * sweep), checking a few times per timeout and at least every 30 s.
 */
function sweepLostRuns({ store, events, rechecks, settings, logger }: Services): () => void {
  const sweep = setInterval(
    () => {
      markLostRuns(store, settings.externalRunTimeoutSeconds)
        .then((changed) =>
          Promise.all(
            changed.map(async (run) => {
              await events.publish({ kind: 'STATUS_CHANGED', runId: run.id, status: run.status });
              rechecks.projectChanged(run.projectId);
            }),
          ),
        )
        .catch((error: unknown) => logger.warn({ err: error }, 'lost-run sweep failed'));
    },
    Math.min(30_000, Math.max(250, (settings.externalRunTimeoutSeconds * 1000) / 4)),
  );
  sweep.unref();
  return () => clearInterval(sweep);
}

export type { BaseContext };
