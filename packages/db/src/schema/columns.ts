import { timestamp, uuid } from 'drizzle-orm/pg-core';

// Shared column helpers so every table spells ids and timestamps the same way.
// UUIDs rather than serials: ids appear in URLs and must not reveal how many runs another team has.
export const id = () => uuid('id').primaryKey().defaultRandom();
export const createdAt = () => timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow();
export const timestampColumn = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });
