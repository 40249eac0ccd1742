import { integer, pgTable, text } from 'drizzle-orm/pg-core';
import { timestampColumn } from './columns';

/**
 * Request counters of the API's rate limits (rate-limiter-flexible's Drizzle layout: one row per key, reset when
 * its window has expired), kept in PostgreSQL so every replica counts the same requests. Expired rows are reused
 * by the next request of their key and deleted after an hour.
 */
export const rateLimits = pgTable('rate_limits', {
  key: text('key').primaryKey(),
  points: integer('points').notNull().default(0),
  expire: timestampColumn('expire'),
});
