import { getOperationAST, GraphQLError, parse, specifiedRules, validate, type DocumentNode, type GraphQLSchema } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import type { Server } from 'node:http';
import type { Logger } from 'pino';
import { WebSocketServer, type WebSocket } from 'ws';
import { clientAddress } from '../client-address';
import { buildContext, type Services } from '../context';
import { nulCharacterError } from '../input-text';
import { queryLimitProblems, queryLimitsRule } from '../limits';
import type { EventBus } from '../services/events';
import { subscribeWithRetries } from '../subscription-execution';
import { MAX_TOKENS, type Admission } from './admission';
import { rateLimitedError } from './http';

/**
 * GraphQL subscriptions over graphql-ws. The token travels in the connection parameters. It is checked again for
 * every operation, at once when any replica revokes one of the user's tokens, and every minute while the socket
 * is open.
 */

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

export interface SocketServerOptions {
  httpServer: Server;
  path: string;
  schema: GraphQLSchema;
  services: Services;
  events: EventBus;
  admission: Admission;
  logger: Logger;
  trustedProxies: ReadonlySet<string>;
}

export function startSocketServer(options: SocketServerOptions): { dispose(): Promise<void> } {
  const { schema, services, events, admission, logger, trustedProxies } = options;
  const wsServer = new WebSocketServer({ server: options.httpServer, path: options.path, maxPayload: 1024 * 1024 });
  // Open sockets per user, so a revoked token (announced by any replica) ends its subscriptions at once.
  const socketsByUser = new Map<string, Set<SocketState>>();
  /** Checks a socket's token again, closing the socket (4401) when it no longer names an actor. */
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
  const cleanup = useServer<Record<string, unknown>, SocketState>(
    {
      schema,
      subscribe: subscribeWithRetries(logger),
      onConnect: async (ctx) => {
        const authorization = (ctx.connectionParams?.authorization ?? ctx.connectionParams?.Authorization) as string | undefined;
        const { context, limited } = await admission.authenticate(clientAddress(ctx.extra.request, trustedProxies), authorization, 'socket-connect');
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
      // Built per operation (fresh loaders, and the actor as of now).
      context: (ctx) => buildContext(services, ctx.extra.authorization, 'socket'),
      // The admission checks of admission.ts, in the same order as over HTTP.
      onSubscribe: async (ctx, _id, payload) => {
        const addressLimited = await admission.addressLimit(clientAddress(ctx.extra.request, trustedProxies));
        if (addressLimited) return [rateLimitedError(addressLimited)];
        let document: DocumentNode;
        try {
          document = parse(payload.query, { maxTokens: MAX_TOKENS });
        } catch (error) {
          return [error instanceof GraphQLError ? error : new GraphQLError(String(error))];
        }
        const tooComplex = queryLimitProblems(schema, document, payload.variables ?? undefined);
        if (tooComplex.length > 0) return tooComplex;
        // Refused here; the revocation's re-check (or the minute's) closes the socket itself.
        const actor = (await buildContext(services, ctx.extra.authorization, 'socket')).actor;
        if (!actor) return [new GraphQLError('The token was revoked', { extensions: { code: 'UNAUTHENTICATED' } })];
        const tokenLimited = await admission.tokenLimit(actor.tokenId);
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
  return {
    async dispose() {
      unsubscribeRevocations();
      await cleanup.dispose();
    },
  };
}
