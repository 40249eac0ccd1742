import { GraphQLError } from 'graphql';

// Expected failures a client can act on, as GraphQL errors with a stable `extensions.code`.
// Anything else thrown in a resolver is a bug: Apollo masks it as INTERNAL_SERVER_ERROR.

export function notFound(what: string, id: string): GraphQLError {
  // The same answer whether the thing does not exist or belongs to another team: nothing leaks.
  return new GraphQLError(`${what} ${id} was not found`, { extensions: { code: 'NOT_FOUND' } });
}

export function unauthenticated(message = 'Send a token: Authorization: Bearer <token>'): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'UNAUTHENTICATED', http: { status: 401 } } });
}

export function forbidden(message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'FORBIDDEN' } });
}

export interface FieldProblem {
  path: string;
  message: string;
}

export function badUserInput(message: string, problems: FieldProblem[] = []): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'BAD_USER_INPUT', problems } });
}

export function conflict(message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'CONFLICT' } });
}

/** A live subscription that lost events it cannot replay: the client should subscribe again and re-read. */
export function eventsInterrupted(message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'EVENTS_INTERRUPTED' } });
}
