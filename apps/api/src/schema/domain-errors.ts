import { GraphQLError, GraphQLScalarType } from 'graphql';
import { isDomainError, type DomainError } from '../services/errors';

/**
 * The one place where the services' domain errors become GraphQL errors: a stable `extensions.code`, the
 * details (`problems`, `findings`) beside it, and HTTP 401 for a missing or refused token. Every resolver is
 * wrapped by `mapDomainErrors`, so services never import graphql.
 */

export function toGraphQLError(error: DomainError): GraphQLError {
  const http = error.code === 'UNAUTHENTICATED' ? { http: { status: 401 } } : {};
  return new GraphQLError(error.message, { originalError: error, extensions: { code: error.code, ...error.details, ...http } });
}

const mapped = (error: unknown): unknown => (isDomainError(error) ? toGraphQLError(error) : error);

function wrapFunction<F extends (...args: never[]) => unknown>(fn: F): F {
  return function (this: unknown, ...args: never[]) {
    try {
      const result = fn.apply(this, args);
      if (isAsyncIterable(result)) return wrapIterator(result);
      if (result instanceof Promise)
        return result.then(
          (value: unknown) => (isAsyncIterable(value) ? wrapIterator(value) : value),
          (error: unknown) => {
            throw mapped(error);
          },
        );
      return result;
    } catch (error) {
      throw mapped(error);
    }
  } as F;
}

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return typeof value === 'object' && value !== null && Symbol.asyncIterator in value;
}

/** A subscription's stream, with errors it ends with (EVENTS_INTERRUPTED) mapped too; `return` still reaches the source. */
function wrapIterator(source: AsyncIterable<unknown>): AsyncIterableIterator<unknown> {
  const iterator = source[Symbol.asyncIterator]();
  const wrapped: AsyncIterableIterator<unknown> = {
    next: () =>
      iterator.next().catch((error: unknown) => {
        throw mapped(error);
      }),
    return: (value?: unknown) => (iterator.return ? iterator.return(value) : Promise.resolve({ done: true as const, value })),
    throw: (error?: unknown) => (iterator.throw ? iterator.throw(error) : Promise.reject(error)),
    [Symbol.asyncIterator]: () => wrapped,
  };
  return wrapped;
}

/** Wraps every resolver, `subscribe` and `resolve` function of a resolver map; scalars pass through. */
export function mapDomainErrors<R extends Record<string, unknown>>(resolvers: R): R {
  const out: Record<string, unknown> = {};
  for (const [typeName, fields] of Object.entries(resolvers)) {
    if (fields instanceof GraphQLScalarType || typeof fields !== 'object' || fields === null) {
      out[typeName] = fields;
      continue;
    }
    const wrappedFields: Record<string, unknown> = {};
    for (const [fieldName, field] of Object.entries(fields)) {
      if (typeof field === 'function') wrappedFields[fieldName] = wrapFunction(field as (...args: never[]) => unknown);
      else if (typeof field === 'object' && field !== null) {
        const entry = { ...(field as Record<string, unknown>) };
        for (const key of ['subscribe', 'resolve'] as const)
          if (typeof entry[key] === 'function') entry[key] = wrapFunction(entry[key] as (...args: never[]) => unknown);
        wrappedFields[fieldName] = entry;
      } else wrappedFields[fieldName] = field;
    }
    out[typeName] = wrappedFields;
  }
  return out as R;
}
