import { ApolloServer, HeaderMap, type BaseContext } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import type { Store } from '@tuneboard/db';
import { getOperationAST, GraphQLError, parse, specifiedRules, validate, type DocumentNode } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import pino, { type Logger } from 'pino';
import { WebSocketServer, type WebSocket } from 'ws';
import { toGraphQLError } from './schema/domain-errors';
import { isDomainError } from './services/errors';
import { buildContext, parseBearer, type Context, type Services } from './context';
import { clientAddress, LOOPBACK_PROXIES, trustedProxySet } from './client-address';
import { nulCharacterError } from './input-text';
import { queryLimitProblems, queryLimitsRule } from './limits';
import { DEFAULT_RATE_LIMITS, RateLimits, type RateLimited, type RateLimitSettings } from './rate-limits';
import { stringifyWithin } from './response-size';
import { hashToken, type TokenUse } from './services/accounts';
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
  /** The socket closed; onConnect may still be awaiting the token lookup and must then register nothing. */
  closed?: boolean;
};

class BodyTooLargeError extends Error {}

/** Parsed documents by their text: the limits run before Apollo's own (cached) parse, and must stay as cheap. */
const parsedDocuments = new Map<string, DocumentNode>();
const PARSED_DOCUMENTS_KEPT = 1_000;
const CACHED_DOCUMENT_LENGTH = 20_000;
const MAX_TOKENS = 100_000;

function parseCached(query: string): DocumentNode | null {
  let document = parsedDocuments.get(query);
  if (document) return document;
  try {
    document = parse(query, { maxTokens: MAX_TOKENS });
  } catch {
    return null; // Apollo answers the syntax error itself.
  }
  // Only the documents that clients send again and again (their text is the key): not megabytes of literals.
  if (query.length <= CACHED_DOCUMENT_LENGTH) {
    if (parsedDocuments.size >= PARSED_DOCUMENTS_KEPT) parsedDocuments.clear();
    parsedDocuments.set(query, document);
  }
  return document;
}

/** The operation a GraphQL-over-HTTP request carries (POST body or GET parameters), when it names one by text. */
function requestedOperation(method: string | undefined, body: unknown, url: URL): { query: string; variables?: Record<string, unknown>; operationName?: string } | null {
  if (method === 'GET') {
    const query = url.searchParams.get('query');
    if (!query) return null;
    let variables: Record<string, unknown> | undefined;
    try {
      variables = JSON.parse(url.searchParams.get('variables') ?? 'null') ?? undefined;
    } catch {
      variables = undefined;
    }
    return { query, variables, operationName: url.searchParams.get('operationName') ?? undefined };
  }
  if (!body || typeof body !== 'object' || Array.isArray(body)) return null;
  const { query, variables, operationName } = body as Record<string, unknown>;
  if (typeof query !== 'string') return null;
  return {
    query,
    ...(variables && typeof variables === 'object' ? { variables: variables as Record<string, unknown> } : {}),
    ...(typeof operationName === 'string' ? { operationName } : {}),
  };
}

function sendRateLimited(res: ServerResponse, limited: RateLimited): void {
  res.setHeader('retry-after', String(limited.retryAfterSeconds));
  sendJson(res, 429, { errors: [{ message: limited.message, extensions: { code: 'RATE_LIMITED', retryAfterSeconds: limited.retryAfterSeconds } }] });
}

function rateLimitedError(limited: RateLimited): GraphQLError {
  return new GraphQLError(limited.message, { extensions: { code: 'RATE_LIMITED', retryAfterSeconds: limited.retryAfterSeconds } });
}

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

function operationTimeout(ms: number): GraphQLError {
  return new GraphQLError(`This query ran longer than its time budget of ${ms / 1000} s and was stopped; ask for less at once.`, {
    extensions: { code: 'OPERATION_TIMEOUT' },
  });
}

function graphQLErrorBody(message: string, code: string) {
  return { errors: [{ message, extensions: { code } }] };
}

/** Starts the HTTP (queries, mutations) and WebSocket (subscriptions) GraphQL endpoints on one port. */
export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const logger = options.logger ?? pino({ level: 'silent' });
  const maxBodyBytes = options.maxBodyBytes ?? 64 * 1024 * 1024;
  const maxResponseBytes = options.maxResponseBytes ?? 128 * 1024 * 1024;
  const operationTimeoutMs = options.operationTimeoutMs ?? 15_000;
  const rateLimits = new RateLimits(options.store, { ...DEFAULT_RATE_LIMITS, ...options.rateLimits }, logger);
  const trustedProxies = trustedProxySet(options.trustedProxies ?? LOOPBACK_PROXIES);
  /** Contexts of queries past their time budget: their remaining fields are not resolved. */
  const expired = new WeakSet<object>();
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
        if (!fresh.actor) state.socket.close(4401, 'Unauthorized: the token was revoked');
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
        const { context, limited } = await authenticateRequest(clientAddress(ctx.extra.request, trustedProxies), authorization, 'socket-connect');
        if (limited) {
          ctx.extra.socket.close(4429, limited.message);
          return false;
        }
        if (!context?.actor) return false;
        // graphql-ws runs onClose at once if the client leaves during the lookup above: a socket registered after
        // that would keep its re-check timer (and a database query a minute) for ever.
        if (ctx.extra.closed || ctx.extra.socket.readyState !== ctx.extra.socket.OPEN) return false;
        ctx.extra.authorization = authorization;
        const userId = (ctx.extra.userId = context.actor.userId);
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
        ctx.extra.closed = true;
        clearInterval(ctx.extra.recheck);
        const sockets = ctx.extra.userId ? socketsByUser.get(ctx.extra.userId) : undefined;
        sockets?.delete(ctx.extra);
        if (sockets?.size === 0) socketsByUser.delete(ctx.extra.userId!);
      },
      // Built per operation (fresh loaders, and the viewer as of now).
      context: (ctx) => buildContext(services, ctx.extra.authorization, 'socket'),
      onSubscribe: async (ctx, _id, payload) => {
        const address = clientAddress(ctx.extra.request, trustedProxies);
        const addressLimited = await rateLimits.requestFrom(address ?? 'unknown');
        if (addressLimited) return [rateLimitedError(addressLimited)];
        // The shape limits first: a document built to stall the server must not cost a token lookup either.
        let document: DocumentNode;
        try {
          document = parse(payload.query, { maxTokens: MAX_TOKENS });
        } catch (error) {
          return [error instanceof GraphQLError ? error : new GraphQLError(String(error))];
        }
        const tooComplex = queryLimitProblems(schema, document, payload.variables ?? undefined);
        if (tooComplex.length > 0) return tooComplex;
        // Refused here; the revocation's re-check (or the minute's) closes the socket itself.
        const viewer = (await buildContext(services, ctx.extra.authorization, 'socket')).actor;
        if (!viewer) return [new GraphQLError('The token was revoked', { extensions: { code: 'UNAUTHENTICATED' } })];
        const tokenLimited = await rateLimits.requestWith(viewer.tokenId);
        if (tokenLimited) return [rateLimitedError(tokenLimited)];
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
    // Every request carries its query text, so its shape limits and time budget are known before the token
    // lookup (handleGraphQL). Automatic persisted queries sent a hash instead, skipping both; no Tuneboard client
    // uses them.
    persistedQueries: false,
    parseOptions: { maxTokens: MAX_TOKENS },
    // Bounded: a response past the limit becomes an error instead of a string V8 cannot hold.
    stringifyResult: async (result) =>
      (await stringifyWithin(result, maxResponseBytes)) ??
      JSON.stringify(
        graphQLErrorBody(
          `The response would be larger than ${Math.round(maxResponseBytes / 1024 / 1024)} MB; ask for fewer items, points or fields per request.`,
          'RESPONSE_TOO_LARGE',
        ),
      ),
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer }),
      {
        async serverWillStart() {
          return { drainServer: async () => wsCleanup.dispose() };
        },
        async requestDidStart({ request, contextValue }) {
          return {
            // Checked before authentication too (handleGraphQL); here again for documents sent by hash only (APQ).
            async didResolveOperation({ document }) {
              const nul = nulCharacterError(document, request.variables);
              if (nul) throw nul;
              const [error] = queryLimitProblems(schema, document, request.variables ?? undefined);
              if (error) throw error;
            },
            async executionDidStart() {
              return {
                // A query past its time budget stops here: no further field is resolved, no further SQL sent.
                willResolveField() {
                  if (expired.has(contextValue)) throw operationTimeout(operationTimeoutMs);
                },
              };
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

  /**
   * The viewer of a request, unless the address is throttled for invalid tokens (then no lookup is made).
   * A failed authentication counts towards that throttle.
   */
  async function authenticateRequest(address: string | undefined, authorization: string | undefined, use: TokenUse): Promise<{ context?: Context; limited?: RateLimited }> {
    const token = parseBearer(authorization);
    const tokenHash = token ? hashToken(token) : '';
    if (token) {
      const limited = rateLimits.refusesTokenFrom(address ?? 'unknown', tokenHash);
      if (limited) return { limited };
    }
    const context = await buildContext(services, authorization, use);
    if (token && !context.actor) {
      const limited = await rateLimits.authenticationFailed(address ?? 'unknown');
      if (limited) return { limited };
    }
    if (context.actor) {
      rateLimits.tokenAuthenticated(tokenHash);
      const limited = await rateLimits.requestWith(context.actor.tokenId);
      if (limited) return { limited };
    }
    return { context };
  }

  async function handleGraphQL(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const address = clientAddress(req, trustedProxies);
    const addressLimited = await rateLimits.requestFrom(address);
    if (addressLimited) {
      req.resume();
      sendRateLimited(res, addressLimited);
      return;
    }
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
    // Shape limits before authentication: a document built to stall the server costs no token lookup, and
    // its analysis is linear in its size (limits.ts).
    const requested = requestedOperation(req.method?.toUpperCase(), body, url);
    const document = requested ? parseCached(requested.query) : null;
    if (document) {
      const problems = queryLimitProblems(schema, document, requested!.variables);
      if (problems.length > 0) {
        sendJson(res, 400, { errors: problems.map((problem) => ({ message: problem.message, extensions: { code: 'QUERY_TOO_COMPLEX' } })) });
        return;
      }
    }
    const headers = new HeaderMap();
    for (const [key, value] of Object.entries(req.headers)) if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(', ') : value);
    // Queries get a time budget, authentication included; a mutation is never abandoned half-way (its SQL is
    // bounded by the store's statement timeout instead, which rolls it back), so its answer says what was stored.
    const operation = document ? getOperationAST(document, requested!.operationName) : null;
    let stopped = false;
    let context: Context | undefined;
    const answer = (async () => {
      // A token refused with a reason (a subscription ticket over HTTP) is a GraphQL error with its HTTP status:
      // thrown from Apollo's context function, it gets the same answer as any other (401, not a 500).
      let refusal: GraphQLError | undefined;
      const authenticated = await authenticateRequest(address, req.headers.authorization, 'http').catch((error: unknown): { context?: Context; limited?: RateLimited } => {
        if (!isDomainError(error)) throw error;
        refusal = toGraphQLError(error);
        return {};
      });
      if (authenticated.limited) return { limited: authenticated.limited };
      if (authenticated.context) {
        context = authenticated.context;
        if (stopped) expired.add(context);
      }
      const response = await apollo.executeHTTPGraphQLRequest({
        httpGraphQLRequest: { method: req.method!.toUpperCase(), headers, search: url.search, body },
        context: async () => {
          if (refusal) throw refusal;
          return context!;
        },
      });
      return { response };
    })();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timedOut = new Promise<null>((resolve) => {
      if (operationTimeoutMs > 0 && operation?.operation === 'query') timer = setTimeout(() => resolve(null), operationTimeoutMs);
    });
    const outcome = await Promise.race([answer, timedOut]).finally(() => clearTimeout(timer));
    if (outcome === null) {
      stopped = true;
      if (context) expired.add(context);
      answer.catch((error: unknown) => logger.warn({ err: error }, 'a query past its time budget failed'));
      logger.warn({ operation: operation?.name?.value, ms: operationTimeoutMs }, 'query stopped at its time budget');
      sendJson(res, 503, { errors: [{ message: operationTimeout(operationTimeoutMs).message, extensions: { code: 'OPERATION_TIMEOUT' } }] });
      return;
    }
    if ('limited' in outcome) {
      sendRateLimited(res, outcome.limited!);
      return;
    }
    const { response } = outcome as { response: Awaited<ReturnType<typeof apollo.executeHTTPGraphQLRequest>> };
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
