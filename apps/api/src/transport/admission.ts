import { parse, type DocumentNode } from 'graphql';
import { buildContext, parseBearer, type Context, type Services } from '../context';
import { createScope } from '../services/scope';
import type { RateLimited, RateLimits } from '../rate-limits';
import { actorOf, hashToken, type TokenUse } from '../services/accounts';

/**
 * What every GraphQL operation passes before it runs, over HTTP and over the WebSocket alike, in this order:
 * the address's rate limit; the document's shape limits (before any token lookup, so a document built to stall
 * the server costs nothing else, and linear in its size: limits.ts); authentication with the token's own rate
 * limit and the throttle on invalid tokens; then, on the socket, validation and the NUL check (HTTP leaves
 * those to Apollo's pipeline, which runs the same checks through the plugin in apollo.ts).
 */

/** The largest number of tokens a document may have; a longer one is refused by the parser. */
export const MAX_TOKENS = 100_000;

const parsedDocuments = new Map<string, DocumentNode>();
const PARSED_DOCUMENTS_KEPT = 1_000;
const CACHED_DOCUMENT_LENGTH = 20_000;

/** Parsed documents by their text: the limits run before Apollo's own (cached) parse, and must stay as cheap. */
export function parseCached(query: string): DocumentNode | null {
  let document = parsedDocuments.get(query);
  if (document) return document;
  try {
    document = parse(query, { maxTokens: MAX_TOKENS });
  } catch {
    return null; // The caller answers the syntax error itself.
  }
  // Only the documents that clients send again and again (their text is the key): not megabytes of literals.
  if (query.length <= CACHED_DOCUMENT_LENGTH) {
    if (parsedDocuments.size >= PARSED_DOCUMENTS_KEPT) parsedDocuments.clear();
    parsedDocuments.set(query, document);
  }
  return document;
}

export interface Admitted {
  context?: Context;
  limited?: RateLimited;
}

export class Admission {
  constructor(
    private readonly services: Services,
    private readonly rateLimits: RateLimits,
  ) {}

  /** The address's request budget, checked first: a throttled address costs no parsing and no lookup. */
  addressLimit(address: string | undefined): Promise<RateLimited | null> {
    return this.rateLimits.requestFrom(address ?? 'unknown');
  }

  /**
   * The actor of a request, unless the address is throttled for invalid tokens (then no lookup is made). A failed
   * authentication counts towards that throttle; an authenticated one spends from the token's own budget.
   * A token refused with a reason (a subscription ticket over HTTP) throws that reason as a DomainError.
   */
  async authenticate(address: string | undefined, authorization: string | undefined, use: TokenUse): Promise<Admitted> {
    const token = parseBearer(authorization);
    const tokenHash = token ? hashToken(token) : '';
    if (token) {
      const limited = this.rateLimits.refusesTokenFrom(address ?? 'unknown', tokenHash);
      if (limited) return { limited };
    }
    const context = await buildContext(this.services, authorization, use);
    if (token && !context.actor) {
      const limited = await this.rateLimits.authenticationFailed(address ?? 'unknown');
      if (limited) return { limited };
    }
    if (context.actor) {
      this.rateLimits.tokenAuthenticated(tokenHash);
      const limited = await this.rateLimits.requestWith(context.actor.tokenId);
      if (limited) return { limited };
    }
    return { context };
  }

  /**
   * addressLimit then authenticate, with the same outcomes, in one round trip to PostgreSQL when the request bears
   * a token (the address count, the token lookup and the token count in one statement: RateLimits.countWithToken).
   * For a route that needs no body to admit a request (the MLflow API): it runs before the body is read.
   */
  async admit(address: string | undefined, authorization: string | undefined, use: TokenUse): Promise<Admitted> {
    const token = parseBearer(authorization);
    const from = address ?? 'unknown';
    const tokenHash = token ? hashToken(token) : '';
    const limited = token ? this.rateLimits.refusesTokenFrom(from, tokenHash) : null;
    // An address throttled for invalid tokens is refused before anything is counted or looked up.
    if (limited) return { limited };
    const counted = token ? await this.rateLimits.countWithToken(from, tokenHash, use === 'socket') : null;
    if (!counted) {
      const addressLimited = await this.addressLimit(address);
      if (addressLimited) return { limited: addressLimited };
      return this.authenticate(address, authorization, use);
    }
    if ('limited' in counted) return { limited: counted.limited };
    const actor = actorOf(this.services.store, counted.holder, use);
    if (!actor) {
      const failed = await this.rateLimits.authenticationFailed(from);
      if (failed) return { limited: failed };
    } else this.rateLimits.tokenAuthenticated(tokenHash);
    return { context: createScope(this.services, actor) };
  }

  /** The token's budget alone, for an operation on a socket that was authenticated when it opened. */
  tokenLimit(tokenId: string): Promise<RateLimited | null> {
    return this.rateLimits.requestWith(tokenId);
  }
}
