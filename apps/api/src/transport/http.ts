import { HeaderMap, type ApolloServer } from '@apollo/server';
import { getOperationAST, GraphQLError, type GraphQLSchema } from 'graphql';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { clientAddress } from '../client-address';
import type { Context } from '../context';
import { queryLimitProblems } from '../limits';
import type { RateLimited } from '../rate-limits';
import { toGraphQLError } from '../schema/domain-errors';
import { isDomainError } from '../services/errors';
import { parseCached, type Admission, type Admitted } from './admission';
import { endCompressed } from './compression';

/** GraphQL over HTTP: reading the body within its limit, the admission checks, the time budget, the answer. */

export interface HttpHandlerOptions {
  apollo: ApolloServer<Context>;
  schema: GraphQLSchema;
  admission: Admission;
  logger: Logger;
  trustedProxies: ReadonlySet<string>;
  maxBodyBytes: number;
  operationTimeoutMs: number;
  /** Contexts of queries past their time budget: apollo.ts stops resolving their fields. */
  expired: WeakSet<object>;
}

/** A request body past its limit (declared or counted): the caller answers 413. */
export class BodyTooLargeError extends Error {}

export function createGraphQLHandler(options: HttpHandlerOptions) {
  const { apollo, schema, admission, logger, trustedProxies, maxBodyBytes, operationTimeoutMs, expired } = options;

  return async function handleGraphQL(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const address = clientAddress(req, trustedProxies);
    const addressLimited = await admission.addressLimit(address);
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
    // Shape limits before authentication: a document built to stall the server costs no token lookup.
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
      const authenticated = await admission.authenticate(address, req.headers.authorization, 'http').catch((error: unknown): Admitted => {
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
      await endCompressed(req, res, response.body.string);
      return;
    }
    for await (const chunk of response.body.asyncIterator) res.write(chunk);
    res.end();
  };
}

/** The operation a GraphQL-over-HTTP request carries (POST body or GET parameters), when it names one by text. */
function requestedOperation(
  method: string | undefined,
  body: unknown,
  url: URL,
): { query: string; variables?: Record<string, unknown>; operationName?: string } | null {
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

export function sendRateLimited(res: ServerResponse, limited: RateLimited): void {
  res.setHeader('retry-after', String(limited.retryAfterSeconds));
  sendJson(res, 429, { errors: [{ message: limited.message, extensions: { code: 'RATE_LIMITED', retryAfterSeconds: limited.retryAfterSeconds } }] });
}

export function rateLimitedError(limited: RateLimited): GraphQLError {
  return new GraphQLError(limited.message, { extensions: { code: 'RATE_LIMITED', retryAfterSeconds: limited.retryAfterSeconds } });
}

/**
 * Reads the body up to `limit` bytes. Past the limit (declared or, for a chunked body, counted as it streams)
 * it stops buffering and rejects, leaving the socket open: the caller answers 413 and then closes it.
 * Destroying the request here would reset the connection before the client could read that answer.
 */
export function readBody(req: IncomingMessage, limit: number): Promise<string> {
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

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
  res.end(JSON.stringify(body));
}

export function operationTimeout(ms: number): GraphQLError {
  return new GraphQLError(`This query ran longer than its time budget of ${ms / 1000} s and was stopped; ask for less at once.`, {
    extensions: { code: 'OPERATION_TIMEOUT' },
  });
}

export function graphQLErrorBody(message: string, code: string) {
  return { errors: [{ message, extensions: { code } }] };
}
