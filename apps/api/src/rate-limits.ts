import { rateLimitStore, type accountStore, type Store } from '@tuneboard/db';
import type { Logger } from 'pino';
import { RateLimiterDrizzle, RateLimiterMemory, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';

/** Requests per minute; 0 switches a limit off. */
export interface RateLimitSettings {
  /** Per API token. */
  tokenRequestsPerMinute: number;
  /** Per client address, whatever the token (or none). */
  addressRequestsPerMinute: number;
  /** Requests with an unknown, revoked or expired token, per client address. Past it: 429 without a lookup. */
  authFailuresPerMinute: number;
}

/**
 * Generous enough for heavy legitimate use: an SDK script logs about once a second, a worker heart-beats every
 * 3 s, and a hundred scripts may share one token. They stop floods, not work.
 */
export const DEFAULT_RATE_LIMITS: RateLimitSettings = { tokenRequestsPerMinute: 6_000, addressRequestsPerMinute: 12_000, authFailuresPerMinute: 20 };

export interface RateLimited {
  retryAfterSeconds: number;
  message: string;
}

const WINDOW_SECONDS = 60;
/** Tokens that authenticated recently on this replica: their requests pass an address's failure block. */
const KNOWN_TOKEN_MS = 10 * 60_000;
const KNOWN_TOKEN_LIMIT = 10_000;

/**
 * The API's rate limits. On PostgreSQL the counts live in the rate_limits table, so replicas share them (a key
 * over its limit is then also blocked in this replica's memory for the rest of its window, so a flood costs no
 * database write per request); on the embedded store, which one process owns, they live in memory. When the
 * database cannot be reached the counting falls back to memory rather than failing requests.
 */
export class RateLimits {
  private readonly token: RateLimiterAbstract | null;
  private readonly address: RateLimiterAbstract | null;
  private readonly authFailures: RateLimiterAbstract | null;
  /** Addresses over the failure limit → when their block ends (ms since the epoch), known without a query. */
  private readonly blockedAddresses = new Map<string, number>();
  private readonly knownTokens = new Map<string, number>();
  /**
   * Addresses (`address:…`) and tokens (`token-hash:<hash>`, so that a blocked token costs no lookup) whose shared
   * count reached its limit in countWithToken → the end of that count's window: refused without a query until
   * then, exactly as RateLimiterDrizzle's in-memory block (inMemoryBlockOnConsumed) does for its own counts.
   */
  private readonly blocked = new Map<string, number>();

  constructor(
    private readonly store: Store,
    private readonly settings: RateLimitSettings,
    private readonly logger: Logger,
  ) {
    const shared = rateLimitStore.sharedCounters(store);
    const limiter = (keyPrefix: string, points: number): RateLimiterAbstract | null => {
      if (points <= 0) return null;
      const options = { keyPrefix, points, duration: WINDOW_SECONDS };
      if (!shared) return new RateLimiterMemory(options);
      return new RateLimiterDrizzle({
        ...options,
        ...shared,
        inMemoryBlockOnConsumed: points,
        insuranceLimiter: new RateLimiterMemory(options),
      });
    };
    this.token = limiter('token', settings.tokenRequestsPerMinute);
    this.address = limiter('address', settings.addressRequestsPerMinute);
    this.authFailures = limiter('auth-failure', settings.authFailuresPerMinute);
  }

  /** Counts a request from `address`; refused past the per-address limit. */
  requestFrom(address: string): Promise<RateLimited | null> {
    return this.consume(this.address, address, (s) => addressMessage(s).message);
  }

  /** Counts a request with a valid token; refused past the per-token limit. */
  requestWith(tokenId: string): Promise<RateLimited | null> {
    return this.consume(this.token, tokenId, (s) => tokenMessage(s).message);
  }

  /**
   * Whether a request bearing a token from `address` must be refused before the token is looked up: the address
   * sent too many invalid tokens lately. A token that authenticated recently here passes, so a user sharing the
   * address with a misbehaving client is not locked out.
   */
  refusesTokenFrom(address: string, tokenHash: string): RateLimited | null {
    const until = this.blockedAddresses.get(address);
    if (until === undefined) return null;
    const now = Date.now();
    if (until <= now) {
      this.blockedAddresses.delete(address);
      return null;
    }
    if ((this.knownTokens.get(tokenHash) ?? 0) > now) return null;
    return authFailuresMessage(Math.ceil((until - now) / 1000));
  }

  tokenAuthenticated(tokenHash: string): void {
    if (this.knownTokens.size >= KNOWN_TOKEN_LIMIT) this.knownTokens.clear();
    this.knownTokens.set(tokenHash, Date.now() + KNOWN_TOKEN_MS);
  }

  /** Counts a failed authentication from `address`; refused (and the address blocked) past the limit. */
  async authenticationFailed(address: string): Promise<RateLimited | null> {
    const refused = await this.consume(this.authFailures, address, (s) => authFailuresMessage(s).message);
    if (refused) this.blockedAddresses.set(address, Date.now() + refused.retryAfterSeconds * 1000);
    return refused;
  }

  /**
   * The address's count, the token's lookup and the token's count in one statement (PostgreSQL, where each is a
   * round trip): the same rows, limits and order as requestFrom, a lookup and requestWith, for a request that
   * bears a token. Null when the store keeps its counts in memory (call those three instead), or when the
   * statement failed (then they run, with their fallback to memory). A token that turns out unknown or revoked
   * counts only towards the address; the caller counts the failure (authenticationFailed).
   */
  async countWithToken(
    address: string,
    tokenHash: string,
    expiredTicketsPass: boolean,
  ): Promise<{ limited: RateLimited } | { holder: accountStore.TokenHolder | null } | null> {
    if (!rateLimitStore.sharedCounters(this.store)) return null;
    const { addressRequestsPerMinute: addressPoints, tokenRequestsPerMinute: tokenPoints } = this.settings;
    const addressKey = addressPoints > 0 ? `address:${address}` : null;
    const now = Date.now();
    const addressBlocked = addressKey ? this.blockedFor(addressKey, now) : 0;
    if (addressBlocked > 0) return { limited: addressMessage(addressBlocked) };
    const tokenBlocked = tokenPoints > 0 ? this.blockedFor(`token-hash:${tokenHash}`, now) : 0;
    if (tokenBlocked > 0) return { limited: tokenMessage(tokenBlocked) };
    let counted;
    try {
      counted = await rateLimitStore.countRequestAndFindToken(this.store, {
        addressKey,
        addressPoints,
        tokenHash,
        tokenKeyPrefix: tokenPoints > 0 ? 'token' : null,
        windowMs: WINDOW_SECONDS * 1000,
        expiredTicketsPass,
      });
    } catch (error) {
      this.logger.warn({ err: error }, 'counting a request with its token lookup failed; counting it apart');
      return null;
    }
    const over = (key: string, count: { points: number; expire: Date }, limit: number): number | null => {
      // As RateLimiterDrizzle with inMemoryBlockOnConsumed = limit: the request that reaches the limit passes and
      // blocks the key here for the rest of its window; one past it is refused.
      if (count.points < limit) return null;
      const until = count.expire.getTime();
      this.block(key, until);
      return count.points > limit ? Math.max(1, Math.ceil((until - Date.now()) / 1000)) : null;
    };
    if (addressKey && counted.address) {
      const seconds = over(addressKey, counted.address, addressPoints);
      if (seconds !== null) return { limited: addressMessage(seconds) };
    }
    if (counted.holder && counted.token) {
      const seconds = over(`token-hash:${tokenHash}`, counted.token, tokenPoints);
      if (seconds !== null) return { limited: tokenMessage(seconds) };
    }
    return { holder: counted.holder };
  }

  /** Seconds left of a block of `key` in memory, 0 if none. */
  private blockedFor(key: string, now: number): number {
    const until = this.blocked.get(key);
    if (until === undefined) return 0;
    if (until <= now) {
      this.blocked.delete(key);
      return 0;
    }
    return Math.max(1, Math.ceil((until - now) / 1000));
  }

  private block(key: string, until: number): void {
    if (this.blocked.size >= KNOWN_TOKEN_LIMIT) {
      const now = Date.now();
      for (const [k, u] of this.blocked) if (u <= now) this.blocked.delete(k);
      if (this.blocked.size >= KNOWN_TOKEN_LIMIT) this.blocked.clear();
    }
    this.blocked.set(key, until);
  }

  private async consume(limiter: RateLimiterAbstract | null, key: string, message: (seconds: number) => string): Promise<RateLimited | null> {
    if (!limiter) return null;
    try {
      await limiter.consume(key);
      return null;
    } catch (outcome) {
      if (outcome instanceof RateLimiterRes) {
        const retryAfterSeconds = Math.max(1, Math.ceil(outcome.msBeforeNext / 1000));
        return { retryAfterSeconds, message: message(retryAfterSeconds) };
      }
      // The insurance limiter covers a lost database; anything else must not fail the request either.
      this.logger.warn({ err: outcome }, 'rate limit check failed; request let through');
      return null;
    }
  }
}

function authFailuresMessage(seconds: number): RateLimited {
  return { retryAfterSeconds: seconds, message: `Too many requests with invalid tokens from your address; try again in ${seconds} s.` };
}

function addressMessage(seconds: number): RateLimited {
  return { retryAfterSeconds: seconds, message: `Too many requests from your address; try again in ${seconds} s.` };
}

function tokenMessage(seconds: number): RateLimited {
  return { retryAfterSeconds: seconds, message: `Too many requests with this token; try again in ${seconds} s.` };
}
