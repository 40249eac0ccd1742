import type { Store } from '../client';
import { rateLimits } from '../schema/limits';
import { holderOfRows, TOKEN_HOLDER_COLUMNS, tokenHolderQuery, type TokenHolder, type TokenHolderRow } from './accounts';

/** Where the API's rate limits count requests. */

/**
 * What rate-limiter-flexible's RateLimiterDrizzle needs to keep counts in the rate_limits table (its `storeClient`
 * and `schema` options), so that every replica counts the same requests; null on the embedded store, which one
 * process owns, so its counts may as well live in memory.
 */
export function sharedCounters(store: Store): { storeClient: Store['db']; schema: typeof rateLimits } | null {
  return store.kind === 'postgres' ? { storeClient: store.db, schema: rateLimits } : null;
}

/** One key's count of requests in its current window, and when the window ends. */
export interface RequestCount {
  points: number;
  expire: Date;
}

/** What `countRequestAndFindToken` found. */
export interface CountedRequest {
  /** The address's count (null when not counted). */
  address: RequestCount | null;
  holder: TokenHolder | null;
  /** The token's count (null when not counted: no valid token, the address over its limit, or counting off). */
  token: RequestCount | null;
}

/**
 * A request's whole admission in one statement on PostgreSQL, where a request costs a round trip per statement:
 * counts one request of `addressKey` (a rate_limits row, the layout and window rules rate-limiter-flexible's
 * RateLimiterDrizzle uses, so both count the same rows), looks the token up (tokenHolderQuery, the one definition
 * of a valid token) and, when the token is valid and the address within `addressPoints`, counts one request
 * for `${tokenKeyPrefix}:<token id>`. A null key or prefix is not counted.
 *
 * The counters commit without waiting for the WAL flush (synchronous_commit off for this statement only): other
 * replicas see a count as soon as it commits, as before; only a crash of the database server can lose the last
 * counts it acknowledged (at most 3 × wal_writer_delay, 600 ms by default), which lets a client that many more
 * requests through once.
 */
export async function countRequestAndFindToken(
  store: Store,
  input: {
    addressKey: string | null;
    addressPoints: number;
    tokenHash: string;
    tokenKeyPrefix: string | null;
    windowMs: number;
    expiredTicketsPass: boolean;
  },
): Promise<CountedRequest> {
  const lookup = tokenHolderQuery(store, input.tokenHash, { expiredTicketsPass: input.expiredTicketsPass }).toSQL();
  const now = new Date();
  const p = lookup.params.length;
  const params = [...lookup.params, input.addressKey, now, new Date(now.getTime() + input.windowMs), input.tokenKeyPrefix, input.addressPoints];
  const [addressKey, at, expire, tokenPrefix, addressPoints] = [1, 2, 3, 4, 5].map((i) => `$${p + i}`);
  const counted = `on conflict (key) do update set
      points = case when rate_limits.expire <= ${at}::timestamptz then 1 else rate_limits.points + 1 end,
      expire = case when rate_limits.expire <= ${at}::timestamptz then excluded.expire else rate_limits.expire end
    returning points, expire`;
  const rows = await store.query<{
    user_id: string | null;
    email: string;
    token_id: string;
    scope: TokenHolderRow['scope'];
    team_id: string | null;
    role: TokenHolderRow['role'];
    address_points: number | null;
    address_expire: Date | null;
    token_points: number | null;
    token_expire: Date | null;
  }>(
    `with holder(${TOKEN_HOLDER_COLUMNS.join(', ')}) as (${lookup.sql}),
    address as (
      insert into rate_limits (key, points, expire) select ${addressKey}::text, 1, ${expire}::timestamptz where ${addressKey}::text is not null
      ${counted}
    ),
    token as (
      insert into rate_limits (key, points, expire)
      select ${tokenPrefix}::text || ':' || t.token_id, 1, ${expire}::timestamptz from (select distinct token_id from holder) t
      where ${tokenPrefix}::text is not null and coalesce((select points from address), 0) <= ${addressPoints}::int
      ${counted}
    )
    select set_config('synchronous_commit', 'off', true) as async, h.*,
      a.points as address_points, a.expire as address_expire, t.points as token_points, t.expire as token_expire
    from (select 1) as one left join holder h on true left join address a on true left join token t on true`,
    params,
    { prepared: true },
  );
  const holderRows: TokenHolderRow[] = rows
    .filter((row) => row.user_id !== null)
    .map((row) => ({ userId: row.user_id!, email: row.email, tokenId: row.token_id, scope: row.scope, teamId: row.team_id, role: row.role }));
  const first = rows[0]!;
  const count = (points: number | null, expire: Date | null) => (points === null ? null : { points, expire: new Date(expire!) });
  return {
    address: count(first.address_points, first.address_expire),
    holder: holderOfRows(holderRows),
    token: count(first.token_points, first.token_expire),
  };
}
