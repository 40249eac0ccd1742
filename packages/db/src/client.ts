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

/**
 * A raw parameterised query, for the few hot paths (metric ingestion) that Drizzle's builder would slow down.
 * `prepared`: on PostgreSQL, a named prepared statement per connection, so a statement sent on every request is
 * parsed (and, once PostgreSQL settles on a generic plan, planned) once per connection rather than per request.
 */
export type RawQuery = <Row = Record<string, unknown>>(text: string, params?: unknown[], options?: { prepared?: boolean }) => Promise<Row[]>;

/** Names of prepared statements by their text (the text is what a name must stand for, on every connection). */
const preparedNames = new Map<string, string>();
const PREPARED_NAMES_KEPT = 200;

function preparedName(text: string): string | undefined {
  let name = preparedNames.get(text);
  // A name for every text, never reused (a connection keeps what it prepared); past the cap, texts go unnamed.
  if (!name && preparedNames.size < PREPARED_NAMES_KEPT) preparedNames.set(text, (name = `tuneboard_${preparedNames.size + 1}`));
  return name;
}

/** node-postgres's query config for a RawQuery call. */
const pgQuery = (text: string, params: unknown[] | undefined, options: { prepared?: boolean } | undefined) => ({
  name: options?.prepared ? preparedName(text) : undefined,
  text,
  values: params,
});

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
  /**
   * LISTEN on a channel; PostgreSQL NOTIFY is how events reach every API replica. Returns the unlisten function.
   * A lost connection is re-established with backoff; notifications sent meanwhile are lost, so `connection`
   * tells the caller when it lost and regained the channel (to catch up by reading what changed).
   */
  listen(channel: string, onPayload: (payload: string) => void, connection?: ListenConnectionEvents): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

export interface ListenConnectionEvents {
  /** The LISTEN connection failed; notifications are missed until `onReconnect`. */
  onDisconnect?(error: Error): void;
  /** LISTEN is active again after `attempts` tries; anything sent while it was down was missed. */
  onReconnect?(attempts: number): void;
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
   * Told about every error a PostgreSQL connection emits outside a query (terminated backend, server restart),
   * for logging; such an error never crashes the process, and the queries it breaks fail as ordinary errors.
   */
  onConnectionError?: (error: Error) => void;
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
    ? await openPostgres(options.databaseUrl, options.poolSize ?? 10, options.onConnectionError ?? (() => {}), options.statementTimeoutMs ?? 0)
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
    transaction: (work) => client.transaction(async (tx) => work(async (text, params) => (await tx.query(text, params as unknown[])).rows as never)),
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

/** Delays between LISTEN reconnection attempts: exponential from 100 ms, capped at 10 s, with full jitter. */
export function reconnectDelayMs(attempt: number, random = Math.random): number {
  const ceiling = Math.min(10_000, 100 * 2 ** Math.min(attempt, 10));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

async function openPostgres(databaseUrl: string, poolSize: number, onConnectionError: (error: Error) => void, statementTimeoutMs: number): Promise<Store> {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: poolSize, ...(statementTimeoutMs > 0 ? { statement_timeout: statementTimeoutMs } : {}) });
  // A connection that dies (pg_terminate_backend, a server restart) emits 'error' on its client, idle or checked
  // out; an 'error' event without a listener would crash the process. Every client gets one for its whole life;
  // the queries the failure breaks reject on their own, and the pool discards the broken client on release.
  pool.on('error', (error) => onConnectionError(error));
  pool.on('connect', (client) => client.on('error', (error) => onConnectionError(error)));
  await pool.query('select 1');
  const db = drizzlePg({ client: pool, schema }) as unknown as Database;
  const listeners = new Set<{ stop(): Promise<void> }>();
  return {
    db,
    kind: 'postgres',
    location: redactUrl(databaseUrl),
    query: async (text, params, options) => (await pool.query(pgQuery(text, params, options))).rows,
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
      let broken: Error | undefined;
      const markBroken = (error: Error) => (broken = error);
      client.on('error', markBroken);
      try {
        await client.query('begin');
        const result = await work(async (text, params, options) => (await client.query(pgQuery(text, params, options))).rows);
        await client.query('commit');
        return result;
      } catch (error) {
        if (!broken) await client.query('rollback').catch(() => {});
        throw error;
      } finally {
        client.removeListener('error', markBroken);
        // A client whose connection failed must not go back to the pool for the next caller.
        client.release(broken);
      }
    },
    async listen(channel, onPayload, connection = {}) {
      const listener = listenWithReconnect(databaseUrl, channel, onPayload, connection, onConnectionError);
      await listener.started;
      listeners.add(listener);
      return async () => {
        listeners.delete(listener);
        await listener.stop();
      };
    },
    async close() {
      await Promise.all([...listeners].map((listener) => listener.stop()));
      listeners.clear();
      await pool.end();
    },
  };
}

/**
 * A LISTEN that survives its connection: LISTEN needs a connection of its own that stays open (pooled ones are
 * handed around), and when that connection dies it is opened again with capped, jittered exponential backoff
 * (replicas reconnecting to a restarted server do not all knock at once). The first connection must succeed.
 */
function listenWithReconnect(
  databaseUrl: string,
  channel: string,
  onPayload: (payload: string) => void,
  connection: ListenConnectionEvents,
  onConnectionError: (error: Error) => void,
): { started: Promise<void>; stop(): Promise<void> } {
  let stopped = false;
  let current: pg.Client | null = null;
  let retry: ReturnType<typeof setTimeout> | null = null;

  const connect = async (): Promise<void> => {
    // Keep-alive notices a silently dropped connection; the connect timeout keeps a reconnect to an unreachable
    // server from hanging for ever (the backoff then tries again).
    const client = new pg.Client({ connectionString: databaseUrl, keepAlive: true, connectionTimeoutMillis: 10_000 });
    // Failures before LISTEN is active belong to this attempt (its promise rejects), not to a live connection.
    let established = false;
    let lost = false;
    const onLost = (error: Error) => {
      if (!established || lost || stopped) return;
      lost = true;
      current = null;
      client.end().catch(() => {});
      connection.onDisconnect?.(error);
      scheduleReconnect(0);
    };
    client.on('error', (error) => {
      onConnectionError(error);
      onLost(error);
    });
    client.on('end', () => onLost(new Error('the LISTEN connection ended')));
    client.on('notification', (message) => {
      if (message.channel === channel) onPayload(message.payload ?? '');
    });
    try {
      await client.connect();
      await client.query(`listen ${quoteIdent(channel)}`);
    } catch (error) {
      client.end().catch(() => {});
      throw error;
    }
    if (stopped) {
      await client.end().catch(() => {});
      return;
    }
    established = true;
    current = client;
  };

  const scheduleReconnect = (attempt: number) => {
    if (stopped) return;
    retry = setTimeout(() => {
      retry = null;
      connect().then(
        () => {
          if (!stopped) connection.onReconnect?.(attempt + 1);
        },
        () => scheduleReconnect(attempt + 1),
      );
    }, reconnectDelayMs(attempt));
    // A pending reconnection alone must not keep a process alive that is otherwise done.
    retry.unref();
  };

  return {
    started: connect(),
    async stop() {
      stopped = true;
      if (retry) clearTimeout(retry);
      const client = current;
      current = null;
      await client?.end().catch(() => {});
    },
  };
}

/** SQLSTATEs of a connection the server ended (admin shutdown, crash shutdown, cannot connect now) or lost. */
const CONNECTION_SQLSTATES = new Set(['57P01', '57P02', '57P03', '08000', '08003', '08006', '08001', '08004']);

/**
 * Whether an error (or what it wraps: Drizzle wraps driver errors) says the database connection was lost rather
 * than that the statement was wrong: such a failure is transient, and an idempotent read may simply be retried.
 */
export function isConnectionError(error: unknown): boolean {
  for (let current = error, depth = 0; current instanceof Error && depth < 5; current = current.cause, depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && (CONNECTION_SQLSTATES.has(code) || code === 'ECONNREFUSED' || code === 'ECONNRESET')) return true;
    if (/Connection terminated|terminating connection|Client has encountered a connection error/i.test(current.message)) return true;
  }
  return false;
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
