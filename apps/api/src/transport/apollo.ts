import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import type { GraphQLError, GraphQLSchema } from 'graphql';
import type { Server } from 'node:http';
import type { Logger } from 'pino';
import type { Context } from '../context';
import { nulCharacterError } from '../input-text';
import { queryLimitProblems } from '../limits';
import { stringifyWithin } from '../response-size';
import { MAX_TOKENS } from './admission';
import { graphQLErrorBody, operationTimeout } from './http';

/** Apollo Server as Tuneboard configures it: bounded responses, time budgets per field, bugs masked and logged. */

export interface ApolloOptions {
  schema: GraphQLSchema;
  httpServer: Server;
  logger: Logger;
  maxResponseBytes: number;
  operationTimeoutMs: number;
  /** Contexts of queries past their time budget: their remaining fields are not resolved. */
  expired: WeakSet<object>;
  /** Called when Apollo drains: closes the WebSocket endpoint. */
  onDrain: () => Promise<void>;
}

export function createApollo(options: ApolloOptions): ApolloServer<Context> {
  const { schema, logger, maxResponseBytes, operationTimeoutMs, expired } = options;
  return new ApolloServer<Context>({
    schema,
    introspection: true,
    includeStacktraceInErrorResponses: false,
    // The process owner (main.ts) handles SIGINT/SIGTERM; Apollo's own handlers would race with it.
    stopOnTerminationSignals: false,
    // Every request carries its query text, so its shape limits and time budget are known before the token
    // lookup (http.ts). Automatic persisted queries sent a hash instead, skipping both; no Tuneboard client uses them.
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
      ApolloServerPluginDrainHttpServer({ httpServer: options.httpServer }),
      {
        async serverWillStart() {
          return { drainServer: options.onDrain };
        },
        async requestDidStart({ request, contextValue }) {
          return {
            // The NUL check, and the shape limits again: http.ts checked them before authentication only for a
            // document it could parse; this covers every document Apollo executes.
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
}
