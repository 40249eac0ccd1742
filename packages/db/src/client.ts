import { PGlite } from '@electric-sql/pglite';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import { migrate as migratePg } from 'drizzle-orm/node-postgres/migrator';
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { acquireDataDirLock } from './data-dir-lock';
import { encodeFloat8Array, encodeInt4Array } from './pg-binary';
import * as schema from './schema/index';

export type Schema = typeof schema;
/** The Drizzle database, the same type whichever driver is underneath. */
export type Database = PgDatabase<PgQueryResultHKT, Schema>;

/** A raw parameterised query, for the few hot paths (metric ingestion) that Drizzle's builder would slow down. */
export type RawQuery = <Row = Record<string, unknown>>(text: string, params?: unknown[]) => Promise<Row[]>;

/** Element types that `arrayParam` can send; the SQL must cast the parameter to the matching array type. */
export type ArrayParamType = 'int4' | 'float8';

export interface Store {
  db: Database;
  kind: 'pglite' | 'postgres';
  /** Where the data lives, for start-up messages (never includes a password). */
  location: string;
  query: RawQuery;
  /**
   * A large numeric array as a query parameter in the fastest form the driver takes: PostgreSQL's binary
   * array format for node-postgres, a plain array for PGlite (whose parameters go through its text
   * serialiser). Use with `$n::int4[]` / `$n::float8[]`; values must not be null.
   */
  arrayParam(type: ArrayParamType, values: ArrayLike<number>): unknown;
  /** Applies the migrations in `folder` that have not run yet. */
  migrate(folder: string): Promise<void>;
  /** Runs `work` in one transaction on one connection. */
  transaction<T>(work: (query: RawQuery) => Promise<T>): Promise<T>;
  /** LISTEN on a channel; PostgreSQL NOTIFY is how events reach every API replica. Returns the unlisten function. */
  listen(channel: string, onPayload: (payload: string) => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

export interface OpenStoreOptions {
  /** A PostgreSQL connection string; when absent the embedded PGlite store in `dataDir` is used. */
  databaseUrl?: string | undefined;
  /** The PGlite data directory (created if missing). Ignored when databaseUrl is set. */
  dataDir?: string | undefined;
  /** Apply committed migrations before returning (default true). */
  migrate?: boolean;
  /** Largest number of pooled connections to PostgreSQL (default 10). */
  poolSize?: number;
  /**
   * PostgreSQL only: the server aborts any statement of the pool that runs longer (statement_timeout; default
   * none), so no query outlives the API's time budget for an operation. Migrations are exempt. PGlite runs in
   * this thread and has no timer to abort a statement with.
   */
  statementTimeoutMs?: number;
}

const migrationsFolder = fileURLToPath(new URL('../drizzle', import.meta.url));

export async function openStore(options: OpenStoreOptions): Promise<Store> {
  const store = options.databaseUrl
    ? await openPostgres(options.databaseUrl, options.poolSize ?? 10, options.statementTimeoutMs ?? 0)
    : await openPglite(options.dataDir ?? './.tuneboard/data');
  if (options.migrate !== false) {
    try {
      await migrateStore(store);
    } catch (error) {
      await store.close();
      throw error;
    }
  }
  return store;
}

/** Applies the committed migrations (or those in `folder`, which tests use to stop at an older schema). */
export async function migrateStore(store: Store, folder = migrationsFolder): Promise<void> {
  await store.migrate(folder);
}

/** Any constant identifies Tuneboard's migration lock among the server's advisory locks. */
const MIGRATION_LOCK_KEY = 7_346_201_913;

/** Where the committed migrations live. */
export const MIGRATIONS_FOLDER = migrationsFolder;

/** `dataDir` value for a throw-away in-memory store (tests, benchmarks). */
export const IN_MEMORY = 'memory://';

async function openPglite(dataDir: string): Promise<Store> {
  const inMemory = dataDir === IN_MEMORY;
  if (!inMemory) mkdirSync(dataDir, { recursive: true });
  // PGlite has no protection against two processes opening one directory, which corrupts it: take a lock first.
  const lock = inMemory ? { release() {} } : acquireDataDirLock(dataDir);
  let client: PGlite;
  try {
    client = await PGlite.create(dataDir);
  } catch (error) {
    lock.release();
    throw error;
  }
  const db = drizzlePglite({ client, schema }) as unknown as Database;
  const query: RawQuery = async (text, params) => (await client.query(text, params as unknown[])).rows as never;
  return {
    db,
    kind: 'pglite',
    location: dataDir,
    query,
    // One process owns the directory (see the lock above), so nothing else can migrate concurrently.
    migrate: (folder) => migratePglite(db as never, { migrationsFolder: folder }),
    arrayParam: (_type, values) => Array.from(values),
    transaction: (work) =>
      client.transaction(async (tx) => work(async (text, params) => (await tx.query(text, params as unknown[])).rows as never)),
    async listen(channel, onPayload) {
      const unlisten = await client.listen(channel, onPayload);
      return async () => unlisten();
    },
    async close() {
      try {
        await client.close();
      } finally {
        lock.release();
      }
    },
  };
}

async function openPostgres(databaseUrl: string, poolSize: number, statementTimeoutMs: number): Promise<Store> {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: poolSize, ...(statementTimeoutMs > 0 ? { statement_timeout: statementTimeoutMs } : {}) });
  // An idle client that loses its connection emits 'error'; without a listener that would crash the process.
  pool.on('error', () => {});
  await pool.query('select 1');
  const db = drizzlePg({ client: pool, schema }) as unknown as Database;
  const listeners: pg.Client[] = [];
  return {
    db,
    kind: 'postgres',
    location: redactUrl(databaseUrl),
    query: async (text, params) => (await pool.query(text, params)).rows,
    async migrate(folder) {
      // Replicas starting together on an empty database would race to create the same tables, and drizzle's
      // migrator takes no lock: hold a session advisory lock on one connection and migrate through it.
      const client = await pool.connect();
      try {
        // Waiting for another replica's migration, or rewriting a big table, is not an operation's time budget.
        await client.query('set statement_timeout = 0');
        await client.query('select pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
        try {
          await migratePg(drizzlePg({ client }) as never, { migrationsFolder: folder });
        } finally {
          await client.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
        }
      } finally {
        await client.query('reset statement_timeout').catch(() => {});
        client.release();
      }
    },
    arrayParam: (type, values) => (type === 'int4' ? encodeInt4Array(values) : encodeFloat8Array(values)),
    async transaction(work) {
      const client = await pool.connect();
      try {
        await client.query('begin');
        const result = await work(async (text, params) => (await client.query(text, params)).rows);
        await client.query('commit');
        return result;
      } catch (error) {
        await client.query('rollback').catch(() => {});
        throw error;
      } finally {
        client.release();
      }
    },
    async listen(channel, onPayload) {
      // LISTEN needs a connection of its own that stays open; pooled connections are handed around.
      const client = new pg.Client({ connectionString: databaseUrl });
      client.on('error', () => {});
      await client.connect();
      client.on('notification', (message) => {
        if (message.channel === channel) onPayload(message.payload ?? '');
      });
      await client.query(`listen ${quoteIdent(channel)}`);
      listeners.push(client);
      return async () => {
        listeners.splice(listeners.indexOf(client), 1);
        await client.end().catch(() => {});
      };
    },
    async close() {
      await Promise.all(listeners.splice(0).map((client) => client.end().catch(() => {})));
      await pool.end();
    },
  };
}

function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'postgres (unparseable DATABASE_URL)';
  }
}
