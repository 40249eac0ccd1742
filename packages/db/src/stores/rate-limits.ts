import type { Store } from '../client';
import { rateLimits } from '../schema/limits';

/** Where the API's rate limits count requests. */

/**
 * What rate-limiter-flexible's RateLimiterDrizzle needs to keep counts in the rate_limits table (its `storeClient`
 * and `schema` options), so that every replica counts the same requests; null on the embedded store, which one
 * process owns, so its counts may as well live in memory.
 */
export function sharedCounters(store: Store): { storeClient: Store['db']; schema: typeof rateLimits } | null {
  return store.kind === 'postgres' ? { storeClient: store.db, schema: rateLimits } : null;
}
