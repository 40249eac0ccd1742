import { isConnectionError } from '@tuneboard/db';
import { createSourceEventStream, execute, GraphQLError, type ExecutionArgs, type ExecutionResult } from 'graphql';
import type { Logger } from 'pino';
import { mapEvents } from './services/events';

/** Attempts per event when its reads fail because a database connection was just lost. */
const EVENT_READ_ATTEMPTS = 4;

/**
 * graphql-ws's `subscribe`: graphql-js's own (a source stream, each event executed against the selection set),
 * with two differences for long-lived streams. An event whose reads failed because a database connection died
 * is read again (reads are idempotent; a dropped event would be lost for good), and errors that are bugs
 * (no `extensions.code`) reach the client masked, as over HTTP, never with SQL in them.
 */
export function subscribeWithRetries(logger: Logger) {
  return async (args: ExecutionArgs) => {
    const source = await createSourceEventStream(args);
    if (!(Symbol.asyncIterator in source)) return maskErrors(source, logger);
    return mapEvents(source as AsyncIterableIterator<unknown>, async (payload) => {
      let result: ExecutionResult = {};
      for (let attempt = 1; attempt <= EVENT_READ_ATTEMPTS; attempt++) {
        result = await execute({ ...args, rootValue: payload });
        if (!result.errors?.some((error) => isConnectionError(error.originalError))) break;
        await new Promise((resolve) => setTimeout(resolve, 100 * attempt));
      }
      return maskErrors(result, logger);
    });
  };
}

function maskErrors(result: ExecutionResult, logger: Logger): ExecutionResult {
  if (!result.errors) return result;
  return {
    ...result,
    errors: result.errors.map((error) => {
      if (error.extensions?.code || !error.originalError || (error.originalError instanceof GraphQLError && error.originalError.extensions?.code)) return error;
      logger.error({ err: error.originalError, path: error.path }, 'subscription resolver failed');
      return new GraphQLError('Internal server error; the server log has the details', {
        ...(error.nodes ? { nodes: error.nodes } : {}),
        ...(error.path ? { path: error.path } : {}),
        extensions: { code: 'INTERNAL_SERVER_ERROR' },
      });
    }),
  };
}
