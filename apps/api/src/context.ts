import { authenticate, type TokenUse } from './services/accounts';
import { createScope, type Scope, type Services } from './services/scope';

/** The GraphQL context is the services' Scope: resolvers hand it to services unchanged. */
export type Context = Scope;
export type { Services, Settings } from './services/scope';

/** `use`: where the token came from, since a subscription ticket is good only for a WebSocket. */
export async function buildContext(services: Services, authorization: string | undefined | null, use: TokenUse): Promise<Context> {
  const token = parseBearer(authorization);
  const actor = token ? await authenticate(services.store, token, use) : null;
  return createScope(services, actor);
}

/** The token from `Bearer <token>` (a bare token is accepted too), or null. */
export function parseBearer(header: string | undefined | null): string | null {
  if (!header) return null;
  const match = /^\s*(?:bearer\s+)?(\S+)\s*$/i.exec(header);
  return match?.[1] ?? null;
}
