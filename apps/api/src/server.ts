import { ApolloServer, HeaderMap, type BaseContext } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import type { Store } from '@tuneboard/db';
import { getOperationAST, GraphQLError, parse, specifiedRules, validate } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import pino, { type Logger } from 'pino';
import { WebSocketServer, type WebSocket } from 'ws';
import { buildContext, type Context, type Services } from './context';
import { nulCharacterError } from './input-text';
import { queryLimitsRule } from './limits';
import { buildSchema } from './schema/index';
import { FindingRechecks } from './services/findings';
import { requeueExpiredLeases } from './services/queue';
import { EventBus } from './services/events';
import { subscribeWithRetries } from './subscription-execution';

export interface ServerOptions {
  store: Store;
  port?: number;
  host?: string;
  logger?: Logger;
  /** Largest request body read, in bytes. */
  maxBodyBytes?: number;
  /** How long a worker's lease on a run lasts without a heartbeat (default 30 s). */
  leaseSeconds?: number;
}

export interface RunningServer {
  url: string;
  wsUrl: string;
  port: number;
  httpServer: Server;
  stop(): Promise<void>;
}

const GRAPHQL_PATH = '/graphql';
/** How often an open WebSocket's token is checked again. */
const SOCKET_REAUTH_MS = 60_000;

type SocketState = {
  socket: WebSocket;
  authorization?: string | undefined;
  userId?: string;
  recheck?: ReturnType<typeof setInterval>;
  /** Set while the token is being re-checked after a revocation: nothing is sent until it settles. */
  pendingReauth?: Promise<void> | undefined;
};

class BodyTooLargeError extends Error {}

/**
 * Reads the body up to `limit` bytes. Past the limit (declared or, for a chunked body, counted as it streams)
 * it stops buffering and rejects, leaving the socket open: the caller answers 413 and then closes it.
 * Destroying the request here would reset the connection before the client could read that answer.
 */
function readBody(req: IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > limit) return reject(new BodyTooLargeError());
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) {
        chunks.push(chunk);
        return;
      }
      req.off('data', onData);
      chunks.length = 0;
      // Keep draining without storing, so the client is not blocked writing before it reads the 413.
      req.resume();
      reject(new BodyTooLargeError());
    };
    req.on('data', onData);
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/**
 * The documented 413. `Connection: close` makes Node close the socket once this answer is flushed, so the
 * client reads it and the rest of the body is never read.
 */
function sendBodyTooLarge(res: ServerResponse, limit: number): void {
  const mb = Math.round(limit / 1024 / 1024);
  res.writeHead(413, { 'content-type': 'application/json; charset=utf-8', connection: 'close' });
  res.end(JSON.stringify(graphQLErrorBody(`The request body is larger than ${mb} MB; send metrics in smaller batches.`, 'PAYLOAD_TOO_LARGE')));
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
  res.end(JSON.stringify(body));
}

function graphQLErrorBody(message: string, code: string) {
  return { errors: [{ message, extensions: { code } }] };
}

/** Starts the HTTP (queries, mutations) and WebSocket (subscriptions) GraphQL endpoints on one port. */
export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const logger = options.logger ?? pino({ level: 'silent' });
  const maxBodyBytes = options.maxBodyBytes ?? 64 * 1024 * 1024;
  const events = new EventBus(options.store, logger);
  await events.start();
  const settings = { leaseSeconds: options.leaseSeconds ?? 30 };
  const rechecks = new FindingRechecks(options.store, events, logger);
  const services: Services = { store: options.store, events, logger, settings, rechecks };
  // Every replica sweeps expired leases; the sweep is one idempotent UPDATE, so replicas do not conflict.
  const sweep = setInterval(() => {
    requeueExpiredLeases(options.store)
      .then((changed) =>
        Promise.all(
          changed.map(async (run) => {
            await events.publish({ kind: 'STATUS_CHANGED', runId: run.id, status: run.status });
            if (run.status === 'failed') rechecks.projectChanged(run.projectId);
          }),
        ),
      )
      .catch((error: unknown) => logger.warn({ err: error }, 'lease sweep failed'));
  }, Math.max(250, (settings.leaseSeconds * 1000) / 3));
  sweep.unref();
  const schema = buildSchema();

  const httpServer = createServer();
  const wsServer = new WebSocketServer({ server: httpServer, path: GRAPHQL_PATH, maxPayload: 1024 * 1024 });
  // Open sockets per user, so a revoked token (announced by any replica) ends its subscriptions at once.
  const socketsByUser = new Map<string, Set<SocketState>>();
  /** Checks a socket's token again, closing the socket (4401) when it no longer names a viewer. */
  const reauthenticate = (state: SocketState): Promise<void> =>
    buildContext(services, state.authorization, 'socket').then(
      (fresh) => {
        if (!fresh.viewer) state.socket.close(4401, 'Unauthorized: the token was revoked');
      },
      (error: unknown) => {
        // Unable to tell whether the token still holds: close rather than keep streaming; the client reconnects.
        logger.warn({ err: error }, 'could not re-check a socket token; closing the socket');
        state.socket.close(1011, 'Could not re-check the token; reconnect');
      },
    );
  const unsubscribeRevocations = events.onTokenRevoked((userId) => {
    const sockets = [...(socketsByUser.get(userId) ?? [])];
    // Hold every socket of the user synchronously, before any later event can be sent (see onNext); the
    // re-check is generic, so tokens derived from the revoked one are caught too.
    return Promise.all(
      sockets.map((state) => {
        const reauth = reauthenticate(state).finally(() => {
          if (state.pendingReauth === reauth) state.pendingReauth = undefined;
        });
        state.pendingReauth = reauth;
        return reauth;
      }),
    ).then(() => {});
  });
  const wsCleanup = useServer<Record<string, unknown>, SocketState>(
    {
      schema,
      subscribe: subscribeWithRetries(logger),
      // The token travels in the connection parameters. It is checked again for every operation, at once when
      // any replica revokes one of the user's tokens, and every minute while the socket is open.
      onConnect: async (ctx) => {
        const authorization = (ctx.connectionParams?.authorization ?? ctx.connectionParams?.Authorization) as string | undefined;
        const context = await buildContext(services, authorization, 'socket-connect');
        if (!context.viewer) return false;
        ctx.extra.authorization = authorization;
        const userId = (ctx.extra.userId = context.viewer.userId);
        let sockets = socketsByUser.get(userId);
        if (!sockets) socketsByUser.set(userId, (sockets = new Set()));
        sockets.add(ctx.extra);
        ctx.extra.recheck = setInterval(() => void reauthenticate(ctx.extra), SOCKET_REAUTH_MS);
        ctx.extra.recheck.unref();
        return true;
      },
      onNext: async (ctx) => {
        // An event that arrives while a revocation is being checked waits; if the socket closed, it goes nowhere.
        if (ctx.extra.pendingReauth) await ctx.extra.pendingReauth;
      },
      onClose: (ctx) => {
        clearInterval(ctx.extra.recheck);
        const sockets = ctx.extra.userId ? socketsByUser.get(ctx.extra.userId) : undefined;
        sockets?.delete(ctx.extra);
        if (sockets?.size === 0) socketsByUser.delete(ctx.extra.userId!);
      },
      // Built per operation (fresh loaders, and the viewer as of now).
      context: (ctx) => buildContext(services, ctx.extra.authorization, 'socket'),
      onSubscribe: async (ctx, _id, payload) => {
        // Refused here; the revocation's re-check (or the minute's) closes the socket itself.
        if (!(await buildContext(services, ctx.extra.authorization, 'socket')).viewer)
          return [new GraphQLError('The token was revoked', { extensions: { code: 'UNAUTHENTICATED' } })];
        const document = parse(payload.query);
        // The socket is for subscriptions; queries and mutations go over HTTP, where every request is checked.
        const operation = getOperationAST(document, payload.operationName ?? undefined);
        if (operation && operation.operation !== 'subscription')
          return [new GraphQLError(`Send ${operation.operation}s over HTTP; this WebSocket endpoint serves subscriptions`)];
        const errors = validate(schema, document, [...specifiedRules, queryLimitsRule(payload.variables ?? undefined)]);
        if (errors.length > 0) return errors;
        const nul = nulCharacterError(document, payload.variables);
        return nul ? [nul] : undefined;
      },
    },
    wsServer,
  );

  const apollo = new ApolloServer<Context>({
    schema,
    introspection: true,
    includeStacktraceInErrorResponses: false,
    // The process owner (main.ts) handles SIGINT/SIGTERM; Apollo's own handlers would race with it.
    stopOnTerminationSignals: false,
    parseOptions: { maxTokens: 100_000 },
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer }),
      {
        async serverWillStart() {
          return { drainServer: async () => wsCleanup.dispose() };
        },
        async requestDidStart({ request }) {
          return {
            // Limits depend on variables (`first: $n`), so they run per request, after Apollo's cached validation.
            async didResolveOperation({ document }) {
              const nul = nulCharacterError(document, request.variables);
              if (nul) throw nul;
              const [error] = validate(schema, document, [queryLimitsRule(request.variables ?? undefined)]);
              if (error) throw new GraphQLError(error.message, { extensions: { code: 'QUERY_TOO_COMPLEX', http: { status: 400 } } });
            },
          };
        },
      },
    ],
    formatError: (formatted, error) => {
      // Apollo refuses some requests itself (a persisted-query hash that does not match its query, an unknown
      // persisted-query version) with a 4xx status but no code; they are the client's mistake, not a bug.
      const status = (error as GraphQLError | undefined)?.extensions?.http as { status?: number } | undefined;
      if (formatted.extensions?.code === 'INTERNAL_SERVER_ERROR' && status?.status !== undefined && status.status >= 400 && status.status < 500) {
        logger.debug({ message: formatted.message }, 'request refused');
        return { ...formatted, extensions: { ...formatted.extensions, code: 'BAD_REQUEST' } };
      }
      if (formatted.extensions?.code === 'INTERNAL_SERVER_ERROR') {
        // Bugs are logged with their detail and shown to the client without it.
        logger.error({ err: (error as GraphQLError).originalError ?? error, path: formatted.path }, 'resolver failed');
        return { ...formatted, message: 'Internal server error; the server log has the details' };
      }
      return formatted;
    },
  });
  await apollo.start();

  httpServer.on('request', (req, res) => {
    res.setHeader('access-control-allow-origin', req.headers.origin ?? '*');
    res.setHeader('access-control-allow-headers', 'authorization, content-type, apollo-require-preflight');
    res.setHeader('access-control-allow-methods', 'GET, POST, OPTIONS');
    res.setHeader('vary', 'origin');
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (req.method === 'OPTIONS') {
      res.writeHead(204).end();
      return;
    }
    if (url.pathname === '/healthz') {
      options.store
        .query('select 1')
        .then(() => sendJson(res, 200, { status: 'ok', database: options.store.kind }))
        .catch(() => sendJson(res, 503, { status: 'unavailable', database: options.store.kind }));
      return;
    }
    if (url.pathname !== GRAPHQL_PATH) {
      sendJson(res, 404, { error: `Nothing at ${url.pathname}; the GraphQL endpoint is ${GRAPHQL_PATH}` });
      return;
    }
    handleGraphQL(req, res, url).catch((error: unknown) => {
      logger.error({ err: error }, 'request failed');
      if (!res.headersSent) sendJson(res, 500, graphQLErrorBody('Internal server error', 'INTERNAL_SERVER_ERROR'));
    });
  });

  async function handleGraphQL(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    let body: unknown;
    if (req.method === 'POST') {
      let text: string;
      try {
        text = await readBody(req, maxBodyBytes);
      } catch (error) {
        if (error instanceof BodyTooLargeError) {
          sendBodyTooLarge(res, maxBodyBytes);
          return;
        }
        throw error;
      }
      try {
        body = text === '' ? undefined : JSON.parse(text);
      } catch {
        sendJson(res, 400, graphQLErrorBody('The request body is not valid JSON', 'BAD_REQUEST'));
        return;
      }
    }
    const headers = new HeaderMap();
    for (const [key, value] of Object.entries(req.headers)) if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(', ') : value);
    const response = await apollo.executeHTTPGraphQLRequest({
      httpGraphQLRequest: { method: req.method!.toUpperCase(), headers, search: url.search, body },
      context: () => buildContext(services, req.headers.authorization, 'http'),
    });
    for (const [key, value] of response.headers) res.setHeader(key, value);
    res.statusCode = response.status ?? 200;
    if (response.body.kind === 'complete') {
      res.end(response.body.string);
      return;
    }
    for await (const chunk of response.body.asyncIterator) res.write(chunk);
    res.end();
  }

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
      clearInterval(sweep);
      unsubscribeRevocations();
      rechecks.stop();
      await apollo.stop();
      await events.stop();
    },
  };
}

export type { BaseContext };
