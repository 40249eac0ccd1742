import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { IN_MEMORY, openStore, type Store } from './client';

/**
 * The databases a test suite runs against: always an in-memory PGlite, plus a real PostgreSQL server when
 * TEST_DATABASE_URL is set (CI points it at the local server). Each opened store gets a database of its
 * own, dropped afterwards, so concurrent test runs never collide.
 */
export interface TestDatabase {
  name: 'pglite' | 'postgres';
  open(): Promise<TestStore>;
}
export interface TestStore extends Store {
  /** Closes the store and drops its database. */
  destroy(): Promise<void>;
  /** The connection string of the throw-away database (postgres only), for child processes. */
  databaseUrl?: string;
}

export function testDatabases(): TestDatabase[] {
  const databases: TestDatabase[] = [{ name: 'pglite', open: openPgliteTestStore }];
  const url = process.env.TEST_DATABASE_URL;
  if (url) databases.push({ name: 'postgres', open: () => openPostgresTestStore(url) });
  return databases;
}

async function openPgliteTestStore(): Promise<TestStore> {
  const store = await openStore({ dataDir: IN_MEMORY });
  return Object.assign(store, { destroy: () => store.close() });
}

export async function createTestDatabase(serverUrl: string): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `tuneboard_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    await admin.query(`create database ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const client = new pg.Client({ connectionString: serverUrl });
      await client.connect();
      try {
        await client.query(`drop database if exists ${name} with (force)`);
      } finally {
        await client.end();
      }
    },
  };
}

async function openPostgresTestStore(serverUrl: string): Promise<TestStore> {
  const database = await createTestDatabase(serverUrl);
  const store = await openStore({ databaseUrl: database.url, poolSize: 4 });
  return Object.assign(store, {
    databaseUrl: database.url,
    async destroy() {
      await store.close();
      await database.drop();
    },
  });
}

/**
 * A plain connection to a server's `postgres` database, for fault injection in tests (terminating another
 * database's connections, creating a database on a private cluster): things no store offers on purpose.
 */
export async function connectAsAdmin(
  serverOrDatabaseUrl: string,
): Promise<{ query: (text: string, params?: unknown[]) => Promise<{ rowCount: number }>; end(): Promise<void> }> {
  const client = new pg.Client({ connectionString: serverOrDatabaseUrl.replace(/\/[^/]*$/, '/postgres') });
  // A terminated or restarted server must fail the next query, not crash the test process.
  client.on('error', () => {});
  await client.connect();
  return {
    query: async (text, params) => ({ rowCount: (await client.query(text, params)).rowCount ?? 0 }),
    end: () => client.end(),
  };
}
